//! Sending: claim due deliveries with a lease, send each signed event, record each outcome and
//! schedule the next attempt.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use crm_core::db::DbConnection;
use crm_core::error::ApiResult;
use crm_core::events::dto::EventOut;
use crm_core::schema::events;
use crm_core::sql::{Fragment, Piece};
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::delivery::model::{Delivery, FAILED, PENDING, SUCCEEDED};
use crate::endpoint::model::Endpoint;
use crate::schema::{webhook_deliveries as deliveries, webhook_endpoints as endpoints};
use crate::settings::WebhookSettings;

/// What the receiver's answer keeps: its first KiB.
const BODY_KEPT: usize = 1024;

/// A claimed delivery, ready to send.
pub struct Claimed {
    pub delivery: Delivery,
    pub endpoint: Endpoint,
    /// The bytes sent (and signed): the event as the changes feed shows it (shared by the
    /// endpoints the event goes to).
    pub body: actix_web::web::Bytes,
}

/// Up to `limit` due deliveries (id, endpoint, its rate limit), oldest due first: those whose
/// endpoint is enabled and that no earlier pending event of the same record (to the same
/// endpoint) waits before. Read apart from the claim, so that an idle look never writes.
pub fn candidates(conn: &mut DbConnection, limit: i64) -> ApiResult<Vec<Candidate>> {
    let now = crm_core::time::now();
    let first_of_record = Fragment::<Bool>::new(vec![Piece::Sql(
        "NOT EXISTS (SELECT 1 FROM webhook_deliveries earlier \
         WHERE earlier.endpoint_id = webhook_deliveries.endpoint_id \
         AND earlier.record_key = webhook_deliveries.record_key \
         AND earlier.status = 'pending' AND earlier.event_seq < webhook_deliveries.event_seq)"
            .into(),
    )]);
    Ok(deliveries::table
        .inner_join(endpoints::table)
        .filter(endpoints::org_id.eq(deliveries::org_id))
        .filter(deliveries::status.eq(PENDING))
        .filter(deliveries::next_attempt_at.le(now))
        .filter(deliveries::lease_until.is_null().or(deliveries::lease_until.lt(now)))
        .filter(endpoints::enabled.eq(true))
        .filter(first_of_record)
        .order(deliveries::next_attempt_at.asc())
        .limit(limit)
        .select((deliveries::org_id, deliveries::id, deliveries::endpoint_id, endpoints::rate_limit_per_second))
        .load(conn)?)
}

/// A due delivery: its organization, id, endpoint and the endpoint's rate limit.
pub type Candidate = (String, String, String, Option<i32>);

/// Claims the `chosen` deliveries that are still claimable for `owner` until `until`, and
/// loads each with its endpoint and the bytes to send. Deliveries whose event was pruned fail
/// here; those whose event is not sequenced yet (a test event, for a moment) wait for the next
/// pass.
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    until: NaiveDateTime,
    chosen: &[(String, String)],
) -> ApiResult<Vec<Claimed>> {
    let now = crm_core::time::now();
    let mut by_org: HashMap<&str, Vec<&str>> = HashMap::new();
    for (org_id, id) in chosen {
        by_org.entry(org_id).or_default().push(id);
    }
    let (mut claimed, mut events) = (Vec::new(), HashMap::new());
    for (org_id, ids) in by_org {
        // Under READ COMMITTED a concurrent claimer waits for these rows, then finds them leased.
        let of_org = || deliveries::table.filter(deliveries::org_id.eq(org_id)).filter(deliveries::id.eq_any(&ids));
        diesel::update(
            of_org()
                .filter(deliveries::status.eq(PENDING))
                .filter(deliveries::lease_until.is_null().or(deliveries::lease_until.lt(now))),
        )
        .set((deliveries::lease_owner.eq(owner), deliveries::lease_until.eq(until)))
        .execute(conn)?;
        let held: Vec<(Delivery, Endpoint)> = of_org()
            .inner_join(endpoints::table)
            .filter(endpoints::org_id.eq(deliveries::org_id))
            .filter(deliveries::lease_owner.eq(owner))
            .filter(deliveries::lease_until.eq(until))
            .select((Delivery::as_select(), Endpoint::as_select()))
            .load(conn)?;
        let event_ids: Vec<&str> = held.iter().map(|(d, _)| d.event_id.as_str()).collect();
        let rows: Vec<crm_core::events::model::Event> = events::table
            .filter(events::org_id.eq(org_id))
            .filter(events::id.eq_any(&event_ids))
            .select(crm_core::events::model::Event::as_select())
            .load(conn)?;
        events.extend(rows.into_iter().map(|e| (e.id.clone(), e)));
        claimed.extend(held);
    }
    let mut bodies: HashMap<String, actix_web::web::Bytes> = HashMap::new();
    let mut ready = Vec::new();
    for (delivery, endpoint) in claimed {
        match events.get(&delivery.event_id) {
            Some(event) if event.seq.is_some() => {
                // Several endpoints' deliveries of one event share its bytes.
                let body = match bodies.get(&event.id) {
                    Some(body) => body.clone(),
                    None => {
                        let body =
                            actix_web::web::Bytes::from(serde_json::to_vec(&EventOut::from_row(event.clone())?)?);
                        bodies.insert(event.id.clone(), body.clone());
                        body
                    }
                };
                ready.push(Claimed { delivery, endpoint, body });
            }
            Some(_) => release(conn, &delivery, owner)?,
            None => give_up(conn, &delivery, owner, "the event is older than the retention period")?,
        }
    }
    Ok(ready)
}

fn release(conn: &mut DbConnection, delivery: &Delivery, owner: &str) -> ApiResult<()> {
    let held = deliveries::table
        .filter(deliveries::org_id.eq(&delivery.org_id))
        .filter(deliveries::id.eq(&delivery.id))
        .filter(deliveries::lease_owner.eq(owner));
    diesel::update(held)
        .set((deliveries::lease_owner.eq(None::<String>), deliveries::lease_until.eq(None::<NaiveDateTime>)))
        .execute(conn)?;
    Ok(())
}

fn give_up(conn: &mut DbConnection, delivery: &Delivery, owner: &str, why: &str) -> ApiResult<()> {
    let now = crm_core::time::now();
    let outcome = Outcome {
        delivery_id: delivery.id.clone(),
        endpoint_id: delivery.endpoint_id.clone(),
        org_id: delivery.org_id.clone(),
        attempt: delivery.attempts + 1,
        attempted_at: now,
        status: None,
        latency_ms: 0,
        body: None,
        error: Some(why.to_string()),
        retry_after: None,
    };
    save_outcomes(conn, owner, &[(&outcome, FAILED, None)])
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub delivery_id: String,
    pub endpoint_id: String,
    pub org_id: String,
    /// Its number: the delivery's attempts so far, plus one.
    pub attempt: i32,
    pub attempted_at: NaiveDateTime,
    pub status: Option<u16>,
    pub latency_ms: i32,
    pub body: Option<String>,
    pub error: Option<String>,
    pub retry_after: Option<Duration>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Sends one claimed delivery: Standard Webhooks headers, signed with the endpoint's keys (two
/// during a rotation's overlap); the bytes signed are the bytes sent.
pub async fn send(client: &reqwest::Client, allow_private: bool, claimed: &Claimed) -> Outcome {
    let (delivery, endpoint) = (&claimed.delivery, &claimed.endpoint);
    let attempted_at = crm_core::time::now();
    let timestamp = chrono::Utc::now().timestamp();
    let keys = endpoint.signing_keys(attempted_at);
    let signature = crm_core::signature::signature_header(&keys, &delivery.event_id, timestamp, &claimed.body);
    let mut outcome = Outcome {
        delivery_id: delivery.id.clone(),
        endpoint_id: endpoint.id.clone(),
        org_id: delivery.org_id.clone(),
        attempt: delivery.attempts + 1,
        attempted_at,
        status: None,
        latency_ms: 0,
        body: None,
        error: None,
        retry_after: None,
    };
    // A URL stored while private targets were allowed, or an address literal: checked here too.
    if let Some(why) = crate::dispatch::address::refusal(&endpoint.url, allow_private) {
        outcome.error = Some(format!("the URL {why}"));
        return outcome;
    }
    let started = Instant::now();
    let request = client
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(claimed.body.clone());
    match request.send().await {
        Ok(mut response) => {
            let status = response.status();
            outcome.status = Some(status.as_u16());
            outcome.retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            if status.is_redirection() {
                outcome.error = Some("redirects are not followed: point the endpoint at the final URL".into());
            }
            let mut kept = Vec::new();
            while kept.len() < BODY_KEPT {
                match response.chunk().await {
                    Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(BODY_KEPT - kept.len())]),
                    Ok(None) => break,
                    Err(e) => {
                        outcome.error.get_or_insert(format!("reading the answer: {e}"));
                        break;
                    }
                }
            }
            outcome.body = Some(String::from_utf8_lossy(&kept).into_owned());
        }
        Err(e) => outcome.error = Some(describe(&e)),
    }
    outcome.latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    outcome
}

/// A request error as an attempt shows it, with its cause (a refused address, a timeout…).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    match causes.last() {
        Some(root) => format!("{kind}: {root}"),
        None => format!("{kind}: {e}"),
    }
}

/// When an attempt that failed is tried again: the schedule's next delay, varied by up to 10%
/// either way, and never before the receiver's `Retry-After`; `None` once the schedule is done.
pub fn next_attempt(settings: &WebhookSettings, outcome: &Outcome) -> Option<NaiveDateTime> {
    let delay = *settings.retry_schedule.get(usize::try_from(outcome.attempt - 1).ok()?)?;
    let jitter = rand::random_range(0.9..1.1);
    let delay = delay.mul_f64(jitter).max(outcome.retry_after.unwrap_or_default());
    Some(outcome.attempted_at + chrono::Duration::from_std(delay).ok()?)
}

/// Records the outcomes of attempts this process made, in one transaction: each delivery's new
/// state (only while this process still holds it), its attempt, and what the endpoint's state
/// becomes (a 410 or failing for too long disables it, with a `webhook_endpoint.disabled` event).
pub fn record(conn: &mut DbConnection, settings: &WebhookSettings, owner: &str, outcomes: &[Outcome]) -> ApiResult<()> {
    let mut endpoint_results: HashMap<&str, (&Outcome, bool)> = HashMap::new();
    let mut states = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        let succeeded = outcome.succeeded();
        let (status, next) = if succeeded {
            (SUCCEEDED, None)
        } else {
            match next_attempt(settings, outcome) {
                Some(next) => (PENDING, Some(next)),
                None => (FAILED, None),
            }
        };
        states.push((outcome, status, next));
        let seen = endpoint_results.entry(&outcome.endpoint_id).or_insert((outcome, succeeded));
        seen.1 |= succeeded;
        if outcome.status == Some(410) {
            seen.0 = outcome;
        }
    }
    save_outcomes(conn, owner, &states)?;
    let now = crm_core::time::now();
    for (endpoint_id, (outcome, any_succeeded)) in endpoint_results {
        if outcome.status == Some(410) {
            crate::endpoint::service::disable(conn, &outcome.org_id, endpoint_id, "gone")?;
            continue;
        }
        crate::endpoint::model::note_outcome(conn, &outcome.org_id, endpoint_id, any_succeeded, now)?;
        if !any_succeeded {
            let since: Option<Option<NaiveDateTime>> = endpoints::table
                .filter(endpoints::org_id.eq(&outcome.org_id))
                .filter(endpoints::id.eq(endpoint_id))
                .select(endpoints::failing_since)
                .first(conn)
                .optional()?;
            let limit = chrono::Duration::from_std(settings.disable_after).unwrap_or(chrono::Duration::days(5));
            if since.flatten().is_some_and(|since| now - since >= limit) {
                crate::endpoint::service::disable(conn, &outcome.org_id, endpoint_id, "failing")?;
            }
        }
    }
    Ok(())
}

/// Each delivery's new state and its attempt, where this process still holds the delivery, in
/// two statements.
fn save_outcomes(
    conn: &mut DbConnection,
    owner: &str,
    states: &[(&Outcome, &'static str, Option<NaiveDateTime>)],
) -> ApiResult<()> {
    if states.is_empty() {
        return Ok(());
    }
    let now = crm_core::time::now();
    let rows: Vec<Vec<Piece>> = states
        .iter()
        .map(|(o, status, next)| {
            vec![
                Piece::text(&o.org_id),
                Piece::text(&o.delivery_id),
                Piece::text(status),
                Piece::BigInt(i64::from(o.attempt)),
                Piece::Time(next.unwrap_or(now)),
                Piece::OptionalBigInt(o.status.map(i64::from)),
            ]
        })
        .collect();
    // `VALUES` columns are column1, column2… on both backends.
    let mut update = vec![Piece::Sql(
        "UPDATE webhook_deliveries SET status = v.column3, attempts = v.column4, next_attempt_at = v.column5, \
         last_status = v.column6, lease_owner = NULL, lease_until = NULL, updated_at = "
            .into(),
    )];
    update.push(Piece::Time(now));
    update.push(Piece::Sql(" FROM (VALUES ".into()));
    update.extend(crm_core::sql::value_rows(rows));
    update.push(Piece::Sql(
        ") AS v WHERE webhook_deliveries.org_id = v.column1 AND webhook_deliveries.id = v.column2 \
         AND webhook_deliveries.lease_owner = "
            .into(),
    ));
    update.push(Piece::text(owner));
    Fragment::<diesel::sql_types::Untyped>::uncached(update).execute(conn)?;
    let attempts: Vec<Vec<Piece>> = states
        .iter()
        .map(|(o, _, next)| {
            vec![
                Piece::text(&o.org_id),
                Piece::text(&o.delivery_id),
                Piece::BigInt(i64::from(o.attempt)),
                Piece::Time(o.attempted_at),
                Piece::OptionalBigInt(o.status.map(i64::from)),
                Piece::BigInt(i64::from(o.latency_ms)),
                Piece::OptionalText(o.body.clone()),
                Piece::OptionalText(o.error.clone()),
                Piece::OptionalTime(*next),
            ]
        })
        .collect();
    // The attempts of the deliveries this statement's transaction just recorded (their
    // `updated_at` is its own): rows it holds, which a concurrent deletion of their endpoint
    // waits for. A delivery another process took over, or deleted meanwhile, keeps no attempt
    // of this one.
    let mut insert = vec![Piece::Sql(
        "INSERT INTO webhook_attempts (org_id, delivery_id, attempt, attempted_at, response_status, latency_ms, \
         response_body, error, next_attempt_at) SELECT v.column1, v.column2, v.column3, v.column4, v.column5, \
         v.column6, v.column7, v.column8, v.column9 FROM (VALUES "
            .into(),
    )];
    insert.extend(crm_core::sql::value_rows(attempts));
    insert.push(Piece::Sql(
        ") AS v WHERE EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.org_id = v.column1 \
         AND d.id = v.column2 AND d.lease_owner IS NULL AND d.updated_at = "
            .into(),
    ));
    insert.push(Piece::Time(now));
    insert.push(Piece::Sql(") ON CONFLICT DO NOTHING".into()));
    Fragment::<diesel::sql_types::Untyped>::uncached(insert).execute(conn)?;
    Ok(())
}

/// When the next pending delivery is due (the dispatcher sleeps until then at most).
pub fn next_due(conn: &mut DbConnection) -> ApiResult<Option<NaiveDateTime>> {
    Ok(deliveries::table
        .inner_join(endpoints::table)
        .filter(endpoints::org_id.eq(deliveries::org_id))
        .filter(deliveries::status.eq(PENDING))
        .filter(endpoints::enabled.eq(true))
        .select(diesel::dsl::min(deliveries::next_attempt_at))
        .first(conn)?)
}
