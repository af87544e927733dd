//! Quota use cases: each write one transaction, with its audit row and event; every quota is
//! shown with its attainment.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::http::{Page, page};
use crm_core::money::Money;
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::dto::{Attainment, QuotaIn, QuotaOut, QuotaPatch, QuotasQuery};
use super::model::{self, Filters, Quota, RECORD_TYPE};
use crate::currency::service::Rates;
use crate::forecast::model::{Grouping, sums};
use crate::forecast::service::parse_period;
use crate::permissions;

const QUOTAS: Versioned<QuotaOut> = Versioned {
    table: "quotas",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load,
    load_locked: None,
    version: |q| q.version,
};

fn load(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<QuotaOut> {
    let quota = model::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("quota"))?;
    let rates = Rates::load(conn, scope)?;
    shown(conn, scope, &rates, quota)
}

/// A quota with the user's won deals closing in its period (all of them, whoever looks).
fn shown(conn: &mut DbConnection, scope: &Scope, rates: &Rates, q: Quota) -> ApiResult<QuotaOut> {
    let (start, end) = parse_period(&q.period)?;
    let won = sums(
        conn,
        &scope.unrestricted(),
        Grouping::None,
        &start.to_string(),
        &end.to_string(),
        None,
        Some(&q.user_id),
    )?;
    let mut closed_won = 0;
    let mut unconverted = Vec::new();
    for sum in won.iter().filter(|s| s.status == "won") {
        let currency = sum.currency.clone().unwrap_or_else(|| rates.base.clone());
        match rates.to_base(sum.amount.unwrap_or(0), &currency) {
            Some(amount) => closed_won += amount,
            None => unconverted.push(currency),
        }
    }
    let quota = rates.to_base(q.amount, &q.currency);
    let percent =
        quota.filter(|amount| *amount > 0).map(|amount| (closed_won as f64 * 10_000.0 / amount as f64).round() / 100.0);
    let base = |amount| Money { amount, currency: rates.base.clone() };
    Ok(QuotaOut {
        id: q.id,
        user_id: q.user_id,
        period: q.period,
        start: start.to_string(),
        end: end.to_string(),
        amount: Money { amount: q.amount, currency: q.currency },
        attainment: Attainment {
            closed_won: base(closed_won),
            quota: base(quota.unwrap_or(0)),
            percent,
            unconverted_currencies: unconverted,
        },
        created_at: q.created_at,
        updated_at: q.updated_at,
        version: q.version,
    })
}

pub async fn create(state: &AppState, actor: &Actor, input: QuotaIn) -> ApiResult<QuotaOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    parse_period(&input.period).map_err(|_| {
        ApiError::invalid_field("/period", "invalid_period", "a quarter (2026-Q4), a month (2026-11) or a year (2026)")
    })?;
    input.amount.check("/amount")?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            // Invited users may have quotas already; deactivated ones get none.
            match crm_core::users::model::find(conn, &scope, &input.user_id)? {
                Some(user) if user.status != "deactivated" => {}
                _ => {
                    return Err(ApiError::invalid_field(
                        "/user_id",
                        "unknown_user",
                        "must be a user of the organization",
                    ));
                }
            }
            if let Some(holder) = model::holder(conn, &scope, &input.user_id, &input.period, "")? {
                return Err(ApiError::conflict(
                    "duplicate_quota",
                    format!("Quota {holder} is this user's for {}.", input.period),
                ));
            }
            let id = crm_core::id::new_id(model::ID_PREFIX);
            model::insert(
                conn,
                &scope,
                &id,
                &input.user_id,
                &input.period,
                input.amount.amount,
                &input.amount.currency,
            )?;
            QUOTAS.created(conn, &actor, &id)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, id: String) -> ApiResult<QuotaOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope, &id)).await
}

pub async fn list(state: &AppState, actor: &Actor, query: QuotasQuery) -> ApiResult<Page<QuotaOut>> {
    actor.require(permissions::SALES_SETTINGS, Action::Read)?;
    let plan = model::SORTS.plan(&query.paging(), &[])?;
    let filters = Filters { user_id: query.user_id, period: query.period };
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            let rows = model::list(conn, &scope, &filters, &plan)?;
            let Page { data, has_more, next_cursor } = page(rows, &plan, |q| model::SORTS.position(&plan, q), |q| q);
            let rates = Rates::load(conn, &scope)?;
            let data = data.into_iter().map(|q| shown(conn, &scope, &rates, q)).collect::<ApiResult<Vec<_>>>()?;
            Ok(Page { data, has_more, next_cursor })
        })
        .await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: String,
    patch: QuotaPatch,
    if_match: Option<i64>,
) -> ApiResult<QuotaOut> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    patch.amount.check("/amount")?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            QUOTAS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                if before.amount == patch.amount {
                    return Ok(Edit::Unchanged);
                }
                model::set_amount(conn, &actor.scope(), &id, patch.amount.amount, &patch.amount.currency)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

pub async fn delete(state: &AppState, actor: &Actor, id: String, if_match: Option<i64>) -> ApiResult<()> {
    actor.require(permissions::SALES_SETTINGS, Action::Write)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            QUOTAS.delete(conn, &actor, &id, if_match, |conn, _| model::delete(conn, &actor.scope(), &id))?;
            Ok(())
        })
        .await
}
