//! The server's configuration, from command-line flags or the environment.

use std::net::SocketAddr;

use clap::{Parser, Subcommand, ValueEnum};

use crate::registration::Registration;

/// Vetdesk sync server: relays clinics' encrypted change logs between their devices.
#[derive(Debug, Clone, Parser)]
#[command(name = "vetdesk-sync-server", version)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "VETDESK_SYNC_LISTEN", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,

    /// PostgreSQL connection URL, e.g. postgres://vetdesk@localhost/vetdesk.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,

    /// Most connections kept open to PostgreSQL.
    #[arg(long, env = "VETDESK_SYNC_DB_CONNECTIONS", default_value_t = 10)]
    pub db_connections: u32,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "VETDESK_SYNC_MAX_BODY_BYTES", default_value_t = crate::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,

    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "VETDESK_SYNC_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Who may register a new clinic: anyone (`open`: a clinic's own server on its own
    /// network), holders of a one-time token from `issue-registration-token` (`token`),
    /// or no one (`closed`).
    #[arg(long, env = "VETDESK_REGISTRATION", value_enum, default_value_t = Registration::Token)]
    pub registration: Registration,

    /// Serve HTTPS with this certificate chain (PEM); needs `--tls-key`. Without
    /// both, the server speaks plain HTTP, for a TLS-terminating proxy in front or a
    /// clinic's own network.
    #[arg(long, env = "VETDESK_SYNC_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// The private key of `--tls-cert` (PEM).
    #[arg(long, env = "VETDESK_SYNC_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,

    /// Bytes of envelopes one clinic may store; a push beyond it gets 507.
    #[arg(long, env = "VETDESK_SYNC_CLINIC_QUOTA_BYTES", default_value_t = crate::DEFAULT_CLINIC_QUOTA_BYTES)]
    pub clinic_quota_bytes: u64,

    /// A reverse proxy in front of this server whose `X-Forwarded-For` names the client
    /// (repeat, or comma-separate in the environment). Without one, rate limits key on
    /// the TCP peer, which behind a proxy is the proxy.
    #[arg(
        long = "trusted-proxy",
        env = "VETDESK_SYNC_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary does instead of serving.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Print a new one-time registration token (stored hashed) and exit: give it to
    /// the clinic that will set up sync here (`vetdesk sync setup --registration-token`).
    IssueRegistrationToken {
        /// Who it is for (kept beside its hash, at most 200 characters).
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_bad_addresses_are_refused() {
        let config = Config::try_parse_from([
            "vetdesk-sync-server",
            "--database-url",
            "postgres://x@localhost/db",
            "--listen",
            "0.0.0.0:9000",
            "--log-format",
            "json",
        ]);
        let config = config.map_err(|e| e.to_string());
        assert!(
            matches!(&config, Ok(c) if c.listen.port() == 9000
                && c.log_format == LogFormat::Json
                && c.registration == Registration::Token),
            "{config:?}"
        );
        let open = Config::try_parse_from([
            "vetdesk-sync-server",
            "--database-url",
            "postgres://x@localhost/db",
            "--registration",
            "open",
        ]);
        assert!(matches!(open, Ok(c) if c.registration == Registration::Open));
        let issuing = Config::try_parse_from([
            "vetdesk-sync-server",
            "--database-url",
            "postgres://x@localhost/db",
            "issue-registration-token",
            "--note",
            "Riverside Vets",
        ]);
        assert!(
            matches!(&issuing, Ok(c) if matches!(&c.command, Some(Command::IssueRegistrationToken { note }) if note == "Riverside Vets")),
            "{issuing:?}"
        );

        let half_tls = Config::try_parse_from([
            "vetdesk-sync-server",
            "--database-url",
            "postgres://x@localhost/db",
            "--tls-cert",
            "cert.pem",
        ]);
        assert!(half_tls.is_err(), "a certificate needs its key");

        let bad = Config::try_parse_from([
            "vetdesk-sync-server",
            "--database-url",
            "postgres://x@localhost/db",
            "--listen",
            "not-an-address",
        ]);
        assert!(bad.is_err());
    }
}
