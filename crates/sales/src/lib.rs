//! crm-sales: the sales process. Pipelines with ordered stages, deals that move through them
//! (with the people on them and every stay in a stage), the board and the sales summary.
//!
//! One module per resource (`pipeline`, `deal`), each with `model`, `dto`, `service` and
//! `routes`. Deals are listed, searched, custom-fielded, tagged and indexed through crm-core's
//! shared pieces; companies and contacts are crm-contacts' own.

pub mod deal;
pub mod events;
pub mod lead;
pub mod permissions;
pub mod pipeline;
pub mod schema;

use crm_core::registry::{Domain, ResourceSpec, WriteExample};
use utoipa_actix_web::service_config::ServiceConfig;

/// The sales domain.
pub const DOMAIN: Domain = Domain {
    name: "sales",
    configure,
    settings: None,
    jobs: |_| {},
    schedules: &[],
    permissions: &[permissions::LEADS, permissions::DEALS, permissions::PIPELINES],
    events: events::EVENTS,
    background: &[],
    tags: &[
        ("Leads", "Prospects not yet qualified: BANT, status, score, conversion into a contact, company and deal"),
        ("Pipelines", "Sales pipelines with their ordered stages (win probability, open / won / lost), and the board"),
        ("Deals", "Opportunities: amount, close date, stage and its history, owner, company, contacts, win and loss"),
    ],
    resources: &[
        ResourceSpec {
            record_type: lead::model::RECORD_TYPE,
            id_prefix: lead::model::ID_PREFIX,
            path: "/v1/leads",
            permission: permissions::LEADS,
            custom_fields: true,
            search: true,
            owner: Some(lead::model::OWNER),
            exists: Some(|conn, scope, id| Ok(lead::model::find(conn, scope, id)?.is_some())),
            writes: Some(WriteExample {
                create: Some(r#"{"first_name": "Grace", "last_name": "Hopper", "company_name": "Globex"}"#),
                patches: &[r#"{"status": "working"}"#, r#"{"job_title": "CTO"}"#, r#"{"need": "A shared pipeline"}"#],
            }),
        },
        ResourceSpec {
            record_type: pipeline::model::RECORD_TYPE,
            id_prefix: pipeline::model::ID_PREFIX,
            path: "/v1/pipelines",
            permission: permissions::PIPELINES,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "New business"}"#),
                patches: &[r#"{"name": "New business (EMEA)"}"#, r#"{"position": 3}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: deal::model::RECORD_TYPE,
            id_prefix: deal::model::ID_PREFIX,
            path: "/v1/deals",
            permission: permissions::DEALS,
            custom_fields: true,
            search: true,
            owner: Some(deal::model::OWNER),
            exists: Some(|conn, scope, id| Ok(deal::model::find(conn, scope, id)?.is_some())),
            writes: Some(WriteExample {
                create: Some(r#"{"name": "Acme: 250 seats"}"#),
                patches: &[
                    r#"{"next_step": "Security review"}"#,
                    r#"{"amount": {"amount": 4500000, "currency": "USD"}}"#,
                    r#"{"close_date": "2026-12-20"}"#,
                ],
            }),
        },
    ],
};

/// The domain's `/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(lead::routes::search_leads)
        .service(lead::routes::list_leads)
        .service(lead::routes::create_lead)
        .service(lead::routes::upsert_lead_by_external_id)
        .service(lead::routes::get_lead)
        .service(lead::routes::update_lead)
        .service(lead::routes::delete_lead)
        .service(lead::routes::restore_lead)
        .service(lead::routes::convert_lead)
        .service(lead::routes::get_lead_timeline)
        .service(lead::routes::get_lead_history)
        .service(pipeline::routes::list_pipelines)
        .service(pipeline::routes::create_pipeline)
        .service(pipeline::routes::get_pipeline)
        .service(pipeline::routes::update_pipeline)
        .service(pipeline::routes::delete_pipeline)
        .service(deal::routes::get_pipeline_board)
        .service(deal::routes::search_deals)
        .service(deal::routes::get_deal_summary)
        .service(deal::routes::list_deals)
        .service(deal::routes::create_deal)
        .service(deal::routes::get_deal)
        .service(deal::routes::update_deal)
        .service(deal::routes::delete_deal)
        .service(deal::routes::restore_deal)
        .service(deal::routes::win_deal)
        .service(deal::routes::lose_deal)
        .service(deal::routes::get_deal_stage_history)
        .service(deal::routes::get_deal_timeline)
        .service(deal::routes::get_deal_history);
}

#[cfg(test)]
mod tests {
    use crm_core::openapi::query_parameter_pattern as sort_of;

    #[test]
    fn each_list_states_its_own_sorts() {
        assert_eq!(sort_of::<crate::deal::dto::DealsQuery>("sort"), Some(crate::deal::model::SORTS.pattern(true)));
        assert_eq!(sort_of::<crate::lead::dto::LeadsQuery>("sort"), Some(crate::lead::model::SORTS.pattern(true)));
        let pipelines = Some(crate::pipeline::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::pipeline::dto::PipelinesQuery>("sort"), pipelines);
    }
}
