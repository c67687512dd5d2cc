//! `budgetctl local serve`: run budgetctl-local in the foreground.

use std::io::Write;
use std::process::ExitCode;

use budgetctl_local::{LocalOptions, LocalServer};

/// `color`: whether the log on stderr may carry colour codes.
pub fn serve(options: LocalOptions, color: bool) -> ExitCode {
    // One line per request (operation, status, ms) on stderr; RUST_LOG overrides.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("budgetctl_local=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            note!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let state = options.state.clone();
        let mut server = match LocalServer::start(options).await {
            Ok(server) => server,
            Err(e) => {
                note!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
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
        match server.wait().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                note!("error: {e}");
                ExitCode::FAILURE
            }
        }
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
