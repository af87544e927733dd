//! The `crm` command line.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "crm", version, about = "A headless CRM: the API server and its administration commands.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default) and run background jobs: migrates the database first.
    Serve,
    /// Run background jobs only (imports, exports…), no HTTP: several instances can share one
    /// PostgreSQL database. Migrates the database first.
    Worker,
    /// Apply pending migrations (or revert all of them) and exit.
    Migrate {
        /// Revert every migration instead (drops all data).
        #[arg(long)]
        revert_all: bool,
    },
    /// Create an organization and its first admin; prints the admin API key alone on the last line.
    Init {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
    },
    /// Print the OpenAPI document.
    Openapi,
}
