//! crm-contacts: the people a CRM is about.
//!
//! One module per resource, each with `model` (rows and queries), `dto` (what the API takes
//! and shows), `service` (use cases, one transaction each) and `routes` (thin handlers).

pub mod activity;
pub mod common;
pub mod company;
pub mod consent;
pub mod contact;
pub mod dedupe;
pub mod events;
pub mod export;
pub mod import;
pub mod link;
pub mod permissions;
pub use crm_core::normalize;
pub mod privacy;
pub mod settings;
pub mod subscription;
pub mod suppression;
pub mod timeline;

use crm_core::registry::{Domain, ResourceSpec, WriteExample};
use utoipa_actix_web::service_config::ServiceConfig;

/// The contacts domain: its routes, tags and resources.
pub const DOMAIN: Domain = Domain {
    name: "contacts",
    configure,
    settings: Some(settings::SETTINGS),
    events: events::EVENTS,
    background: &[],
    jobs: register_jobs,
    schedules: &[crm_core::jobs::Schedule {
        kind: privacy::purge::PURGE_KIND,
        every: std::time::Duration::from_secs(3600),
    }],
    permissions: &[permissions::CONTACTS, permissions::PRIVACY, permissions::IMPORTS, permissions::EXPORTS],
    tags: &[
        ("Contacts", "People: e-mails, phones, addresses, owner, lifecycle stage, tags, external ids"),
        ("Companies", "Accounts: domain, industry, size, revenue, parent company"),
        ("Activities", "Notes, tasks, calls, meetings and logged e-mails"),
        ("Privacy", "Consent, subscriptions, the e-mail suppression list, personal-data export and erasure"),
        ("Imports", "CSV imports of contacts, run as jobs: mapping, dry runs, failed rows, revert"),
        ("Exports", "CSV exports of contacts, run as jobs, downloaded as a stream"),
    ],
    resources: &[
        ResourceSpec {
            record_type: contact::model::RECORD_TYPE,
            id_prefix: contact::model::ID_PREFIX,
            path: "/v1/contacts",
            permission: permissions::CONTACTS,
            custom_fields: true,
            search: true,
            owner: Some(contact::model::OWNER),
            exists: Some(|conn, scope, id| Ok(contact::model::find(conn, scope, id)?.is_some())),
            linked: None,
            writes: Some(WriteExample {
                create: Some(
                    r#"{"first_name": "Ada", "last_name": "Lovelace", "phones": [{"number": "+44 20 7946 0958"}]}"#,
                ),
                patches: &[
                    r#"{"job_title": "Head of Engineering"}"#,
                    r#"{"lead_source": "webinar"}"#,
                    r#"{"lifecycle_stage": "customer"}"#,
                ],
            }),
        },
        ResourceSpec {
            record_type: company::model::RECORD_TYPE,
            id_prefix: company::model::ID_PREFIX,
            path: "/v1/companies",
            permission: permissions::CONTACTS,
            custom_fields: true,
            search: true,
            owner: Some(company::model::OWNER),
            exists: Some(|conn, scope, id| Ok(company::model::find(conn, scope, id)?.is_some())),
            linked: None,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "Acme Corp"}"#),
                patches: &[
                    r#"{"domain": "acme.example"}"#,
                    r#"{"industry": "Manufacturing"}"#,
                    r#"{"employee_count": 250}"#,
                ],
            }),
        },
        ResourceSpec {
            record_type: activity::model::RECORD_TYPE,
            id_prefix: activity::model::ID_PREFIX,
            path: "/v1/activities",
            permission: permissions::CONTACTS,
            owner: Some(activity::model::OWNER),
            writes: Some(WriteExample {
                create: Some(
                    r#"{"kind": "call", "subject": "Renewal call", "direction": "outbound", "contact_ids": ["{contact_id}"]}"#,
                ),
                patches: &[
                    r#"{"subject": "Renewal call, second try"}"#,
                    r#"{"outcome": "connected"}"#,
                    r#"{"duration_seconds": 300}"#,
                ],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: subscription::model::RECORD_TYPE,
            id_prefix: subscription::model::ID_PREFIX,
            path: "/v1/subscription-types",
            permission: permissions::CONTACTS,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "Newsletter"}"#),
                patches: &[
                    r#"{"name": "Monthly newsletter"}"#,
                    r#"{"description": "Product news, once a month"}"#,
                    r#"{"channel": "sms"}"#,
                ],
            }),
            ..ResourceSpec::BASE
        },
    ],
    erasers: &[],
};

/// The domain's `/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(import::routes::list_imports)
        .service(import::routes::create_import)
        .service(import::routes::get_import)
        .service(import::routes::get_import_failed_rows)
        .service(import::routes::revert_import)
        .service(export::routes::create_export)
        .service(export::routes::get_export)
        .service(export::routes::download_export)
        .service(contact::routes::search_contacts)
        .service(dedupe::routes::find_duplicate_contacts)
        .service(dedupe::routes::find_duplicate_companies)
        .service(dedupe::routes::merge_contacts)
        .service(contact::routes::batch_contacts)
        .service(company::routes::search_companies)
        .service(contact::routes::list_contacts)
        .service(contact::routes::create_contact)
        .service(contact::routes::upsert_contact_by_external_id)
        .service(contact::routes::get_contact)
        .service(contact::routes::update_contact)
        .service(contact::routes::delete_contact)
        .service(contact::routes::restore_contact)
        .service(company::routes::list_companies)
        .service(company::routes::create_company)
        .service(company::routes::get_company)
        .service(company::routes::update_company)
        .service(company::routes::delete_company)
        .service(link::routes::list_contact_companies)
        .service(link::routes::link_contact_company)
        .service(link::routes::unlink_contact_company)
        .service(activity::routes::list_activities)
        .service(activity::routes::create_activity)
        .service(activity::routes::get_activity)
        .service(activity::routes::update_activity)
        .service(activity::routes::delete_activity)
        .service(timeline::routes::get_contact_timeline)
        .service(timeline::routes::get_contact_history)
        .service(timeline::routes::get_company_timeline)
        .service(timeline::routes::get_company_history)
        .service(consent::routes::list_contact_consents)
        .service(consent::routes::set_contact_consent)
        .service(subscription::routes::list_subscription_types)
        .service(subscription::routes::create_subscription_type)
        .service(subscription::routes::get_subscription_type)
        .service(subscription::routes::update_subscription_type)
        .service(subscription::routes::delete_subscription_type)
        .service(subscription::routes::list_contact_subscriptions)
        .service(subscription::routes::set_contact_subscription)
        .service(suppression::routes::list_email_suppressions)
        .service(suppression::routes::create_email_suppression)
        .service(suppression::routes::get_email_suppression)
        .service(suppression::routes::delete_email_suppression)
        .service(privacy::routes::get_contact_personal_data)
        .service(privacy::routes::erase_contact)
        .service(privacy::routes::release_erased_email);
}

/// The domain's background jobs: imports, their reverts, exports.
fn register_jobs(registry: &mut crm_core::jobs::Registry) {
    registry.register(privacy::purge::PURGE_KIND, privacy::purge::run_purge);
    registry.register(import::model::IMPORT_KIND, import::job::run_import);
    registry.register(import::model::REVERT_KIND, import::job::run_revert);
    registry.register(export::model::EXPORT_KIND, export::job::run_export);
}

#[cfg(test)]
mod tests {
    use crm_core::openapi::query_parameter_pattern as sort_of;

    #[test]
    fn each_list_states_its_own_sorts() {
        assert_eq!(
            sort_of::<crate::contact::dto::ContactsQuery>("sort"),
            Some(crate::contact::model::SORTS.pattern(true))
        );
        assert_eq!(
            sort_of::<crate::company::dto::CompaniesQuery>("sort"),
            Some(crate::company::model::SORTS.pattern(true))
        );
        let activities = Some(crate::activity::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::activity::dto::ActivitiesQuery>("sort"), activities);
        let subscriptions = Some(crate::subscription::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::subscription::dto::SubscriptionTypesQuery>("sort"), subscriptions);
        let suppressions = Some(crate::suppression::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::suppression::dto::SuppressionsQuery>("sort"), suppressions);
        assert_eq!(
            sort_of::<crate::import::dto::ImportsQuery>("sort"),
            Some(crm_core::jobs::model::SORTS.pattern(false))
        );
    }
}
