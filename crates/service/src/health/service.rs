//! Health scores: computed from the database on change (a job per company, enqueued in the
//! changing transaction) and nightly (every company), stored with their components.

use chrono::{Duration, NaiveDateTime};
use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult};
use crm_core::schema::{activities, activity_links, companies, contact_companies};
use crm_core::scope::Scope;
use crm_core::sql::{Piece, Statement};
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};
use diesel::prelude::*;
use serde_json::json;

use super::dto::{Band, Component, HealthOut, HealthSettingsIn, HealthSettingsOut, Weights};
use crate::permissions;
use crate::schema::{company_health, health_settings, survey_responses, ticket_ratings, tickets};

/// The job that recomputes one company's health.
pub const COMPANY_KIND: &str = "service.company_health";
/// The nightly job that recomputes every company's.
pub const NIGHTLY_KIND: &str = "service.health_nightly";
/// Companies recomputed per transaction at night.
const CHUNK: i64 = 200;

const SETTINGS: Versioned<HealthSettingsOut> = Versioned {
    table: "health_settings",
    org_column: "org_id",
    resource: "health_settings",
    load: |conn, scope, _| load_settings(conn, scope),
    load_locked: None,
    version: |s| s.version,
};

fn load_settings(conn: &mut DbConnection, scope: &Scope) -> ApiResult<HealthSettingsOut> {
    let row: Option<(String, i64)> = health_settings::table
        .filter(health_settings::org_id.eq(scope.org_id()))
        .filter(health_settings::id.eq(scope.org_id()))
        .select((health_settings::weights, health_settings::version))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((weights, version)) => {
            HealthSettingsOut { weights: serde_json::from_str(&weights).unwrap_or_default(), version }
        }
        None => HealthSettingsOut { weights: Weights::default(), version: 0 },
    })
}

pub async fn get_settings(state: &AppState, actor: &Actor) -> ApiResult<HealthSettingsOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load_settings(conn, &scope)).await
}

/// Sets the weights (`health_settings.updated`); scores follow on their next computation.
pub async fn put_settings(state: &AppState, actor: &Actor, input: HealthSettingsIn) -> ApiResult<HealthSettingsOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    let w = input.weights;
    if w.ticket_trend + w.csat + w.nps + w.engagement + w.overdue_invoices == 0 {
        return Err(ApiError::invalid_field("/weights", "all_zero", "at least one component must count"));
    }
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            let now = crm_core::time::now();
            let org = || Piece::text(scope.org_id());
            let mut pieces = crm_core::sql::insert_row(
                "health_settings",
                vec![
                    ("id", org()),
                    ("org_id", org()),
                    ("weights", Piece::text("{}")),
                    ("version", Piece::BigInt(0)),
                    ("created_at", Piece::Time(now)),
                    ("updated_at", Piece::Time(now)),
                ],
            );
            pieces.push(Piece::Sql(" ON CONFLICT (org_id, id) DO NOTHING".into()));
            Statement::new(pieces).execute(conn)?;
            let id = scope.org_id().to_string();
            SETTINGS.update(conn, &actor, &id, None, "updated", |conn, before| {
                if before.weights == w && before.version > 0 {
                    return Ok(Edit::Unchanged);
                }
                let set = vec![("weights", Piece::Text(serde_json::to_string(&w)?)), ("updated_at", Piece::Time(now))];
                crm_core::sql::update_record("health_settings", scope.org_id(), scope.org_id(), set).execute(conn)?;
                Ok(Edit::Changed)
            })
        })
        .await
}

fn component(name: &str, weight: i32, score: Option<i32>, detail: serde_json::Value) -> Component {
    Component { name: name.to_string(), weight, score: score.map(|s| s.clamp(0, 100)), detail }
}

/// The company's health now, from the database.
pub fn compute(conn: &mut DbConnection, scope: &Scope, company_id: &str, weights: &Weights) -> ApiResult<HealthOut> {
    let now = crm_core::time::now();
    let org = scope.org_id().to_string();
    let count_between = |conn: &mut DbConnection, from: NaiveDateTime, to: NaiveDateTime| -> ApiResult<i64> {
        Ok(tickets::table
            .filter(tickets::org_id.eq(&org))
            .filter(tickets::company_id.eq(company_id))
            .filter(tickets::deleted_at.is_null())
            .filter(tickets::created_at.ge(from))
            .filter(tickets::created_at.lt(to))
            .count()
            .get_result(conn)?)
    };
    let recent = count_between(conn, now - Duration::days(30), now)?;
    let previous = count_between(conn, now - Duration::days(60), now - Duration::days(30))?;
    // More tickets than the month before is trouble: half the score per 100% more.
    let trend = if recent <= previous { 100 } else { (100 - (recent - previous) * 50 / previous.max(1)) as i32 };
    let trend = component(
        "ticket_trend",
        weights.ticket_trend,
        Some(trend),
        json!({"last_30_days": recent, "previous_30_days": previous}),
    );

    let ratings: Vec<i32> = ticket_ratings::table
        .inner_join(
            tickets::table
                .on(tickets::org_id.eq(ticket_ratings::org_id).and(tickets::id.eq(ticket_ratings::ticket_id))),
        )
        .filter(ticket_ratings::org_id.eq(&org))
        .filter(tickets::company_id.eq(company_id))
        .filter(ticket_ratings::updated_at.ge(now - Duration::days(90)))
        .select(ticket_ratings::score)
        .load(conn)?;
    let average =
        (!ratings.is_empty()).then(|| ratings.iter().map(|s| f64::from(*s)).sum::<f64>() / ratings.len() as f64);
    let csat = component(
        "csat",
        weights.csat,
        average.map(|a| ((a - 1.0) / 4.0 * 100.0).round() as i32),
        json!({"ratings": ratings.len(), "average": average.map(|a| (a * 10.0).round() / 10.0)}),
    );

    let people: Vec<String> = contact_companies::table
        .filter(contact_companies::org_id.eq(&org))
        .filter(contact_companies::company_id.eq(company_id))
        .select(contact_companies::contact_id)
        .load(conn)?;
    let scores: Vec<i32> = survey_responses::table
        .filter(survey_responses::org_id.eq(&org))
        .filter(survey_responses::contact_id.eq_any(&people))
        .filter(survey_responses::created_at.ge(now - Duration::days(180)))
        .select(survey_responses::score)
        .load(conn)?;
    let n = scores.len() as i64;
    let net = (n > 0).then(|| {
        let promoters = scores.iter().filter(|s| **s >= 9).count() as i64;
        let detractors = scores.iter().filter(|s| **s <= 6).count() as i64;
        (promoters - detractors) * 100 / n
    });
    let nps = component("nps", weights.nps, net.map(|v| ((v + 100) / 2) as i32), json!({"responses": n, "nps": net}));

    // The last activity with the company or one of its people, or the last ticket they opened.
    let mut records = people;
    records.push(company_id.to_string());
    let activity: Option<NaiveDateTime> = activities::table
        .inner_join(
            activity_links::table
                .on(activity_links::org_id.eq(activities::org_id).and(activity_links::activity_id.eq(activities::id))),
        )
        .filter(activities::org_id.eq(&org))
        .filter(activity_links::record_id.eq_any(&records))
        .filter(activities::occurred_at.le(now))
        .select(diesel::dsl::max(activities::occurred_at))
        .first(conn)?;
    let ticket: Option<NaiveDateTime> = tickets::table
        .filter(tickets::org_id.eq(&org))
        .filter(tickets::company_id.eq(company_id))
        .select(diesel::dsl::max(tickets::created_at))
        .first(conn)?;
    let last = activity.max(ticket);
    let days = last.map(|at| (now - at).num_days());
    // Within two weeks is engaged; silence wears the score down to nothing at 180 days.
    let engaged = days.map(|d| if d <= 14 { 100 } else { (100 - (d - 14) * 100 / 166) as i32 });
    let engagement = component(
        "engagement",
        weights.engagement,
        engaged,
        json!({"last_activity_at": last.map(|t| crm_core::time::format(&t)), "days": days}),
    );
    let invoices =
        component("overdue_invoices", weights.overdue_invoices, None, json!({"reason": "no accounting data"}));

    let components = vec![trend, csat, nps, engagement, invoices];
    let counted: Vec<&Component> = components.iter().filter(|c| c.weight > 0 && c.score.is_some()).collect();
    let total: i32 = counted.iter().map(|c| c.weight).sum();
    let score = (total > 0).then(|| {
        let sum: i64 = counted.iter().map(|c| i64::from(c.weight) * i64::from(c.score.unwrap_or(0))).sum();
        ((sum as f64) / f64::from(total)).round() as i32
    });
    Ok(HealthOut { company_id: company_id.to_string(), score, band: Band::of(score), components, computed_at: now })
}

fn store(conn: &mut DbConnection, scope: &Scope, health: &HealthOut) -> ApiResult<()> {
    let mut pieces = crm_core::sql::insert_row(
        "company_health",
        vec![
            ("org_id", Piece::text(scope.org_id())),
            ("company_id", Piece::text(&health.company_id)),
            ("score", Piece::OptionalBigInt(health.score.map(i64::from))),
            ("band", Piece::text(health.band.as_str())),
            ("components", Piece::Text(serde_json::to_string(&health.components)?)),
            ("computed_at", Piece::Time(health.computed_at)),
        ],
    );
    pieces.push(Piece::Sql(
        " ON CONFLICT (org_id, company_id) DO UPDATE SET score = excluded.score, band = excluded.band, \
         components = excluded.components, computed_at = excluded.computed_at"
            .into(),
    ));
    Statement::new(pieces).execute(conn)?;
    Ok(())
}

fn stored(conn: &mut DbConnection, scope: &Scope, company_id: &str) -> ApiResult<Option<HealthOut>> {
    let row: Option<(Option<i32>, String, NaiveDateTime)> = company_health::table
        .filter(company_health::org_id.eq(scope.org_id()))
        .filter(company_health::company_id.eq(company_id))
        .select((company_health::score, company_health::components, company_health::computed_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(score, components, computed_at)| HealthOut {
        company_id: company_id.to_string(),
        score,
        band: Band::of(score),
        components: serde_json::from_str(&components).unwrap_or_default(),
        computed_at,
    }))
}

fn visible_company(conn: &mut DbConnection, scope: &Scope, id: &str) -> ApiResult<()> {
    crm_contacts::company::model::find(conn, scope, id)?.map(|_| ()).ok_or_else(|| ApiError::not_found("company"))
}

/// A company's health as last computed (computed now when it never was).
pub async fn get(state: &AppState, actor: &Actor, company_id: String) -> ApiResult<HealthOut> {
    actor.require(permissions::TICKETS, Action::Read)?;
    actor.require(crm_contacts::permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .read(move |conn| {
            visible_company(conn, &scope, &company_id)?;
            match stored(conn, &scope, &company_id)? {
                Some(health) => Ok(health),
                None => {
                    let weights = load_settings(conn, &scope)?.weights;
                    compute(conn, &scope, &company_id, &weights)
                }
            }
        })
        .await
}

/// Recomputes a company's health now and keeps it.
pub async fn recompute(state: &AppState, actor: &Actor, company_id: String) -> ApiResult<HealthOut> {
    actor.require(permissions::TICKETS, Action::Write)?;
    actor.require(crm_contacts::permissions::CONTACTS, Action::Read)?;
    let scope = actor.scope();
    state
        .db
        .write(move |conn| {
            visible_company(conn, &scope, &company_id)?;
            let weights = load_settings(conn, &scope)?.weights;
            let health = compute(conn, &scope, &company_id, &weights)?;
            store(conn, &scope, &health)?;
            Ok(health)
        })
        .await
}

/// Queues the recomputation of a company's health (in the changing transaction).
pub(crate) fn queue(conn: &mut DbConnection, actor: &Actor, company_id: &str) -> ApiResult<()> {
    Statement::new(queued(actor, company_id)?).execute(conn)?;
    Ok(())
}

/// The `INSERT` of [`queue`], for a statement that writes more (a ticket's creation).
pub(crate) fn queued(actor: &Actor, company_id: &str) -> ApiResult<Vec<Piece>> {
    let payload = json!({ "company_id": company_id });
    Ok(crm_core::jobs::model::enqueued(actor, COMPANY_KIND, &payload, &json!({}), 3)?.1)
}

pub fn run_company(ctx: &crm_core::jobs::JobContext) -> Result<(), crm_core::jobs::JobError> {
    let company_id = ctx.payload["company_id"].as_str().unwrap_or_default().to_string();
    ctx.write(|conn| {
        let scope = ctx.actor.scope().unrestricted();
        let weights = load_settings(conn, &scope)?.weights;
        let health = compute(conn, &scope, &company_id, &weights)?;
        store(conn, &scope, &health)
    })?;
    Ok(())
}

/// Every live company of the organization, [`CHUNK`] per transaction.
pub fn run_nightly(ctx: &crm_core::jobs::JobContext) -> Result<(), crm_core::jobs::JobError> {
    let org_id = ctx.actor.org_id.clone();
    let mut after = String::new();
    loop {
        let ids: Vec<String> = ctx.read(|conn| {
            Ok(companies::table
                .filter(companies::org_id.eq(&org_id))
                .filter(companies::deleted_at.is_null())
                .filter(companies::id.gt(&after))
                .select(companies::id)
                .order(companies::id.asc())
                .limit(CHUNK)
                .load(conn)?)
        })?;
        let Some(last) = ids.last() else { return Ok(()) };
        after = last.clone();
        ctx.write(|conn| {
            let scope = ctx.actor.scope().unrestricted();
            let weights = load_settings(conn, &scope)?.weights;
            for id in &ids {
                let health = compute(conn, &scope, id, &weights)?;
                store(conn, &scope, &health)?;
            }
            Ok(())
        })?;
    }
}
