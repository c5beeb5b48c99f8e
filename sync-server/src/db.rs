//! PostgreSQL: the connection pool and the embedded migrations of `migrations/server`.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

/// The server's migrations, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations/server");

/// A pool that fails fast: a request waits at most 3 s for a connection.
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(3))
}

/// Connects and applies pending migrations.
pub async fn connect_and_migrate(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let pool = pool_options(max_connections)
        .connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot apply the server's migrations: {e}"))?;
    Ok(pool)
}
