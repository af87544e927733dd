//! The platform tested through HTTP, every scenario on SQLite and on PostgreSQL (each domain
//! tests itself in `crates/<domain>/tests/`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The shared harness (`crates/test-support`).
mod support {
    pub use crm_test_support::*;
}
pub use crm_test_support::both;

mod api_keys;
mod auth;
mod client_limits;
mod concurrency;
mod conventions;
mod crash_safety;
mod custom_fields;
mod database_faults;
mod events;
mod global_search;
mod hostile_import;
mod jobs;
mod mail;
mod openapi;
mod scale_out;
mod schema;
mod server_process;
mod soak;
mod timelines;
mod users;
mod visibility;
mod webhook_processes;
