//! Request and response bodies of the sync endpoints, and their binary encoding.
//!
//! Bodies are postcard (see docs/PROTOCOL.md for why), sent as
//! [`BINARY_CONTENT_TYPE`]; every request names the protocol version it speaks in
//! [`PROTOCOL_HEADER`], and a server that cannot serve it answers 426 with
//! `update_required` instead of misreading it. Errors stay JSON `{code, message}` so a
//! person can read them anywhere.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Content type of every binary request and response body.
pub const BINARY_CONTENT_TYPE: &str = "application/x-vetdesk-postcard";
/// Header naming the protocol version of a request.
pub const PROTOCOL_HEADER: &str = "x-vetdesk-protocol";
/// Oldest protocol version a server of this build still serves.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// Most envelopes in one push.
pub const MAX_PUSH_ENVELOPES: usize = 256;

pub const CAPABILITIES_PATH: &str = "/v1/capabilities";
pub const CLINICS_PATH: &str = "/v1/clinics";
pub const PUSH_PATH: &str = "/v1/push";
pub const PULL_PATH: &str = "/v1/pull";
pub const ENROLLMENT_CODES_PATH: &str = "/v1/enrollment-codes";
pub const ENROLL_PATH: &str = "/v1/enroll";
pub const DEVICES_PATH: &str = "/v1/devices";
pub const APPROVE_PATH: &str = "/v1/devices/approve";
pub const REVOKE_PATH: &str = "/v1/devices/revoke";
pub const KEY_PATH: &str = "/v1/key";
pub const NOTIFY_PATH: &str = "/v1/notify";
/// `POST`: a device hands over the key-epoch grants it made; `GET`: this device's.
pub const KEY_GRANTS_PATH: &str = "/v1/key-grants";

/// How long an enrollment code lives unless the request says less.
pub const ENROLLMENT_CODE_TTL_SECS: u64 = 15 * 60;

/// `GET /v1/capabilities` (JSON, no authentication): what this server speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    pub protocol_version: u32,
    pub min_protocol_version: u32,
    pub max_envelope_bytes: u64,
    pub max_push_envelopes: u64,
    pub server_version: String,
}

/// `POST /v1/clinics`: the first device registers its clinic and itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateClinic {
    pub clinic_id: Uuid,
    pub device_id: Uuid,
    /// The bearer token the device made and stored before asking (32 random bytes,
    /// base64url without padding): the same request sent again, after its answer was
    /// lost, is answered the same instead of "already set up".
    pub token: String,
    /// The one-time registration token the server's operator issued, where the server
    /// registers clinics only with one.
    pub registration_token: Option<String>,
    /// The device's Ed25519 public key, from which the clinic id is made
    /// ([`crate::management::clinic_id_founded_by`]): the server checks it, and this
    /// device manages the clinic's devices from the start.
    pub public_key: [u8; 32],
}

/// The device's bearer token: shown once, stored by the server only as a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceToken {
    pub token: String,
}

/// `POST /v1/push`: envelopes of the authenticated device, in seq order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRequest {
    pub envelopes: Vec<Vec<u8>>,
}

/// What became of each pushed envelope, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushResult {
    Stored {
        server_seq: u64,
    },
    Duplicate {
        server_seq: u64,
    },
    Refused {
        reason: String,
    },
    /// The server holds another changeset under this device seq: the device's data
    /// folder was restored from a copy or cloned. Nothing of it was stored; the device
    /// numbers its unsent changesets after `highest_seq`, the highest device seq the
    /// server holds for it, and pushes them again.
    SequenceReused {
        highest_seq: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    /// The highest device seq the server now holds for this device (after this push),
    /// so a device knows what is acknowledged even if a response was lost.
    pub highest_acknowledged_seq: u64,
}

/// `GET /v1/pull?after=N&max_bytes=M`: envelopes of the device's clinic after a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    /// (server seq, envelope bytes), in seq order.
    pub envelopes: Vec<(u64, Vec<u8>)>,
    pub next: u64,
    pub has_more: bool,
    /// The server's clock, so a device can tell it that its own is off.
    pub server_time_ms: u64,
}

/// `POST /v1/enrollment-codes` (a trusted device): a one-time code for a new device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEnrollmentCode {
    /// Seconds the code stays valid, at most [`ENROLLMENT_CODE_TTL_SECS`].
    pub ttl_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentCode {
    /// Ten characters a person can read out and type (Crockford base32).
    pub code: String,
    pub expires_at_ms: u64,
}

/// `POST /v1/enroll` (no token yet): the new device presents the server part of its
/// invitation code, its public key and its introduction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enroll {
    /// The server's half of the invitation code (the other half never reaches it).
    pub code: String,
    pub device_id: Uuid,
    /// The device's Ed25519 public key: what it will sign with; the clinic key will be
    /// sealed to its X25519 form.
    pub public_key: [u8; 32],
    /// The device's name, sealed under the invitation key and bound to `device_id` and
    /// `public_key`: the approving device refuses a key the server swapped. At most
    /// [`MAX_ENROLLMENT_PROOF_BYTES`].
    pub introduction: Vec<u8>,
    /// The bearer token the device made for itself (as in [`CreateClinic`]): sending
    /// the same enrollment again, after its answer was lost, is answered the same.
    pub token: String,
}

/// The largest introduction or key grant a server stores.
/// (A grant carries every clinic key the clinic has had and the devices the newest
/// key's epoch left out: 200 keys and 256 devices fit.)
pub const MAX_ENROLLMENT_PROOF_BYTES: usize = 16384;
/// The oldest protocol version the set-up, enrollment and device routes serve:
/// enrollment without proofs (version 1) and device management without signed requests
/// (version 2) are refused with "update Vetdesk".
pub const MIN_DEVICE_PROTOCOL_VERSION: u32 = 3;

/// The new device's token (pending until approved) and the clinic it joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub clinic_id: Uuid,
    pub token: String,
}

/// `GET /v1/devices`: the clinic's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<DeviceInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub device_id: Uuid,
    /// approved, pending or revoked
    pub status: String,
    pub public_key: Option<[u8; 32]>,
    pub created_at_ms: u64,
    /// What the device enrolled with: SHA-256 of its invitation code's server part.
    pub enrolled_with: Option<[u8; 32]>,
    /// Its introduction, as it sent it (see [`Enroll`]).
    pub introduction: Option<Vec<u8>>,
    /// Whether it manages the clinic's devices, as the server's signed requests say.
    pub manages: bool,
}

/// `POST /v1/devices/approve`: the key grant for the pending device (the clinic key
/// sealed to its public key, signed by the approving device, sealed under the
/// invitation key), at most [`MAX_ENROLLMENT_PROOF_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approve {
    pub device_id: Uuid,
    pub key_id: u32,
    pub wrapped_key: Vec<u8>,
    /// Whether the new device may manage the clinic's devices too (invite, approve,
    /// revoke; see [`crate::management`]).
    pub manages: bool,
}

/// `POST /v1/devices/revoke`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoke {
    pub device_id: Uuid,
}

/// `GET /v1/key`: the key grant for this device, once approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    pub key_id: u32,
    pub wrapped_key: Vec<u8>,
}

/// A new clinic key epoch's grant for one device (issue 15, requirement 3): every
/// clinic key, the newest `key_id` among them, sealed to `device_id`'s key and signed
/// by the device that made the epoch. The server relays it; it can withhold it but
/// neither open nor forge it. At most [`MAX_ENROLLMENT_PROOF_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGrant {
    pub device_id: Uuid,
    pub key_id: u32,
    pub grant: Vec<u8>,
}

/// `POST /v1/key-grants` (the grants a device made, at most [`MAX_KEY_GRANTS`]) and
/// `GET /v1/key-grants` (the newest grants for the asking device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGrants {
    pub grants: Vec<KeyGrant>,
}

/// Most grants in one request or answer, and most kept for one device.
pub const MAX_KEY_GRANTS: usize = 256;

/// Decodes a [`KeyGrants`] body with its count checked before anything is allocated.
pub fn decode_key_grants(bytes: &[u8]) -> Result<KeyGrants, BodyError> {
    let (count, _) =
        postcard::take_from_bytes::<usize>(bytes).map_err(|e| BodyError(e.to_string()))?;
    if count > MAX_KEY_GRANTS {
        return Err(BodyError(format!(
            "{count} key grants in one request; at most {MAX_KEY_GRANTS}"
        )));
    }
    let grants: KeyGrants = decode(bytes)?;
    if let Some(big) = grants
        .grants
        .iter()
        .find(|g| g.grant.is_empty() || g.grant.len() > MAX_ENROLLMENT_PROOF_BYTES)
    {
        return Err(BodyError(format!(
            "a key grant for {} has {} bytes; expected 1 to {MAX_ENROLLMENT_PROOF_BYTES}",
            big.device_id,
            big.grant.len()
        )));
    }
    Ok(grants)
}

/// Why a body did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid message body: {0}")]
pub struct BodyError(String);

/// Encodes a message body.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    // postcard cannot fail on these types (no maps with non-string keys, no unsized
    // sequences); an empty body would be refused by `decode`.
    postcard::to_allocvec(message).unwrap_or_default()
}

/// Decodes a message body; trailing bytes are an error.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, BodyError> {
    let (message, rest) = postcard::take_from_bytes(bytes).map_err(|e| BodyError(e.to_string()))?;
    if !rest.is_empty() {
        return Err(BodyError(format!("{} bytes after the message", rest.len())));
    }
    Ok(message)
}

/// Decodes a push body with its limits checked before anything is allocated for them:
/// at most [`MAX_PUSH_ENVELOPES`] envelopes, each at most
/// [`crate::envelope::MAX_ENVELOPE_BYTES`] and within the body. (Decoded as any message,
/// a body of millions of empty envelopes would allocate hundreds of megabytes first.)
pub fn decode_push_request(bytes: &[u8]) -> Result<PushRequest, BodyError> {
    let varint =
        |bytes| postcard::take_from_bytes::<usize>(bytes).map_err(|e| BodyError(e.to_string()));
    let (count, mut rest) = varint(bytes)?;
    if count > MAX_PUSH_ENVELOPES {
        return Err(BodyError(format!(
            "{count} envelopes in one push; at most {MAX_PUSH_ENVELOPES}"
        )));
    }
    let mut envelopes = Vec::with_capacity(count);
    for n in 0..count {
        let (length, after) = varint(rest)?;
        if length > crate::envelope::MAX_ENVELOPE_BYTES || length > after.len() {
            return Err(BodyError(format!(
                "envelope {n} says {length} bytes: more than {} or than the body holds",
                crate::envelope::MAX_ENVELOPE_BYTES
            )));
        }
        let (envelope, next) = after.split_at(length);
        envelopes.push(envelope.to_vec());
        rest = next;
    }
    if !rest.is_empty() {
        return Err(BodyError(format!("{} bytes after the message", rest.len())));
    }
    Ok(PushRequest { envelopes })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_push_body_decodes_as_the_message_does_and_its_limits_come_first() {
        use super::*;
        for envelopes in [vec![], vec![vec![1u8, 2, 3]], vec![vec![7u8; 300]; 256]] {
            let body = encode(&PushRequest {
                envelopes: envelopes.clone(),
            });
            assert_eq!(decode_push_request(&body), Ok(PushRequest { envelopes }));
        }
        let too_many = encode(&PushRequest {
            envelopes: vec![vec![]; MAX_PUSH_ENVELOPES + 1],
        });
        assert!(decode_push_request(&too_many).is_err_and(|e| e.to_string().contains("at most")));
        // A count of millions in a few bytes is refused before anything is made for it.
        let claimed = encode(&u64::MAX);
        assert!(decode_push_request(&claimed).is_err());
        let mut short = encode(&PushRequest {
            envelopes: vec![vec![5u8; 10]],
        });
        short.truncate(short.len() - 1);
        assert!(
            decode_push_request(&short).is_err(),
            "a length past the body"
        );
        let mut trailing = encode(&PushRequest { envelopes: vec![] });
        trailing.push(0);
        assert!(decode_push_request(&trailing).is_err());
    }

    use super::*;

    #[test]
    fn key_grants_decode_within_their_limits() {
        let grant = |bytes: usize| KeyGrant {
            device_id: Uuid::from_u128(7),
            key_id: 0x2_0001,
            grant: vec![9u8; bytes],
        };
        let fine = KeyGrants {
            grants: vec![grant(200), grant(MAX_ENROLLMENT_PROOF_BYTES)],
        };
        assert_eq!(decode_key_grants(&encode(&fine)), Ok(fine));
        let too_many = encode(&KeyGrants {
            grants: vec![grant(1); MAX_KEY_GRANTS + 1],
        });
        assert!(decode_key_grants(&too_many).is_err_and(|e| e.to_string().contains("at most")));
        for bad in [0, MAX_ENROLLMENT_PROOF_BYTES + 1] {
            let body = encode(&KeyGrants {
                grants: vec![grant(bad)],
            });
            assert!(decode_key_grants(&body).is_err(), "{bad} bytes");
        }
        assert!(decode_key_grants(&encode(&u64::MAX)).is_err());
    }

    #[test]
    fn messages_round_trip_and_garbage_is_an_error() {
        let response = PushResponse {
            results: vec![
                PushResult::Stored { server_seq: 9 },
                PushResult::Duplicate { server_seq: 3 },
                PushResult::Refused {
                    reason: "too far ahead".into(),
                },
            ],
            highest_acknowledged_seq: 4,
        };
        let bytes = encode(&response);
        assert_eq!(decode::<PushResponse>(&bytes), Ok(response));
        let mut trailing = encode(&PushRequest {
            envelopes: vec![vec![1, 2]],
        });
        trailing.push(0);
        assert!(decode::<PushRequest>(&trailing).is_err());
        assert!(decode::<PushRequest>(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
    }

    /// The push request is the hot path: its framing must stay a few bytes.
    #[test]
    fn a_push_request_costs_a_few_bytes_of_framing() {
        let request = PushRequest {
            envelopes: vec![vec![0u8; 200], vec![0u8; 300]],
        };
        assert_eq!(encode(&request).len(), 500 + 1 + 2 + 2);
    }
}
