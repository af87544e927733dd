//! Start-up: configuration, migrations, first-start bootstrap, background loops and job
//! workers, HTTP.

use actix_web::{HttpServer, web};
use crm_core::AppState;
use crm_core::config::Config;

/// Connects, migrates, bootstraps if asked, and serves until SIGTERM/SIGINT (graceful).
pub async fn serve(config: Config) -> std::io::Result<()> {
    let state = prepare(config).map_err(std::io::Error::other)?;
    let listen = state.config.listen.clone();
    let workers = match state.config.http_workers {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        n => n,
    };
    let state = web::Data::new(state);
    let spec = web::Data::new(crate::openapi());
    actix_web::rt::spawn(crm_core::events::service::run_sequencer(state.db.clone()));
    crm_core::events::service::run_listener(state.db.clone());
    spawn_workers(&state);
    let listener = std::net::TcpListener::bind(&listen)
        .map_err(|e| std::io::Error::other(format!("cannot listen on {listen}: {e}")))?;
    let server = http_server(state, spec, listener, workers, true)?;
    log::info!("crm listening on http://{listen} (docs at http://{listen}/docs/)");
    server.await
}

/// The HTTP server of `crm serve` (and of the tests): the app, with the server's own limits
/// on clients (slow request heads, connections per address: `crm_core::http::client_limits`).
/// Without `signals`, it stops only when told (the tests' servers).
pub fn http_server(
    state: web::Data<AppState>,
    spec: web::Data<utoipa::openapi::OpenApi>,
    listener: std::net::TcpListener,
    workers: usize,
    signals: bool,
) -> std::io::Result<actix_web::dev::Server> {
    let counts = crm_core::http::ConnectionCounts::default();
    let allowed = state.config.max_connections_per_address;
    let head_timeout = std::time::Duration::from_millis(state.config.client_header_timeout_ms);
    let server = HttpServer::new(move || crate::app(state.clone(), spec.clone()))
        .workers(workers)
        .shutdown_timeout(20)
        .client_request_timeout(head_timeout)
        .on_connect(move |connection, data| counts.on_connect(connection, data, allowed));
    let server = if signals { server } else { server.disable_signals() };
    Ok(server.listen(listener)?.run())
}

/// Runs background jobs (and the event sequencer) without HTTP until SIGTERM/SIGINT.
pub async fn work(config: Config) -> std::io::Result<()> {
    let state = web::Data::new(prepare(config).map_err(std::io::Error::other)?);
    if state.config.job_workers == 0 {
        return Err(std::io::Error::other("CRM_JOB_WORKERS is 0: this worker would do nothing"));
    }
    actix_web::rt::spawn(crm_core::events::service::run_sequencer(state.db.clone()));
    crm_core::events::service::run_listener(state.db.clone());
    let workers = spawn_workers(&state);
    log::info!("crm worker running {} jobs at a time; stop with Ctrl-C", state.config.job_workers);
    actix_web::rt::signal::ctrl_c().await?;
    // A job cut short here keeps its lease until it expires, then another worker resumes it.
    workers.abort();
    Ok(())
}

/// Starts the job workers of this process and the scheduler of periodic jobs (neither when
/// `CRM_JOB_WORKERS` is 0).
pub fn spawn_workers(state: &web::Data<AppState>) -> actix_web::rt::task::JoinHandle<()> {
    let settings = crm_core::jobs::WorkerSettings::from_config(&state.config);
    let registry = std::sync::Arc::new(crm_core::registry::job_registry(state.domains));
    let (workers, scheduler) = (
        crm_core::jobs::run_workers(state.clone(), registry, settings.clone()),
        crm_core::jobs::run_scheduler(state.db.clone(), crm_core::registry::schedules(state.domains)),
    );
    let background: Vec<_> = state.domains.iter().flat_map(|d| d.background).map(|run| run(state.clone())).collect();
    actix_web::rt::spawn(async move {
        if settings.concurrency > 0 {
            futures_util::future::join3(workers, scheduler, futures_util::future::join_all(background)).await;
        }
    })
}

/// Opens the database, applies migrations and bootstraps an empty one.
pub fn prepare(config: Config) -> Result<AppState, String> {
    let state = AppState::new(config, crate::DOMAINS)?;
    let mut conn = state.db.conn().map_err(|e| e.to_string())?;
    conn.migrate()?;
    if state.config.bootstrap && crm_core::organizations::count(&mut conn).map_err(|e| e.to_string())? == 0 {
        let init = crm_core::organizations::create_with_admin(
            &mut conn,
            &state.keys,
            "Default organization",
            "admin@example.com",
        )
        .map_err(|e| e.to_string())?;
        println!(
            "\nFirst start: created organization {} with admin user admin@example.com.\n\
             Admin API key (shown once, keep it safe):\n\n    {}\n\n\
             Try: curl -H 'Authorization: Bearer {}' http://{}/v1/me\n\
             (Set CRM_BOOTSTRAP=false to start empty and create organizations with `crm init`.)\n",
            init.org_id, init.api_key, init.api_key, state.config.listen
        );
    }
    drop(conn);
    Ok(state)
}
