//! Key-epoch grants and revocation over HTTP (issue 15, requirement 3): the server
//! keeps grants only for its clinic's live devices, bounded per request, per grant and
//! per device; each device gets only its own; a revoked device's open notify stream
//! ends at once and its token opens nothing.

use std::time::Duration;

use futures_util::StreamExt;
use tower::ServiceExt;
use uuid::Uuid;
use vetdesk_proto::messages::{
    self, KeyGrant, KeyGrants, MAX_ENROLLMENT_PROOF_BYTES, MAX_KEY_GRANTS,
};

use super::{Server, StatusCode, code_of, envelope, request};

fn grant_for(device_id: Uuid, key_id: u32, len: usize) -> KeyGrant {
    KeyGrant {
        device_id,
        key_id,
        grant: vec![0x5a; len],
    }
}

impl Server {
    async fn put_grants(&self, token: &str, grants: Vec<KeyGrant>) -> (StatusCode, Vec<u8>) {
        self.post(
            messages::KEY_GRANTS_PATH,
            Some(token),
            messages::encode(&KeyGrants { grants }),
        )
        .await
    }

    /// How many grants the server answered it stored.
    async fn stored(&self, token: &str, grants: Vec<KeyGrant>) -> u64 {
        let (status, bytes) = self.put_grants(token, grants).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    async fn grants_of(&self, token: &str) -> Vec<KeyGrant> {
        let (status, bytes) = self.get(messages::KEY_GRANTS_PATH, token).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        messages::decode::<KeyGrants>(&bytes)
            .unwrap_or_else(|e| panic!("{e}"))
            .grants
    }

    async fn revoke(&self, token: &str, device_id: Uuid) {
        let (status, _) = self
            .post(
                "/v1/devices/revoke",
                Some(token),
                messages::encode(&messages::Revoke { device_id }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

async fn grant_rows(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM key_grants")
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn grants_are_kept_only_for_the_clinics_live_devices_and_each_device_gets_its_own() {
    let server = Server::start().await;
    let (_, admin, token_a) = server.create_clinic().await;
    let (member, token_m, _) = server.member(&token_a, false).await;
    let (_, stranger, token_s) = server.create_clinic().await;
    let (other_member, token_o, _) = server.member(&token_a, false).await;

    // For the member: kept once, whoever sends it again (a lost answer).
    assert_eq!(
        server
            .stored(&token_a, vec![grant_for(member, 0x1_0001, 300)])
            .await,
        1
    );
    assert_eq!(
        server
            .stored(&token_a, vec![grant_for(member, 0x1_0001, 301)])
            .await,
        0
    );
    // For another clinic's device, a device that does not exist, or the sender itself
    // in another clinic: nothing kept, and nothing said about whether it exists.
    let nowhere = vec![
        grant_for(stranger, 0x1_0001, 300),
        grant_for(Uuid::now_v7(), 0x1_0001, 300),
    ];
    assert_eq!(server.stored(&token_a, nowhere).await, 0);
    assert!(
        server.grants_of(&token_s).await.is_empty(),
        "another clinic"
    );
    assert_eq!(grant_rows(&server.pool).await, 1);

    // Each device gets its own grants only, as sent the first time.
    let got = server.grants_of(&token_m).await;
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].device_id, got[0].key_id, got[0].grant.len()),
        (member, 0x1_0001, 300)
    );
    assert!(server.grants_of(&token_o).await.is_empty());
    assert!(server.grants_of(&token_a).await.is_empty());

    // Bounded: per request, per grant, and per device.
    let too_many: Vec<KeyGrant> = (0..=MAX_KEY_GRANTS as u32)
        .map(|i| grant_for(other_member, 0x1_0000 + i, 10))
        .collect();
    let (status, body) = server.put_grants(&token_a, too_many).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::BAD_REQUEST, "bad_request".to_string())
    );
    for len in [0, MAX_ENROLLMENT_PROOF_BYTES + 1] {
        let (status, body) = server
            .put_grants(&token_a, vec![grant_for(other_member, 0x1_0001, len)])
            .await;
        assert_eq!(
            (status, code_of(&body)),
            (StatusCode::BAD_REQUEST, "bad_request".to_string()),
            "a grant of {len} bytes"
        );
    }
    let full: Vec<KeyGrant> = (0..MAX_KEY_GRANTS as u32)
        .map(|i| grant_for(other_member, 0x2_0000 + i, 10))
        .collect();
    assert_eq!(server.stored(&token_a, full).await, MAX_KEY_GRANTS as u64);
    assert_eq!(
        server
            .stored(&token_a, vec![grant_for(other_member, 0x3_0000, 10)])
            .await,
        0,
        "a device holds at most {MAX_KEY_GRANTS} grants"
    );
    assert_eq!(server.grants_of(&token_o).await.len(), MAX_KEY_GRANTS);

    // A revoked device: no grant is kept for it, and it cannot fetch its own.
    server.revoke(&token_a, member).await;
    assert_eq!(
        server
            .stored(&token_a, vec![grant_for(member, 0x1_0002, 300)])
            .await,
        0
    );
    let (status, _) = server.get(messages::KEY_GRANTS_PATH, &token_m).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .put_grants(&token_m, vec![grant_for(admin, 0x1_0003, 300)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "nor hand any out");
    assert!(server.grants_of(&token_a).await.is_empty());
}

#[tokio::test]
async fn a_revoked_devices_open_notify_stream_ends_at_once() {
    let server = Server::start().await;
    let (clinic, admin, token_a) = server.create_clinic().await;
    let (member, token_m, _) = server.member(&token_a, false).await;
    let response = server
        .router
        .clone()
        .oneshot(request(
            "GET",
            messages::NOTIFY_PATH,
            Some(&token_m),
            Some("3"),
            vec![],
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::OK);
    let mut events = response.into_body().into_data_stream();

    // Live: another device's push is announced (this also shows the server is
    // listening, so what follows is the revocation's doing, not a stream never begun).
    let mut seq = 1;
    let heard = loop {
        let (status, _) = server
            .push(&token_a, vec![envelope(clinic, admin, seq)])
            .await;
        assert_eq!(status, StatusCode::OK);
        seq += 1;
        if let Ok(next) = tokio::time::timeout(Duration::from_millis(500), events.next()).await {
            break next;
        }
        assert!(seq < 40, "no push was announced");
    };
    let frame = heard
        .unwrap_or_else(|| panic!("the stream ended"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&frame).contains("pushed"));

    server.revoke(&token_a, member).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        // Announcements already on their way may arrive first; then it ends.
        while let Some(frame) = events.next().await {
            frame.unwrap_or_else(|e| panic!("{e}"));
        }
    })
    .await;
    assert!(ended.is_ok(), "the revoked device's stream is still open");
    let (status, _) = server
        .push(&token_a, vec![envelope(clinic, admin, seq)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.get(messages::NOTIFY_PATH, &token_m).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "and cannot open another");
}
