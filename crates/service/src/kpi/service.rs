//! Service KPIs, computed from the tickets created in the period (read once, with only the
//! columns the figures need) and, for the backlog, counted by the database.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use crm_core::auth::{Action, Actor};
use crm_core::error::{ApiError, ApiResult};
use crm_core::state::AppState;
use diesel::prelude::*;

use super::dto::{Attainment, Backlog, Bucket, Durations, Interval, KpisOut, KpisQuery, SlaAttainment};
use crate::hours::calendar::Calendar;
use crate::permissions;
use crate::schema::{ticket_comments, tickets};
use crate::ticket::model::{OWNER, RECORD_TYPE};

type Row = (
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    i32,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] })
}

fn rounded(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn durations(pairs: &[(NaiveDateTime, NaiveDateTime)], calendar: &Calendar) -> Durations {
    let calendar_minutes: Vec<f64> = pairs.iter().map(|(a, b)| (*b - *a).num_seconds().max(0) as f64 / 60.0).collect();
    let business_minutes: Vec<f64> = pairs.iter().map(|(a, b)| calendar.between(*a, *b) as f64 / 60.0).collect();
    let average = |v: &[f64]| (!v.is_empty()).then(|| rounded(v.iter().sum::<f64>() / v.len() as f64));
    Durations {
        count: pairs.len() as i64,
        average_minutes: average(&calendar_minutes),
        median_minutes: median(calendar_minutes).map(rounded),
        average_business_minutes: average(&business_minutes),
        median_business_minutes: median(business_minutes).map(rounded),
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

fn attainment(met: i64, breached: i64) -> Attainment {
    Attainment { met, breached, rate: ratio(met, met + breached) }
}

/// The start of the bucket a day falls in.
fn bucket(day: NaiveDate, interval: Interval) -> NaiveDate {
    match interval {
        Interval::Day => day,
        Interval::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
        Interval::Month => day.with_day(1).unwrap_or(day),
    }
}

/// A reporting period, `from` to the day before `to` (UTC): by default the last 30 days, at
/// most 366 (422 otherwise). KPIs and survey scores take the same.
pub(crate) fn period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> ApiResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or(crm_core::time::now().date() + Duration::days(1));
    let from = from.unwrap_or(to - Duration::days(30));
    if to <= from || (to - from).num_days() > 366 {
        return Err(ApiError::invalid_field("/to", "invalid_period", "to is after from, at most 366 days later"));
    }
    Ok((from, to))
}

pub async fn kpis(state: &AppState, actor: &Actor, query: KpisQuery) -> ApiResult<KpisOut> {
    actor.require(permissions::TICKETS, Action::Read)?;
    let now = crm_core::time::now();
    let (from, to) = period(query.from, query.to)?;
    let interval = query.interval.unwrap_or(Interval::Day);
    let scope = actor.scope();
    let (start, end) = (from.and_hms_opt(0, 0, 0).unwrap_or_default(), to.and_hms_opt(0, 0, 0).unwrap_or_default());
    let (rows, replies, by_status, ages, calendar) = state
        .db
        .read(move |conn| {
            let org = scope.org_id().to_string();
            let in_period = || {
                let mut q = tickets::table
                    .filter(tickets::org_id.eq(org.clone()))
                    .filter(tickets::deleted_at.is_null())
                    .filter(tickets::created_at.ge(start))
                    .filter(tickets::created_at.lt(end))
                    .into_boxed();
                if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
                    q = q.filter(visible);
                }
                q
            };
            let rows: Vec<Row> = in_period()
                .select((
                    tickets::id,
                    tickets::status,
                    tickets::channel,
                    tickets::created_at,
                    tickets::first_responded_at,
                    tickets::solved_at,
                    tickets::reopened_count,
                    tickets::first_response_due_at,
                    tickets::resolution_due_at,
                    tickets::sla_paused_at,
                ))
                .load(conn)?;
            // Agents' public replies per solved ticket of the period, for first-contact resolution.
            let solved: Vec<&str> =
                rows.iter().filter(|r| matches!(r.1.as_str(), "solved" | "closed")).map(|r| r.0.as_str()).collect();
            let mut replies: Vec<(String, i64)> = Vec::new();
            for chunk in solved.chunks(1000) {
                replies.extend(
                    ticket_comments::table
                        .filter(ticket_comments::org_id.eq(org.clone()))
                        .filter(ticket_comments::ticket_id.eq_any(chunk))
                        .filter(ticket_comments::visibility.eq("public"))
                        .filter(ticket_comments::author_type.ne("contact"))
                        .group_by(ticket_comments::ticket_id)
                        .select((ticket_comments::ticket_id, diesel::dsl::count_star()))
                        .load::<(String, i64)>(conn)?,
                );
            }
            let unsolved = || {
                let mut q = tickets::table
                    .filter(tickets::org_id.eq(org.clone()))
                    .filter(tickets::deleted_at.is_null())
                    .filter(tickets::status.ne_all(["solved", "closed"]))
                    .into_boxed();
                if let Some(visible) = scope.visible(RECORD_TYPE, OWNER) {
                    q = q.filter(visible);
                }
                q
            };
            let mut by_status = Vec::new();
            for status in ["new", "open", "pending", "on_hold"] {
                let n: i64 = unsolved().filter(tickets::status.eq(status)).count().get_result(conn)?;
                by_status.push((status.to_string(), n));
            }
            let mut ages = Vec::new();
            for days in [1, 3, 7] {
                let n: i64 =
                    unsolved().filter(tickets::created_at.gt(now - Duration::days(days))).count().get_result(conn)?;
                ages.push(n);
            }
            let calendar = crate::hours::service::calendar(conn, &scope)?;
            Ok((rows, replies, by_status, ages, calendar))
        })
        .await?;

    let replies: BTreeMap<String, i64> = replies.into_iter().collect();
    let mut by_channel = BTreeMap::new();
    let mut volume: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut day = bucket(from, interval);
    while day < to {
        volume.insert(day, 0);
        day = match interval {
            Interval::Day => day + Duration::days(1),
            Interval::Week => day + Duration::days(7),
            Interval::Month => day.checked_add_months(chrono::Months::new(1)).unwrap_or(to),
        };
    }
    let (mut responded, mut resolved) = (Vec::new(), Vec::new());
    let (mut solved, mut first_contact, mut reopened) = (0, 0, 0);
    let (mut fr_met, mut fr_breached, mut res_met, mut res_breached) = (0, 0, 0, 0);
    for (id, status, channel, created, first_response, solved_at, reopens, fr_due, res_due, paused) in &rows {
        *by_channel.entry(channel.clone()).or_insert(0) += 1;
        *volume.entry(bucket(created.date(), interval)).or_insert(0) += 1;
        if let Some(at) = first_response {
            responded.push((*created, *at));
        }
        let done = matches!(status.as_str(), "solved" | "closed");
        if let (true, Some(at)) = (done, solved_at) {
            resolved.push((*created, *at));
        }
        if done {
            solved += 1;
            if *reopens == 0 && replies.get(id).copied().unwrap_or(0) <= 1 {
                first_contact += 1;
            }
        }
        if *reopens > 0 {
            reopened += 1;
        }
        if let Some(due) = fr_due {
            match first_response {
                Some(at) if at <= due => fr_met += 1,
                Some(_) => fr_breached += 1,
                None if now > *due => fr_breached += 1,
                None => {}
            }
        }
        if let Some(due) = res_due {
            match (solved_at.filter(|_| done), paused) {
                (Some(at), _) if at <= *due => res_met += 1,
                (Some(_), _) => res_breached += 1,
                (None, Some(p)) if p > due => res_breached += 1,
                (None, None) if now > *due => res_breached += 1,
                _ => {}
            }
        }
    }
    let total: i64 = by_status.iter().map(|(_, n)| n).sum();
    let backlog = Backlog {
        total,
        by_status: by_status.into_iter().collect(),
        by_age: BTreeMap::from([
            ("under_1_day".to_string(), ages[0]),
            ("1_to_3_days".to_string(), ages[1] - ages[0]),
            ("3_to_7_days".to_string(), ages[2] - ages[1]),
            ("over_7_days".to_string(), total - ages[2]),
        ]),
    };
    Ok(KpisOut {
        from: from.to_string(),
        to: to.to_string(),
        tickets_created: rows.len() as i64,
        by_channel,
        volume: volume.into_iter().map(|(start, tickets)| Bucket { start: start.to_string(), tickets }).collect(),
        first_response: durations(&responded, &calendar),
        resolution: durations(&resolved, &calendar),
        solved,
        first_contact_resolution_rate: ratio(first_contact, solved),
        reopen_rate: ratio(
            reopened,
            solved + rows.iter().filter(|r| r.6 > 0 && !matches!(r.1.as_str(), "solved" | "closed")).count() as i64,
        ),
        sla: SlaAttainment {
            first_response: attainment(fr_met, fr_breached),
            resolution: attainment(res_met, res_breached),
        },
        backlog,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_buckets() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        let day = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        assert_eq!(bucket(day, Interval::Week), NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        assert_eq!(bucket(day, Interval::Month), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(ratio(1, 3), Some(0.333));
        assert_eq!(ratio(1, 0), None);
    }
}
