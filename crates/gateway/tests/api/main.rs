//! The API tested through HTTP, every scenario on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod activities;
mod api_keys;
mod auth;
mod companies;
mod concurrency;
mod contacts;
mod conventions;
mod custom_fields;
mod dedupe;
mod events;
mod exports;
mod global_search;
mod imports;
mod jobs;
mod openapi;
mod privacy;
mod schema;
mod search;
mod users;
