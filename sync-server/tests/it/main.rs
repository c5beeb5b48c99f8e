//! Integration tests of the sync server against a real, ephemeral PostgreSQL.

mod envelopes;
mod pg;
mod routes;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use vetdesk_proto::{Health, HealthStatus, PROTOCOL_VERSION};
use vetdesk_sync_server::{AppState, DEFAULT_MAX_BODY_BYTES, app, db, serve};

async fn body_json<T: serde::de::DeserializeOwned>(response: axum::response::Response) -> T {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_else(|e| panic!("read body: {e}"));
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("parse {:?}: {e}", String::from_utf8_lossy(&bytes)))
}

/// The server's router over `pool`, registering clinics openly.
fn router_over(pool: sqlx::PgPool) -> axum::Router {
    app(
        AppState::new(pool, vetdesk_sync_server::registration::Registration::Open),
        DEFAULT_MAX_BODY_BYTES,
    )
}

fn get(path: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("request: {e}"))
}

#[tokio::test]
async fn healthz_is_ok_when_postgres_answers_and_carries_a_request_id() {
    let pool = pg::fresh_migrated_pool().await;
    let response = router_over(pool)
        .oneshot(get("/healthz"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::OK);
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert!(
        request_id.is_some_and(|id| id.len() >= 32),
        "missing x-request-id"
    );
    let health: Health = body_json(response).await;
    assert_eq!(health.status, HealthStatus::Ok);
    assert_eq!(health.database, HealthStatus::Ok);
    assert_eq!(health.protocol_version, PROTOCOL_VERSION);
}

#[tokio::test]
async fn healthz_is_503_when_postgres_is_unreachable() {
    // A port nothing listens on: bind one, note it, and let it go.
    let port = free_port();
    let pool = db::pool_options(1)
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy(&format!("postgres://postgres@127.0.0.1:{port}/none"))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = router_over(pool)
        .oneshot(get("/healthz"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let health: Health = body_json(response).await;
    assert_eq!(health.database, HealthStatus::Unavailable);
}

#[tokio::test]
async fn migrations_create_the_schema_and_are_recorded() {
    let pool = pg::fresh_migrated_pool().await;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let embedded: Vec<i64> = db::MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(applied, embedded);
    let clinics: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'clinics'",
    )
    .fetch_one(&pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(clinics, 1);
    // Running them again is a no-op, as on every server start.
    db::MIGRATOR
        .run(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn unknown_routes_get_a_json_404() {
    let pool = pg::fresh_migrated_pool().await;
    let response = router_over(pool)
        .oneshot(get("/no-such-thing"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = body_json(response).await;
    assert_eq!(body["code"], "not_found");
}

/// The real server on a real socket: it answers, then on shutdown finishes the request
/// already in flight before it stops.
#[tokio::test]
async fn the_server_serves_over_tcp_and_shuts_down_gracefully() {
    let pool = pg::fresh_migrated_pool().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, router_over(pool), async move {
        let _ = stop_rx.await;
    }));

    let url = format!("http://{addr}/healthz");
    let health: Health = tokio::task::spawn_blocking(move || {
        ureq::get(&url)
            .call()
            .and_then(|mut r| r.body_mut().read_json::<Health>())
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("GET /healthz over TCP: {e}"));
    assert_eq!(health.status, HealthStatus::Ok);

    let _ = stop_tx.send(());
    let stopped = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "server did not stop cleanly: {stopped:?}"
    );
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Sends the server process SIGTERM (as systemd or a container runtime stops it) and
/// waits for it to exit, with what it wrote.
async fn stop_with_sigterm(child: std::process::Child) -> std::process::Output {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed.success());
    tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The shipped binary, configured from the environment as an operator would: it
/// migrates, serves /healthz, logs JSON lines with request ids, and on SIGTERM stops
/// cleanly with exit code 0.
#[tokio::test]
async fn the_binary_configures_from_env_and_stops_cleanly_on_sigterm() {
    let url = pg::fresh_database_url().await;
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_vetdesk-sync-server"))
        .env("DATABASE_URL", &url)
        .env("VETDESK_SYNC_LISTEN", format!("127.0.0.1:{port}"))
        .env("VETDESK_SYNC_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start the server: {e}"));

    let health = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match ureq::get(&format!("http://127.0.0.1:{port}/healthz")).call() {
                Ok(mut r) => return r.body_mut().read_json::<Health>(),
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|e| panic!("the binary never answered /healthz: {e}"));
    assert_eq!(health.status, HealthStatus::Ok);

    // By default a new clinic needs a registration token from the operator, which the
    // same binary issues.
    let issued = std::process::Command::new(env!("CARGO_BIN_EXE_vetdesk-sync-server"))
        .env("DATABASE_URL", &url)
        .args(["issue-registration-token", "--note", "Riverside Vets"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(issued.status.success(), "{issued:?}");
    let token = String::from_utf8_lossy(&issued.stdout).trim().to_string();
    assert_eq!(token.len(), 43, "{token:?}");
    let answers = tokio::task::spawn_blocking(move || {
        [None, Some(token)].map(|registration_token| {
            let founder = ed25519_dalek::SigningKey::from_bytes(&rand::random());
            let public_key = founder.verifying_key().to_bytes();
            let body = vetdesk_proto::messages::encode(&vetdesk_proto::messages::CreateClinic {
                clinic_id: vetdesk_proto::management::clinic_id_founded_by(&public_key),
                device_id: uuid::Uuid::now_v7(),
                token: "dGhpcnR5LXR3by1ieXRlcy1vZi1hLWRldmljZS10b2s".into(),
                registration_token,
                public_key,
            });
            ureq::post(&format!("http://127.0.0.1:{port}/v1/clinics"))
                .header(vetdesk_proto::messages::PROTOCOL_HEADER, "3")
                .config()
                .http_status_as_error(false)
                .build()
                .send(&body)
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        })
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answers, [403, 200], "without, then with the issued token");

    let output = stop_with_sigterm(child).await;
    assert!(output.status.success(), "exit status {:?}", output.status);
    let logs = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line {l:?}: {e}"))
        })
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("listening")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("shutting down")),
        "{messages:?}"
    );
    assert!(messages.contains(&"stopped"), "{messages:?}");
    assert!(
        lines.iter().any(|l| l["span"]["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty() && id != "-")),
        "no request id in the request logs: {logs}"
    );
}

/// With `--tls-cert` and `--tls-key` the binary serves HTTPS itself (rustls): a client
/// that trusts the certificate is answered; plain HTTP on the same port and a client
/// that does not trust it get nothing; SIGTERM still stops it cleanly.
#[tokio::test]
async fn the_binary_serves_https_from_certificate_files() {
    let url = pg::fresh_database_url().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .unwrap_or_else(|e| panic!("{e}"));
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let cert_pem = made.cert.pem();
    std::fs::write(&cert, &cert_pem).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_vetdesk-sync-server"))
        .env("DATABASE_URL", &url)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start the server: {e}"));

    let answers = tokio::task::spawn_blocking(move || {
        let root =
            ureq::tls::Certificate::from_pem(cert_pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let trusting: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
                        root,
                    ])))
                    .build(),
            )
            .build()
            .into();
        let https = format!("https://localhost:{port}/healthz");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let health = loop {
            match trusting.get(&https).call() {
                Ok(mut r) => break r.body_mut().read_json::<Health>(),
                Err(_) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => break Err(e),
            }
        };
        let plain = ureq::get(&format!("http://127.0.0.1:{port}/healthz")).call();
        let untrusting = ureq::get(&https).call();
        (health, plain.is_ok(), untrusting.is_ok())
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let health = answers
        .0
        .unwrap_or_else(|e| panic!("the binary never answered over https: {e}"));
    assert_eq!(health.status, HealthStatus::Ok);
    assert!(!answers.1, "plain http on the https port is not answered");
    assert!(
        !answers.2,
        "a client that does not trust the certificate is refused"
    );

    let output = stop_with_sigterm(child).await;
    assert!(output.status.success(), "exit status {:?}", output.status);
}
