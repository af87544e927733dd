//! crm-core: the platform every domain crate builds on.
//!
//! Config, the database (SQLite or PostgreSQL through one connection type), errors as
//! RFC 9457 problems, ids, time, the HTTP conventions (lists, idempotency, ETags, rate limits),
//! authentication and permissions, the audit log and the event outbox, outbound e-mail — and the
//! platform's own resources: users, API keys, sessions, the audit log and the changes feed.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod change;
pub mod config;
pub mod custom_fields;
pub mod db;
pub mod error;
pub mod events;
pub mod files;
pub mod filter;
pub mod health;
pub mod http;
pub mod id;
pub mod jobs;
pub mod listing;
pub mod mail;
pub mod money;
pub mod normalize;
pub mod openapi;
pub mod organizations;
pub mod privacy;
pub mod records;
pub mod registry;
pub mod schema;
pub mod scope;
pub mod search;
pub mod search_index;
pub mod sequence;
pub mod sessions;
pub mod signature;
pub mod sql;
pub mod state;
pub mod teams;
pub mod text;
pub mod time;
pub mod users;
pub mod write;

pub use error::{ApiError, ApiResult};
pub use state::AppState;

use registry::{Domain, ResourceSpec, WriteExample};
use utoipa_actix_web::service_config::ServiceConfig;

/// The platform as a domain: its routes, tags and versioned resources.
pub const DOMAIN: Domain = Domain {
    name: "platform",
    configure,
    settings: None,
    events: events::catalog::PLATFORM,
    background: &[],
    jobs: register_jobs,
    schedules: &[
        jobs::Schedule { kind: http::idempotency::PURGE_KIND, every: std::time::Duration::from_secs(3600) },
        jobs::Schedule { kind: files::model::PURGE_KIND, every: std::time::Duration::from_secs(3600) },
        jobs::Schedule { kind: events::model::PRUNE_KIND, every: std::time::Duration::from_secs(3600) },
    ],
    permissions: &[
        auth::Resource::ME,
        auth::Resource::USERS,
        auth::Resource::TEAMS,
        auth::Resource::API_KEYS,
        auth::Resource::AUDIT_LOG,
        auth::Resource::CUSTOM_FIELDS,
        auth::Resource::ORGANIZATION,
        auth::Resource::EVENTS,
        auth::Resource::MAIL,
    ],
    tags: &[
        ("Authentication", "Sign in, refresh and sign out"),
        ("Organization", "The caller's organization and its settings"),
        ("Users", "The organization's users and their roles"),
        ("Teams", "Teams of users: who sees which records when a role sees only its teams'"),
        ("API keys", "Scoped, revocable keys for integrations and scripts"),
        ("Audit log", "Who changed what, field by field"),
        ("Events", "The changes feed"),
        ("Custom fields", "Typed fields an organization adds to contacts and companies"),
        ("Search", "One search box across every record type"),
        ("Mail", "Outbound e-mail over the organization's SMTP server, and the log of every message"),
        ("Health", "Liveness and readiness"),
    ],
    resources: &[
        ResourceSpec {
            record_type: "organization",
            id_prefix: organizations::ID_PREFIX,
            path: "/v1/organization",
            permission: auth::Resource::ORGANIZATION,
            writes: Some(WriteExample {
                create: None,
                patches: &[r#"{"name": "Acme Holdings"}"#, r#"{"phone_region": "GB"}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: "user",
            id_prefix: users::model::ID_PREFIX,
            path: "/v1/users",
            permission: auth::Resource::USERS,
            writes: Some(WriteExample {
                create: Some(r#"{"email": "grace@example.com", "name": "Grace Hopper", "role": "sales"}"#),
                patches: &[r#"{"name": "Grace B. Hopper"}"#, r#"{"role": "manager"}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: "team",
            id_prefix: teams::model::ID_PREFIX,
            path: "/v1/teams",
            permission: auth::Resource::TEAMS,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "EMEA sales", "description": "Accounts in Europe"}"#),
                patches: &[
                    r#"{"name": "EMEA enterprise sales"}"#,
                    r#"{"description": "Accounts in Europe and Africa"}"#,
                ],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: "api_key",
            id_prefix: api_keys::model::ID_PREFIX,
            path: "/v1/api-keys",
            permission: auth::Resource::API_KEYS,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "Shopify sync", "scopes": ["contacts:write"]}"#),
                patches: &[r#"{"name": "Shopify order sync"}"#, r#"{"scopes": ["contacts:read"]}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: "custom_field",
            id_prefix: custom_fields::model::ID_PREFIX,
            path: "/v1/custom-fields",
            permission: auth::Resource::CUSTOM_FIELDS,
            writes: Some(WriteExample {
                create: Some(r#"{"record_type": "contact", "key": "tier", "label": "Tier", "type": "text"}"#),
                patches: &[
                    r#"{"label": "Customer tier"}"#,
                    r#"{"description": "Set by the account team"}"#,
                    r#"{"pattern": "^[A-Z]$"}"#,
                ],
            }),
            ..ResourceSpec::BASE
        },
    ],
    erasers: &[],
};

/// The platform's `/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sessions::routes::create_token)
        .service(sessions::routes::refresh_token)
        .service(sessions::routes::revoke_token)
        .service(sessions::routes::accept_invitation)
        .service(organizations::routes::get_organization)
        .service(organizations::routes::update_organization)
        .service(organizations::routes::get_record_visibility)
        .service(organizations::routes::replace_record_visibility)
        .service(users::routes::get_me)
        .service(users::routes::change_password)
        .service(users::routes::list_users)
        .service(users::routes::create_user)
        .service(users::routes::get_user)
        .service(users::routes::update_user)
        .service(users::routes::deactivate_user)
        .service(users::routes::reactivate_user)
        .service(teams::routes::list_teams)
        .service(teams::routes::create_team)
        .service(teams::routes::get_team)
        .service(teams::routes::update_team)
        .service(teams::routes::delete_team)
        .service(api_keys::routes::list_api_keys)
        .service(api_keys::routes::create_api_key)
        .service(api_keys::routes::get_api_key)
        .service(api_keys::routes::update_api_key)
        .service(api_keys::routes::revoke_api_key)
        .service(custom_fields::routes::list_custom_fields)
        .service(custom_fields::routes::create_custom_field)
        .service(custom_fields::routes::get_custom_field)
        .service(custom_fields::routes::update_custom_field)
        .service(custom_fields::routes::delete_custom_field)
        .service(custom_fields::routes::restore_custom_field)
        .service(audit::routes::list_audit_log_entries)
        .service(events::routes::list_events)
        .service(events::routes::list_event_types)
        .service(events::routes::stream_events)
        .service(search::routes::search)
        .service(mail::routes::send_mail_message)
        .service(mail::routes::list_mail_messages)
        .service(mail::routes::get_mail_message);
}

/// The platform's job kinds: its housekeeping.
fn register_jobs(registry: &mut jobs::Registry) {
    registry.register(mail::SEND_KIND, mail::send_job);
    registry.register(events::model::PRUNE_KIND, events::service::prune);
    registry.register(http::idempotency::PURGE_KIND, |ctx| {
        ctx.db.write_now(|conn| http::idempotency::purge_expired(conn, &ctx.actor.scope()))?;
        Ok(())
    });
    registry.register(files::model::PURGE_KIND, |ctx| {
        ctx.db.write_now(|conn| files::model::purge_abandoned(conn, &ctx.actor.scope()))?;
        Ok(())
    });
}

/// Routes outside `/v1` that need no credentials.
pub fn configure_health(cfg: &mut ServiceConfig) {
    cfg.service(health::get_liveness).service(health::get_readiness);
}
