//! The changes feed: sequence what has committed, read after the reader's position, and
//! optionally wait for something new; the live stream; the listener that wakes them; pruning.

use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;

use super::dto::{EventOut, EventPage, EventsQuery};
use super::model::{self, Event, TypePattern};
use crate::auth::Actor;
use crate::db::{Backend, Db};
use crate::error::{ApiError, ApiResult};

/// How long a waiter sleeps when no wake-up comes: a safety net (a listener reconnecting),
/// not the path events take.
const FALLBACK_POLL: Duration = Duration::from_secs(1);
/// How often the listener looks for unstamped events: commits that land meanwhile share one
/// stamping (a transaction, a notification and the wake-ups of every waiter), for at most this
/// much delay before their events show.
const STAMPING_GAP: Duration = Duration::from_millis(10);

pub async fn feed(db: &Db, actor: &Actor, query: EventsQuery) -> ApiResult<EventPage> {
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request("invalid_after", "after must be 0 or more."));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request("invalid_limit", "limit must be between 1 and 1000."));
    }
    let wait = Duration::from_secs(query.wait.unwrap_or(0));
    if wait > Duration::from_secs(30) {
        return Err(ApiError::bad_request("invalid_wait", "wait must be between 0 and 30 seconds."));
    }
    let types = parse_types(query.types.as_deref())?;
    let deadline = Instant::now() + wait;
    let mut wakeups = db.events_changed();
    loop {
        wakeups.mark_unchanged();
        let mut rows = read_after(db, actor, after, &types, limit + 1, true).await?;
        if rows.is_empty() && Instant::now() < deadline {
            let left = deadline.saturating_duration_since(Instant::now()).min(FALLBACK_POLL);
            let _ = actix_web::rt::time::timeout(left, wakeups.changed()).await;
            continue;
        }
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_after = rows.last().and_then(|r| r.seq).unwrap_or(after);
        let data = rows.into_iter().map(EventOut::from_row).collect::<ApiResult<Vec<_>>>()?;
        return Ok(EventPage { data, has_more, next_after });
    }
}

/// The organization's events after `after` (410 when pruning passed it). With `sequence`, first
/// stamps what has committed (on PostgreSQL), so a reader sees every change that committed
/// before its request.
pub async fn read_after(
    db: &Db,
    actor: &Actor,
    after: i64,
    types: &[TypePattern],
    limit: i64,
    sequence: bool,
) -> ApiResult<Vec<Event>> {
    let (scope, types) = (actor.scope(), types.to_vec());
    db.read(move |conn| {
        if after > 0 && after < model::horizon(conn, scope.org_id())? {
            return Err(cursor_expired(after));
        }
        if sequence {
            model::sequence(conn, true)?;
        }
        model::list(conn, &scope, after, &types, limit)
    })
    .await
}

fn cursor_expired(after: i64) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::GONE,
        "cursor_expired",
        format!(
            "Events after {after} are older than the retention period and have been pruned; \
             start again from the current position (after=0)."
        ),
    )
}

pub fn parse_types(raw: Option<&str>) -> ApiResult<Vec<TypePattern>> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|t| {
            let t = t.trim();
            let valid = !t.is_empty()
                && t.len() <= 100
                && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.' || b == b'*');
            match t.strip_suffix(".*") {
                Some(prefix) if valid && !prefix.contains('*') && !prefix.is_empty() => {
                    Ok(TypePattern::Prefix(prefix.to_string()))
                }
                None if valid && !t.contains('*') => Ok(TypePattern::Exact(t.to_string())),
                _ => Err(ApiError::bad_request(
                    "invalid_types",
                    format!("{t:?} is not an event type or a pattern like contact.*."),
                )),
            }
        })
        .collect()
}

/// Stamps committed events in the background (PostgreSQL), as a safety net: the listener
/// ([`run_listener`]) stamps as soon as events are inserted.
pub async fn run_sequencer(db: Db) {
    if db.backend() != Backend::Postgres {
        return;
    }
    loop {
        match db.read(|conn| model::sequence(conn, false)).await {
            Ok(0) => {}
            Ok(_) => db.wake_event_listeners(),
            Err(e) => log::warn!("event sequencer: {e}"),
        }
        actix_web::rt::time::sleep(FALLBACK_POLL).await;
    }
}

/// On PostgreSQL, listens for events from every process sharing the database, on a connection
/// of its own in a thread of its own: after a write committed in this process, at most every
/// [`STAMPING_GAP`], it looks for unstamped events (one `EXISTS` on a partial index) and stamps
/// them; the stamping notifies `crm_events` when it commits, and every process's listener hears
/// that and wakes its waiters. Inserts do not notify: a NOTIFY makes the commits that send it
/// take turns (see the migration `events_unnotified_inserts`). libpq only reads notifications
/// when asked, so the thread asks every 2 ms (no query: a read of the socket).
pub fn run_listener(db: Db) {
    if db.backend() != Backend::Postgres {
        return;
    }
    let spawned = std::thread::Builder::new().name("crm-events-listener".into()).spawn(move || {
        loop {
            if let Err(e) = listen(&db) {
                log::warn!("event listener: {e}; reconnecting");
            }
            // Whatever was missed while not listening is found by the waiters' next read.
            db.wake_event_listeners();
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    if let Err(e) = spawned {
        log::error!("cannot start the event listener: {e}");
    }
}

fn listen(db: &Db) -> Result<(), String> {
    let mut conn = diesel::PgConnection::establish(db.url()).map_err(|e| e.to_string())?;
    conn.batch_execute("LISTEN crm_events").map_err(|e| e.to_string())?;
    db.wake_event_listeners();
    let mut looked = Instant::now();
    loop {
        let mut heard = false;
        for notification in conn.notifications_iter() {
            notification.map_err(|e| e.to_string())?;
            heard = true;
        }
        if looked.elapsed() >= STAMPING_GAP && db.take_committed() {
            looked = Instant::now();
            if model::any_unstamped(&mut conn).map_err(|e| e.to_string())? {
                // The stamping notifies every listener (this one included) when it commits.
                db.read_now(|conn| model::sequence(conn, false)).map_err(|e| e.detail)?;
            }
        }
        if heard {
            db.wake_event_listeners();
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// The scheduled prune of one organization's events older than the retention.
pub fn prune(ctx: &crate::jobs::JobContext) -> crate::jobs::JobResult {
    let days = ctx.state.config.event_retention_days;
    let before = crate::time::now() - chrono::Duration::days(days);
    let org_id = ctx.actor.org_id.clone();
    while ctx.write(|conn| model::prune(conn, &org_id, before, 5000))? > 0 {}
    Ok(())
}

/// The live stream's body: events after `after` (or after the current end), then each new
/// one as it becomes visible, with a heartbeat comment after `heartbeat` of silence.
pub async fn stream(
    db: Db,
    actor: Actor,
    after: Option<i64>,
    types: Option<&str>,
    heartbeat: Duration,
) -> ApiResult<impl futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::Error>> + 'static> {
    let types = parse_types(types)?;
    let after = match after {
        Some(after) => {
            // Checks the position now, so that an expired one is a 410 rather than a stream.
            read_after(&db, &actor, after, &types, 0, false).await?;
            after
        }
        None => {
            let scope = actor.scope();
            db.read(move |conn| {
                model::sequence(conn, true)?;
                model::last_seq(conn, scope.org_id())
            })
            .await?
        }
    };
    let wakeups = db.events_changed();
    let state = (db, actor, types, after, wakeups);
    Ok(futures_util::stream::unfold(state, move |(db, actor, types, after, mut wakeups)| async move {
        let started = Instant::now();
        loop {
            wakeups.mark_unchanged();
            let rows = match read_after(&db, &actor, after, &types, 500, false).await {
                Ok(rows) => rows,
                // A stream cannot turn into a problem: ending it makes the client reconnect.
                Err(e) => {
                    log::warn!("event stream: {e}");
                    return None;
                }
            };
            if let Some(last) = rows.last().and_then(|r| r.seq) {
                let mut chunk = String::new();
                for row in rows {
                    let (seq, event_type) = (row.seq.unwrap_or_default(), row.event_type.clone());
                    let Ok(event) = EventOut::from_row(row).and_then(|e| Ok(serde_json::to_string(&e)?)) else {
                        continue;
                    };
                    chunk.push_str(&format!("id: {seq}\nevent: {event_type}\ndata: {event}\n\n"));
                }
                let bytes = actix_web::web::Bytes::from(chunk);
                return Some((Ok(bytes), (db, actor, types, last, wakeups)));
            }
            let left = heartbeat.saturating_sub(started.elapsed());
            if left.is_zero() {
                let beat = actix_web::web::Bytes::from_static(b": heartbeat\n\n");
                return Some((Ok(beat), (db, actor, types, after, wakeups)));
            }
            let _ = actix_web::rt::time::timeout(left.min(FALLBACK_POLL), wakeups.changed()).await;
        }
    }))
}
