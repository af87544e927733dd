//! The contacts domain tested through HTTP, every scenario on SQLite and on PostgreSQL, with the
//! shared harness (`crates/test-support`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The shared harness.
mod support {
    pub use crm_test_support::*;
}
pub use crm_test_support::both;

mod activities;
mod companies;
mod contacts;
mod dedupe;
mod exports;
mod fuzz;
mod imports;
mod privacy;
mod search;
mod snapshots;
mod sorts;
mod visibility;
