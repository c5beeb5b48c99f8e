//! `vetdesk-sync-server`: reads its configuration, connects to PostgreSQL, applies
//! migrations and serves until SIGINT or SIGTERM, finishing in-flight requests.

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;
use vetdesk_sync_server::config::{Config, LogFormat};
use vetdesk_sync_server::{AppState, app, db, serve};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    init_logging(config.log_format);

    let pool = db::connect_and_migrate(&config.database_url, config.db_connections).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(address = %listener.local_addr()?, "vetdesk-sync-server listening");

    serve(
        listener,
        app(AppState::new(pool.clone()), config.max_body_bytes),
        shutdown_signal(),
    )
    .await?;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Resolves on Ctrl-C or SIGTERM (what systemd and container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
