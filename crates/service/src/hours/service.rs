//! Business hours: read, replaced whole (`business_hours.updated`), and the calendar SLA
//! targets count in.

use crm_core::auth::{Action, Actor};
use crm_core::db::DbConnection;
use crm_core::error::{ApiError, ApiResult, FieldError};
use crm_core::scope::Scope;
use crm_core::state::AppState;
use crm_core::write::{Edit, Versioned};

use super::calendar::Calendar;
use super::dto::{BusinessHoursIn, BusinessHoursOut, Period, Week};
use super::model::{self, RECORD_TYPE};
use crate::permissions;

const HOURS: Versioned<BusinessHoursOut> = Versioned {
    table: "business_hours",
    org_column: "org_id",
    resource: RECORD_TYPE,
    load: |conn, scope, _| load(conn, scope),
    load_locked: None,
    version: |h| h.version,
};

fn load(conn: &mut DbConnection, scope: &Scope) -> ApiResult<BusinessHoursOut> {
    Ok(match model::find(conn, scope)? {
        Some(h) => BusinessHoursOut {
            time_zone: h.time_zone,
            week: serde_json::from_str(&h.week).unwrap_or_default(),
            holidays: serde_json::from_str(&h.holidays).unwrap_or_default(),
            updated_at: Some(h.updated_at),
            version: h.version,
        },
        None => BusinessHoursOut {
            time_zone: "UTC".into(),
            week: Week::default(),
            holidays: Vec::new(),
            updated_at: None,
            version: 0,
        },
    })
}

/// `HH:MM` as minutes since midnight (`24:00` only as an end).
fn minutes(text: &str, end: bool) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if end => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// A day's periods as minutes, checked: each starts before it ends, none overlap.
fn periods(day: &str, periods: &[Period], errors: &mut Vec<FieldError>) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for (i, p) in periods.iter().enumerate() {
        let pointer = format!("/week/{day}/{i}");
        match (minutes(&p.start, false), minutes(&p.end, true)) {
            (Some(s), Some(e)) if s < e => out.push((s, e)),
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(pointer, "invalid_period", "a period starts before it ends"))
            }
            _ => errors.push(FieldError::new(pointer, "invalid_time", "times are HH:MM, 00:00 to 24:00")),
        }
    }
    out.sort();
    if out.windows(2).any(|w| w[1].0 < w[0].1) {
        errors.push(FieldError::new(format!("/week/{day}"), "overlapping_periods", "a day's periods must not overlap"));
    }
    out
}

/// The calendar of a stored or given set of hours (a bad one is calendar time: it was checked
/// when stored).
fn calendar_of(hours: &BusinessHoursOut) -> Result<Calendar, Vec<FieldError>> {
    let mut errors = Vec::new();
    let week = hours.week.days().map(|(day, p)| periods(day, p, &mut errors));
    let calendar = Calendar::new(&hours.time_zone, week, &hours.holidays);
    match calendar {
        Ok(calendar) if errors.is_empty() => Ok(calendar),
        Ok(_) => Err(errors),
        Err(wrong) => {
            errors.push(wrong);
            Err(errors)
        }
    }
}

/// The organization's business calendar.
pub fn calendar(conn: &mut DbConnection, scope: &Scope) -> ApiResult<Calendar> {
    Ok(calendar_of(&load(conn, scope)?).unwrap_or_else(|_| Calendar::always_open()))
}

pub async fn get(state: &AppState, actor: &Actor) -> ApiResult<BusinessHoursOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Read)?;
    let scope = actor.scope();
    state.db.read(move |conn| load(conn, &scope)).await
}

/// Replaces the business hours (`business_hours.updated`). Due times already set stay as they
/// were counted.
pub async fn put(
    state: &AppState,
    actor: &Actor,
    input: BusinessHoursIn,
    if_match: Option<i64>,
) -> ApiResult<BusinessHoursOut> {
    actor.require(permissions::SERVICE_SETTINGS, Action::Write)?;
    let mut holidays = input.holidays.clone();
    holidays.sort();
    holidays.dedup();
    let given = BusinessHoursOut {
        time_zone: input.time_zone.trim().to_string(),
        week: input.week,
        holidays,
        updated_at: None,
        version: 0,
    };
    calendar_of(&given).map_err(ApiError::validation)?;
    let actor = actor.clone();
    state
        .db
        .write(move |conn| {
            let scope = actor.scope();
            model::ensure(conn, &scope)?;
            let id = scope.org_id().to_string();
            HOURS.update(conn, &actor, &id, if_match, "updated", |conn, before| {
                let fresh = before.version == 0;
                if before.time_zone == given.time_zone
                    && before.week == given.week
                    && before.holidays == given.holidays
                    && !fresh
                {
                    return Ok(Edit::Unchanged);
                }
                let (week, holidays) = (serde_json::to_string(&given.week)?, serde_json::to_string(&given.holidays)?);
                model::set(conn, &scope, &given.time_zone, &week, &holidays)?;
                Ok(Edit::Changed)
            })
        })
        .await
}
