//! The server's tests' PostgreSQL: a fresh database in the shared ephemeral cluster of
//! `vetdesk-testkit`, with the server's migrations applied.

use sqlx::PgPool;

pub use vetdesk_testkit::fresh_database_url;

/// A fresh database with the server's migrations applied.
pub async fn fresh_migrated_pool() -> PgPool {
    let url = fresh_database_url().await;
    vetdesk_sync_server::db::connect_and_migrate(&url, 4)
        .await
        .unwrap_or_else(|e| panic!("migrate: {e:#}"))
}
