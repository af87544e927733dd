//! crm-contacts: the people a CRM is about.
//!
//! One module per resource, each with `model` (rows and queries), `dto` (what the API takes
//! and shows), `service` (use cases, one transaction each) and `routes` (thin handlers).

pub mod activity;
pub mod common;
pub mod company;
pub mod contact;
pub mod dedupe;
pub mod link;
pub mod search;
pub use crm_core::normalize;
pub mod timeline;

use utoipa_actix_web::service_config::ServiceConfig;

/// The domain's `/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(contact::routes::search_contacts)
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
        .service(search::routes::search);
}
