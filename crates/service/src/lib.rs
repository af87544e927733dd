//! crm-service: customer service. Tickets from new to closed, with their conversation of
//! public replies and internal notes; an agent's public reply is e-mailed to the requester
//! (crm-core's mailer) threaded under the ticket's earlier messages, and e-mail that comes in
//! (`/v1/service/inbound-email`) opens tickets or comments on the ticket it answers.
//!
//! One module per resource (`ticket`, `comment`, and `inbound`, which only files mail), each
//! with `model`, `dto`, `service` and `routes`. Tickets are listed, searched, custom-fielded,
//! tagged and indexed through crm-core's shared pieces; requesters and companies are
//! crm-contacts' own.

pub mod comment;
pub mod events;
pub mod health;
pub mod hours;
pub mod inbound;
pub mod kb;
pub mod kpi;
pub mod permissions;
pub mod portal;
pub mod privacy;
pub mod routing;
pub mod schema;
pub mod sla;
pub mod survey;
pub mod ticket;

use crm_core::registry::{Domain, ResourceSpec, WriteExample};
use utoipa_actix_web::service_config::ServiceConfig;

/// The service domain.
pub const DOMAIN: Domain = Domain {
    name: "service",
    configure,
    settings: None,
    jobs: register_jobs,
    schedules: &[
        crm_core::jobs::Schedule { kind: sla::service::SCAN_KIND, every: std::time::Duration::from_secs(60) },
        crm_core::jobs::Schedule {
            kind: health::service::NIGHTLY_KIND,
            every: std::time::Duration::from_secs(24 * 3600),
        },
    ],
    permissions: &[permissions::TICKETS, permissions::SERVICE_SETTINGS, permissions::KNOWLEDGE],
    events: events::EVENTS,
    background: &[],
    tags: &[
        (
            "Tickets",
            "Customer requests from new to closed: their conversation (public replies e-mailed to the requester, internal \
         notes), and e-mail to ticket",
        ),
        (
            "SLAs",
            "Business hours, and SLA policies: first response and resolution targets, warnings, breaches and escalation",
        ),
    ],
    resources: &[
        ResourceSpec {
            record_type: kb::model::CATEGORY,
            id_prefix: kb::model::CATEGORY_PREFIX,
            path: "/v1/kb-categories",
            permission: permissions::KNOWLEDGE,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "Billing"}"#),
                patches: &[r#"{"name": "Billing and plans"}"#, r#"{"position": 3}"#, r#"{"description": "Invoices"}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: kb::model::ARTICLE,
            id_prefix: kb::model::ARTICLE_PREFIX,
            path: "/v1/kb-articles",
            permission: permissions::KNOWLEDGE,
            writes: Some(WriteExample {
                create: Some(r#"{"title": "Exporting invoices", "body": "Open Invoices and choose Export."}"#),
                patches: &[r#"{"title": "Exporting invoices to PDF"}"#, r#"{"body": "Open Invoices, then Export."}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: survey::model::RECORD_TYPE,
            id_prefix: survey::model::ID_PREFIX,
            path: "/v1/surveys",
            permission: permissions::SERVICE_SETTINGS,
            writes: Some(WriteExample {
                create: Some(r#"{"kind": "nps", "name": "Q4 NPS"}"#),
                patches: &[
                    r#"{"name": "Q4 NPS (EMEA)"}"#,
                    r#"{"active": false}"#,
                    r#"{"question": "Would you recommend us?"}"#,
                ],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: sla::model::RECORD_TYPE,
            id_prefix: sla::model::ID_PREFIX,
            path: "/v1/sla-policies",
            permission: permissions::SERVICE_SETTINGS,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "Everything", "resolution_minutes": 480}"#),
                patches: &[r#"{"name": "Everything else"}"#, r#"{"position": 5}"#, r#"{"warn_before_minutes": 30}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: ticket::model::RECORD_TYPE,
            id_prefix: ticket::model::ID_PREFIX,
            path: "/v1/tickets",
            permission: permissions::TICKETS,
            custom_fields: true,
            search: true,
            owner: Some(ticket::model::OWNER),
            exists: Some(|conn, scope, id| Ok(ticket::model::find(conn, scope, id)?.is_some())),
            linked: Some(ticket::model::linked),
            writes: Some(WriteExample {
                create: Some(r#"{"subject": "Cannot export invoices to PDF"}"#),
                patches: &[
                    r#"{"priority": "high"}"#,
                    r#"{"description": "Since Monday"}"#,
                    r#"{"subject": "Cannot export invoices"}"#,
                ],
            }),
        },
    ],
    erasers: &[crate::privacy::erase],
};

/// The domain's `/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(ticket::routes::search_tickets)
        .service(ticket::routes::list_tickets)
        .service(ticket::routes::create_ticket)
        .service(ticket::routes::batch_tickets)
        .service(ticket::routes::upsert_ticket_by_external_id)
        .service(ticket::routes::get_ticket_queue)
        .service(ticket::routes::get_ticket)
        .service(ticket::routes::update_ticket)
        .service(ticket::routes::delete_ticket)
        .service(ticket::routes::restore_ticket)
        .service(ticket::routes::get_ticket_timeline)
        .service(ticket::routes::get_ticket_history)
        .service(comment::routes::create_ticket_comment)
        .service(comment::routes::list_ticket_comments)
        .service(comment::routes::get_ticket_comment)
        .service(comment::routes::get_ticket_comment_attachment)
        .service(inbound::routes::receive_inbound_email)
        .service(portal::routes::create_customer_token)
        .service(portal::routes::revoke_customer_tokens)
        .service(portal::routes::request_portal_sign_in)
        .service(portal::routes::create_portal_session)
        .service(portal::routes::get_portal_me)
        .service(portal::routes::list_portal_tickets)
        .service(portal::routes::create_portal_ticket)
        .service(portal::routes::get_portal_ticket)
        .service(portal::routes::list_portal_ticket_comments)
        .service(portal::routes::create_portal_ticket_comment)
        .service(portal::routes::rate_portal_ticket)
        .service(portal::routes::list_portal_kb_articles)
        .service(portal::routes::get_portal_kb_article)
        .service(survey::routes::list_surveys)
        .service(survey::routes::create_survey)
        .service(survey::routes::get_survey)
        .service(survey::routes::update_survey)
        .service(survey::routes::delete_survey)
        .service(survey::routes::send_survey)
        .service(survey::routes::get_survey_results)
        .service(survey::routes::get_public_survey)
        .service(survey::routes::answer_public_survey)
        .service(health::routes::get_company_health)
        .service(health::routes::recompute_company_health)
        .service(health::routes::get_health_settings)
        .service(health::routes::set_health_settings)
        .service(kpi::routes::get_service_kpis)
        .service(kb::routes::get_ticket_suggested_articles)
        .service(kb::routes::get_kb_site)
        .service(kb::routes::set_kb_site)
        .service(kb::routes::list_kb_categories)
        .service(kb::routes::create_kb_category)
        .service(kb::routes::get_kb_category)
        .service(kb::routes::update_kb_category)
        .service(kb::routes::delete_kb_category)
        .service(kb::routes::list_kb_articles)
        .service(kb::routes::create_kb_article)
        .service(kb::routes::get_kb_article)
        .service(kb::routes::update_kb_article)
        .service(kb::routes::delete_kb_article)
        .service(kb::routes::list_kb_article_revisions)
        .service(kb::public::list_public_kb_articles)
        .service(kb::public::get_public_kb_article)
        .service(kb::public::list_public_kb_categories)
        .service(kb::public::vote_public_kb_article)
        .service(routing::routes::get_ticket_routing)
        .service(routing::routes::set_ticket_routing)
        .service(hours::routes::get_business_hours)
        .service(hours::routes::set_business_hours)
        .service(sla::routes::list_sla_policies)
        .service(sla::routes::create_sla_policy)
        .service(sla::routes::scan_sla)
        .service(sla::routes::get_sla_policy)
        .service(sla::routes::update_sla_policy)
        .service(sla::routes::delete_sla_policy);
}

/// The domain's background jobs: the SLA scan (every minute, and on demand), the CSAT
/// invitation of a solved ticket, and company health (on change, and nightly).
fn register_jobs(registry: &mut crm_core::jobs::Registry) {
    registry.register(sla::service::SCAN_KIND, sla::service::run_scan);
    registry.register(survey::service::CSAT_KIND, survey::service::run_csat);
    registry.register(health::service::COMPANY_KIND, health::service::run_company);
    registry.register(health::service::NIGHTLY_KIND, health::service::run_nightly);
}

#[cfg(test)]
mod tests {
    use crm_core::openapi::query_parameter_pattern as sort_of;

    #[test]
    fn each_list_states_its_own_sorts() {
        let tickets = Some(crate::ticket::model::SORTS.pattern(true));
        assert_eq!(sort_of::<crate::ticket::dto::TicketsQuery>("sort"), tickets);
        let articles = Some(crate::kb::model::ARTICLE_SORTS.pattern(false));
        assert_eq!(sort_of::<crate::kb::dto::ArticlesQuery>("sort"), articles);
        let categories = Some(crate::kb::model::CATEGORY_SORTS.pattern(false));
        assert_eq!(sort_of::<crate::kb::dto::CategoriesQuery>("sort"), categories);
        let surveys = Some(crate::survey::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::survey::dto::SurveysQuery>("sort"), surveys);
        let policies = Some(crate::sla::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::sla::dto::SlaPoliciesQuery>("sort"), policies);
        let comments = Some(crate::comment::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::comment::dto::CommentsQuery>("sort"), comments);
    }
}
