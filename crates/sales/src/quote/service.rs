//! Quote use cases: each one transaction, with its audit row and event. Only a draft changes;
//! a sent quote is accepted (creating its order, unless asked not to), rejected, or expires.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, Patch, page, trimmed};
use crm_core::scope::Scope;
use crm_core::sql::Piece;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{AcceptIn, QuoteIn, QuoteOut, QuotePatch, QuoteStatus, QuotesQuery, RejectIn};
use super::model::{self, Filters, Quote, QuoteFields, RECORD_TYPE};
use crate::line_item::{self, dto::LineItemIn};
use crate::permissions;

/// How long a quote is valid when no date is given.
const VALID_DAYS: i64 = 30;

/// Quotes as the write runner takes them.
const QUOTES: Versioned<QuoteOut> = Versioned {
    table: "quotes",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |q| q.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<QuoteOut> {
    let quote = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("quote"))?;
    Ok(shown(conn, scope, vec![quote])?.remove(0))
}

/// Quotes with their lines and totals (one query for all the lines).
fn shown(conn: &mut DbConnection, scope: &Scope, quotes: Vec<Quote>) -> ApiResult<Vec<QuoteOut>> {
    let records: Vec<(&str, &str)> = quotes.iter().map(|q| (q.id.as_str(), q.currency.as_str())).collect();
    let mut lines = line_item::service::shown(conn, scope, RECORD_TYPE, &records)?;
    Ok(quotes
        .into_iter()
        .map(|q| {
            let at = lines.iter().position(|(id, _, _)| *id == q.id).unwrap_or(0);
            let (_, own, totals) = lines.swap_remove(at);
            QuoteOut::of(q, own, totals)
        })
        .collect())
}

fn today() -> chrono::NaiveDate {
    crm_core::time::now().date()
}

/// 422 unless each named record is one of the organization's: the price book (active),
/// the contact, the company.
fn check_links(conn: &mut DbConnection, scope: &Scope, fields: &QuoteFields) -> ApiResult<()> {
    let everything = scope.unrestricted();
    if let Some(book) = &fields.price_book_id {
        match crate::price_book::model::find(conn, scope, book)? {
            Some(b) if b.active => {}
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "/price_book_id",
                    "inactive_price_book",
                    "the price book is not active",
                ));
            }
            None => {
                return Err(ApiError::invalid_field(
                    "/price_book_id",
                    "unknown_price_book",
                    "must be a price book of the organization",
                ));
            }
        }
    }
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
    Ok(())
}

pub async fn create(state: &AppState, actor: &Actor, input: QuoteIn) -> ApiResult<QuoteOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    if let Some(currency) = &input.currency {
        crm_core::money::check_currency(currency, "/currency")?;
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let deal = crate::deal::model::find(conn, &scope, &input.deal_id)?
                .ok_or_else(|| ApiError::invalid_field("/deal_id", "unknown_deal", "must be a deal you can see"))?;
            let currency = input.currency.or(deal.currency).ok_or_else(|| {
                ApiError::invalid_field("/currency", "required", "the deal has no amount: say which currency")
            })?;
            let mut first_contact = || -> ApiResult<Option<String>> {
                Ok(crate::deal::model::contacts_of(conn, &scope, &[&deal.id])?.into_iter().next().map(|(_, c, _)| c))
            };
            let contact_id = match input.contact_id {
                Some(contact) => Some(contact),
                None => first_contact()?,
            };
            let fields = QuoteFields {
                contact_id,
                company_id: input.company_id.or(deal.company_id),
                price_book_id: trimmed(input.price_book_id),
                valid_until: input.valid_until.unwrap_or(today() + chrono::Duration::days(VALID_DAYS)).to_string(),
                notes: trimmed(input.notes),
            };
            check_links(conn, &scope, &fields)?;
            let id = crm_core::id::new_id(model::ID_PREFIX);
            let lines = input.lines.unwrap_or_default();
            let priced = line_item::service::priced(
                conn,
                &scope,
                &id,
                &currency,
                fields.price_book_id.as_deref(),
                &lines,
                "/lines",
            )?;
            // Taken last, in the transaction: a failed creation gives its number back.
            let number = format!("Q-{:04}", crm_core::sequence::next(conn, &scope, model::SEQUENCE)?);
            model::insert(conn, &scope, &id, &number, &deal.id, &currency, &fields)?;
            line_item::model::replace(conn, &scope, RECORD_TYPE, &id, &priced)?;
            QUOTES.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<QuoteOut> {
    actor.require(permissions::DEALS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: QuotesQuery) -> ApiResult<Page<QuoteOut>> {
    actor.require(permissions::DEALS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let filters = Filters { deal_id: query.deal_id, status: query.status.map(|s| s.as_str().to_string()) };
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
        |q| model::SORTS.position(&plan, q),
        |q| {
            shown_rows
                .iter()
                .find(|s| s.id == q.id)
                .cloned()
                .unwrap_or_else(|| QuoteOut::of(q, Vec::new(), empty_totals()))
        },
    ))
}

fn empty_totals() -> crate::line_item::dto::DocumentTotals {
    crate::line_item::dto::DocumentTotals::of(&[], "")
}

fn not_in(status: QuoteStatus, quote: &QuoteOut) -> ApiError {
    ApiError::conflict(
        &format!("quote_not_{}", status.as_str()),
        format!("Quote {} is {}, not {}.", quote.number, quote.status.as_str(), status.as_str()),
    )
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: QuotePatch,
    if_match: Option<i64>,
) -> ApiResult<QuoteOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            QUOTES.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                if before.status != QuoteStatus::Draft {
                    return Err(not_in(QuoteStatus::Draft, before));
                }
                let nulls =
                    [("/valid_until", patch.valid_until == Patch::Null), ("/lines", patch.lines == Patch::Null)];
                if let Some((field, _)) = nulls.iter().find(|(_, null)| *null) {
                    return Err(ApiError::invalid_field(field, "required", "cannot be null"));
                }
                let scope = actor.scope();
                let mut fields = QuoteFields {
                    contact_id: before.contact_id.clone(),
                    company_id: before.company_id.clone(),
                    price_book_id: before.price_book_id.clone(),
                    valid_until: before.valid_until.clone(),
                    notes: before.notes.clone(),
                };
                patch.contact_id.apply_to(&mut fields.contact_id);
                patch.company_id.apply_to(&mut fields.company_id);
                patch.price_book_id.apply_to(&mut fields.price_book_id);
                patch.notes.apply_to(&mut fields.notes);
                fields.notes = trimmed(fields.notes);
                if let Patch::Value(date) = patch.valid_until {
                    fields.valid_until = date.to_string();
                }
                let given: Vec<LineItemIn> = match patch.lines {
                    Patch::Value(lines) => lines,
                    _ => before.lines.iter().map(|l| l.to_input()).collect(),
                };
                let priced = line_item::service::priced(
                    conn,
                    &scope,
                    &id,
                    &before.currency,
                    fields.price_book_id.as_deref(),
                    &given,
                    "/lines",
                )?;
                let current_lines = line_item::model::of(conn, &scope, RECORD_TYPE, &[&id])?;
                let current = QuoteFields {
                    contact_id: before.contact_id.clone(),
                    company_id: before.company_id.clone(),
                    price_book_id: before.price_book_id.clone(),
                    valid_until: before.valid_until.clone(),
                    notes: before.notes.clone(),
                };
                if fields == current && priced == current_lines {
                    return Ok(Edit::Unchanged);
                }
                check_links(conn, &scope, &fields)?;
                model::update(conn, &scope, &id, &fields)?;
                if priced != current_lines {
                    line_item::model::replace(conn, &scope, RECORD_TYPE, &id, &priced)?;
                }
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Sends a draft quote (it needs lines); it can no longer change.
pub async fn send(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<QuoteOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            QUOTES.update_named(conn, &actor, &id, if_match, |conn, before| {
                if before.status != QuoteStatus::Draft {
                    return Err(not_in(QuoteStatus::Draft, before));
                }
                if before.lines.is_empty() {
                    return Err(ApiError::invalid_field("/lines", "required", "a quote needs lines to be sent"));
                }
                let now = crm_core::time::now();
                model::set_status(conn, &actor.scope(), &id, "sent", vec![("sent_at", Piece::Time(now))])?;
                Ok((Edit::Changed, "sent"))
            })
        })
        .await
}

/// Accepts a sent quote still valid, and creates its order unless asked not to.
pub async fn accept(
    state: &AppState,
    actor: &Actor,
    id: String,
    input: AcceptIn,
    if_match: Option<i64>,
) -> ApiResult<QuoteOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            QUOTES.update_named(conn, &actor, &id, if_match, |conn, before| {
                if before.status != QuoteStatus::Sent {
                    return Err(not_in(QuoteStatus::Sent, before));
                }
                if before.valid_until < today().to_string() {
                    return Err(ApiError::conflict(
                        "quote_expired",
                        format!("Quote {} was valid until {}.", before.number, before.valid_until),
                    ));
                }
                let mut also = vec![("decided_at", Piece::Time(crm_core::time::now()))];
                if input.create_order.unwrap_or(true) {
                    let order = crate::order::service::from_quote(conn, &actor, before)?;
                    also.push(("order_id", Piece::Text(order)));
                }
                model::set_status(conn, &actor.scope(), &id, "accepted", also)?;
                Ok((Edit::Changed, "accepted"))
            })
        })
        .await
}

/// Rejects a sent quote, with the reason given.
pub async fn reject(
    state: &AppState,
    actor: &Actor,
    id: String,
    input: RejectIn,
    if_match: Option<i64>,
) -> ApiResult<QuoteOut> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            QUOTES.update_named(conn, &actor, &id, if_match, |conn, before| {
                if before.status != QuoteStatus::Sent {
                    return Err(not_in(QuoteStatus::Sent, before));
                }
                let also = vec![
                    ("decided_at", Piece::Time(crm_core::time::now())),
                    ("rejection_reason", Piece::OptionalText(trimmed(input.reason))),
                ];
                model::set_status(conn, &actor.scope(), &id, "rejected", also)?;
                Ok((Edit::Changed, "rejected"))
            })
        })
        .await
}

/// Deletes a draft quote (its number is not given again).
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::DEALS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            QUOTES.delete(conn, &actor, &id, if_match, |conn, before| {
                if before.status != QuoteStatus::Draft {
                    return Err(not_in(QuoteStatus::Draft, before));
                }
                let scope = actor.scope();
                line_item::model::replace(conn, &scope, RECORD_TYPE, &id, &[])?;
                model::delete(conn, &scope, &id)
            })?;
            Ok(())
        })
        .await
}

/// The scheduled job that expires the organization's sent quotes whose date has passed.
pub const EXPIRE_KIND: &str = "sales.expire_quotes";

pub fn run_expire(ctx: &crm_core::jobs::JobContext) -> Result<(), crm_core::jobs::JobError> {
    let today = today().to_string();
    loop {
        let lapsed = ctx.write(|conn| model::lapsed(conn, &ctx.actor.org_id, &today, 100))?;
        if lapsed.is_empty() {
            return Ok(());
        }
        for id in lapsed {
            ctx.write(|conn| {
                QUOTES.update_named(conn, &ctx.actor, &id, None, |conn, before| {
                    // Accepted or rejected meanwhile: nothing to do.
                    if before.status != QuoteStatus::Sent {
                        return Ok((Edit::Unchanged, "expired"));
                    }
                    let also = vec![("decided_at", Piece::Time(crm_core::time::now()))];
                    model::set_status(conn, &ctx.actor.scope(), &id, "expired", also)?;
                    Ok((Edit::Changed, "expired"))
                })
            })?;
        }
    }
}
