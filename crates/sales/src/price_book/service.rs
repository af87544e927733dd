//! Price-book use cases: each one transaction, with its audit row and event.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::http::{Page, Patch, page, trimmed};
use crm_core::money::Money;
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{PriceBookIn, PriceBookOut, PriceBookPatch, PriceBooksQuery, PriceEntry};
use super::model::{self, Entry, PriceBook, RECORD_TYPE};
use crate::permissions;

/// A book as stored: name, description, active, and its entries sorted.
type Book = (String, Option<String>, bool, Vec<Entry>);

fn normalize(input: PriceBookIn) -> ApiResult<Book> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError::new("/name", "required", "a price book needs a name"));
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (i, entry) in input.prices.unwrap_or_default().into_iter().enumerate() {
        let pointer = format!("/prices/{i}");
        if let Err(e) = entry.unit_price.check(&format!("{pointer}/unit_price")) {
            errors.extend(e.errors);
        } else if entries.iter().any(|(p, c, _)| *p == entry.product_id && *c == entry.unit_price.currency) {
            errors.push(FieldError::new(pointer, "duplicate", "one price per product and currency"));
        } else {
            entries.push((entry.product_id, entry.unit_price.currency, entry.unit_price.amount));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    entries.sort();
    Ok((name, trimmed(input.description), input.active.unwrap_or(true), entries))
}

/// 422 unless every entry names a product of the organization.
fn check_products(conn: &mut DbConnection, scope: &Scope, entries: &[Entry]) -> ApiResult<()> {
    let ids: Vec<&str> = entries.iter().map(|(p, _, _)| p.as_str()).collect();
    let known = crate::product::model::find_many(conn, scope, &ids)?;
    match entries.iter().position(|(p, _, _)| !known.iter().any(|k| k.id == *p)) {
        Some(i) => Err(ApiError::invalid_field(
            &format!("/prices/{i}/product_id"),
            "unknown_product",
            "must be a product of the organization",
        )),
        None => Ok(()),
    }
}

fn store(conn: &mut DbConnection, scope: &Scope, id: &str, book: &Book, exists: bool) -> ApiResult<()> {
    let (name, description, active, entries) = book;
    if let Some(holder) = model::named(conn, scope, name, id)? {
        return Err(ApiError::conflict(
            "duplicate_price_book",
            format!("Price book {holder} is already named {name}."),
        ));
    }
    check_products(conn, scope, entries)?;
    model::save(conn, scope, id, name, description.as_deref(), *active, exists)?;
    model::set_entries(conn, scope, id, entries)
}

const PRICE_BOOKS: Versioned<PriceBookOut> = Versioned {
    table: "price_books",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |b| b.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<PriceBookOut> {
    let book = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("price book"))?;
    Ok(shown(conn, scope, vec![book])?.remove(0))
}

fn out(b: PriceBook, entries: Vec<PriceEntry>) -> PriceBookOut {
    PriceBookOut {
        id: b.id,
        name: b.name,
        description: b.description,
        active: b.active,
        prices: entries,
        created_at: b.created_at,
        updated_at: b.updated_at,
        version: b.version,
    }
}

fn shown(conn: &mut DbConnection, scope: &Scope, books: Vec<PriceBook>) -> ApiResult<Vec<PriceBookOut>> {
    let ids: Vec<&str> = books.iter().map(|b| b.id.as_str()).collect();
    let entries = model::entries_of(conn, scope, &ids)?;
    Ok(books
        .into_iter()
        .map(|b| {
            let own = entries
                .iter()
                .filter(|(book, _)| *book == b.id)
                .map(|(_, (product_id, currency, amount))| PriceEntry {
                    product_id: product_id.clone(),
                    unit_price: Money { amount: *amount, currency: currency.clone() },
                })
                .collect();
            out(b, own)
        })
        .collect())
}

pub async fn create(state: &AppState, actor: &Actor, input: PriceBookIn) -> ApiResult<PriceBookOut> {
    actor.require(permissions::PRODUCTS, Action::Write)?;
    let book = normalize(input)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let id = crm_core::id::new_id(model::ID_PREFIX);
            store(conn, &actor.scope(), &id, &book, false)?;
            PRICE_BOOKS.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<PriceBookOut> {
    actor.require(permissions::PRODUCTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: PriceBooksQuery) -> ApiResult<Page<PriceBookOut>> {
    actor.require(permissions::PRODUCTS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let (scope, for_query) = (actor.scope(), plan.clone());
    let (rows, shown_rows) = state
        .db
        .read(move |conn| {
            let rows = model::list(conn, &scope, &for_query)?;
            let shown_rows = shown(conn, &scope, rows.clone())?;
            Ok((rows, shown_rows))
        })
        .await?;
    Ok(page(
        rows,
        &plan,
        |b| model::SORTS.position(&plan, b),
        |b| shown_rows.iter().find(|s| s.id == b.id).cloned().unwrap_or_else(|| out(b, Vec::new())),
    ))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: PriceBookPatch,
    if_match: Option<i64>,
) -> ApiResult<PriceBookOut> {
    actor.require(permissions::PRODUCTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            PRICE_BOOKS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let mut draft = PriceBookIn {
                    name: before.name.clone(),
                    description: before.description.clone(),
                    active: Some(before.active),
                    prices: Some(before.prices.clone()),
                };
                let nulls = [
                    ("/name", patch.name == Patch::Null),
                    ("/active", patch.active == Patch::Null),
                    ("/prices", patch.prices == Patch::Null),
                ];
                if let Some((field, _)) = nulls.iter().find(|(_, null)| *null) {
                    return Err(ApiError::invalid_field(field, "required", "cannot be null"));
                }
                if let Patch::Value(name) = patch.name {
                    draft.name = name;
                }
                patch.description.apply_to(&mut draft.description);
                patch.active.apply_to(&mut draft.active);
                patch.prices.apply_to(&mut draft.prices);
                validator::Validate::validate(&draft)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let book = normalize(draft)?;
                let current = normalize(PriceBookIn {
                    name: before.name.clone(),
                    description: before.description.clone(),
                    active: Some(before.active),
                    prices: Some(before.prices.clone()),
                })?;
                if book == current {
                    return Ok(Edit::Unchanged);
                }
                store(conn, &actor.scope(), &id, &book, true)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Deletes a price book; quotes priced from it keep their prices.
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::PRODUCTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            PRICE_BOOKS.delete(conn, &actor, &id, if_match, |conn, _| model::delete(conn, &actor.scope(), &id))?;
            Ok(())
        })
        .await
}
