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
pub mod export;
pub mod import;
pub mod link;
pub use crm_core::normalize;
pub mod privacy;
pub mod search;
pub mod subscription;
pub mod suppression;
pub mod timeline;

use utoipa_actix_web::service_config::ServiceConfig;

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
        .service(search::routes::search)
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
pub fn register_jobs(registry: &mut crm_core::jobs::Registry) {
    registry.register(import::model::IMPORT_KIND, import::job::run_import);
    registry.register(import::model::REVERT_KIND, import::job::run_revert);
    registry.register(export::model::EXPORT_KIND, export::job::run_export);
}
