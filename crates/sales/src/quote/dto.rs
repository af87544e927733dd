//! Quotes as the API shows and takes them.

use crm_core::http::{ListQuery, Patch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Quote;
use crate::line_item::dto::{DocumentTotals, LineItemIn, LineItemOut};

/// Where a quote stands: `draft` → `sent` → `accepted` / `rejected` / `expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuoteStatus {
    Draft,
    Sent,
    Accepted,
    Rejected,
    /// Sent and not decided before `valid_until` passed.
    Expired,
}

impl QuoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteStatus::Draft => "draft",
            QuoteStatus::Sent => "sent",
            QuoteStatus::Accepted => "accepted",
            QuoteStatus::Rejected => "rejected",
            QuoteStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> QuoteStatus {
        match s {
            "sent" => QuoteStatus::Sent,
            "accepted" => QuoteStatus::Accepted,
            "rejected" => QuoteStatus::Rejected,
            "expired" => QuoteStatus::Expired,
            _ => QuoteStatus::Draft,
        }
    }
}

/// A new quote, for a deal.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "deal_id": "deal_01jbz3m3x7f6ks6q0vd1tq2n5a", "currency": "USD", "valid_until": "2027-01-31",
    "lines": [{"product_id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "quantity": 10, "discount_percent": 5, "tax_rate_percent": 20},
              {"description": "Installation", "unit_price": {"amount": 150000, "currency": "USD"}}]
}))]
pub struct QuoteIn {
    pub deal_id: String,
    /// ISO 4217. Default: the deal amount's currency.
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: Option<String>,
    /// Where product prices come from (else the products' list prices).
    pub price_book_id: Option<String>,
    /// Default: the deal's first contact.
    pub contact_id: Option<String>,
    /// Default: the deal's company.
    pub company_id: Option<String>,
    /// Default: 30 days from today.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<chrono::NaiveDate>,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    /// At most 500.
    #[validate(length(max = 500), nested)]
    #[schema(max_items = 500)]
    pub lines: Option<Vec<LineItemIn>>,
}

/// Changes to a draft quote; `lines` replaces its lines (priced again).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"valid_until": "2027-02-28"}))]
pub struct QuotePatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub price_book_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub contact_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub company_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = String, format = Date)]
    pub valid_until: Patch<chrono::NaiveDate>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub notes: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Vec<LineItemIn>)]
    pub lines: Patch<Vec<LineItemIn>>,
}

/// A quote with its lines and totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "quote_01jbz3m3x7f6ks6q0vd1tq2n5a", "number": "Q-0001", "deal_id": "deal_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "contact_id": null, "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a", "price_book_id": null, "currency": "USD",
    "status": "draft", "valid_until": "2027-01-31", "notes": null, "rejection_reason": null, "order_id": null,
    "lines": [], "totals": {"subtotal": {"amount": 0, "currency": "USD"}, "discount": {"amount": 0, "currency": "USD"},
    "tax": {"amount": 0, "currency": "USD"}, "total": {"amount": 0, "currency": "USD"}},
    "sent_at": null, "decided_at": null,
    "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct QuoteOut {
    pub id: String,
    /// `Q-0001`, …: per organization, without gaps.
    pub number: String,
    pub deal_id: String,
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub price_book_id: Option<String>,
    pub currency: String,
    pub status: QuoteStatus,
    #[schema(value_type = String, format = Date)]
    pub valid_until: String,
    pub notes: Option<String>,
    pub rejection_reason: Option<String>,
    /// The order an accepted quote became.
    pub order_id: Option<String>,
    pub lines: Vec<LineItemOut>,
    pub totals: DocumentTotals,
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<chrono::NaiveDateTime>,
    /// When it was accepted, rejected or expired.
    #[serde(with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<chrono::NaiveDateTime>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl QuoteOut {
    pub fn of(q: Quote, lines: Vec<LineItemOut>, totals: DocumentTotals) -> Self {
        QuoteOut {
            id: q.id,
            number: q.number,
            deal_id: q.deal_id,
            contact_id: q.contact_id,
            company_id: q.company_id,
            price_book_id: q.price_book_id,
            currency: q.currency,
            status: QuoteStatus::parse(&q.status),
            valid_until: q.valid_until,
            notes: q.notes,
            rejection_reason: q.rejection_reason,
            order_id: q.order_id,
            lines,
            totals,
            sent_at: q.sent_at,
            decided_at: q.decided_at,
            created_at: q.created_at,
            updated_at: q.updated_at,
            version: q.version,
        }
    }
}

/// `POST /v1/quotes/{id}/accept`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"create_order": true}))]
pub struct AcceptIn {
    /// Create the order from the quote's lines. Default true.
    pub create_order: Option<bool>,
}

/// `POST /v1/quotes/{id}/reject`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Over budget"}))]
pub struct RejectIn {
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// Filters and paging for `GET /v1/quotes`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuotesQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default), `number` or `valid_until`, `-` for descending.
    #[param(pattern = "^-?(created_at|number|valid_until)$")]
    pub sort: Option<String>,
    pub deal_id: Option<String>,
    pub status: Option<QuoteStatus>,
}

impl QuotesQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}
