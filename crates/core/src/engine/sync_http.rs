//! The sync [`Transport`] over HTTP (ureq, blocking: a round runs on a background
//! thread). Bodies are postcard; errors come back as the server's `{code, message}`.

use std::time::Duration;

use uuid::Uuid;
use vetdesk_proto::PROTOCOL_VERSION;
use vetdesk_proto::errors::{ErrorBody, ServerErrorCode};
use vetdesk_proto::messages::{
    self, APPROVE_PATH, Approve, BINARY_CONTENT_TYPE, CLINICS_PATH, CreateClinic, DEVICES_PATH,
    DeviceList, DeviceToken, ENROLL_PATH, ENROLLMENT_CODES_PATH, Enroll, Enrolled, EnrollmentCode,
    KEY_GRANTS_PATH, KEY_PATH, KeyGrant, KeyGrants, NOTIFY_PATH, NewEnrollmentCode,
    PROTOCOL_HEADER, PULL_PATH, PUSH_PATH, PullResponse, PushRequest, PushResponse, REVOKE_PATH,
    Revoke, WrappedKey,
};

use crate::signing::DeviceSigner;
use crate::sync::{Refusal, SyncError, Transport};

/// What signs this device's management requests (invite, approve, revoke;
/// `vetdesk_proto::management`): its key, and the next counter to use, reserved in the
/// store ahead of use so it never goes back.
#[derive(Debug)]
pub struct ManagementSigner {
    pub clinic: Uuid,
    pub device: Uuid,
    pub signer: std::sync::Arc<DeviceSigner>,
    pub next_counter: u64,
    /// The last counter reserved: past it, a request is refused here, not sent.
    pub reserved_to: u64,
}

/// What the notify stream said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// The stream is open: pushes made while it was not were not announced, so pull.
    Connected,
    /// Another device of the clinic pushed: pull now.
    Push,
    /// The server's periodic keep-alive.
    KeepAlive,
}

/// Largest response body read (a pull page is at most a few MiB).
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// A new bearer token, made on the device before it first asks the server (so a
/// request whose answer was lost can be sent again as it was): 32 random bytes,
/// base64url without padding.
pub fn new_device_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A device's connection to its sync server.
#[derive(Debug)]
pub struct HttpTransport {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
    manager: Option<ManagementSigner>,
}

impl HttpTransport {
    /// A connection to `base_url` that trusts the web's root certificates.
    pub fn new(base_url: &str, token: Option<String>) -> Self {
        Self::trusting(base_url, token, None)
    }

    /// A connection to `base_url` that trusts `anchor` — the clinic's own certificate
    /// authority — and nothing else, or the web's roots when there is none.
    pub fn trusting(
        base_url: &str,
        token: Option<String>,
        anchor: Option<&crate::server_address::TrustAnchor>,
    ) -> Self {
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            // A server that cannot be reached says so in seconds, not after the
            // whole request's time (the app waits on these for device management).
            .timeout_connect(Some(Duration::from_secs(5)))
            .http_status_as_error(false);
        if let Some(anchor) = anchor {
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(
                        anchor.certificates(),
                    )))
                    .build(),
            );
        }
        let agent: ureq::Agent = config.build().into();
        Self {
            agent,
            base: base_url.trim_end_matches('/').to_string(),
            token,
            manager: None,
        }
    }

    /// The same connection, signing its management requests with `signer`.
    pub fn signing_management(mut self, signer: ManagementSigner) -> Self {
        self.manager = Some(signer);
        self
    }

    /// POSTs a management request, signed when this transport has a signer (a server
    /// refuses an unsigned one).
    fn send_managing(&mut self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
        let header = match &mut self.manager {
            None => None,
            Some(m) => {
                if m.next_counter > m.reserved_to {
                    return Err(SyncError::Refused(
                        "too many management requests at once: try again".into(),
                    ));
                }
                let counter = m.next_counter;
                m.next_counter += 1;
                let message = vetdesk_proto::management::signed_message(
                    m.clinic, m.device, "POST", path, counter, &body,
                );
                let signature = m.signer.sign_management(&message);
                Some(vetdesk_proto::management::signature_header(
                    counter, &signature,
                ))
            }
        };
        self.send_with(path, Some(body), header.as_deref())
    }

    /// Registers a new clinic and this device as its first, with the token this device
    /// made ([`new_device_token`]); asking again with the same token is answered the same.
    /// `registration_token`: the one-time token of the server's operator, where the
    /// server asks for one.
    pub fn create_clinic(
        &mut self,
        clinic: Uuid,
        device: Uuid,
        public_key: [u8; 32],
        token: &str,
        registration_token: Option<&str>,
    ) -> Result<(), SyncError> {
        let body = messages::encode(&CreateClinic {
            clinic_id: clinic,
            device_id: device,
            token: token.to_string(),
            registration_token: registration_token.map(str::to_owned),
            public_key,
        });
        let bytes = self.send(CLINICS_PATH, Some(body))?;
        let answer: DeviceToken = decode(&bytes)?;
        if answer.token != token {
            return Err(SyncError::Refused(
                "the server answered the clinic's set-up with another device's token".into(),
            ));
        }
        Ok(())
    }

    /// A one-time enrollment code for a new device of this device's clinic.
    pub fn enrollment_code(&mut self, ttl_secs: u64) -> Result<EnrollmentCode, SyncError> {
        let bytes = self.send_managing(
            ENROLLMENT_CODES_PATH,
            messages::encode(&NewEnrollmentCode { ttl_secs }),
        )?;
        decode(&bytes)
    }

    /// Enrolls this (new) device with the server part of its invitation code and its
    /// introduction; it is pending until approved.
    pub fn enroll(
        &mut self,
        server_code: &str,
        device: Uuid,
        public_key: [u8; 32],
        introduction: Vec<u8>,
        token: &str,
    ) -> Result<Enrolled, SyncError> {
        let body = messages::encode(&Enroll {
            code: server_code.to_string(),
            device_id: device,
            public_key,
            introduction,
            token: token.to_string(),
        });
        decode(&self.send(ENROLL_PATH, Some(body))?)
    }

    pub fn devices(&mut self) -> Result<DeviceList, SyncError> {
        decode(&self.send(DEVICES_PATH, None)?)
    }

    /// Approves a pending device (`manages`: it may manage the clinic's devices too).
    pub fn approve(
        &mut self,
        device: Uuid,
        key_id: u32,
        wrapped_key: Vec<u8>,
        manages: bool,
    ) -> Result<(), SyncError> {
        let body = messages::encode(&Approve {
            device_id: device,
            key_id,
            wrapped_key,
            manages,
        });
        self.send_managing(APPROVE_PATH, body).map(|_| ())
    }

    pub fn revoke(&mut self, device: Uuid) -> Result<(), SyncError> {
        self.send_managing(REVOKE_PATH, messages::encode(&Revoke { device_id: device }))
            .map(|_| ())
    }

    /// The clinic key sealed to this device, once an admin approved it.
    pub fn sealed_key(&mut self) -> Result<WrappedKey, SyncError> {
        decode(&self.send(KEY_PATH, None)?)
    }

    /// Holds the server's notify stream open and calls `keep_listening` with what it
    /// hears: once connected, each time another device of the clinic pushed, and each
    /// keep-alive (every 15 s). Returns when `keep_listening` says false, or when the stream ends or fails
    /// (the caller reconnects). Blocks: run it on its own thread.
    pub fn listen_for_pushes(
        &self,
        mut keep_listening: impl FnMut(Heard) -> bool,
    ) -> Result<(), SyncError> {
        use std::io::BufRead;

        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut request = agent
            .get(&format!("{}{NOTIFY_PATH}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let mut response = request
            .call()
            .map_err(|e| SyncError::Offline(format!("{}: {e}", self.base)))?;
        if !response.status().is_success() {
            return Err(SyncError::Refused(
                format!("notify: {}", response.status()).into(),
            ));
        }
        if !keep_listening(Heard::Connected) {
            return Ok(());
        }
        let reader = std::io::BufReader::new(response.body_mut().as_reader());
        for line in reader.lines() {
            let line = line.map_err(|e| SyncError::Offline(format!("{}: {e}", self.base)))?;
            let heard = match line.as_str() {
                "event: pushed" => Heard::Push,
                keep_alive if keep_alive.starts_with(':') => Heard::KeepAlive,
                _ => continue,
            };
            if !keep_listening(heard) {
                break;
            }
        }
        Ok(())
    }

    /// As [`Self::send`], but `None` where the server does not know `path` (an older
    /// server, from before that route).
    fn send_if_served(
        &mut self,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, SyncError> {
        match self.send(path, body) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(SyncError::Refused(why)) if why.is(ServerErrorCode::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// POSTs `body` when there is one, else GETs.
    fn send(&mut self, path: &str, body: Option<Vec<u8>>) -> Result<Vec<u8>, SyncError> {
        self.send_with(path, body, None)
    }

    fn send_with(
        &mut self,
        path: &str,
        body: Option<Vec<u8>>,
        signature: Option<&str>,
    ) -> Result<Vec<u8>, SyncError> {
        let url = format!("{}{path}", self.base);
        let auth = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let result = match body {
            Some(body) => {
                let mut request = self
                    .agent
                    .post(&url)
                    .header("content-type", BINARY_CONTENT_TYPE)
                    .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
                if let Some(auth) = &auth {
                    request = request.header("authorization", auth);
                }
                if let Some(signature) = signature {
                    request =
                        request.header(vetdesk_proto::management::SIGNATURE_HEADER, signature);
                }
                request.send(&body[..])
            }
            None => {
                let mut request = self
                    .agent
                    .get(&url)
                    .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
                if let Some(auth) = &auth {
                    request = request.header("authorization", auth);
                }
                request.call()
            }
        };
        let mut response = result.map_err(|e| self.unreached(e))?;
        let status = response.status();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| SyncError::Offline(format!("{}: {e}", self.base)))?;
        if status.is_success() {
            return Ok(bytes);
        }
        // The server's `{code, message}`; a proxy's page in front of it has neither.
        let answer = serde_json::from_slice::<ErrorBody>(&bytes).ok();
        let said = answer.as_ref().map_or_else(
            || String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            |a| a.message.clone(),
        );
        let why = format!("{status}: {said}");
        Err(match status.as_u16() {
            // Passing conditions: back off and try again.
            429 | 502 | 503 | 504 => SyncError::Unavailable(why),
            _ => SyncError::Refused(Refusal {
                code: answer.map(|a| a.code),
                message: why,
            }),
        })
    }
}

impl HttpTransport {
    /// Why a request got no answer: a certificate this device does not trust is a
    /// refusal to fix (not a network to wait for); anything else is offline.
    fn unreached(&self, e: ureq::Error) -> SyncError {
        let tls = match &e {
            ureq::Error::Rustls(_) | ureq::Error::Tls(_) => true,
            // A certificate refused in the handshake comes back as an I/O error.
            ureq::Error::Io(io) => io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()),
            _ => false,
        };
        match e {
            _ if tls => SyncError::Refused(Refusal::from(format!(
                "{}: the server's certificate is not trusted by this device ({e}); if the clinic runs its own certificate authority, give its certificate with --ca-cert",
                self.base
            ))),
            other => SyncError::Offline(format!("{}: {other}", self.base)),
        }
    }
}

fn decode<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, SyncError> {
    messages::decode(bytes).map_err(|e| {
        SyncError::Refused(format!("the server's answer is not understood: {e}").into())
    })
}

impl Transport for HttpTransport {
    fn push(&mut self, envelopes: Vec<Vec<u8>>) -> Result<PushResponse, SyncError> {
        let bytes = self.send(
            PUSH_PATH,
            Some(messages::encode(&PushRequest { envelopes })),
        )?;
        decode(&bytes)
    }

    fn pull(&mut self, after: u64, max_bytes: u64) -> Result<PullResponse, SyncError> {
        let bytes = self.send(
            &format!("{PULL_PATH}?after={after}&max_bytes={max_bytes}"),
            None,
        )?;
        decode(&bytes)
    }

    fn put_key_grants(&mut self, grants: Vec<KeyGrant>) -> Result<bool, SyncError> {
        let body = messages::encode(&KeyGrants { grants });
        Ok(self.send_if_served(KEY_GRANTS_PATH, Some(body))?.is_some())
    }

    fn key_grants(&mut self) -> Result<Vec<KeyGrant>, SyncError> {
        match self.send_if_served(KEY_GRANTS_PATH, None)? {
            None => Ok(Vec::new()),
            Some(bytes) => messages::decode_key_grants(&bytes)
                .map(|answer| answer.grants)
                .map_err(|e| SyncError::Refused(format!("the server's key grants: {e}").into())),
        }
    }
}

/// One round with the server and token this device stored at set-up or enrollment.
pub fn sync_with_stored_server(
    store: &mut crate::Store,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<crate::sync::SyncReport, SyncError> {
    store.fetch_clinic_key_if_missing()?;
    let mut transport = store.stored_transport()?;
    crate::sync::sync_once(store, &mut transport, progress)
}

impl crate::Store {
    /// The certificate authority this device trusts for its sync server, if the clinic
    /// gave one (`vetdesk sync setup|enroll --ca-cert`); else the web's roots.
    pub fn server_trust(&self) -> crate::Result<Option<crate::server_address::TrustAnchor>> {
        let pem: Option<Vec<u8>> =
            self.conn()
                .query_row("SELECT server_ca FROM sync_state WHERE id = 1", [], |r| {
                    r.get(0)
                })?;
        pem.map(|pem| crate::server_address::TrustAnchor::from_pem(&pem))
            .transpose()
    }

    /// Trusts `anchor` (or, with `None`, the web's roots again) for this device's
    /// sync server from now on.
    pub fn set_server_trust(
        &mut self,
        anchor: Option<&crate::server_address::TrustAnchor>,
    ) -> crate::Result<()> {
        self.conn().execute(
            "UPDATE sync_state SET server_ca = ?1 WHERE id = 1",
            [anchor.map(|a| a.pem())],
        )?;
        Ok(())
    }

    /// A connection to `url` with this device's trust (and `token`).
    pub(crate) fn transport_to(
        &self,
        url: &str,
        token: Option<String>,
    ) -> Result<HttpTransport, SyncError> {
        Ok(HttpTransport::trusting(
            url,
            token,
            self.server_trust()?.as_ref(),
        ))
    }

    /// A connection to this device's stored sync server, with its token and trust.
    pub fn stored_transport(&self) -> Result<HttpTransport, SyncError> {
        let (url, token) = self.sync_credentials()?.ok_or(SyncError::NotSetUp)?;
        self.transport_to(&url, Some(token))
    }
}
