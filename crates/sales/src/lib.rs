//! crm-sales: the sales process. Leads and their conversion; pipelines with ordered stages,
//! deals that move through them (with the people on them and every stay in a stage), the board
//! and the sales summary; products, price books, quotes and orders with exactly priced lines;
//! currency rates, forecasts and quotas.
//!
//! One module per resource (`lead`, `pipeline`, `deal`, `product`, `price_book`, `quote`,
//! `order`, `currency`, `quota`, and `forecast`, which only reads), each with `model`, `dto`,
//! `service` and `routes`; `line_item` prices the lines of deals, quotes and orders. Records
//! are listed, searched, custom-fielded, tagged and indexed through crm-core's shared pieces;
//! companies and contacts are crm-contacts' own.

pub mod assignment;
pub mod currency;
pub mod deal;
pub mod events;
pub mod forecast;
pub mod lead;
pub mod line_item;
pub mod order;
pub mod permissions;
pub mod pipeline;
pub mod price_book;
pub mod privacy;
pub mod product;
pub mod quota;
pub mod quote;
pub mod schema;
pub mod scoring;
pub mod territory;

use crm_core::registry::{Domain, ResourceSpec, WriteExample};
use utoipa_actix_web::service_config::ServiceConfig;

/// The sales domain.
pub const DOMAIN: Domain = Domain {
    name: "sales",
    configure,
    settings: None,
    jobs: register_jobs,
    schedules: &[
        crm_core::jobs::Schedule { kind: quote::service::EXPIRE_KIND, every: std::time::Duration::from_secs(3600) },
        crm_core::jobs::Schedule { kind: scoring::service::RESCORE_KIND, every: std::time::Duration::from_secs(3600) },
        crm_core::jobs::Schedule { kind: territory::service::ALIGN_KIND, every: std::time::Duration::from_secs(3600) },
    ],
    permissions: &[
        permissions::LEADS,
        permissions::DEALS,
        permissions::PIPELINES,
        permissions::PRODUCTS,
        permissions::SALES_SETTINGS,
    ],
    events: events::EVENTS,
    background: &[],
    tags: &[
        ("Leads", "Prospects not yet qualified: BANT, status, score, conversion into a contact, company and deal"),
        ("Pipelines", "Sales pipelines with their ordered stages (win probability, open / won / lost), and the board"),
        ("Deals", "Opportunities: amount, close date, stage and its history, owner, company, contacts, win and loss"),
        ("Products", "What is sold: products by SKU with list prices per currency, and price books"),
        (
            "Quotes",
            "Priced offers for deals, numbered without gaps: draft, sent, accepted (into an order), rejected, expired",
        ),
        ("Orders", "What customers bought, with their lines, and the purchase history of contacts and companies"),
        (
            "Territories",
            "Companies by country, region, industry and size, each territory with the rep its companies and open deals go to",
        ),
        (
            "Forecasts",
            "Forecasts by period in the organization's currency, currency rates, quotas and their attainment",
        ),
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
            linked: Some(lead::model::linked),
            writes: Some(WriteExample {
                create: Some(r#"{"first_name": "Grace", "last_name": "Hopper", "company_name": "Globex"}"#),
                patches: &[r#"{"status": "working"}"#, r#"{"job_title": "CTO"}"#, r#"{"need": "A shared pipeline"}"#],
            }),
        },
        ResourceSpec {
            record_type: assignment::model::RECORD_TYPE,
            id_prefix: assignment::model::ID_PREFIX,
            path: "/v1/assignment-rules",
            permission: permissions::SALES_SETTINGS,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "Everyone", "method": "round_robin", "team_id": "{team_id}"}"#),
                patches: &[r#"{"name": "Everyone else"}"#, r#"{"priority": 5}"#, r#"{"method": "least_loaded"}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: territory::model::RECORD_TYPE,
            id_prefix: territory::model::ID_PREFIX,
            path: "/v1/territories",
            permission: permissions::SALES_SETTINGS,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "DACH", "countries": ["DE", "AT", "CH"]}"#),
                patches: &[r#"{"name": "DACH and Benelux"}"#, r#"{"priority": 5}"#, r#"{"min_employees": 50}"#],
            }),
            ..ResourceSpec::BASE
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
            record_type: product::model::RECORD_TYPE,
            id_prefix: product::model::ID_PREFIX,
            path: "/v1/products",
            permission: permissions::PRODUCTS,
            writes: Some(WriteExample {
                create: Some(r#"{"sku": "GTX-PRO", "name": "GTX Pro"}"#),
                patches: &[r#"{"description": "Workstation"}"#, r#"{"name": "GTX Pro 2"}"#, r#"{"active": false}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: price_book::model::RECORD_TYPE,
            id_prefix: price_book::model::ID_PREFIX,
            path: "/v1/price-books",
            permission: permissions::PRODUCTS,
            writes: Some(WriteExample {
                create: Some(r#"{"name": "Partners 2027"}"#),
                patches: &[r#"{"description": "For resellers"}"#, r#"{"active": false}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: quote::model::RECORD_TYPE,
            id_prefix: quote::model::ID_PREFIX,
            path: "/v1/quotes",
            permission: permissions::DEALS,
            writes: Some(WriteExample {
                create: Some(r#"{"deal_id": "{deal_id}", "currency": "USD"}"#),
                patches: &[r#"{"notes": "Net 30"}"#, r#"{"valid_until": "2099-01-31"}"#],
            }),
            ..ResourceSpec::BASE
        },
        ResourceSpec {
            record_type: order::model::RECORD_TYPE,
            id_prefix: order::model::ID_PREFIX,
            path: "/v1/orders",
            permission: permissions::DEALS,
            writes: Some(WriteExample {
                create: Some(
                    r#"{"currency": "USD", "lines": [{"description": "Support", "unit_price": {"amount": 5000, "currency": "USD"}}]}"#,
                ),
                patches: &[r#"{"status": "paid"}"#, r#"{"external_ids": {"erp": "SO-1"}}"#],
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
            linked: Some(deal::model::linked),
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
    erasers: &[crate::privacy::erase],
};

/// The domain's `/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(lead::routes::search_leads)
        .service(lead::routes::list_leads)
        .service(lead::routes::create_lead)
        .service(lead::routes::batch_leads)
        .service(lead::routes::upsert_lead_by_external_id)
        .service(lead::routes::get_lead)
        .service(lead::routes::update_lead)
        .service(lead::routes::delete_lead)
        .service(lead::routes::restore_lead)
        .service(lead::routes::convert_lead)
        .service(lead::routes::get_lead_timeline)
        .service(lead::routes::get_lead_history)
        .service(scoring::routes::get_lead_score)
        .service(assignment::routes::assign_lead)
        .service(assignment::routes::list_assignment_rules)
        .service(assignment::routes::create_assignment_rule)
        .service(assignment::routes::get_assignment_rule)
        .service(assignment::routes::update_assignment_rule)
        .service(assignment::routes::delete_assignment_rule)
        .service(scoring::routes::list_lead_scoring_rules)
        .service(scoring::routes::create_lead_scoring_rule)
        .service(scoring::routes::get_lead_scoring_rule)
        .service(scoring::routes::update_lead_scoring_rule)
        .service(scoring::routes::delete_lead_scoring_rule)
        .service(territory::routes::list_territories)
        .service(territory::routes::create_territory)
        .service(territory::routes::align_territories)
        .service(territory::routes::get_territory)
        .service(territory::routes::list_territory_companies)
        .service(territory::routes::update_territory)
        .service(territory::routes::delete_territory)
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
        .service(deal::routes::get_deal_line_items)
        .service(deal::routes::set_deal_line_items)
        .service(deal::routes::get_deal_stage_history)
        .service(deal::routes::get_deal_timeline)
        .service(deal::routes::get_deal_history)
        .service(product::routes::list_products)
        .service(product::routes::create_product)
        .service(product::routes::get_product)
        .service(product::routes::update_product)
        .service(product::routes::delete_product)
        .service(price_book::routes::list_price_books)
        .service(price_book::routes::create_price_book)
        .service(price_book::routes::get_price_book)
        .service(price_book::routes::update_price_book)
        .service(price_book::routes::delete_price_book)
        .service(quote::routes::list_quotes)
        .service(quote::routes::create_quote)
        .service(quote::routes::get_quote)
        .service(quote::routes::update_quote)
        .service(quote::routes::delete_quote)
        .service(quote::routes::send_quote)
        .service(quote::routes::accept_quote)
        .service(quote::routes::reject_quote)
        .service(order::routes::list_orders)
        .service(order::routes::create_order)
        .service(order::routes::get_order)
        .service(order::routes::update_order)
        .service(order::routes::get_contact_purchases)
        .service(order::routes::get_company_purchases)
        .service(currency::routes::get_currency_rates)
        .service(currency::routes::set_currency_rates)
        .service(forecast::routes::get_forecast)
        .service(quota::routes::list_quotas)
        .service(quota::routes::create_quota)
        .service(quota::routes::get_quota)
        .service(quota::routes::update_quota)
        .service(quota::routes::delete_quota);
}

/// The domain's background jobs: the hourly expiry of sent quotes past their date, the
/// rescore of an organization's leads (hourly, for decay and activities, and after a rule
/// changes), and the alignment of its companies to territories (hourly, and after a territory
/// changes).
fn register_jobs(registry: &mut crm_core::jobs::Registry) {
    registry.register(quote::service::EXPIRE_KIND, quote::service::run_expire);
    registry.register(scoring::service::RESCORE_KIND, scoring::service::run_rescore);
    registry.register(territory::service::ALIGN_KIND, territory::service::run_align);
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
        let products = Some(crate::product::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::product::dto::ProductsQuery>("sort"), products);
        let books = Some(crate::price_book::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::price_book::dto::PriceBooksQuery>("sort"), books);
        let quotes = Some(crate::quote::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::quote::dto::QuotesQuery>("sort"), quotes);
        let quotas = Some(crate::quota::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::quota::dto::QuotasQuery>("sort"), quotas);
        let assignment = Some(crate::assignment::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::assignment::dto::AssignmentRulesQuery>("sort"), assignment);
        let territories = Some(crate::territory::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::territory::dto::TerritoriesQuery>("sort"), territories);
        let aligned = Some(crate::territory::model::ALIGNMENT_SORTS.pattern(false));
        assert_eq!(sort_of::<crate::territory::dto::TerritoryCompaniesQuery>("sort"), aligned);
        let rules = Some(crate::scoring::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::scoring::dto::ScoringRulesQuery>("sort"), rules);
        let orders = Some(crate::order::model::SORTS.pattern(false));
        assert_eq!(sort_of::<crate::order::dto::OrdersQuery>("sort"), orders);
    }
}
