//! Deals as the API shows and takes them.

use std::collections::BTreeMap;

use crm_core::http::{ListQuery, Patch};
use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Deal;
use crate::pipeline::dto::StageOut;

/// Where a deal stands: the kind of its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    Open,
    Won,
    Lost,
}

/// How sure the owner is of an open deal (a won deal is `closed`, a lost one `omitted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForecastCategory {
    Pipeline,
    BestCase,
    Commit,
    Closed,
    Omitted,
}

impl ForecastCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ForecastCategory::Pipeline => "pipeline",
            ForecastCategory::BestCase => "best_case",
            ForecastCategory::Commit => "commit",
            ForecastCategory::Closed => "closed",
            ForecastCategory::Omitted => "omitted",
        }
    }

    pub fn parse(s: &str) -> ForecastCategory {
        match s {
            "best_case" => ForecastCategory::BestCase,
            "commit" => ForecastCategory::Commit,
            "closed" => ForecastCategory::Closed,
            "omitted" => ForecastCategory::Omitted,
            _ => ForecastCategory::Pipeline,
        }
    }
}

/// A person on a deal and their role in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "role": "decision_maker"}))]
pub struct DealContact {
    pub contact_id: String,
    /// Free text: `decision_maker`, `champion`, `influencer`, `economic_buyer`…
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub role: Option<String>,
}

/// A new deal.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Acme: 250 seats", "amount": {"amount": 4500000, "currency": "USD"}, "close_date": "2026-12-20",
    "pipeline_id": "pipe_01jbz3m3x7f6ks6q0vd1tq2n5a", "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "contacts": [{"contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "role": "decision_maker"}],
    "source": "webinar", "next_step": "Send the proposal", "forecast_category": "best_case",
    "tags": ["enterprise"], "external_ids": {"erp": "OPP-1042"}
}))]
pub struct DealIn {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub amount: Option<Money>,
    /// When the deal is expected to close (or closed), `YYYY-MM-DD`.
    #[schema(value_type = Option<String>, format = Date, example = "2026-12-20")]
    pub close_date: Option<chrono::NaiveDate>,
    /// Default: the stage's pipeline, or the organization's first pipeline.
    pub pipeline_id: Option<String>,
    /// Default: the pipeline's first open stage. A won stage wins the deal, a lost one loses it
    /// (`lost_reason` required).
    pub stage_id: Option<String>,
    pub owner_id: Option<String>,
    pub company_id: Option<String>,
    /// The people on the deal (at most 50, each once).
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub contacts: Option<Vec<DealContact>>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub source: Option<String>,
    /// Why it was lost: required in a lost stage, cleared when the deal reopens.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub lost_reason: Option<String>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub next_step: Option<String>,
    /// For an open deal, default `pipeline`; a won deal is always `closed`, a lost one `omitted`.
    pub forecast_category: Option<ForecastCategory>,
    pub tags: Option<Vec<String>>,
    pub external_ids: Option<BTreeMap<String, String>>,
    /// Values of the organization's custom fields, by key (see `/v1/custom-fields`).
    #[schema(value_type = Option<Object>, example = json!({"competitor": "Initech"}))]
    pub custom: Option<Map<String, Value>>,
}

/// Changes to a deal (JSON merge patch). A new `stage_id` moves the deal (into another
/// pipeline too); a new `pipeline_id` alone moves it to that pipeline's first open stage.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"stage_id": "stage_01jbz3m3x7f6ks6q0vd1tq2n5b", "next_step": "Security review"}))]
pub struct DealPatch {
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Money>)]
    pub amount: Patch<Money>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub close_date: Patch<chrono::NaiveDate>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub pipeline_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String)]
    pub stage_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub owner_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub company_id: Patch<String>,
    /// The whole new list of people on the deal.
    #[serde(default)]
    #[schema(value_type = Option<Vec<DealContact>>)]
    pub contacts: Patch<Vec<DealContact>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub source: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub lost_reason: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub next_step: Patch<String>,
    #[serde(default)]
    #[schema(value_type = ForecastCategory)]
    pub forecast_category: Patch<ForecastCategory>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub tags: Patch<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub external_ids: Patch<BTreeMap<String, String>>,
    /// Merged key by key: a key set to `null` removes that value, keys not given are kept.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub custom: Patch<Map<String, Value>>,
}

/// A deal.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "deal_01jbz3m3x7f6ks6q0vd1tq2n5a", "name": "Acme: 250 seats", "amount": {"amount": 4500000, "currency": "USD"},
    "close_date": "2026-12-20", "pipeline_id": "pipe_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "stage_id": "stage_01jbz3m3x7f6ks6q0vd1tq2n5b", "status": "open", "probability": 50,
    "owner_id": "user_01jbz3m3x7f6ks6q0vd1tq2n5a", "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "contacts": [{"contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "role": "decision_maker"}],
    "source": "webinar", "lost_reason": null, "next_step": "Send the proposal", "forecast_category": "best_case",
    "stage_entered_at": "2026-12-07T09:12:00Z", "closed_at": null,
    "tags": ["enterprise"], "external_ids": {"erp": "OPP-1042"}, "custom": {},
    "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 3
}))]
pub struct DealOut {
    pub id: String,
    pub name: String,
    pub amount: Option<Money>,
    #[schema(value_type = Option<String>, format = Date)]
    pub close_date: Option<String>,
    pub pipeline_id: String,
    pub stage_id: String,
    pub status: DealStatus,
    /// The stage's win probability, in percent.
    pub probability: i32,
    pub owner_id: Option<String>,
    pub company_id: Option<String>,
    pub contacts: Vec<DealContact>,
    pub source: Option<String>,
    pub lost_reason: Option<String>,
    pub next_step: Option<String>,
    pub forecast_category: ForecastCategory,
    /// When the deal entered its current stage.
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub stage_entered_at: chrono::NaiveDateTime,
    /// When it was won or lost; `null` while open.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<chrono::NaiveDateTime>,
    pub tags: Vec<String>,
    pub external_ids: BTreeMap<String, String>,
    /// Values of the organization's custom fields, by key.
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl DealOut {
    pub fn of(d: Deal, probability: i32, contacts: Vec<DealContact>) -> Self {
        let amount = match (d.amount, d.currency) {
            (Some(amount), Some(currency)) => Some(Money { amount, currency }),
            _ => None,
        };
        let status = match d.status.as_str() {
            "won" => DealStatus::Won,
            "lost" => DealStatus::Lost,
            _ => DealStatus::Open,
        };
        DealOut {
            id: d.id,
            name: d.name,
            amount,
            close_date: d.close_date,
            pipeline_id: d.pipeline_id,
            stage_id: d.stage_id,
            status,
            probability,
            owner_id: d.owner_id,
            company_id: d.company_id,
            contacts,
            source: d.source,
            lost_reason: d.lost_reason,
            next_step: d.next_step,
            forecast_category: ForecastCategory::parse(&d.forecast_category),
            stage_entered_at: d.stage_entered_at,
            closed_at: d.closed_at,
            tags: serde_json::from_str(&d.tags).unwrap_or_default(),
            external_ids: serde_json::from_str(&d.external_ids).unwrap_or_default(),
            custom: crm_core::custom_fields::values::parse_stored(&d.custom),
            created_at: d.created_at,
            updated_at: d.updated_at,
            version: d.version,
        }
    }
}

impl From<DealOut> for DealIn {
    fn from(d: DealOut) -> Self {
        DealIn {
            name: d.name,
            amount: d.amount,
            close_date: d.close_date.and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()),
            pipeline_id: Some(d.pipeline_id),
            stage_id: Some(d.stage_id),
            owner_id: d.owner_id,
            company_id: d.company_id,
            contacts: Some(d.contacts),
            source: d.source,
            lost_reason: d.lost_reason,
            next_step: d.next_step,
            forecast_category: Some(d.forecast_category),
            tags: Some(d.tags),
            external_ids: Some(d.external_ids),
            custom: Some(d.custom),
        }
    }
}

/// `POST /v1/deals/{id}/win`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct WinIn {
    /// The won stage to move to; default the pipeline's first won stage.
    pub stage_id: Option<String>,
}

/// `POST /v1/deals/{id}/lose`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Chose a competitor"}))]
pub struct LoseIn {
    /// Why the deal was lost.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// The lost stage to move to; default the pipeline's first lost stage.
    pub stage_id: Option<String>,
}

/// A stay of a deal in a stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "pipeline_id": "pipe_01jbz3m3x7f6ks6q0vd1tq2n5a", "stage_id": "stage_01jbz3m3x7f6ks6q0vd1tq2n5b",
    "stage_name": "Proposal made", "entered_at": "2026-12-01T10:00:00Z", "exited_at": "2026-12-07T09:12:00Z",
    "duration_seconds": 515520
}))]
pub struct StageVisit {
    pub pipeline_id: String,
    pub stage_id: String,
    /// `null` when the stage has since been removed.
    pub stage_name: Option<String>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub entered_at: chrono::NaiveDateTime,
    /// `null` while the deal is in the stage.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub exited_at: Option<chrono::NaiveDateTime>,
    /// How long it stayed (until now while it is there).
    pub duration_seconds: i64,
}

/// A deal's stage history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageHistory {
    pub data: Vec<StageVisit>,
}

/// How many deals, and their amounts by currency (deals without an amount count, adding nothing).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(example = json!({"count": 12, "amounts": [{"amount": 18450000, "currency": "USD"}]}))]
pub struct Totals {
    pub count: i64,
    pub amounts: Vec<Money>,
}

impl Totals {
    pub fn add(&mut self, count: i64, currency: Option<String>, amount: Option<i64>) {
        self.count += count;
        if let (Some(currency), Some(amount)) = (currency, amount) {
            match self.amounts.iter_mut().find(|m| m.currency == currency) {
                Some(sum) => sum.amount += amount,
                None => {
                    self.amounts.push(Money { amount, currency });
                    self.amounts.sort_by(|a, b| a.currency.cmp(&b.currency));
                }
            }
        }
    }
}

/// One column of the board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardColumn {
    pub stage: StageOut,
    /// Every live deal in the stage (in the caller's sight, of the owner asked for).
    pub totals: Totals,
    /// The first `deals_per_stage` of them, longest in the stage first.
    pub deals: Vec<DealOut>,
}

/// A pipeline's open stages with their deals.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "pipeline_id": "pipe_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "columns": [{
        "stage": {"id": "stage_01jbz3m3x7f6ks6q0vd1tq2n5b", "name": "Qualified", "position": 0, "probability": 10, "kind": "open"},
        "totals": {"count": 1, "amounts": [{"amount": 4500000, "currency": "USD"}]},
        "deals": []
    }],
    "totals": {"count": 1, "amounts": [{"amount": 4500000, "currency": "USD"}]}
}))]
pub struct Board {
    pub pipeline_id: String,
    pub columns: Vec<BoardColumn>,
    /// Every open deal of the board.
    pub totals: Totals,
}

/// `GET /v1/pipelines/{id}/board`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// Only this owner's deals.
    pub owner_id: Option<String>,
    /// Deals shown per column, 0–100, default 20.
    #[param(minimum = 0, maximum = 100)]
    pub deals_per_stage: Option<i64>,
}

/// Won, lost and open deals with the win rate.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "open": {"count": 2089, "amounts": []},
    "won": {"count": 4238, "amounts": [{"amount": 1000553400, "currency": "USD"}]},
    "lost": {"count": 2473, "amounts": []},
    "win_rate": 0.6315
}))]
pub struct Summary {
    pub open: Totals,
    pub won: Totals,
    pub lost: Totals,
    /// won ÷ (won + lost), rounded to 4 places; `null` before any deal closed.
    pub win_rate: Option<f64>,
}

/// `GET /v1/deals/summary`: which deals count.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    pub pipeline_id: Option<String>,
    pub owner_id: Option<String>,
    /// Deals whose `close_date` is on or after this date (`YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    pub close_date_from: Option<chrono::NaiveDate>,
    /// Deals whose `close_date` is on or before this date.
    #[param(value_type = Option<String>, format = Date)]
    pub close_date_to: Option<chrono::NaiveDate>,
}

/// Filters and paging for `GET /v1/deals`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DealsQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// A field to sort by, `-` for descending. Default `created_at`.
    #[param(pattern = "^-?(created_at|updated_at|name|amount|close_date|custom\\.[a-z][a-z0-9_]{0,62})$")]
    pub sort: Option<String>,
    pub pipeline_id: Option<String>,
    pub stage_id: Option<String>,
    pub status: Option<DealStatus>,
    pub owner_id: Option<String>,
    pub company_id: Option<String>,
    /// Deals this contact is on.
    pub contact_id: Option<String>,
    pub tag: Option<String>,
    /// A filter of the filter language as JSON (as in `POST …/search`), for any field and
    /// `custom.<key>`: `{"field": "amount", "op": "gte", "value": 1000000}`.
    pub filter: Option<String>,
}

impl DealsQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

impl DealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        }
    }
}

/// A deal's lines, replacing those it has: priced like a quote's, in `currency`. A deal with
/// lines has their total as its amount.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "lines": [
        {"product_id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "quantity": 25, "discount_percent": 10},
        {"description": "Onboarding", "unit_price": {"amount": 250000, "currency": "USD"}}
    ]
}))]
pub struct DealLinesIn {
    /// At most 500; none clears them (the amount stays as it is).
    #[validate(nested)]
    #[schema(max_items = 500)]
    pub lines: Vec<crate::line_item::dto::LineItemIn>,
    /// Default: the currency of the deal's amount (a deal without an amount needs one).
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// Prices products without a `unit_price` from this price book, else their list price.
    pub price_book_id: Option<String>,
}

/// A deal's lines and their totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "deal_id": "deal_01jbz3m3x7f6ks6q0vd1tq2n5a", "deal_version": 4,
    "lines": [{"position": 0, "product_id": null, "sku": null, "description": "Onboarding", "quantity": 1.0,
        "unit_price": {"amount": 250000, "currency": "USD"}, "discount_percent": 0.0, "tax_rate_percent": 0.0,
        "subtotal": {"amount": 250000, "currency": "USD"}, "discount": {"amount": 0, "currency": "USD"},
        "tax": {"amount": 0, "currency": "USD"}, "total": {"amount": 250000, "currency": "USD"}}],
    "totals": {"subtotal": {"amount": 250000, "currency": "USD"}, "discount": {"amount": 0, "currency": "USD"},
        "tax": {"amount": 0, "currency": "USD"}, "total": {"amount": 250000, "currency": "USD"}}
}))]
pub struct DealLines {
    pub deal_id: String,
    /// The deal's version (for `If-Match` on the next `PUT`).
    pub deal_version: i64,
    pub lines: Vec<crate::line_item::dto::LineItemOut>,
    pub totals: crate::line_item::dto::DocumentTotals,
}
