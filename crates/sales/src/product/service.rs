//! Product use cases: each one transaction, with its audit row and event.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::http::{Page, Patch, page, trimmed};
use crm_core::money::Money;
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{ProductIn, ProductOut, ProductPatch, ProductsQuery};
use super::model::{self, Filters, ProductFields, RECORD_TYPE};
use crate::permissions;

/// A product as given, checked on its own: its fields and its list prices by currency.
fn normalize(input: ProductIn) -> ApiResult<(ProductFields, Vec<(String, i64)>)> {
    let mut errors = Vec::new();
    let (sku, name) = (input.sku.trim().to_string(), input.name.trim().to_string());
    if sku.is_empty() {
        errors.push(FieldError::new("/sku", "required", "a product needs a SKU"));
    }
    if name.is_empty() {
        errors.push(FieldError::new("/name", "required", "a product needs a name"));
    }
    let mut prices: Vec<(String, i64)> = Vec::new();
    for (i, price) in input.prices.unwrap_or_default().iter().enumerate() {
        let pointer = format!("/prices/{i}");
        if let Err(e) = price.check(&pointer) {
            errors.extend(e.errors);
        } else if prices.iter().any(|(c, _)| *c == price.currency) {
            errors.push(FieldError::new(format!("{pointer}/currency"), "duplicate", "one list price per currency"));
        } else {
            prices.push((price.currency.clone(), price.amount));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    prices.sort();
    let fields =
        ProductFields { sku, name, description: trimmed(input.description), active: input.active.unwrap_or(true) };
    Ok((fields, prices))
}

fn check_sku(conn: &mut DbConnection, scope: &Scope, sku: &str, id: &str) -> ApiResult<()> {
    match model::with_sku(conn, scope, sku, id)? {
        Some(holder) => {
            Err(ApiError::conflict("duplicate_sku", format!("Product {holder} already has the SKU {sku}.")))
        }
        None => Ok(()),
    }
}

/// Products as the write runner takes them.
const PRODUCTS: Versioned<ProductOut> = Versioned {
    table: "products",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |p| p.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<ProductOut> {
    let product = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("product"))?;
    Ok(shown(conn, scope, vec![product])?.remove(0))
}

/// Products with their list prices (one query for all of them).
fn shown(conn: &mut DbConnection, scope: &Scope, products: Vec<model::Product>) -> ApiResult<Vec<ProductOut>> {
    let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    let prices = model::prices_of(conn, scope, &ids)?;
    Ok(products
        .into_iter()
        .map(|p| {
            let own = prices
                .iter()
                .filter(|(product, _, _)| *product == p.id)
                .map(|(_, currency, amount)| Money { amount: *amount, currency: currency.clone() })
                .collect();
            ProductOut::of(p, own)
        })
        .collect())
}

pub async fn create(state: &AppState, actor: &Actor, input: ProductIn) -> ApiResult<ProductOut> {
    actor.require(permissions::PRODUCTS, Action::Write)?;
    let (fields, prices) = normalize(input)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let (scope, id) = (actor.scope(), crm_core::id::new_id(model::ID_PREFIX));
            check_sku(conn, &scope, &fields.sku, &id)?;
            model::insert(conn, &scope, &id, &fields)?;
            model::set_prices(conn, &scope, &id, &prices)?;
            PRODUCTS.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<ProductOut> {
    actor.require(permissions::PRODUCTS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: ProductsQuery) -> ApiResult<Page<ProductOut>> {
    actor.require(permissions::PRODUCTS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let filters = Filters { active: query.active, sku: query.sku };
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
        |p| model::SORTS.position(&plan, p),
        |p| shown_rows.iter().find(|s| s.id == p.id).cloned().unwrap_or_else(|| ProductOut::of(p, Vec::new())),
    ))
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: ProductPatch,
    if_match: Option<i64>,
) -> ApiResult<ProductOut> {
    actor.require(permissions::PRODUCTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            PRODUCTS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let mut draft = ProductIn {
                    sku: before.sku.clone(),
                    name: before.name.clone(),
                    description: before.description.clone(),
                    active: Some(before.active),
                    prices: Some(before.prices.clone()),
                };
                let nulls = [
                    ("/sku", patch.sku == Patch::Null),
                    ("/name", patch.name == Patch::Null),
                    ("/active", patch.active == Patch::Null),
                ];
                for (field, required) in nulls {
                    if required {
                        return Err(ApiError::invalid_field(field, "required", "cannot be null"));
                    }
                }
                if let Patch::Value(sku) = patch.sku {
                    draft.sku = sku;
                }
                if let Patch::Value(name) = patch.name {
                    draft.name = name;
                }
                patch.description.apply_to(&mut draft.description);
                patch.active.apply_to(&mut draft.active);
                patch.prices.apply_to(&mut draft.prices);
                validator::Validate::validate(&draft)
                    .map_err(|e| ApiError::validation(crm_core::http::field_errors(&e)))?;
                let (fields, prices) = normalize(draft)?;
                let scope = actor.scope();
                let current: Vec<(String, i64)> =
                    before.prices.iter().map(|m| (m.currency.clone(), m.amount)).collect();
                let unchanged = fields.sku == before.sku
                    && fields.name == before.name
                    && fields.description == before.description
                    && fields.active == before.active;
                if unchanged && prices == current {
                    return Ok(Edit::Unchanged);
                }
                check_sku(conn, &scope, &fields.sku, &id)?;
                model::update(conn, &scope, &id, &fields)?;
                if prices != current {
                    model::set_prices(conn, &scope, &id, &prices)?;
                }
                Ok(Edit::Changed)
            })
        })
        .await
}

/// Deletes a product no line names (one that was sold is deactivated instead).
pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::PRODUCTS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            PRODUCTS.delete(conn, &actor, &id, if_match, |conn, _| {
                let scope = actor.scope();
                if crate::line_item::model::product_used(conn, &scope, &id)? {
                    return Err(ApiError::conflict(
                        "product_in_use",
                        "Deals, quotes or orders name this product: deactivate it instead (`active: false`).",
                    ));
                }
                model::delete(conn, &scope, &id)
            })?;
            Ok(())
        })
        .await
}
