//! `iam-server`: the IAM HTTP service and its `init` command. Logs go to standard error;
//! set the level with `IAM_LOG` (such as `info` or `iam_http=debug`).

use std::process::ExitCode;

use clap::Parser;
use iam_http::cli::{Cli, run};
use iam_http::middleware::error_chain;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_env("IAM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            ExitCode::FAILURE
        }
    }
}
