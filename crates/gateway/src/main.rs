//! `crm`: serve the API, run workers, migrate, initialise an organization, print the OpenAPI document.

use std::process::ExitCode;

use clap::Parser;
use crm_core::config::Config;
use crm_gateway::cli::{Cli, Command};

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
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
