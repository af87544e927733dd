//! The API tested through HTTP, every scenario on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod activities;
mod api_keys;
mod auth;
mod companies;
mod contacts;
mod conventions;
mod custom_fields;
mod dedupe;
mod events;
mod global_search;
mod openapi;
mod privacy;
mod schema;
mod search;
mod users;
