//! `crm`: serve the API, run workers, migrate, initialise an organization, print the OpenAPI document.

use std::process::ExitCode;

use clap::Parser;
use crm_core::config::Config;
use crm_gateway::cli::{Cli, Command};

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if matches!(command, Command::Serve | Command::Worker) {
        with_few_malloc_arenas();
    }
    if let Command::Openapi = command {
        print!("{}", crm_gateway::openapi_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::load(crm_gateway::DOMAINS) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("crm: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Serve => {
            actix_web::rt::System::new().block_on(crm_gateway::server::serve(config)).map_err(|e| e.to_string())
        }
        Command::Worker => {
            actix_web::rt::System::new().block_on(crm_gateway::server::work(config)).map_err(|e| e.to_string())
        }
        Command::Migrate { revert_all } => migrate(config, revert_all),
        Command::Init { org, email } => init(config, &org, &email),
        Command::Openapi => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("crm: {e}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that meets another in malloc an arena of its own, up to eight per
/// core, and each keeps the memory its thread freed. Under load the blocking pool's threads
/// (one per request in flight) spread the heap over a dozen arenas: with two, the server's peak
/// RSS at 32 connections fell from 104 to 85 MB on SQLite and from 77 to 59 MB on PostgreSQL, at
/// the same throughput (docs/benchmarks.md). glibc reads `MALLOC_ARENA_MAX` only as the process starts, so a
/// long-running command executes itself again, once, with it; a value already set is kept.
fn with_few_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        use std::os::unix::process::CommandExt;
        let mut args = std::env::args_os();
        let (Ok(exe), Some(arg0)) = (std::env::current_exe(), args.next()) else { return };
        let error = std::process::Command::new(exe).arg0(arg0).args(args).env("MALLOC_ARENA_MAX", "2").exec();
        log::warn!("running with glibc's default malloc arenas: cannot execute crm again ({error})");
    }
}

fn migrate(config: Config, revert_all: bool) -> Result<(), String> {
    let state = crm_core::AppState::new(config, crm_gateway::DOMAINS)?;
    let mut conn = state.db.conn().map_err(|e| e.to_string())?;
    if revert_all {
        conn.revert_all()?;
        eprintln!("reverted every migration");
    } else {
        conn.migrate()?;
        eprintln!("migrations applied");
    }
    Ok(())
}

fn init(config: Config, org: &str, email: &str) -> Result<(), String> {
    let state = crm_core::AppState::new(config, crm_gateway::DOMAINS)?;
    let mut conn = state.db.conn().map_err(|e| e.to_string())?;
    conn.migrate()?;
    let created =
        crm_core::organizations::create_with_admin(&mut conn, &state.keys, org, email).map_err(|e| e.detail)?;
    eprintln!("created organization {} with admin {} ({email})", created.org_id, created.user_id);
    println!("{}", created.api_key);
    Ok(())
}
