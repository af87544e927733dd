//! Orders as the API shows and takes them.

use std::collections::BTreeMap;

use crm_core::http::{ListQuery, Patch};
use crm_core::money::Money;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::model::Order;
use crate::line_item::dto::{DocumentTotals, LineItemIn, LineItemOut};

/// Where an order stands. Refunded and cancelled orders do not count as revenue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Paid,
    Fulfilled,
    PartiallyRefunded,
    Refunded,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Paid => "paid",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::PartiallyRefunded => "partially_refunded",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> OrderStatus {
        match s {
            "pending" => OrderStatus::Pending,
            "paid" => OrderStatus::Paid,
            "fulfilled" => OrderStatus::Fulfilled,
            "partially_refunded" => OrderStatus::PartiallyRefunded,
            "refunded" => OrderStatus::Refunded,
            "cancelled" => OrderStatus::Cancelled,
            _ => OrderStatus::Confirmed,
        }
    }
}

/// A new order.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a", "currency": "USD",
    "lines": [{"product_id": "prod_01jbz3m3x7f6ks6q0vd1tq2n5a", "quantity": 2}], "external_ids": {"erp": "SO-1042"}
}))]
pub struct OrderIn {
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub deal_id: Option<String>,
    /// ISO 4217.
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    pub currency: String,
    /// Default `confirmed`.
    pub status: Option<OrderStatus>,
    /// Default: now.
    #[serde(default, with = "crm_core::time::rfc3339_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub placed_at: Option<chrono::NaiveDateTime>,
    /// At least one, at most 500.
    #[validate(length(min = 1, max = 500), nested)]
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<LineItemIn>,
    pub external_ids: Option<BTreeMap<String, String>>,
}

/// Changes to an order (JSON merge patch).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "paid"}))]
pub struct OrderPatch {
    #[serde(default)]
    #[schema(value_type = OrderStatus)]
    pub status: Patch<OrderStatus>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub contact_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub company_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub deal_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub external_ids: Patch<BTreeMap<String, String>>,
}

/// An order with its lines and totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "ord_01jbz3m3x7f6ks6q0vd1tq2n5a", "number": "O-0001", "quote_id": null, "deal_id": null,
    "contact_id": "con_01jbz3m3x7f6ks6q0vd1tq2n5c", "company_id": "co_01jbz3m3x7f6ks6q0vd1tq2n5a",
    "currency": "USD", "status": "confirmed", "placed_at": "2026-12-07T09:12:00Z", "lines": [],
    "totals": {"subtotal": {"amount": 0, "currency": "USD"}, "discount": {"amount": 0, "currency": "USD"},
    "tax": {"amount": 0, "currency": "USD"}, "total": {"amount": 0, "currency": "USD"}},
    "external_ids": {"erp": "SO-1042"}, "created_at": "2026-12-07T09:12:00Z", "updated_at": "2026-12-07T09:12:00Z", "version": 1
}))]
pub struct OrderOut {
    pub id: String,
    /// `O-0001`, …: per organization, without gaps.
    pub number: String,
    pub quote_id: Option<String>,
    pub deal_id: Option<String>,
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub currency: String,
    pub status: OrderStatus,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub placed_at: chrono::NaiveDateTime,
    pub lines: Vec<LineItemOut>,
    pub totals: DocumentTotals,
    pub external_ids: BTreeMap<String, String>,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: chrono::NaiveDateTime,
    pub version: i64,
}

impl OrderOut {
    pub fn of(o: Order, lines: Vec<LineItemOut>, totals: DocumentTotals) -> Self {
        OrderOut {
            id: o.id,
            number: o.number,
            quote_id: o.quote_id,
            deal_id: o.deal_id,
            contact_id: o.contact_id,
            company_id: o.company_id,
            currency: o.currency,
            status: OrderStatus::parse(&o.status),
            placed_at: o.placed_at,
            lines,
            totals,
            external_ids: serde_json::from_str(&o.external_ids).unwrap_or_default(),
            created_at: o.created_at,
            updated_at: o.updated_at,
            version: o.version,
        }
    }
}

/// Filters and paging for `GET /v1/orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    /// `created_at` (default), `placed_at` or `number`, `-` for descending.
    #[param(pattern = "^-?(created_at|placed_at|number)$")]
    pub sort: Option<String>,
    pub contact_id: Option<String>,
    pub company_id: Option<String>,
    pub deal_id: Option<String>,
    pub status: Option<OrderStatus>,
}

impl OrdersQuery {
    pub fn paging(&self) -> ListQuery {
        ListQuery { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// A contact's or company's purchases in one currency.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "currency": "USD", "order_count": 3, "revenue": {"amount": 1254000, "currency": "USD"},
    "average_order_value": {"amount": 418000, "currency": "USD"},
    "first_order_at": "2026-01-12T10:00:00Z", "last_order_at": "2026-11-30T16:20:00Z"
}))]
pub struct PurchaseTotals {
    pub currency: String,
    /// Every order, refunded and cancelled ones too.
    pub order_count: i64,
    /// The totals of the orders neither refunded nor cancelled.
    pub revenue: Money,
    /// Revenue ÷ the orders that count, rounded down to the minor unit.
    pub average_order_value: Money,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub first_order_at: chrono::NaiveDateTime,
    #[serde(with = "crm_core::time::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_order_at: chrono::NaiveDateTime,
}

/// A contact's or company's purchase history: totals by currency and the latest orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseHistory {
    pub totals: Vec<PurchaseTotals>,
    /// The 20 latest orders, newest first (`GET /v1/orders?contact_id=` pages through all).
    pub recent_orders: Vec<OrderOut>,
}
