//! The webhook domain tested through HTTP, every scenario on SQLite and on PostgreSQL, with a
//! real receiver on loopback (`crm_test_support::receiver`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod deliveries;
mod endpoints;
mod stream;

use crm_test_support::{Backend, TestApp};

/// The settings the delivery tests run with: loopback receivers allowed, a fast schedule.
pub const FAST: &[(&str, &str)] =
    &[("CRM_WEBHOOK_ALLOW_PRIVATE", "true"), ("CRM_WEBHOOK_RETRY_SCHEDULE", "50ms,100ms,150ms")];

pub async fn app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, FAST).await
}

/// Runs a scenario on both databases with the fast settings.
#[macro_export]
macro_rules! both_fast {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                #[actix_web::test]
                async fn sqlite() {
                    super::$scenario($crate::app(crm_test_support::Backend::Sqlite).await).await
                }
                #[actix_web::test]
                async fn postgres() {
                    super::$scenario($crate::app(crm_test_support::Backend::Postgres).await).await
                }
            }
        )*
    };
}
