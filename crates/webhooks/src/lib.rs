//! crm-webhooks: outbound webhooks. Every event of the outbox fans out to the endpoints that
//! take its type, as one delivery row each, sent signed to the Standard Webhooks specification,
//! at least once, in order per record, and retried on a schedule; every attempt is kept.
//!
//! One module per resource (`endpoint`, `delivery`), each with `model`, `dto`, `service` and
//! `routes`, and the dispatcher (`dispatch`), which runs in every process that runs jobs.

pub mod delivery;
pub mod dispatch;
pub mod endpoint;
pub mod events;
pub mod permissions;
pub mod schema;
pub mod settings;

use crm_core::registry::{Domain, ResourceSpec, WriteExample};
use utoipa_actix_web::service_config::ServiceConfig;

/// The webhook domain (its settings are `CRM_WEBHOOK_*`).
pub const DOMAIN: Domain = Domain {
    name: settings::SECTION,
    configure,
    settings: Some(settings::SETTINGS),
    jobs: register_jobs,
    schedules: &[crm_core::jobs::Schedule { kind: PRUNE_KIND, every: std::time::Duration::from_secs(3600) }],
    permissions: &[permissions::WEBHOOKS],
    events: events::EVENTS,
    background: &[dispatch::run],
    tags: &[(
        "Webhooks",
        "Endpoints that receive the organization's events, signed to the Standard Webhooks specification; \
         their deliveries, attempts and redelivery",
    )],
    resources: &[ResourceSpec {
        record_type: endpoint::model::RECORD_TYPE,
        id_prefix: endpoint::model::ID_PREFIX,
        path: "/v1/webhook-endpoints",
        permission: permissions::WEBHOOKS,
        writes: Some(WriteExample {
            create: Some(r#"{"url": "https://hooks.example.com/crm", "event_types": ["contact.*"]}"#),
            patches: &[
                r#"{"description": "ERP sync"}"#,
                r#"{"event_types": ["contact.*", "company.*"]}"#,
                r#"{"rate_limit_per_second": 20}"#,
            ],
        }),
        ..ResourceSpec::BASE
    }],
    erasers: &[],
};

/// The scheduled prune of deliveries older than the event retention.
pub const PRUNE_KIND: &str = "webhook.prune_deliveries";

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(endpoint::routes::list_webhook_endpoints)
        .service(endpoint::routes::create_webhook_endpoint)
        .service(endpoint::routes::get_webhook_endpoint)
        .service(endpoint::routes::update_webhook_endpoint)
        .service(endpoint::routes::delete_webhook_endpoint)
        .service(endpoint::routes::rotate_webhook_endpoint_secret)
        .service(endpoint::routes::test_webhook_endpoint)
        .service(delivery::routes::list_webhook_deliveries)
        .service(delivery::routes::retry_webhook_delivery)
        .service(delivery::routes::recover_webhook_endpoint);
}

fn register_jobs(registry: &mut crm_core::jobs::Registry) {
    registry.register(PRUNE_KIND, |ctx| {
        let before = crm_core::time::now() - chrono::Duration::days(ctx.state.config.event_retention_days);
        let org_id = ctx.actor.org_id.clone();
        while ctx.write(|conn| delivery::model::prune(conn, &org_id, before, 5000))? > 0 {}
        Ok(())
    });
}
