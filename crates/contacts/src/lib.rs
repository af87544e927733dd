//! crm-contacts: the people a CRM is about.
//!
//! One module per resource, each with `model` (rows and queries), `dto` (what the API takes
//! and shows), `service` (use cases, one transaction each) and `routes` (thin handlers).

pub mod contact;
pub mod normalize;

use utoipa_actix_web::service_config::ServiceConfig;

/// The domain's `/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(contact::routes::list_contacts)
        .service(contact::routes::create_contact)
        .service(contact::routes::upsert_contact_by_external_id)
        .service(contact::routes::get_contact)
        .service(contact::routes::update_contact)
        .service(contact::routes::delete_contact)
        .service(contact::routes::restore_contact);
}
