//! crm-contacts: the people a CRM is about.
//!
//! One module per resource, each with `model` (rows and queries), `dto` (what the API takes
//! and shows), `service` (use cases, one transaction each) and `routes` (thin handlers).

pub mod activity;
pub mod common;
pub mod company;
pub mod contact;
pub mod export;
pub mod import;
pub mod link;
pub mod normalize;
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
        .service(timeline::routes::get_company_history);
}

/// The domain's background jobs: imports, their reverts, exports.
pub fn register_jobs(registry: &mut crm_core::jobs::Registry) {
    registry.register(import::model::IMPORT_KIND, import::job::run_import);
    registry.register(import::model::REVERT_KIND, import::job::run_revert);
    registry.register(export::model::EXPORT_KIND, export::job::run_export);
}
