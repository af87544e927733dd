//! The dispatcher, run by every process that runs jobs (`crm serve`, `crm worker`): fans new
//! events out to endpoints, claims due deliveries with a lease, sends them concurrently, and
//! records each outcome. Nothing is lost: a delivery row exists for every (endpoint, event) once
//! fanned out, and stays pending until an attempt's outcome is recorded; a process killed
//! mid-send leaves its leases to expire, and the delivery is sent again with the same
//! `webhook-id`. Per record, a later event waits while an earlier one is pending.

pub mod address;
pub mod fanout;
pub mod send;

use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::web;
use crm_core::state::AppState;
use tokio::sync::{Notify, Semaphore};

use crate::settings::WebhookSettings;

/// Deliveries claimed at most per pass.
const CLAIM_BATCH: usize = 500;
/// Outcomes recorded at most per transaction.
const RECORD_BATCH: usize = 500;
/// The longest a dispatcher sleeps without a wake-up.
const IDLE: Duration = Duration::from_secs(1);

/// The domain's background loop.
pub fn run(state: web::Data<AppState>) -> futures_util::future::LocalBoxFuture<'static, ()> {
    Box::pin(async move {
        let settings = match WebhookSettings::of(&state.config) {
            Ok(settings) => settings,
            Err(e) => return log::error!("webhooks: {e}"),
        };
        let client = match client(&settings) {
            Ok(client) => client,
            Err(e) => return log::error!("webhooks: cannot build the HTTP client: {e}"),
        };
        Dispatcher::new(state, settings, client).run().await
    })
}

/// The HTTP client of deliveries: the timeout, no redirects, no proxy, HTTPS with the system's
/// trusted roots, and (unless private targets are allowed) a resolver that connects to public
/// addresses only.
pub fn client(settings: &WebhookSettings) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("crm-webhooks/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(64);
    let built = match address::resolver(settings.allow_private) {
        Some(resolver) => builder.dns_resolver(resolver).build(),
        None => builder.build(),
    };
    built.map_err(|e| e.to_string())
}

struct Dispatcher {
    state: web::Data<AppState>,
    settings: Rc<WebhookSettings>,
    client: reqwest::Client,
    owner: String,
    /// Sends in flight at most.
    slots: std::sync::Arc<Semaphore>,
    /// Outcomes waiting to be recorded.
    outcomes: Rc<std::cell::RefCell<Vec<send::Outcome>>>,
    recorded: Rc<Notify>,
    pending_outcome: Rc<Notify>,
    /// Per endpoint with a rate limit: the current second and the deliveries sent in it.
    rates: std::cell::RefCell<HashMap<String, (Instant, usize)>>,
}

impl Dispatcher {
    fn new(state: web::Data<AppState>, settings: WebhookSettings, client: reqwest::Client) -> Dispatcher {
        let slots = std::sync::Arc::new(Semaphore::new(settings.concurrency));
        Dispatcher {
            state,
            settings: Rc::new(settings),
            client,
            owner: crm_core::jobs::worker::new_owner(),
            slots,
            outcomes: Rc::default(),
            recorded: Rc::default(),
            pending_outcome: Rc::default(),
            rates: Default::default(),
        }
    }

    async fn run(self) {
        log::info!("webhooks: dispatching as {}", self.owner);
        let recorder = actix_web::rt::spawn(record_loop(
            self.state.clone(),
            self.settings.clone(),
            self.owner.clone(),
            self.outcomes.clone(),
            self.pending_outcome.clone(),
            self.recorded.clone(),
        ));
        let _stop = AbortOnDrop(recorder);
        let db = self.state.db.clone();
        let mut events = db.events_changed();
        let mut since_replan = 0;
        loop {
            events.mark_unchanged();
            match fanout::fan_out(&db).await {
                Ok(created) => since_replan += created,
                Err(e) => log::warn!("webhooks: fan-out: {e}"),
            }
            if since_replan >= fanout::REPLAN_AFTER {
                since_replan = 0;
                if let Err(e) = fanout::replan(&db).await {
                    log::warn!("webhooks: statistics: {e}");
                }
            }
            let claimed = match self.claim_and_send().await {
                Ok(n) => n,
                Err(e) => {
                    log::warn!("webhooks: claim: {e}");
                    0
                }
            };
            if claimed > 0 && self.slots.available_permits() > 0 {
                continue;
            }
            let wait = self.until_next_due().await;
            let recorded = self.recorded.notified();
            let slot_free = self.slots.acquire();
            tokio::select! {
                _ = events.changed() => {}
                _ = recorded => {}
                _ = actix_web::rt::time::sleep(wait) => {}
                permit = slot_free, if claimed > 0 => drop(permit),
            }
        }
    }

    /// Claims what is due (as many as there are free slots) and starts sending each.
    async fn claim_and_send(&self) -> crm_core::ApiResult<usize> {
        let free = self.slots.available_permits().min(CLAIM_BATCH);
        if free == 0 {
            return Ok(0);
        }
        let candidates = self.state.db.read(move |conn| send::candidates(conn, free as i64)).await?;
        // Within each rate-limited endpoint's budget for the current second.
        let sent = self.sent_this_second();
        let mut taken: HashMap<String, usize> = HashMap::new();
        let chosen: Vec<(String, String)> = candidates
            .into_iter()
            .filter(|(_, _, endpoint, rate)| {
                let n = taken.entry(endpoint.clone()).or_default();
                *n += 1;
                rate.is_none_or(|rate| {
                    *n <= (rate.max(0) as usize).saturating_sub(sent.get(endpoint).copied().unwrap_or(0))
                })
            })
            .map(|(org_id, id, _, _)| (org_id, id))
            .collect();
        if chosen.is_empty() {
            return Ok(0);
        }
        let owner = self.owner.clone();
        let until = crm_core::time::now() + chrono::Duration::from_std(self.settings.lease()).unwrap_or_default();
        let claimed = self.state.db.write(move |conn| send::claim(conn, &owner, until, &chosen)).await?;
        let count = claimed.len();
        for claimed in claimed {
            self.note_sent(&claimed.endpoint);
            let Ok(permit) = self.slots.clone().try_acquire_owned() else { break };
            let (client, allow_private) = (self.client.clone(), self.settings.allow_private);
            let (outcomes, pending) = (self.outcomes.clone(), self.pending_outcome.clone());
            actix_web::rt::spawn(async move {
                let outcome = send::send(&client, allow_private, &claimed).await;
                outcomes.borrow_mut().push(outcome);
                pending.notify_one();
                drop(permit);
            });
        }
        Ok(count)
    }

    /// What each rate-limited endpoint was sent in the current second.
    fn sent_this_second(&self) -> HashMap<String, usize> {
        let now = Instant::now();
        let mut rates = self.rates.borrow_mut();
        rates.retain(|_, (started, _)| now.duration_since(*started) < Duration::from_secs(1));
        rates.iter().map(|(endpoint, (_, sent))| (endpoint.clone(), *sent)).collect::<HashMap<_, _>>()
    }

    fn note_sent(&self, endpoint: &crate::endpoint::model::Endpoint) {
        if endpoint.rate_limit_per_second.is_some() {
            let mut rates = self.rates.borrow_mut();
            let entry = rates.entry(endpoint.id.clone()).or_insert((Instant::now(), 0));
            entry.1 += 1;
        }
    }

    async fn until_next_due(&self) -> Duration {
        let next = self.state.db.read(send::next_due).await.ok().flatten();
        match next {
            Some(next) => {
                (next - crm_core::time::now()).to_std().unwrap_or(Duration::ZERO).clamp(Duration::from_millis(5), IDLE)
            }
            None => IDLE,
        }
    }
}

/// Records outcomes as they come, many per transaction.
async fn record_loop(
    state: web::Data<AppState>,
    settings: Rc<WebhookSettings>,
    owner: String,
    outcomes: Rc<std::cell::RefCell<Vec<send::Outcome>>>,
    pending: Rc<Notify>,
    recorded: Rc<Notify>,
) {
    loop {
        let batch: Vec<send::Outcome> = {
            let mut waiting = outcomes.borrow_mut();
            let n = waiting.len().min(RECORD_BATCH);
            waiting.drain(..n).collect()
        };
        if batch.is_empty() {
            pending.notified().await;
            continue;
        }
        let (settings, owner) = ((*settings).clone(), owner.clone());
        let result = state.db.write(move |conn| send::record(conn, &settings, &owner, &batch)).await;
        if let Err(e) = result {
            // The leases expire and the deliveries are sent again (the same webhook-id).
            log::warn!("webhooks: recording outcomes: {e}");
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        }
        recorded.notify_one();
    }
}

struct AbortOnDrop(actix_web::rt::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
