//! The API tested through HTTP, every scenario on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod activities;
mod api_keys;
mod auth;
mod companies;
mod contacts;
mod conventions;
mod events;
mod exports;
mod imports;
mod jobs;
mod openapi;
mod schema;
mod search;
mod users;
