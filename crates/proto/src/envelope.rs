//! The clear header of a sync envelope: what the server may read of a device's data.
//!
//! An envelope is one changeset, compressed and sealed with XChaCha20-Poly1305 under
//! the clinic's data key (sealing lives in `vetdesk-core`, which holds keys; this crate
//! only knows the layout). The header travels in clear because the server routes by it,
//! and the whole header is the AEAD's associated data, so changing any byte of it — or
//! pairing a body with another envelope's header — makes the envelope fail to open.
//!
//! Byte layout (big-endian integers; frozen by a golden test, changed only with
//! [`ENVELOPE_FORMAT`]):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `VDE1` |
//! | 4 | 1 | format version: 1 (unsigned) and 2 (signed) read only, or [`ENVELOPE_FORMAT`] |
//! | 5 | 16 | envelope id (format 3: the content id, see below; before, a UUIDv7) |
//! | 21 | 16 | clinic id |
//! | 37 | 16 | device id |
//! | 53 | 8 | device seq (gap-free per device, from 1) |
//! | 61 | 4 | key id (which clinic data key sealed it) |
//! | 65 | 4 | schema version of the writing device |
//! | 69 | 16 | HLC of the changeset (48-bit ms, 16-bit counter, 64-bit node) |
//! | 85 | 24 | XChaCha20 nonce (random) |
//! | 109 | … | ciphertext, then the 16-byte tag |
//!
//! The ciphertext of a format-3 envelope is the changeset's 64-byte Ed25519 signature by
//! its device, the compressed changeset's length (4 bytes), the compressed changeset,
//! and zero bytes up to a padded size ([`padded_len`], PADMÉ): the server learns a
//! changeset's size to within about 12 %, not to the byte. Its envelope id is the
//! **content id**: a UUIDv8 made from a hash of the signature, so the same changeset
//! sealed again (a retry) has the same id and a different changeset of the same device
//! seq (a restored or copied data folder) has another — which is how the server tells
//! a retry from a reused seq without seeing either. Format 2 is the same without the
//! length and padding, with a random UUIDv7 id; format 1 (before signed changesets)
//! holds the compressed changeset alone.

use uuid::Uuid;

/// First bytes of every envelope.
pub const MAGIC: [u8; 4] = *b"VDE1";
/// The envelope format this build writes: 3, signed, padded changesets named by their
/// content id.
pub const ENVELOPE_FORMAT: u8 = 3;
/// The first format whose envelope id is its content id (and whose body is padded).
pub const CONTENT_ID_FORMAT: u8 = 3;
/// The oldest envelope format this build still reads: 1, unsigned changesets (what
/// devices wrote before 2; which of them a device applies is its own rule).
pub const OLDEST_ENVELOPE_FORMAT: u8 = 1;
/// Length of the clear header (the associated data).
pub const HEADER_LEN: usize = 109;
/// Length of the AEAD tag after the ciphertext.
pub const TAG_LEN: usize = 16;
/// Largest envelope accepted anywhere (header + ciphertext + tag). A changeset holds
/// at most 1,000 changes; this leaves room for long clinical notes.
pub const MAX_ENVELOPE_BYTES: usize = 4 << 20;

/// The clear header of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeHeader {
    /// The format byte ([`OLDEST_ENVELOPE_FORMAT`] to [`ENVELOPE_FORMAT`]).
    pub format: u8,
    pub envelope_id: Uuid,
    pub clinic_id: Uuid,
    pub device_id: Uuid,
    pub device_seq: u64,
    pub key_id: u32,
    pub schema_version: u32,
    pub hlc: [u8; 16],
    pub nonce: [u8; 24],
}

/// Why bytes are not an envelope this build can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("envelope too short: {0} bytes, a header alone is {HEADER_LEN} and the tag {TAG_LEN}")]
    TooShort(usize),
    #[error("envelope too large: {0} bytes, at most {MAX_ENVELOPE_BYTES}")]
    TooLarge(usize),
    #[error("not a Vetdesk envelope (bad magic)")]
    BadMagic,
    #[error(
        "envelope format {0} is not one this build reads ({OLDEST_ENVELOPE_FORMAT} to {ENVELOPE_FORMAT}): update Vetdesk"
    )]
    UnknownFormat(u8),
    #[error("device seq 0 is not valid (seqs start at 1)")]
    ZeroSeq,
}

impl EnvelopeHeader {
    /// The header's bytes: the envelope's first [`HEADER_LEN`] bytes and its AAD.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4] = self.format;
        out[5..21].copy_from_slice(self.envelope_id.as_bytes());
        out[21..37].copy_from_slice(self.clinic_id.as_bytes());
        out[37..53].copy_from_slice(self.device_id.as_bytes());
        out[53..61].copy_from_slice(&self.device_seq.to_be_bytes());
        out[61..65].copy_from_slice(&self.key_id.to_be_bytes());
        out[65..69].copy_from_slice(&self.schema_version.to_be_bytes());
        out[69..85].copy_from_slice(&self.hlc);
        out[85..109].copy_from_slice(&self.nonce);
        out
    }

    /// Reads the header of a whole envelope, checking its size bounds.
    pub fn parse(envelope: &[u8]) -> Result<Self, HeaderError> {
        if envelope.len() < HEADER_LEN + TAG_LEN {
            return Err(HeaderError::TooShort(envelope.len()));
        }
        if envelope.len() > MAX_ENVELOPE_BYTES {
            return Err(HeaderError::TooLarge(envelope.len()));
        }
        if envelope[0..4] != MAGIC {
            return Err(HeaderError::BadMagic);
        }
        let format = envelope[4];
        if !(OLDEST_ENVELOPE_FORMAT..=ENVELOPE_FORMAT).contains(&format) {
            return Err(HeaderError::UnknownFormat(format));
        }
        let uuid = |at: usize| {
            let mut b = [0u8; 16];
            b.copy_from_slice(&envelope[at..at + 16]);
            Uuid::from_bytes(b)
        };
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&envelope[53..61]);
        let mut key = [0u8; 4];
        key.copy_from_slice(&envelope[61..65]);
        let mut schema = [0u8; 4];
        schema.copy_from_slice(&envelope[65..69]);
        let mut hlc = [0u8; 16];
        hlc.copy_from_slice(&envelope[69..85]);
        let mut nonce = [0u8; 24];
        nonce.copy_from_slice(&envelope[85..109]);
        let device_seq = u64::from_be_bytes(seq);
        if device_seq == 0 {
            return Err(HeaderError::ZeroSeq);
        }
        Ok(Self {
            format,
            envelope_id: uuid(5),
            clinic_id: uuid(21),
            device_id: uuid(37),
            device_seq,
            key_id: u32::from_be_bytes(key),
            schema_version: u32::from_be_bytes(schema),
            hlc,
            nonce,
        })
    }

    /// Whether the envelope id names the content (format 3 on), so two envelopes of one
    /// device seq with different ids hold different changesets.
    pub fn id_is_content_id(&self) -> bool {
        self.format >= CONTENT_ID_FORMAT
    }

    /// Wall-clock milliseconds of the header's HLC (what the server compares with its
    /// own clock to refuse envelopes from the far future).
    pub fn hlc_millis(&self) -> u64 {
        let mut ms = [0u8; 8];
        ms[2..].copy_from_slice(&self.hlc[..6]);
        u64::from_be_bytes(ms)
    }
}

/// The length `len` bytes are padded to: PADMÉ (Nikitin et al., "Reducing Metadata
/// Leakage from Encrypted Files and Communication with PURBs", PETS 2019). The low
/// bits of the length are zeroed, as many as leave the exponent's own bit count, so
/// at most about 12 % is added and a length leaks O(log log n) bits instead of log n.
pub fn padded_len(len: usize) -> usize {
    if len < 2 {
        return len;
    }
    let len = len as u64;
    // floor(log2(len)) and the number of bits needed to write it.
    let exponent = 63 - u64::from(len.leading_zeros());
    let exponent_bits = 64 - u64::from(exponent.leading_zeros());
    let zeroed = exponent - exponent_bits;
    let mask = (1u64 << zeroed) - 1;
    usize::try_from((len + mask) & !mask).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padme_rounds_up_by_at_most_twelve_percent_to_few_distinct_sizes() {
        // Values from the PURBs paper's definition.
        for (len, padded) in [(0, 0), (1, 1), (2, 2), (9, 10), (100, 104), (1000, 1024)] {
            assert_eq!(padded_len(len), padded, "{len}");
        }
        let mut sizes = std::collections::BTreeSet::new();
        for len in 1..=100_000usize {
            let padded = padded_len(len);
            assert!(padded >= len, "{len}");
            assert!(padded as f64 <= len as f64 * 1.12 + 1.0, "{len} → {padded}");
            assert_eq!(
                padded_len(padded),
                padded,
                "a padded size is its own padding"
            );
            sizes.insert(padded);
        }
        assert!(sizes.len() < 2_000, "{} distinct sizes", sizes.len());
    }

    fn header() -> EnvelopeHeader {
        EnvelopeHeader {
            format: 1,
            envelope_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
            clinic_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00c1),
            device_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00d1),
            device_seq: 42,
            key_id: 3,
            schema_version: 2,
            hlc: [
                0x01, 0x9a, 0xa8, 0x5c, 0x40, 0x00, 0x00, 0x07, 1, 2, 3, 4, 5, 6, 7, 8,
            ],
            nonce: [0xab; 24],
        }
    }

    /// The golden test: these bytes are the protocol. If this fails, the change breaks
    /// every envelope already stored on servers and devices; bump ENVELOPE_FORMAT.
    #[test]
    fn the_header_layout_is_frozen() {
        let golden = concat!(
            "56444531",                                         // magic
            "01",                                               // format
            "01900000000070008000000000000001",                 // envelope id
            "019000000000700080000000000000c1",                 // clinic id
            "019000000000700080000000000000d1",                 // device id
            "000000000000002a",                                 // device seq 42
            "00000003",                                         // key id 3
            "00000002",                                         // schema 2
            "019aa85c400000070102030405060708",                 // hlc
            "abababababababababababababababababababababababab", // nonce
        );
        let hex = |h: &EnvelopeHeader| -> String {
            h.to_bytes().iter().map(|b| format!("{b:02x}")).collect()
        };
        let bytes = header().to_bytes();
        assert_eq!(hex(&header()), golden);
        assert_eq!(bytes.len(), HEADER_LEN);
        // Format 2 changes the format byte and nothing else of the header.
        let signed = EnvelopeHeader {
            format: 2,
            ..header()
        };
        assert_eq!(hex(&signed), golden.replacen("5644453101", "5644453102", 1));
        // So does format 3 (what the id means changes, not where it is).
        let padded = EnvelopeHeader {
            format: 3,
            ..header()
        };
        assert!(padded.id_is_content_id() && !signed.id_is_content_id());
        assert_eq!(hex(&padded), golden.replacen("5644453101", "5644453103", 1));
    }

    #[test]
    fn a_header_reads_back_and_bad_ones_are_named() {
        let mut envelope = header().to_bytes().to_vec();
        envelope.extend_from_slice(&[0u8; TAG_LEN]);
        assert_eq!(EnvelopeHeader::parse(&envelope), Ok(header()));
        assert_eq!(header().hlc_millis(), 0x019a_a85c_4000);

        let mut bad_magic = envelope.clone();
        bad_magic[0] = b'X';
        let mut newer = envelope.clone();
        newer[4] = ENVELOPE_FORMAT + 1;
        let mut signed = envelope.clone();
        signed[4] = 2;
        assert_eq!(
            EnvelopeHeader::parse(&signed).map(|h| h.format),
            Ok(2),
            "format 2 reads"
        );
        let mut zero_format = envelope.clone();
        zero_format[4] = 0;
        let mut zero_seq = envelope.clone();
        zero_seq[53..61].copy_from_slice(&[0; 8]);
        let cases = [
            (&envelope[..HEADER_LEN], HeaderError::TooShort(HEADER_LEN)),
            (&bad_magic[..], HeaderError::BadMagic),
            (&newer[..], HeaderError::UnknownFormat(ENVELOPE_FORMAT + 1)),
            (&zero_format[..], HeaderError::UnknownFormat(0)),
            (&zero_seq[..], HeaderError::ZeroSeq),
        ];
        for (bytes, error) in cases {
            assert_eq!(EnvelopeHeader::parse(bytes), Err(error));
        }
        let huge = vec![0u8; MAX_ENVELOPE_BYTES + 1];
        assert_eq!(
            EnvelopeHeader::parse(&huge),
            Err(HeaderError::TooLarge(MAX_ENVELOPE_BYTES + 1))
        );
    }
}
