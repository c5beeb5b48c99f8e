//! Device management the clinic authorises, over HTTP (issue 15, requirement 2;
//! SECURITY-REVIEW.md H4): a bearer token alone — any member device's, or a stolen
//! one — can neither invite, approve nor revoke; a managing device's signed request
//! cannot be replayed or altered; the clinic's last managing device cannot be revoked,
//! so no one can lock the clinic out; and a set-up must come from the key the clinic id
//! is made from.

use uuid::Uuid;
use vetdesk_proto::management::SIGNATURE_HEADER;
use vetdesk_proto::messages::{self, APPROVE_PATH, ENROLLMENT_CODES_PATH, REVOKE_PATH};

use super::{
    Server, StatusCode, code_of, device_token, founding, request, set_up_body, signature_of,
};

fn revoke_body(device_id: Uuid) -> Vec<u8> {
    messages::encode(&messages::Revoke { device_id })
}

fn code_body() -> Vec<u8> {
    messages::encode(&messages::NewEnrollmentCode { ttl_secs: 600 })
}

impl Server {
    /// A device enrolled with a real key and approved by `token`'s device; `manages`:
    /// approved as managing. Returns its id, token and key.
    pub(super) async fn member(
        &self,
        token: &str,
        manages: bool,
    ) -> (Uuid, String, ed25519_dalek::SigningKey) {
        let code = self.enrollment_code(token, 600).await;
        let key = ed25519_dalek::SigningKey::from_bytes(&rand::random());
        let device = Uuid::now_v7();
        let device_token = device_token();
        let body = messages::encode(&messages::Enroll {
            code,
            device_id: device,
            public_key: key.verifying_key().to_bytes(),
            introduction: vec![7; 80],
            token: device_token.clone(),
        });
        let (status, bytes) = self.post_from_anywhere("/v1/enroll", body).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        let approve = messages::encode(&messages::Approve {
            device_id: device,
            key_id: 1,
            wrapped_key: vec![9; 72],
            manages,
        });
        let (status, bytes) = self.post(APPROVE_PATH, Some(token), approve).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        (device, device_token, key)
    }

    /// A management POST as `token`'s device sends it, with `signature` as given.
    async fn post_signed(
        &self,
        path: &str,
        token: &str,
        body: Vec<u8>,
        signature: Option<&str>,
    ) -> (StatusCode, Vec<u8>) {
        let mut request = request("POST", path, Some(token), Some("3"), body);
        if let Some(signature) = signature {
            request.headers_mut().insert(
                SIGNATURE_HEADER,
                signature.parse().unwrap_or_else(|e| panic!("{e}")),
            );
        }
        self.call(request).await
    }

    async fn status_of(&self, device: Uuid) -> String {
        sqlx::query_scalar("SELECT status FROM devices WHERE device_id = $1")
            .bind(device)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

#[tokio::test]
async fn a_member_devices_token_cannot_invite_approve_or_revoke_nor_lock_the_clinic_out() {
    let server = Server::start().await;
    let (clinic, founder, token_a) = server.create_clinic().await;
    let (member, token_m, key_m) = server.member(&token_a, false).await;
    let (other, _, _) = server.member(&token_a, false).await;
    let codes_before: i64 = sqlx::query_scalar("SELECT count(*) FROM enrollment_codes")
        .fetch_one(&server.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // The member's token, unsigned or signed with its own (real) key: refused, for
    // every act, whatever it names — itself, the founder, another member.
    for (path, body) in [
        (ENROLLMENT_CODES_PATH, code_body()),
        (REVOKE_PATH, revoke_body(founder)),
        (REVOKE_PATH, revoke_body(other)),
        (REVOKE_PATH, revoke_body(member)),
    ] {
        let signed = signature_of(&key_m, clinic, member, path, 1, &body);
        for signature in [None, Some(signed.as_str())] {
            let (status, bytes) = server
                .post_signed(path, &token_m, body.clone(), signature)
                .await;
            assert_eq!(
                (status, code_of(&bytes)),
                (StatusCode::FORBIDDEN, "forbidden".to_string()),
                "{path} by a member, signed: {}",
                signature.is_some()
            );
        }
    }
    // The founder's token without its key: a stolen token is not enough either.
    let (status, _) = server
        .post_signed(REVOKE_PATH, &token_a, revoke_body(other), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let forged = signature_of(&key_m, clinic, founder, REVOKE_PATH, 5, &revoke_body(other));
    let (status, bytes) = server
        .post_signed(REVOKE_PATH, &token_a, revoke_body(other), Some(&forged))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&bytes).contains("signature"));

    // Nothing happened: every device as it was, no invitation made.
    for device in [founder, member, other] {
        assert_eq!(server.status_of(device).await, "approved");
    }
    let codes_after: i64 = sqlx::query_scalar("SELECT count(*) FROM enrollment_codes")
        .fetch_one(&server.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(codes_after, codes_before);

    // The founder is the clinic's only managing device: it cannot be revoked, not even
    // by itself, so the clinic is never locked out.
    let (status, bytes) = server
        .post(REVOKE_PATH, Some(&token_a), revoke_body(founder))
        .await;
    assert_eq!(
        (status, code_of(&bytes)),
        (StatusCode::CONFLICT, "conflict".to_string())
    );
    assert!(String::from_utf8_lossy(&bytes).contains("last device that can manage"));
    assert_eq!(server.status_of(founder).await, "approved");
    // It revokes the member, and still invites.
    let (status, _) = server
        .post(REVOKE_PATH, Some(&token_a), revoke_body(member))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.enrollment_code(&token_a, 600).await.len(), 10);
}

#[tokio::test]
async fn a_signed_request_cannot_be_replayed_altered_or_moved_to_another_device() {
    let server = Server::start().await;
    let (clinic, founder, token_a) = server.create_clinic().await;
    let key_a = server
        .founding_key(&token_a)
        .unwrap_or_else(|| panic!("no key"));
    let (victim, _, _) = server.member(&token_a, false).await;
    let (bystander, _, _) = server.member(&token_a, false).await;

    // A signed revocation of the victim, as a proxy on the way would see it.
    let body = revoke_body(victim);
    let counter = u64::MAX / 4;
    let signed = signature_of(&key_a, clinic, founder, REVOKE_PATH, counter, &body);
    // Altered on the way: another device named under the same signature.
    let (status, _) = server
        .post_signed(REVOKE_PATH, &token_a, revoke_body(bystander), Some(&signed))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "altered body");
    // Moved to another path.
    let (status, _) = server
        .post_signed(APPROVE_PATH, &token_a, body.clone(), Some(&signed))
        .await;
    assert_ne!(status, StatusCode::OK, "moved path");
    // As sent: taken once.
    let (status, _) = server
        .post_signed(REVOKE_PATH, &token_a, body.clone(), Some(&signed))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Replayed: refused, and so is any older counter.
    let (status, bytes) = server
        .post_signed(REVOKE_PATH, &token_a, body.clone(), Some(&signed))
        .await;
    assert_eq!(
        (status, code_of(&bytes)),
        (StatusCode::CONFLICT, "conflict".to_string()),
        "replay"
    );
    let older = signature_of(&key_a, clinic, founder, REVOKE_PATH, counter - 1, &body);
    let (status, _) = server
        .post_signed(REVOKE_PATH, &token_a, body, Some(&older))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "an older counter");
    assert_eq!(server.status_of(bystander).await, "approved");
}

#[tokio::test]
async fn a_second_managing_device_manages_and_the_clinic_always_keeps_one() {
    let server = Server::start().await;
    let (clinic, founder, token_a) = server.create_clinic().await;
    let (second, token_s, key_s) = server.member(&token_a, true).await;
    server.manages(&token_s, clinic, second, key_s);
    let (_, bytes) = server.get("/v1/devices", &token_a).await;
    let list: messages::DeviceList = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let manages: Vec<(Uuid, bool)> = list
        .devices
        .iter()
        .map(|d| (d.device_id, d.manages))
        .collect();
    assert!(manages.contains(&(founder, true)) && manages.contains(&(second, true)));

    // The second invites and approves on its own, and may now revoke the founder.
    let (third, _, _) = server.member(&token_s, false).await;
    assert_eq!(server.status_of(third).await, "approved");
    let (status, _) = server
        .post(REVOKE_PATH, Some(&token_s), revoke_body(founder))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Now it is the last one: it cannot revoke itself.
    let (status, _) = server
        .post(REVOKE_PATH, Some(&token_s), revoke_body(second))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(server.status_of(second).await, "approved");
}

#[tokio::test]
async fn a_clinic_is_set_up_only_with_the_key_its_id_is_made_from() {
    let server = Server::start().await;
    let (clinic, key) = founding();
    let (_, stranger) = founding();
    let device = Uuid::now_v7();
    // Another key than the one the id is made from; a random id; bytes that are no key.
    let not_a_point = {
        let mut body = set_up_body(clinic, &key, device, &device_token(), None);
        let at = body.len() - 32;
        body[at..].copy_from_slice(&[0xff; 32]);
        body
    };
    for (what, body) in [
        (
            "another key",
            set_up_body(clinic, &stranger, device, &device_token(), None),
        ),
        (
            "a random id",
            set_up_body(Uuid::now_v7(), &key, device, &device_token(), None),
        ),
        ("no key", not_a_point),
    ] {
        let (status, bytes) = server.post_from_anywhere("/v1/clinics", body).await;
        assert_eq!(
            (status, code_of(&bytes)),
            (StatusCode::BAD_REQUEST, "bad_request".to_string()),
            "{what}"
        );
    }
    let clinics: i64 = sqlx::query_scalar("SELECT count(*) FROM clinics")
        .fetch_one(&server.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(clinics, 0, "nothing stored");
    let (status, _) = server
        .post_from_anywhere(
            "/v1/clinics",
            set_up_body(clinic, &key, device, &device_token(), None),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
