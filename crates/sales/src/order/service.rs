//! Order use cases: each one transaction, with its audit row and event.

use std::collections::BTreeMap;

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, Patch, page};
use crm_core::money::Money;
use crm_core::records;
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};
use diesel::RunQueryDsl;

use super::dto::{OrderIn, OrderOut, OrderPatch, OrderStatus, OrdersQuery, PurchaseHistory, PurchaseTotals};
use super::model::{self, Filters, Order, OrderFields, RECORD_TYPE};
use crate::line_item;
use crate::line_item::model::LineItem;
use crate::permissions;
use crate::quote::dto::QuoteOut;

/// Orders as the write runner takes them.
const ORDERS: Versioned<OrderOut> = Versioned {
    table: "orders",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |o| o.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<OrderOut> {
    let order = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("order"))?;
    Ok(shown(conn, scope, vec![order])?.remove(0))
}

/// Orders with their lines and totals (one query for all the lines).
fn shown(conn: &mut DbConnection, scope: &Scope, orders: Vec<Order>) -> ApiResult<Vec<OrderOut>> {
    let records: Vec<(&str, &str)> = orders.iter().map(|o| (o.id.as_str(), o.currency.as_str())).collect();
    let mut lines = line_item::service::shown(conn, scope, RECORD_TYPE, &records)?;
    Ok(orders
        .into_iter()
        .map(|o| {
            let at = lines.iter().position(|(id, _, _)| *id == o.id).unwrap_or(0);
            let (_, own, totals) = lines.swap_remove(at);
            OrderOut::of(o, own, totals)
        })
        .collect())
}

/// 422 unless each named record is one of the organization's.
fn check_links(conn: &mut DbConnection, scope: &Scope, fields: &OrderFields) -> ApiResult<()> {
    let everything = scope.unrestricted();
    if let Some(contact) = &fields.contact_id
        && crm_contacts::contact::model::find(conn, &everything, contact)?.is_none()
    {
        return Err(ApiError::invalid_field("/contact_id", "unknown_contact", "must be a contact of the organization"));
    }
    if let Some(company) = &fields.company_id
        && crm_contacts::company::model::find(conn, &everything, company)?.is_none()
    {
        return Err(ApiError::invalid_field("/company_id", "unknown_company", "must be a company of the organization"));
    }
    if let Some(deal) = &fields.deal_id
        && crate::deal::model::find(conn, &everything, deal)?.is_none()
    {
        return Err(ApiError::invalid_field("/deal_id", "unknown_deal", "must be a deal of the organization"));
    }
    Ok(())
}

/// Creates an order on the caller's connection: checked, priced, numbered, recorded
/// (`order.created`).
fn create_in(conn: &mut DbConnection, actor: &Actor, input: OrderIn) -> ApiResult<OrderOut> {
    let scope = actor.scope();
    let currency = input.currency.trim().to_string();
    crm_core::money::check_currency(&currency, "/currency")?;
    let external_ids = input.external_ids.unwrap_or_default();
    records::check_external_ids(&external_ids, "/external_ids")?;
    let fields = OrderFields {
        contact_id: input.contact_id,
        company_id: input.company_id,
        deal_id: input.deal_id,
        status: input.status.unwrap_or(OrderStatus::Confirmed).as_str().to_string(),
        placed_at: input.placed_at.unwrap_or_else(crm_core::time::now),
    };
    check_links(conn, &scope, &fields)?;
    let id = crm_core::id::new_id(model::ID_PREFIX);
    let lines = line_item::service::priced(conn, &scope, &id, &currency, None, &input.lines, "/lines")?;
    insert(conn, actor, &id, Stored { fields, currency, external_ids, quote_id: None, lines })
}

/// An order as it is stored.
struct Stored {
    fields: OrderFields,
    currency: String,
    external_ids: BTreeMap<String, String>,
    quote_id: Option<String>,
    lines: Vec<LineItem>,
}

/// Numbers and writes a checked, priced order, with its audit row and event.
fn insert(conn: &mut DbConnection, actor: &Actor, id: &str, order: Stored) -> ApiResult<OrderOut> {
    let scope = actor.scope();
    let ids = records::external_id_rows(conn, &scope, RECORD_TYPE, id, &order.external_ids)?;
    // Taken last, in the transaction: a failed creation gives its number back.
    let number = format!("O-{:04}", crm_core::sequence::next(conn, &scope, model::SEQUENCE)?);
    let external_ids = serde_json::to_string(&order.external_ids)?;
    let quote_id = order.quote_id.as_deref();
    model::insert(conn, &scope, id, &number, quote_id, &order.currency, &order.fields, &external_ids)?;
    line_item::model::replace(conn, &scope, RECORD_TYPE, id, &order.lines)?;
    if let Some(insert) = ids {
        crm_core::sql::Statement::uncached(insert).execute(conn)?;
    }
    ORDERS.created(conn, actor, id)
}

/// The order an accepted quote becomes: its customer, deal and lines as the quote has them
/// (checked and priced when it was drafted, not again: a product deactivated since stays on
/// it). Its id.
pub(crate) fn from_quote(conn: &mut DbConnection, actor: &Actor, quote: &QuoteOut) -> ApiResult<String> {
    let id = crm_core::id::new_id(model::ID_PREFIX);
    let lines = line_item::model::of(conn, &actor.scope(), crate::quote::model::RECORD_TYPE, &[&quote.id])?
        .into_iter()
        .map(|line| LineItem { record_id: id.clone(), ..line })
        .collect();
    let order = Stored {
        fields: OrderFields {
            contact_id: quote.contact_id.clone(),
            company_id: quote.company_id.clone(),
            deal_id: Some(quote.deal_id.clone()),
            status: OrderStatus::Confirmed.as_str().to_string(),
            placed_at: crm_core::time::now(),
        },
        currency: quote.currency.clone(),
        external_ids: BTreeMap::new(),
        quote_id: Some(quote.id.clone()),
        lines,
    };
    Ok(insert(conn, actor, &id, order)?.id)
}

pub async fn create(state: &AppState, actor: &Actor, input: OrderIn) -> ApiResult<OrderOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state.db.write(move |conn| create_in(conn, &actor, input)).await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<OrderOut> {
    actor.require(permissions::DEALS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: OrdersQuery) -> ApiResult<Page<OrderOut>> {
    actor.require(permissions::DEALS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let filters = Filters {
        contact_id: query.contact_id,
        company_id: query.company_id,
        deal_id: query.deal_id,
        status: query.status.map(|s| s.as_str().to_string()),
    };
    let (scope, for_query) = (actor.scope(), plan.clone());
    let (rows, shown_rows) = state
        .db
        .read(move |conn| {
            let rows = model::list(conn, &scope, &filters, &for_query)?;
            let shown_rows = shown(conn, &scope, rows.clone())?;
            Ok((rows, shown_rows))
        })
        .await?;
    Ok(page(
        rows,
        &plan,
        |o| model::SORTS.position(&plan, o),
        |o| {
            let empty =
                || OrderOut::of(o.clone(), Vec::new(), crate::line_item::dto::DocumentTotals::of(&[], &o.currency));
            shown_rows.iter().find(|s| s.id == o.id).cloned().unwrap_or_else(empty)
        },
    ))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: OrderPatch,
    if_match: Option<i64>,
) -> ApiResult<OrderOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            ORDERS.update_named(conn, &actor, &id, if_match, |conn, before| {
                if patch.status == Patch::Null {
                    return Err(ApiError::invalid_field("/status", "required", "an order has a status"));
                }
                let scope = actor.scope();
                let mut fields = OrderFields {
                    contact_id: before.contact_id.clone(),
                    company_id: before.company_id.clone(),
                    deal_id: before.deal_id.clone(),
                    status: before.status.as_str().to_string(),
                    placed_at: before.placed_at,
                };
                patch.contact_id.apply_to(&mut fields.contact_id);
                patch.company_id.apply_to(&mut fields.company_id);
                patch.deal_id.apply_to(&mut fields.deal_id);
                if let Patch::Value(status) = patch.status {
                    fields.status = status.as_str().to_string();
                }
                let mut external_ids = before.external_ids.clone();
                patch.external_ids.apply_to_map(&mut external_ids);
                records::check_external_ids(&external_ids, "/external_ids")?;
                let unchanged = fields.contact_id == before.contact_id
                    && fields.company_id == before.company_id
                    && fields.deal_id == before.deal_id
                    && fields.status == before.status.as_str()
                    && external_ids == before.external_ids;
                if unchanged {
                    return Ok((Edit::Unchanged, "updated"));
                }
                check_links(conn, &scope, &fields)?;
                model::update(conn, &scope, &id, &fields, &serde_json::to_string(&external_ids)?)?;
                if external_ids != before.external_ids {
                    records::set_external_ids(conn, &scope, RECORD_TYPE, &id, &external_ids)?;
                }
                let action = if fields.status == "cancelled" && before.status != OrderStatus::Cancelled {
                    "cancelled"
                } else {
                    "updated"
                };
                Ok((Edit::Changed, action))
            })
        })
        .await
}

/// What a patch of a map does: absent keeps it, `null` empties it, a value replaces it.
trait ApplyToMap {
    fn apply_to_map(self, map: &mut BTreeMap<String, String>);
}

impl ApplyToMap for Patch<BTreeMap<String, String>> {
    fn apply_to_map(self, map: &mut BTreeMap<String, String>) {
        match self {
            Patch::Absent => {}
            Patch::Null => map.clear(),
            Patch::Value(v) => *map = v,
        }
    }
}

/// Whose purchase history: a contact's or a company's.
#[derive(Debug, Clone, Copy)]
pub enum Customer {
    Contact,
    Company,
}

/// A contact's or company's purchase history (in the caller's sight of the customer).
pub async fn purchases(state: &AppState, actor: &Actor, customer: Customer, id: String) -> ApiResult<PurchaseHistory> {
    actor.require(permissions::DEALS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let (column, exists) = match customer {
                Customer::Contact => ("contact_id", crm_contacts::contact::model::find(conn, &scope, &id)?.is_some()),
                Customer::Company => ("company_id", crm_contacts::company::model::find(conn, &scope, &id)?.is_some()),
            };
            if !exists {
                return Err(ApiError::not_found(if column == "contact_id" { "contact" } else { "company" }));
            }
            let totals = model::purchases(conn, &scope, column, &id)?
                .into_iter()
                .map(|p| {
                    let revenue = p.revenue.unwrap_or(0);
                    let average = if p.counted > 0 { revenue / p.counted } else { 0 };
                    PurchaseTotals {
                        order_count: p.orders,
                        revenue: Money { amount: revenue, currency: p.currency.clone() },
                        average_order_value: Money { amount: average, currency: p.currency.clone() },
                        currency: p.currency,
                        first_order_at: p.first_at,
                        last_order_at: p.last_at,
                    }
                })
                .collect();
            let filters = match customer {
                Customer::Contact => Filters { contact_id: Some(id.clone()), ..Filters::default() },
                Customer::Company => Filters { company_id: Some(id.clone()), ..Filters::default() },
            };
            let plan = model::SORTS.plan_by("placed_at", true, 20, None)?;
            let mut recent = model::list(conn, &scope, &filters, &plan)?;
            recent.truncate(20);
            Ok(PurchaseHistory { totals, recent_orders: shown(conn, &scope, recent)? })
        })
        .await
}
