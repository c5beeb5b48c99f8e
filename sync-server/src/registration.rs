//! Who may register a new clinic on this server (issue 15, requirement 4): anyone
//! (`open`, for a clinic's own server on its own network), only someone holding a
//! one-time token the operator issued (`token`, the default), or no one (`closed`).
//! Tokens are stored hashed and spent in the transaction that registers the clinic.

use clap::ValueEnum;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::AppError;
use crate::auth;

/// The registration policy, from `--registration` / `VETDESK_REGISTRATION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Registration {
    Open,
    Token,
    Closed,
}

/// A new one-time registration token, stored hashed with `note` (who it is for);
/// shown once to the operator.
pub async fn issue_token(pool: &PgPool, note: &str) -> Result<String, AppError> {
    if note.chars().count() > 200 {
        return Err(AppError::BadRequest("note: at most 200 characters".into()));
    }
    let (token, hash) = auth::new_token();
    sqlx::query("INSERT INTO registration_tokens (token_hash, note) VALUES ($1, $2)")
        .bind(hash)
        .bind(note)
        .execute(pool)
        .await?;
    Ok(token)
}

/// Whether `clinic` may be registered under `policy`, spending its token in `tx`.
pub async fn admit_clinic(
    tx: &mut Transaction<'_, Postgres>,
    policy: Registration,
    token: Option<&str>,
    clinic: Uuid,
) -> Result<(), AppError> {
    match policy {
        Registration::Open => Ok(()),
        Registration::Closed => Err(AppError::Forbidden(
            "this sync server does not register new clinics: ask its operator".into(),
        )),
        Registration::Token => {
            let token = token.ok_or_else(|| {
                AppError::Forbidden(
                    "this sync server registers a new clinic only with a registration token from its operator: set the clinic up with --registration-token".into(),
                )
            })?;
            let spent = sqlx::query(
                "UPDATE registration_tokens SET used_at = now(), clinic_id = $2
                 WHERE token_hash = $1 AND used_at IS NULL",
            )
            .bind(auth::token_hash(token.trim()))
            .bind(clinic)
            .execute(&mut **tx)
            .await?;
            if spent.rows_affected() == 1 {
                Ok(())
            } else {
                Err(AppError::Forbidden(
                    "this registration token is not valid: it was used or mistyped. Ask the server's operator for a new one".into(),
                ))
            }
        }
    }
}
