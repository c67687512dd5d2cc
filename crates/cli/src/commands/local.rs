//! `budgetctl local serve`: run budgetctl-local in the foreground.

use std::io::Write;
use std::process::ExitCode;

use std::path::PathBuf;

use budgetctl_local::{LocalOptions, LocalServer};

use crate::error::CliError;

/// `budgetctl local serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 4566)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// JSON file that keeps the state across restarts.
    #[arg(long, value_name = "FILE", default_value = ".budgetctl/local.json")]
    pub state: PathBuf,
    /// Keep state in memory only.
    #[arg(long, conflicts_with = "state")]
    pub ephemeral: bool,
    /// The partition to serve: budget ARNs must be `arn:PARTITION:budgets::…`
    /// (aws-cn for a client with --region cn-northwest-1).
    #[arg(long, default_value = "aws", value_name = "PARTITION", value_parser = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"])]
    pub partition: String,
    /// The account Service Catalog calls act in for credentials that no
    /// AssumeRole issued (Service Catalog has no AccountId parameter).
    #[arg(long, default_value = "111122223333", value_name = "ID", value_parser = account_id)]
    pub account: String,
    /// Latency added to every request, as over a real network: `50ms`, or
    /// a range drawn from uniformly, `20ms..80ms`.
    #[arg(long, value_name = "DURATION", value_parser = latency)]
    pub latency: Option<(u64, Option<u64>)>,
    /// Answer ThrottlingException when an account makes more than N requests
    /// a second (a token bucket per account). AWS documents no figure for
    /// Budgets; without N, 5.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "5")]
    pub rate_limit: Option<u32>,
}

/// `50ms` or `20ms..80ms`, in milliseconds.
fn latency(text: &str) -> Result<(u64, Option<u64>), String> {
    let ms = |t: &str| {
        humantime::parse_duration(t.trim())
            .map(|d| d.as_millis() as u64)
            .map_err(|e| format!("`{t}` is not a duration ({e}): write e.g. 50ms"))
    };
    match text.split_once("..") {
        Some((low, high)) => {
            let (low, high) = (ms(low)?, ms(high)?);
            if high < low {
                return Err(format!("`{text}`: the range's end is before its start"));
            }
            Ok((low, Some(high)))
        }
        None => Ok((ms(text)?, None)),
    }
}

fn account_id(text: &str) -> Result<String, String> {
    budgetctl_spec::AccountId::parse(text)
        .map(|a| a.to_string())
        .ok_or_else(|| format!("`{text}` is not an AWS account id: write its 12 digits"))
}

/// `color`: whether the log on stderr may carry colour codes.
pub fn serve(args: ServeArgs, color: bool) -> Result<ExitCode, CliError> {
    let options = LocalOptions {
        host: args.host,
        port: args.port,
        state: (!args.ephemeral).then_some(args.state),
        partition: args.partition,
        // A second server on one state file is refused, clearly.
        wait_for_lock: false,
        account: args.account,
    };
    // One line per request (operation, status, ms) on stderr; RUST_LOG overrides.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("budgetctl_local=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .init();
    super::connect::runtime()?.block_on(async move {
        let state = options.state.clone();
        let mut server = LocalServer::start(options).await?;
        if args.latency.is_some() || args.rate_limit.is_some() {
            let (latency_ms, latency_max_ms) = args.latency.unwrap_or((0, None));
            server.service().set_faults(budgetctl_local::Faults {
                latency_ms,
                latency_max_ms,
                account_rps: args.rate_limit.unwrap_or(0),
                ..server.service().faults()
            });
        }
        // The first line of stdout is the endpoint, for scripts to read.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "budgetctl-local listening on {}", server.url());
        let _ = out.flush();
        drop(out);
        match &state {
            Some(path) => note!("state: {}", path.display()),
            None => note!("state: in memory only"),
        }
        let stop = server.stopper();
        tokio::spawn(async move {
            shutdown_signal().await;
            if let Some(stop) = stop {
                let _ = stop.send(());
            }
        });
        server.wait().await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl-C, or SIGTERM where there is one.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
