//! Live notify: devices keep `GET /v1/notify` open (server-sent events) and pull as
//! soon as another device of their clinic pushed.
//!
//! Stateless across instances: a push commits `pg_notify('vetdesk_push', '<clinic> <seq>')`
//! in its own transaction (so only committed pushes notify), every instance LISTENs and
//! fans the notification out to its own open streams, filtered by the stream's clinic.
//! A device that misses a notification (reconnecting) loses nothing: it pulls by cursor.
//! Revoking a device commits `pg_notify('vetdesk_push', '<clinic> revoked <device>')`
//! with the revocation, and every instance ends that device's open streams at once
//! (SECURITY-REVIEW.md H5): a revoked device hears nothing more, not even push timing.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthenticatedDevice;

/// The PostgreSQL channel pushes notify on.
pub const CHANNEL: &str = "vetdesk_push";

/// What a stream hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A push of this clinic committed; the clinic's highest server seq now stored.
    Pushed(Uuid, i64),
    /// This device of this clinic was revoked: its streams end.
    Revoked(Uuid, Uuid),
}

/// The payload a revocation commits on [`CHANNEL`] (see `parse`).
pub fn revoked_payload(clinic: Uuid, device: Uuid) -> String {
    format!("{clinic} revoked {device}")
}

pub fn channel() -> broadcast::Sender<Notice> {
    broadcast::channel(1024).0
}

/// Listens on PostgreSQL for pushes (from any instance) and hands them to this
/// instance's streams. Reconnects after a lost connection.
pub fn spawn_listener(pool: PgPool, notices: broadcast::Sender<Notice>) {
    tokio::spawn(async move {
        loop {
            match PgListener::connect_with(&pool).await {
                Ok(mut listener) => {
                    if listener.listen(CHANNEL).await.is_ok() {
                        while let Ok(notification) = listener.recv().await {
                            if let Some(notice) = parse(notification.payload()) {
                                // No open streams is fine: nobody is waiting.
                                let _ = notices.send(notice);
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notify: cannot listen on PostgreSQL; retrying")
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

fn parse(payload: &str) -> Option<Notice> {
    let (clinic, rest) = payload.split_once(' ')?;
    let clinic = Uuid::parse_str(clinic).ok()?;
    match rest.strip_prefix("revoked ") {
        Some(device) => Some(Notice::Revoked(clinic, Uuid::parse_str(device).ok()?)),
        None => Some(Notice::Pushed(clinic, rest.parse().ok()?)),
    }
}

/// `GET /v1/notify`: an event `pushed` with the clinic's newest server seq, whenever
/// another push of the device's clinic commits; keep-alives in between. The stream
/// ends when this device is revoked.
pub async fn notify(
    State(state): State<AppState>,
    device: AuthenticatedDevice,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = state.notices.subscribe();
    let (clinic, listener) = (device.clinic_id, device.device_id);
    let stream = futures_util::stream::unfold(receiver, move |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(Notice::Revoked(c, d)) if c == clinic && d == listener => return None,
                Ok(Notice::Pushed(c, seq)) if c == clinic => {
                    return Some((
                        Ok(Event::default().event("pushed").data(seq.to_string())),
                        receiver,
                    ));
                }
                Ok(_) => {}
                // Fell behind: say "something new" so the device pulls by cursor.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    return Some((Ok(Event::default().event("pushed").data("0")), receiver));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_parse_and_garbage_is_ignored() {
        let clinic = Uuid::now_v7();
        assert_eq!(
            parse(&format!("{clinic} 42")),
            Some(Notice::Pushed(clinic, 42))
        );
        let device = Uuid::now_v7();
        assert_eq!(
            parse(&revoked_payload(clinic, device)),
            Some(Notice::Revoked(clinic, device))
        );
        assert_eq!(parse("nonsense"), None);
        assert_eq!(parse(&format!("{clinic} x")), None);
        assert_eq!(parse(&format!("{clinic} revoked x")), None);
    }
}
