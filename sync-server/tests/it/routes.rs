//! The sync routes over HTTP (the router called directly) against a real PostgreSQL:
//! clinic creation, push and pull with device tokens, tenancy, revocation, protocol
//! versions and bad bodies.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use sha2::Digest;
use tower::ServiceExt;
use uuid::Uuid;
use vetdesk_proto::messages::{
    self, BINARY_CONTENT_TYPE, Capabilities, CreateClinic, DeviceToken, PROTOCOL_HEADER,
    PullResponse, PushRequest, PushResponse, PushResult,
};
use vetdesk_sync_server::registration::{self, Registration};
use vetdesk_sync_server::{AppState, DEFAULT_MAX_BODY_BYTES, app};

use crate::pg;

struct Server {
    router: axum::Router,
    pool: sqlx::PgPool,
    /// The signing key of each managing device a test made, by its token, with the
    /// last counter it used.
    managers: std::sync::Mutex<std::collections::HashMap<String, Manager>>,
}

/// A device that manages its clinic's devices, as a test holds it.
struct Manager {
    clinic: Uuid,
    device: Uuid,
    key: ed25519_dalek::SigningKey,
    counter: u64,
}

/// The paths whose requests a managing device signs.
const MANAGEMENT_PATHS: [&str; 3] = [
    messages::ENROLLMENT_CODES_PATH,
    messages::APPROVE_PATH,
    messages::REVOKE_PATH,
];

/// A new founding device's key, and the clinic id made from it.
fn founding() -> (Uuid, ed25519_dalek::SigningKey) {
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::random());
    (
        vetdesk_proto::management::clinic_id_founded_by(&key.verifying_key().to_bytes()),
        key,
    )
}

/// A set-up request for `clinic`, founded by `key`.
fn set_up_body(
    clinic: Uuid,
    key: &ed25519_dalek::SigningKey,
    device: Uuid,
    token: &str,
    registration_token: Option<&str>,
) -> Vec<u8> {
    messages::encode(&CreateClinic {
        clinic_id: clinic,
        device_id: device,
        token: token.into(),
        registration_token: registration_token.map(str::to_owned),
        public_key: key.verifying_key().to_bytes(),
    })
}

/// The signature header of a management request signed by `key`.
fn signature_of(
    key: &ed25519_dalek::SigningKey,
    clinic: Uuid,
    device: Uuid,
    path: &str,
    counter: u64,
    body: &[u8],
) -> String {
    use ed25519_dalek::Signer;
    let message =
        vetdesk_proto::management::signed_message(clinic, device, "POST", path, counter, body);
    vetdesk_proto::management::signature_header(counter, &key.sign(&message).to_bytes())
}

impl Server {
    async fn start() -> Self {
        Self::start_with(Registration::Open).await
    }

    async fn start_with(registration: Registration) -> Self {
        Self::start_over(|pool| AppState::new(pool, registration)).await
    }

    /// A server over a fresh database, with the state `configure` makes.
    async fn start_over(configure: impl FnOnce(sqlx::PgPool) -> AppState) -> Self {
        let pool = pg::fresh_migrated_pool().await;
        Self {
            router: app(configure(pool.clone()), DEFAULT_MAX_BODY_BYTES),
            pool,
            managers: std::sync::Mutex::default(),
        }
    }

    async fn call(&self, request: Request<Body>) -> (StatusCode, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (status, body.to_vec())
    }

    async fn create_clinic(&self) -> (Uuid, Uuid, String) {
        let ((clinic, key), device) = (founding(), Uuid::now_v7());
        let body = set_up_body(clinic, &key, device, &device_token(), None);
        let (status, bytes) = self
            .call(request("POST", "/v1/clinics", None, Some("3"), body))
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        let token: DeviceToken = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
        self.manages(&token.token, clinic, device, key);
        (clinic, device, token.token)
    }

    /// Notes that `token`'s device manages its clinic's devices with `key`: the test's
    /// management requests with that token are signed.
    fn manages(&self, token: &str, clinic: Uuid, device: Uuid, key: ed25519_dalek::SigningKey) {
        if let Ok(mut managers) = self.managers.lock() {
            managers.insert(
                token.to_string(),
                Manager {
                    clinic,
                    device,
                    key,
                    counter: 0,
                },
            );
        }
    }

    /// The founding key of the clinic `token`'s device set up.
    fn founding_key(&self, token: &str) -> Option<ed25519_dalek::SigningKey> {
        let managers = self.managers.lock().ok()?;
        managers.get(token).map(|m| m.key.clone())
    }

    /// The signature header for a management request of `token`'s device, if it is
    /// one the test holds the key of.
    fn sign(&self, token: &str, path: &str, body: &[u8]) -> Option<String> {
        let mut managers = self.managers.lock().ok()?;
        let manager = managers.get_mut(token)?;
        manager.counter += 1;
        Some(signature_of(
            &manager.key,
            manager.clinic,
            manager.device,
            path,
            manager.counter,
            body,
        ))
    }

    async fn push(&self, token: &str, envelopes: Vec<Vec<u8>>) -> (StatusCode, Vec<u8>) {
        let body = messages::encode(&PushRequest { envelopes });
        self.call(request("POST", "/v1/push", Some(token), Some("3"), body))
            .await
    }

    async fn pull(&self, token: &str, after: u64) -> PullResponse {
        let (status, bytes) = self
            .call(request(
                "GET",
                &format!("/v1/pull?after={after}"),
                Some(token),
                Some("3"),
                vec![],
            ))
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"))
    }
}

fn request(
    method: &str,
    path: &str,
    token: Option<&str>,
    protocol: Option<&str>,
    body: Vec<u8>,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", BINARY_CONTENT_TYPE);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(protocol) = protocol {
        builder = builder.header(PROTOCOL_HEADER, protocol);
    }
    builder
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An envelope as a device pushes it now, with a small opaque body.
fn envelope(clinic: Uuid, device: Uuid, seq: u64) -> Vec<u8> {
    crate::envelopes::envelope(clinic, device, seq, crate::envelopes::now_ms(), 40)
}

/// A token as a device makes it for itself: 32 random bytes, base64url.
fn device_token() -> String {
    use base64::Engine;
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn code_of(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("not JSON: {}", String::from_utf8_lossy(body)))
}

#[tokio::test]
async fn a_device_pushes_and_pulls_and_pushing_twice_is_harmless() {
    let server = Server::start().await;
    let (status, caps) = server
        .call(request("GET", "/v1/capabilities", None, None, vec![]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let caps: Capabilities = serde_json::from_slice(&caps).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((caps.protocol_version, caps.max_push_envelopes), (3, 256));

    let (clinic, device, token) = server.create_clinic().await;
    let batch = vec![envelope(clinic, device, 1), envelope(clinic, device, 2)];
    let (status, bytes) = server.push(&token, batch.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let response: PushResponse = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        response.results,
        [
            PushResult::Stored { server_seq: 1 },
            PushResult::Stored { server_seq: 2 }
        ]
    );
    assert_eq!(response.highest_acknowledged_seq, 2);

    let (_, bytes) = server.push(&token, batch.clone()).await;
    let again: PushResponse = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        again.results,
        [
            PushResult::Duplicate { server_seq: 1 },
            PushResult::Duplicate { server_seq: 2 }
        ]
    );

    let page = server.pull(&token, 0).await;
    assert_eq!(
        page.envelopes
            .iter()
            .map(|(s, b)| (*s, b.clone()))
            .collect::<Vec<_>>(),
        [(1, batch[0].clone()), (2, batch[1].clone())]
    );
    assert_eq!((page.next, page.has_more), (2, false));
    assert!(page.server_time_ms > 0);
    assert!(server.pull(&token, 2).await.envelopes.is_empty());
}

#[tokio::test]
async fn a_device_of_one_clinic_cannot_reach_another_clinics_data() {
    let server = Server::start().await;
    let (clinic_a, device_a, token_a) = server.create_clinic().await;
    let (clinic_b, device_b, token_b) = server.create_clinic().await;
    server
        .push(&token_a, vec![envelope(clinic_a, device_a, 1)])
        .await;

    assert!(
        server.pull(&token_b, 0).await.envelopes.is_empty(),
        "B sees none of A's envelopes"
    );
    // B pushing envelopes that name A (or A's device) stores nothing in A.
    let (_, bytes) = server
        .push(
            &token_b,
            vec![
                envelope(clinic_a, device_a, 2),
                envelope(clinic_b, device_a, 1),
            ],
        )
        .await;
    let response: PushResponse = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        response
            .results
            .iter()
            .all(|r| matches!(r, PushResult::Refused { .. })),
        "{response:?}"
    );
    assert_eq!(server.pull(&token_a, 0).await.envelopes.len(), 1);
    let _ = (clinic_b, device_b);

    // Setting up an existing clinic again does not hand out a token for it, not even
    // to a request naming its founder's (public) key.
    let founder = server
        .founding_key(&token_a)
        .unwrap_or_else(|| panic!("no founder"));
    let body = set_up_body(clinic_a, &founder, Uuid::now_v7(), &device_token(), None);
    let (status, bytes) = server
        .call(request("POST", "/v1/clinics", None, Some("3"), body))
        .await;
    assert_eq!(
        (status, code_of(&bytes)),
        (StatusCode::CONFLICT, "conflict".to_string())
    );
}

#[tokio::test]
async fn missing_unknown_revoked_and_pending_devices_are_refused() {
    let server = Server::start().await;
    let (clinic, device, token) = server.create_clinic().await;
    let pull =
        |token: Option<String>| request("GET", "/v1/pull", token.as_deref(), Some("3"), vec![]);
    let (status, body) = server.call(pull(None)).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized".to_string())
    );
    let (status, _) = server.call(pull(Some("not-a-token".into()))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let set_status = |s: &'static str| {
        sqlx::query("UPDATE devices SET status = $3 WHERE clinic_id = $1 AND device_id = $2")
            .bind(clinic)
            .bind(device)
            .bind(s)
            .execute(&server.pool)
    };
    set_status("pending")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = server.call(pull(Some(token.clone()))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{}",
        String::from_utf8_lossy(&body)
    );
    set_status("revoked")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, _) = server.call(pull(Some(token.clone()))).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revocation takes effect on the next request"
    );
    let (status, _) = server.push(&token, vec![envelope(clinic, device, 1)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn old_and_new_clients_are_told_to_update_and_bad_bodies_are_400() {
    let server = Server::start().await;
    let (_, _, token) = server.create_clinic().await;
    for (protocol, says) in [
        (None, "update Vetdesk"),
        (Some("0"), "update Vetdesk"),
        (Some("99"), "update the sync server"),
    ] {
        let (status, body) = server
            .call(request("GET", "/v1/pull", Some(&token), protocol, vec![]))
            .await;
        assert_eq!(
            (status, code_of(&body)),
            (StatusCode::UPGRADE_REQUIRED, "update_required".to_string())
        );
        assert!(
            String::from_utf8_lossy(&body).contains(says),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
    let (status, body) = server
        .call(request(
            "POST",
            "/v1/push",
            Some(&token),
            Some("3"),
            vec![0xff; 9],
        ))
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::BAD_REQUEST, "bad_request".to_string())
    );
    // Ten million empty envelopes in a 10 MB body: refused from its count, before
    // anything is allocated for them.
    let mut flood = messages::encode(&10_000_000u64);
    flood.resize(flood.len() + 10_000_000, 0);
    let (status, body) = server
        .call(request("POST", "/v1/push", Some(&token), Some("3"), flood))
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::BAD_REQUEST, "bad_request".to_string())
    );
    let too_many = PushRequest {
        envelopes: vec![vec![0u8; 1]; 257],
    };
    let (status, body) = server
        .call(request(
            "POST",
            "/v1/push",
            Some(&token),
            Some("3"),
            messages::encode(&too_many),
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );
}

impl Server {
    /// A GET with a device token, speaking protocol 1.
    async fn get(&self, path: &str, token: &str) -> (StatusCode, Vec<u8>) {
        self.call(request("GET", path, Some(token), Some("3"), vec![]))
            .await
    }

    /// A POST; a management request of a device whose key the test holds is signed.
    async fn post(&self, path: &str, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let signature = token
            .filter(|_| MANAGEMENT_PATHS.contains(&path))
            .and_then(|t| self.sign(t, path, &body));
        let mut request = request("POST", path, token, Some("3"), body);
        if let Some(signature) = signature {
            request.headers_mut().insert(
                vetdesk_proto::management::SIGNATURE_HEADER,
                signature.parse().unwrap_or_else(|e| panic!("{e}")),
            );
        }
        self.call(request).await
    }

    async fn enrollment_code(&self, token: &str, ttl_secs: u64) -> String {
        let (status, bytes) = self
            .post(
                "/v1/enrollment-codes",
                Some(token),
                messages::encode(&messages::NewEnrollmentCode { ttl_secs }),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
        let code: messages::EnrollmentCode =
            messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
        code.code
    }

    async fn enroll(&self, code: &str, device: Uuid) -> (StatusCode, Vec<u8>) {
        self.enroll_with(code, device, &device_token()).await
    }

    async fn enroll_with(&self, code: &str, device: Uuid, token: &str) -> (StatusCode, Vec<u8>) {
        let body = messages::encode(&messages::Enroll {
            code: code.into(),
            device_id: device,
            public_key: [4; 32],
            introduction: vec![7; 80],
            token: token.into(),
        });
        self.post_from_anywhere("/v1/enroll", body).await
    }

    /// An unauthenticated POST from an address of its own (so the per-address limit of
    /// unauthenticated requests does not decide what a test checks).
    async fn post_from_anywhere(&self, path: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let mut request = request("POST", path, None, Some("3"), body);
        let address: [u8; 4] = [10, rand::random(), rand::random(), rand::random()];
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                address, 40_000,
            ))));
        self.call(request).await
    }
}

#[tokio::test]
async fn enrolling_and_managing_devices_needs_protocol_3_and_proofs_are_bounded() {
    let server = Server::start().await;
    let (_, _, token) = server.create_clinic().await;
    // A version-1 device (enrollment without proofs) or version-2 one (management
    // without signatures) is told to update on every device route, but still syncs.
    for (old, (method, path, body)) in ["1", "2"].into_iter().flat_map(|old| {
        [
            (
                "POST",
                "/v1/enrollment-codes",
                messages::encode(&messages::NewEnrollmentCode { ttl_secs: 600 }),
            ),
            ("GET", "/v1/devices", vec![]),
            ("GET", "/v1/key", vec![]),
        ]
        .map(|route| (old, route))
    }) {
        let (status, body) = server
            .call(request(method, path, Some(&token), Some(old), body))
            .await;
        assert_eq!(
            (status, code_of(&body)),
            (StatusCode::UPGRADE_REQUIRED, "update_required".to_string()),
            "{path} at {old}"
        );
        assert!(String::from_utf8_lossy(&body).contains("update Vetdesk"));
    }
    let code = server.enrollment_code(&token, 600).await;
    let old_enroll = messages::encode(&messages::Enroll {
        code: code.clone(),
        device_id: Uuid::now_v7(),
        public_key: [4; 32],
        introduction: vec![7; 80],
        token: device_token(),
    });
    let (status, _) = server
        .call(request("POST", "/v1/enroll", None, Some("1"), old_enroll))
        .await;
    assert_eq!(status, StatusCode::UPGRADE_REQUIRED);
    let (status, bytes) = server
        .call(request("GET", "/v1/pull", Some(&token), Some("1"), vec![]))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );

    // An empty or oversized introduction is refused and does not spend the code.
    for introduction in [vec![], vec![7; messages::MAX_ENROLLMENT_PROOF_BYTES + 1]] {
        let body = messages::encode(&messages::Enroll {
            code: code.clone(),
            device_id: Uuid::now_v7(),
            public_key: [4; 32],
            introduction,
            token: device_token(),
        });
        let (status, body) = server.post("/v1/enroll", None, body).await;
        assert_eq!(
            (status, code_of(&body)),
            (StatusCode::BAD_REQUEST, "bad_request".to_string())
        );
    }
    let device = Uuid::now_v7();
    let (status, _) = server.enroll(&code, device).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the code was not spent by the refusals"
    );
    let oversized = messages::encode(&messages::Approve {
        device_id: device,
        key_id: 1,
        wrapped_key: vec![9; messages::MAX_ENROLLMENT_PROOF_BYTES + 1],
        manages: false,
    });
    let (status, _) = server
        .post("/v1/devices/approve", Some(&token), oversized)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn set_up_and_enroll_sent_again_after_a_lost_answer_get_the_same_answer_and_no_one_else_does()
{
    let server = Server::start().await;
    let ((clinic, key), device, token) = (founding(), Uuid::now_v7(), device_token());
    let set_up = |device: Uuid, token: &str| set_up_body(clinic, &key, device, token, None);
    for attempt in ["first", "sent again"] {
        let (status, bytes) = server
            .post("/v1/clinics", None, set_up(device, &token))
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{attempt}: {}",
            String::from_utf8_lossy(&bytes)
        );
        let answer: DeviceToken = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.token, token, "{attempt}");
    }
    server.manages(&token, clinic, device, key.clone());
    assert!(
        server.pull(&token, 0).await.envelopes.is_empty(),
        "the token works"
    );
    for (who, body) in [
        ("another token", set_up(device, &device_token())),
        ("another device", set_up(Uuid::now_v7(), &token)),
    ] {
        let (status, bytes) = server.post_from_anywhere("/v1/clinics", body).await;
        assert_eq!(
            (status, code_of(&bytes)),
            (StatusCode::CONFLICT, "conflict".to_string()),
            "{who}"
        );
    }
    for bad in [
        "",
        "short",
        &"A".repeat(44),
        "not base64 at all, not at all.......",
    ] {
        let (clinic, key) = founding();
        let body = set_up_body(clinic, &key, Uuid::now_v7(), bad, None);
        let (status, _) = server.post_from_anywhere("/v1/clinics", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    let devices: i64 = sqlx::query_scalar("SELECT count(*) FROM devices")
        .fetch_one(&server.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(devices, 1, "nothing stored for the refused ones");

    let code = server.enrollment_code(&token, 600).await;
    let (new_device, new_token) = (Uuid::now_v7(), device_token());
    for attempt in ["first", "sent again"] {
        let (status, bytes) = server.enroll_with(&code, new_device, &new_token).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{attempt}: {}",
            String::from_utf8_lossy(&bytes)
        );
        let enrolled: messages::Enrolled =
            messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (enrolled.clinic_id, enrolled.token.as_str()),
            (clinic, new_token.as_str())
        );
    }
    for (who, device, token) in [
        (
            "the same device with another token",
            new_device,
            device_token(),
        ),
        (
            "another device with the same token",
            Uuid::now_v7(),
            new_token.clone(),
        ),
    ] {
        let (status, _) = server.enroll_with(&code, device, &token).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: the code is used");
    }
}

#[tokio::test]
async fn new_clinics_register_only_as_the_operator_allows() {
    let set_up = |registration_token: Option<&str>| {
        let (clinic, key) = founding();
        set_up_body(
            clinic,
            &key,
            Uuid::now_v7(),
            &device_token(),
            registration_token,
        )
    };
    let clinics = |server: &Server| {
        let pool = server.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM clinics")
                .fetch_one(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }
    };

    let closed = Server::start_with(Registration::Closed).await;
    let (status, body) = closed.post_from_anywhere("/v1/clinics", set_up(None)).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
    assert!(String::from_utf8_lossy(&body).contains("does not register new clinics"));
    assert_eq!(clinics(&closed).await, 0);

    let by_token = Server::start_with(Registration::Token).await;
    let issued = registration::issue_token(&by_token.pool, "Riverside Vets")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (what, token) in [
        ("no token", None),
        ("a mistyped token", Some("not-the-token")),
    ] {
        let (status, body) = by_token
            .post_from_anywhere("/v1/clinics", set_up(token))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{what}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    assert_eq!(
        clinics(&by_token).await,
        0,
        "nothing registered for the refused"
    );
    let first = set_up(Some(&issued));
    let (status, body) = by_token
        .post_from_anywhere("/v1/clinics", first.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let (status, _) = by_token.post_from_anywhere("/v1/clinics", first).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the same set-up again, after a lost answer"
    );
    let (status, body) = by_token
        .post_from_anywhere("/v1/clinics", set_up(Some(&issued)))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a token works once");
    assert!(String::from_utf8_lossy(&body).contains("not valid"));
    assert_eq!(clinics(&by_token).await, 1);
    let used_by: Option<Uuid> = sqlx::query_scalar(
        "SELECT clinic_id FROM registration_tokens WHERE note = 'Riverside Vets'",
    )
    .fetch_one(&by_token.pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        used_by.is_some(),
        "the token names the clinic it registered"
    );
}

#[tokio::test]
async fn a_new_device_enrolls_with_a_one_time_code_and_works_once_approved() {
    let server = Server::start().await;
    let (clinic, _, token_a) = server.create_clinic().await;
    let code = server.enrollment_code(&token_a, 600).await;
    assert_eq!(code.len(), 10);

    // Typed in lower case with a dash, it still works — once.
    let typed = format!("{}-{}", &code[..5].to_lowercase(), &code[5..]);
    let new_device = Uuid::now_v7();
    let (status, bytes) = server.enroll(&typed, new_device).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let enrolled: messages::Enrolled = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(enrolled.clinic_id, clinic);
    let (status, body) = server.enroll(&code, Uuid::now_v7()).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::FORBIDDEN, "forbidden".to_string()),
        "a used code"
    );

    // Pending: it may not sync yet, and the clinic's devices show it with its key.
    let (status, _) = server.get("/v1/pull", &enrolled.token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, bytes) = server.get("/v1/devices", &token_a).await;
    let list: messages::DeviceList = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let pending = list
        .devices
        .iter()
        .find(|d| d.device_id == new_device)
        .unwrap_or_else(|| panic!("{list:?}"));
    assert_eq!(
        (pending.status.as_str(), pending.public_key),
        ("pending", Some([4; 32]))
    );
    // The introduction is relayed as sent, with what the device enrolled with: the
    // hash of the code's server part, so the inviting device can tell its own invitee.
    let code_hash: [u8; 32] = sha2::Sha256::digest(code.as_bytes()).into();
    assert_eq!(
        (pending.introduction.as_deref(), pending.enrolled_with),
        (Some(&[7u8; 80][..]), Some(code_hash))
    );

    let approve = messages::encode(&messages::Approve {
        device_id: new_device,
        key_id: 1,
        wrapped_key: vec![9; 72],
        manages: false,
    });
    let (status, _) = server
        .post("/v1/devices/approve", Some(&token_a), approve)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        server.pull(&enrolled.token, 0).await.envelopes.is_empty(),
        "approved: it syncs"
    );
    let (status, bytes) = server.get("/v1/key", &enrolled.token).await;
    assert_eq!(status, StatusCode::OK);
    let key: messages::WrappedKey = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((key.key_id, key.wrapped_key), (1, vec![9; 72]));

    let revoke = messages::encode(&messages::Revoke {
        device_id: new_device,
    });
    let (status, _) = server
        .post("/v1/devices/revoke", Some(&token_a), revoke)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.get("/v1/pull", &enrolled.token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked at once");
}

#[tokio::test]
async fn expired_and_mistyped_codes_are_refused_and_another_clinic_cannot_approve_or_revoke() {
    let server = Server::start().await;
    let (_, _, token_a) = server.create_clinic().await;
    let (_, _, token_b) = server.create_clinic().await;
    let code = server.enrollment_code(&token_a, 600).await;
    sqlx::query("UPDATE enrollment_codes SET expires_at = now() - interval '1 second'")
        .execute(&server.pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (status, body) = server.enroll(&code, Uuid::now_v7()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "expired: {}",
        String::from_utf8_lossy(&body)
    );
    assert!(
        String::from_utf8_lossy(&body).contains("make a new one")
            || String::from_utf8_lossy(&body).contains("Make a new one")
    );
    let (status, _) = server.enroll("ZZZZZZZZZZ", Uuid::now_v7()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "mistyped");

    let fresh = server.enrollment_code(&token_a, 600).await;
    let pending_device = Uuid::now_v7();
    assert_eq!(
        server.enroll(&fresh, pending_device).await.0,
        StatusCode::OK
    );
    let approve = messages::encode(&messages::Approve {
        device_id: pending_device,
        key_id: 1,
        wrapped_key: vec![1; 72],
        manages: false,
    });
    let (status, body) = server
        .post("/v1/devices/approve", Some(&token_b), approve)
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::NOT_FOUND, "not_found".to_string())
    );
    let revoke = messages::encode(&messages::Revoke {
        device_id: pending_device,
    });
    let (status, _) = server
        .post("/v1/devices/revoke", Some(&token_b), revoke)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "B cannot even learn that A's device exists"
    );
    let (_, bytes) = server.get("/v1/devices", &token_b).await;
    let list: messages::DeviceList = messages::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        list.devices.iter().all(|d| d.device_id != pending_device),
        "{list:?}"
    );
}

#[tokio::test]
async fn metrics_count_what_happened_and_a_flooding_device_is_slowed_down() {
    let server = Server::start().await;
    let (clinic, device, token) = server.create_clinic().await;
    server
        .push(
            &token,
            vec![envelope(clinic, device, 1), envelope(clinic, device, 1)],
        )
        .await;
    server.pull(&token, 0).await;
    let (status, body) = server
        .call(request("GET", "/metrics", None, None, vec![]))
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8_lossy(&body);
    for line in [
        "vetdesk_sync_envelopes_stored_total 1",
        "vetdesk_sync_envelopes_duplicate_total 1",
        "vetdesk_sync_envelopes_served_total 1",
        "vetdesk_sync_requests_total{route=\"push\",outcome=\"ok\"} 1",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(
        !text.contains(&clinic.to_string()) && !text.contains(&device.to_string()),
        "no tenant ids in metrics"
    );

    // Far beyond the burst: some requests get 429 with a readable code.
    let mut limited = 0;
    for _ in 0..100 {
        let (status, body) = server.get("/v1/pull", &token).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(code_of(&body), "rate_limited");
            limited += 1;
        }
    }
    assert!(limited > 0, "a device flooding the server is slowed down");
}

#[tokio::test]
async fn blobs_are_stored_by_content_hash_and_only_for_their_clinic() {
    use sha2::{Digest, Sha256};
    let server = Server::start().await;
    let (_, _, token_a) = server.create_clinic().await;
    let (_, _, token_b) = server.create_clinic().await;
    let body = b"sealed recording bytes".to_vec();
    let hash: String = Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = format!("/v1/blobs/{hash}");
    for _ in 0..2 {
        let (status, _) = server
            .call(request(
                "PUT",
                &path,
                Some(&token_a),
                Some("3"),
                body.clone(),
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "putting twice is harmless");
    }
    let (status, got) = server.get(&path, &token_a).await;
    assert_eq!((status, got), (StatusCode::OK, body.clone()));
    let (status, _) = server.get(&path, &token_b).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another clinic's blob looks like none"
    );
    let (status, bytes) = server
        .call(request(
            "PUT",
            &path,
            Some(&token_a),
            Some("3"),
            b"other bytes".to_vec(),
        ))
        .await;
    assert_eq!(
        (status, code_of(&bytes)),
        (StatusCode::BAD_REQUEST, "bad_request".to_string())
    );
    let (status, _) = server.get("/v1/blobs/nothex", &token_a).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn guessing_enrollment_codes_from_one_address_is_slowed_down_and_others_are_not() {
    let server = Server::start().await;
    let guess_from =
        |address: [u8; 4]| {
            let body = messages::encode(&messages::Enroll {
                code: "GUESS12345".into(),
                device_id: Uuid::now_v7(),
                public_key: [4; 32],
                introduction: vec![7; 80],
                token: device_token(),
            });
            let mut request = request("POST", "/v1/enroll", None, Some("3"), body);
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                std::net::SocketAddr::from((address, 40_000)),
            ));
            request
        };
    let attacker = [203, 0, 113, 9];
    for attempt in 0..vetdesk_sync_server::metrics::ADDRESS_BURST {
        let (status, _) = server.call(guess_from(attacker)).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "attempt {attempt}: a wrong code"
        );
    }
    let (status, body) = server.call(guess_from(attacker)).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited".to_string())
    );
    // Another address (a clinic enrolling its own device) is not held up.
    let (status, _) = server.call(guess_from([198, 51, 100, 7])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// `request` as if it came over TCP from `peer`, with an `X-Forwarded-For` header.
fn arriving_from(
    mut request: Request<Body>,
    peer: [u8; 4],
    forwarded_for: Option<&str>,
) -> Request<Body> {
    if let Some(chain) = forwarded_for {
        request.headers_mut().insert(
            "x-forwarded-for",
            chain.parse().unwrap_or_else(|e| panic!("{e}")),
        );
    }
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            peer, 40_000,
        ))));
    request
}

#[tokio::test]
async fn made_up_tokens_are_slowed_down_per_address_before_they_cost_a_lookup() {
    let server = Server::start().await;
    let (_, _, token) = server.create_clinic().await;
    let pull = |token: &str, peer: [u8; 4]| {
        arriving_from(
            request("GET", "/v1/pull", Some(token), Some("3"), vec![]),
            peer,
            None,
        )
    };
    let flooder = [203, 0, 113, 66];
    let mut statuses = Vec::new();
    for _ in 0..vetdesk_sync_server::metrics::JUNK_TOKEN_BURST + 5 {
        statuses.push(server.call(pull(&device_token(), flooder)).await.0);
    }
    let burst = vetdesk_sync_server::metrics::JUNK_TOKEN_BURST as usize;
    assert!(
        statuses[..burst]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED)
            && statuses[burst..]
                .iter()
                .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // Another address is not slowed down, with a made-up token or a real one.
    let (status, _) = server.call(pull(&device_token(), [198, 51, 100, 1])).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.call(pull(&token, [198, 51, 100, 2])).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_allowance_and_no_one_else_can_claim_one() {
    let proxy = [10, 0, 0, 1];
    let server = Server::start_over(|pool| {
        AppState::new(pool, Registration::Open)
            .with_trusted_proxies(vec![std::net::IpAddr::from(proxy)])
    })
    .await;
    let guess = |peer: [u8; 4], forwarded_for: &str| {
        let body = messages::encode(&messages::Enroll {
            code: "GUESS12345".into(),
            device_id: Uuid::now_v7(),
            public_key: [4; 32],
            introduction: vec![7; 80],
            token: device_token(),
        });
        arriving_from(
            request("POST", "/v1/enroll", None, Some("3"), body),
            peer,
            Some(forwarded_for),
        )
    };
    let burst = vetdesk_sync_server::metrics::ADDRESS_BURST;
    for _ in 0..burst {
        let (status, _) = server.call(guess(proxy, "203.0.113.9")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a wrong code");
    }
    let (status, _) = server.call(guess(proxy, "203.0.113.9")).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "this client is slowed down"
    );
    let (status, _) = server.call(guess(proxy, "203.0.113.10")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another client behind the proxy is not"
    );

    // A client that talks to the server directly cannot pick a new address per try.
    let direct = [198, 51, 100, 7];
    let mut statuses = Vec::new();
    for n in 0..=burst {
        statuses.push(server.call(guess(direct, &format!("192.0.2.{n}"))).await.0);
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn devices_of_two_clinics_with_the_same_id_do_not_share_a_rate_limit() {
    // A budget that does not refill while the test runs, however slow the machine.
    let burst = 5;
    let server = Server::start_over(|pool| {
        AppState::new(pool, Registration::Open)
            .with_device_rate(burst, std::time::Duration::from_secs(3600))
    })
    .await;
    let device = Uuid::now_v7();
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let token = device_token();
        let (clinic, key) = founding();
        let body = set_up_body(clinic, &key, device, &token, None);
        let (status, _) = server.post_from_anywhere("/v1/clinics", body).await;
        assert_eq!(status, StatusCode::OK);
        tokens.push(token);
    }
    let mut limited = false;
    for _ in 0..=burst {
        let (status, _) = server.get("/v1/pull?after=0", &tokens[0]).await;
        limited |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "the first clinic's device ran out of its burst");
    let (status, _) = server.get("/v1/pull?after=0", &tokens[1]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the other clinic's device of the same id did not"
    );
}

#[tokio::test]
async fn a_clinic_over_its_storage_quota_is_told_507_and_still_pulls() {
    let server =
        Server::start_over(|pool| AppState::new(pool, Registration::Open).with_clinic_quota(1000))
            .await;
    let (clinic, device, token) = server.create_clinic().await;
    let (status, body) = server.push(&token, vec![envelope(clinic, device, 1)]).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let big = crate::envelopes::envelope(clinic, device, 2, crate::envelopes::now_ms(), 2000);
    let (status, body) = server.push(&token, vec![big]).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::INSUFFICIENT_STORAGE, "storage_full".to_string())
    );
    assert!(String::from_utf8_lossy(&body).contains("stay on this device"));
    assert_eq!(server.pull(&token, 0).await.envelopes.len(), 1);

    // Blobs count toward the same quota; one stored twice counts once.
    let put = |bytes: Vec<u8>| {
        let hash: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        request(
            "PUT",
            &format!("/v1/blobs/{hash}"),
            Some(&token),
            Some("3"),
            bytes,
        )
    };
    let stored_by_envelope: i64 =
        sqlx::query_scalar("SELECT stored_bytes FROM clinic_counters WHERE clinic_id = $1")
            .bind(clinic)
            .fetch_one(&server.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let room = 1000 - usize::try_from(stored_by_envelope).unwrap_or(1000);
    for _ in 0..2 {
        let (status, _) = server.call(put(vec![3; room])).await;
        assert_eq!(status, StatusCode::OK, "exactly what is left fits, twice");
    }
    let (status, body) = server.call(put(vec![4; 1])).await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::INSUFFICIENT_STORAGE, "storage_full".to_string())
    );
}

#[tokio::test]
async fn invitations_do_not_pile_up_on_the_server() {
    let server = Server::start().await;
    let (clinic, _, token) = server.create_clinic().await;
    for _ in 0..vetdesk_sync_server::MAX_WAITING_ENROLLMENT_CODES {
        server.enrollment_code(&token, 600).await;
    }
    let (status, body) = server
        .post(
            "/v1/enrollment-codes",
            Some(&token),
            messages::encode(&messages::NewEnrollmentCode { ttl_secs: 600 }),
        )
        .await;
    assert_eq!(
        (status, code_of(&body)),
        (StatusCode::CONFLICT, "conflict".to_string())
    );
    assert!(String::from_utf8_lossy(&body).contains("invitations waiting"));
    // Once they have expired they go, and new ones can be made.
    sqlx::query(
        "UPDATE enrollment_codes SET expires_at = now() - interval '1 second' WHERE clinic_id = $1",
    )
    .bind(clinic)
    .execute(&server.pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    server.enrollment_code(&token, 600).await;
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM enrollment_codes WHERE clinic_id = $1")
            .bind(clinic)
            .fetch_one(&server.pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(left, 1, "the expired ones were deleted");
}

/// What the server holds, table by table.
async fn stored_rows(pool: &sqlx::PgPool) -> Vec<i64> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT count(*) FROM clinics",
        "SELECT count(*) FROM devices",
        "SELECT count(*) FROM envelopes",
        "SELECT count(*) FROM enrollment_codes",
        "SELECT count(*) FROM blobs",
        "SELECT count(*) FROM key_grants",
    ] {
        counts.push(
            sqlx::query_scalar(sql)
                .fetch_one(pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        );
    }
    counts
}

#[tokio::test]
async fn every_endpoint_answers_bad_requests_with_a_clear_4xx_and_stores_nothing() {
    let server = Server::start().await;
    let (_, _, token) = server.create_clinic().await;
    let before = stored_rows(&server.pool).await;
    let blob = format!("/v1/blobs/{}", "ab".repeat(32));
    // (method, path, needs a device token, takes a body)
    let endpoints = [
        ("POST", "/v1/clinics", false, true),
        ("POST", "/v1/push", true, true),
        ("GET", "/v1/pull", true, false),
        ("POST", "/v1/enrollment-codes", true, true),
        ("POST", "/v1/enroll", false, true),
        ("GET", "/v1/devices", true, false),
        ("POST", "/v1/devices/approve", true, true),
        ("POST", "/v1/devices/revoke", true, true),
        ("GET", "/v1/key", true, false),
        ("GET", "/v1/notify", true, false),
        ("POST", "/v1/key-grants", true, true),
        ("GET", "/v1/key-grants", true, false),
        ("PUT", blob.as_str(), true, true),
        ("GET", blob.as_str(), true, false),
    ];
    let oversized = vec![0u8; DEFAULT_MAX_BODY_BYTES + 1];
    for (method, path, needs_token, takes_body) in endpoints {
        let token = needs_token.then_some(token.as_str());
        let (status, body) = server
            .call(request(method, path, token, None, vec![]))
            .await;
        assert_eq!(
            (status, code_of(&body)),
            (StatusCode::UPGRADE_REQUIRED, "update_required".to_string()),
            "{method} {path} without a protocol"
        );
        if needs_token {
            for bad in [None, Some("junk"), Some("")] {
                // Each from an address of its own: made-up tokens from one address are
                // slowed down (tested above), which is not what this checks.
                let peer = [192, 0, 2, rand::random()];
                let (status, body) = server
                    .call(arriving_from(
                        request(method, path, bad, Some("3"), vec![]),
                        peer,
                        None,
                    ))
                    .await;
                assert_eq!(
                    (status, code_of(&body)),
                    (StatusCode::UNAUTHORIZED, "unauthorized".to_string()),
                    "{method} {path} with token {bad:?}"
                );
            }
        }
        if takes_body {
            let (status, body) = server
                .call(request(method, path, token, Some("3"), vec![0xff; 9]))
                .await;
            assert_eq!(
                (status, code_of(&body)),
                (StatusCode::BAD_REQUEST, "bad_request".to_string()),
                "{method} {path} with a malformed body"
            );
            let (status, _) = server
                .call(request(method, path, token, Some("3"), oversized.clone()))
                .await;
            assert_eq!(
                status,
                StatusCode::PAYLOAD_TOO_LARGE,
                "{method} {path} with an oversized body"
            );
        }
    }
    // Replayed: an approval of a device that is not pending (any more) is refused.
    let approve = messages::encode(&messages::Approve {
        device_id: Uuid::now_v7(),
        key_id: 1,
        wrapped_key: vec![9; 72],
        manages: false,
    });
    for _ in 0..2 {
        let (status, _) = server
            .post("/v1/devices/approve", Some(&token), approve.clone())
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        stored_rows(&server.pool).await,
        before,
        "nothing was stored"
    );
    assert!(
        server.pull(&token, 0).await.envelopes.is_empty(),
        "and the server still serves"
    );
}

mod key_grants;
mod management;
