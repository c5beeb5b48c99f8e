//! The real sync server (the axum router of `vetdesk-sync-server`) on a free local port
//! over a fresh database in the test PostgreSQL cluster, for tests that sync devices.

/// A sync server on a free port over a fresh database; returns its URL and a pool on
/// its database (for the test's own look at what the server stored).
pub fn start_server(runtime: &tokio::runtime::Runtime) -> (String, sqlx::PgPool) {
    let pool = runtime.block_on(async {
        let url = vetdesk_testkit::fresh_database_url().await;
        ok(vetdesk_sync_server::db::connect_and_migrate(&url, 8).await)
    });
    (start_instance(runtime, &pool), pool)
}

/// One more stateless server instance over `pool`'s database; returns its URL.
pub fn start_instance(runtime: &tokio::runtime::Runtime, pool: &sqlx::PgPool) -> String {
    runtime.block_on(async {
        let listener = ok(tokio::net::TcpListener::bind("127.0.0.1:0").await);
        let address = ok(listener.local_addr());
        let app = vetdesk_sync_server::app(
            vetdesk_sync_server::AppState::new(pool.clone()),
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
