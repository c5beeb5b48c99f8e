//! `vetdesk-sync-server`: reads its configuration, connects to PostgreSQL, applies
//! migrations and serves until SIGINT or SIGTERM, finishing in-flight requests.

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;
use vetdesk_sync_server::config::{Command, Config, LogFormat};
use vetdesk_sync_server::{AppState, app, db, serve, serve_tls, tls_from_pem_files};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    // A command that prints its answer keeps stdout for it; the server logs to stdout.
    init_logging(config.log_format, config.command.is_some());

    let pool = db::connect_and_migrate(&config.database_url, config.db_connections).await?;
    if let Some(Command::IssueRegistrationToken { note }) = &config.command {
        let token = vetdesk_sync_server::registration::issue_token(&pool, note).await?;
        println!("{token}");
        eprintln!(
            "A one-time registration token: the clinic's first device runs `vetdesk sync setup --server URL --registration-token {token}`."
        );
        pool.close().await;
        return Ok(());
    }
    tracing::info!(registration = ?config.registration, "registration of new clinics");
    let router = app(
        AppState::new(pool.clone(), config.registration)
            .with_trusted_proxies(config.trusted_proxies.clone())
            .with_clinic_quota(config.clinic_quota_bytes),
        config.max_body_bytes,
    );
    match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = tls_from_pem_files(cert, key).await?;
            let listener = std::net::TcpListener::bind(config.listen)
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            tracing::info!(address = %listener.local_addr()?, "vetdesk-sync-server listening (https)");
            serve_tls(listener, router, tls, shutdown_signal()).await?;
        }
        _ => {
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            tracing::info!(address = %listener.local_addr()?, "vetdesk-sync-server listening");
            serve(listener, router, shutdown_signal()).await?;
        }
    }
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn init_logging(format: LogFormat, to_stderr: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match (format, to_stderr) {
        (LogFormat::Json, false) => builder.json().init(),
        (LogFormat::Text, false) => builder.init(),
        (LogFormat::Json, true) => builder.json().with_writer(std::io::stderr).init(),
        (LogFormat::Text, true) => builder.with_writer(std::io::stderr).init(),
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
