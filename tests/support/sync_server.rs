//! The real sync server (the axum router of `vetdesk-sync-server`) on a free local port
//! over a fresh database in the test PostgreSQL cluster, for tests that sync devices.

use vetdesk_sync_server::registration::Registration;

/// A sync server on a free port over a fresh database, registering clinics openly (as
/// a clinic's own server may); returns its URL and a pool on its database (for the
/// test's own look at what the server stored).
pub fn start_server(runtime: &tokio::runtime::Runtime) -> (String, sqlx::PgPool) {
    start_server_with(runtime, Registration::Open)
}

/// [`start_server`] with another registration policy.
pub fn start_server_with(
    runtime: &tokio::runtime::Runtime,
    registration: Registration,
) -> (String, sqlx::PgPool) {
    let pool = runtime.block_on(async {
        let url = vetdesk_testkit::fresh_database_url().await;
        ok(vetdesk_sync_server::db::connect_and_migrate(&url, 8).await)
    });
    (instance(runtime, &pool, registration), pool)
}

/// One more stateless server instance over `pool`'s database; returns its URL.
pub fn start_instance(runtime: &tokio::runtime::Runtime, pool: &sqlx::PgPool) -> String {
    instance(runtime, pool, Registration::Open)
}

fn instance(
    runtime: &tokio::runtime::Runtime,
    pool: &sqlx::PgPool,
    registration: Registration,
) -> String {
    runtime.block_on(async {
        let listener = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
        let address = ok(listener.local_addr());
        let app = vetdesk_sync_server::app(
            vetdesk_sync_server::AppState::new(pool.clone(), registration),
            vetdesk_sync_server::DEFAULT_MAX_BODY_BYTES,
        );
        tokio::spawn(vetdesk_sync_server::serve(
            listener,
            app,
            std::future::pending(),
        ));
        format!("http://{address}")
    })
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}
