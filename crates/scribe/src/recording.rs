//! Recordings on disk, encrypted as they are captured: chunked XChaCha20-Poly1305 with
//! a per-recording key (the caller's: made at random and kept wrapped by the clinic key,
//! so destroying that wrapped key destroys the audio).
//!
//! Layout: a 44-byte header — magic `VDREC\x01`, sample rate (u32 LE), channels (u8),
//! sample format (u8, 1 = i16 LE), recording id (16), nonce prefix (16, random) — then
//! chunks of `u32 LE length ‖ ciphertext`. Chunk *n* is sealed with nonce
//! `prefix ‖ n (u64 LE)` and the header, *n* and a final-chunk flag as associated data,
//! so chunks cannot be reordered, moved between recordings or cut off unnoticed.
//!
//! Every second of audio is sealed, written and flushed to disk (`sync_data`) as soon
//! as it is complete: a crash or a kill loses at most the last second being filled.
//! [`read`] recovers every whole chunk of a recording that was cut short and says so.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::ScribeError;
use crate::transcribe::SAMPLE_RATE;

const MAGIC: &[u8; 6] = b"VDREC\x01";
const HEADER_LEN: usize = 44;
/// Samples per chunk: one second.
const CHUNK_SAMPLES: usize = SAMPLE_RATE as usize;
/// The largest chunk a reader accepts (one second of i16 audio plus the tag).
const MAX_CHUNK_BYTES: usize = CHUNK_SAMPLES * 2 + 16;

fn header(id: [u8; 16], prefix: [u8; 16]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..6].copy_from_slice(MAGIC);
    h[6..10].copy_from_slice(&SAMPLE_RATE.to_le_bytes());
    h[10] = 1; // mono
    h[11] = 1; // i16 LE
    h[12..28].copy_from_slice(&id);
    h[28..44].copy_from_slice(&prefix);
    h
}

fn nonce(header: &[u8; HEADER_LEN], index: u64) -> XNonce {
    let mut n = [0u8; 24];
    n[..16].copy_from_slice(&header[28..44]);
    n[16..].copy_from_slice(&index.to_le_bytes());
    XNonce::from(n)
}

fn aad(header: &[u8; HEADER_LEN], index: u64, last: bool) -> Vec<u8> {
    let mut a = header.to_vec();
    a.extend_from_slice(&index.to_le_bytes());
    a.push(u8::from(last));
    a
}

fn io(path: &Path, e: &std::io::Error) -> ScribeError {
    ScribeError::Audio(format!("{}: {e}", path.display()))
}

/// Writes a recording as it is captured.
pub struct RecordingWriter {
    file: std::fs::File,
    path: std::path::PathBuf,
    cipher: XChaCha20Poly1305,
    header: [u8; HEADER_LEN],
    pending: Vec<i16>,
    next_chunk: u64,
    samples: u64,
}

impl std::fmt::Debug for RecordingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingWriter")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RecordingWriter {
    /// Creates `path` (refusing to overwrite) for recording `id` under `key`.
    pub fn create(path: &Path, id: [u8; 16], key: &[u8; 32]) -> Result<Self, ScribeError> {
        // Random per file: nonces never repeat even if a key were reused.
        let prefix: [u8; 16] = rand::random();
        let header = header(id, prefix);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| io(path, &e))?;
        file.write_all(&header).map_err(|e| io(path, &e))?;
        file.sync_data().map_err(|e| io(path, &e))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            cipher: XChaCha20Poly1305::new(key.into()),
            header,
            pending: Vec::with_capacity(CHUNK_SAMPLES),
            next_chunk: 0,
            samples: 0,
        })
    }

    /// Adds 16 kHz mono samples; every full second is sealed and flushed at once.
    pub fn push(&mut self, samples: &[f32]) -> Result<(), ScribeError> {
        for s in samples {
            self.pending
                .push((s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16);
            if self.pending.len() == CHUNK_SAMPLES {
                self.seal(false)?;
            }
        }
        Ok(())
    }

    /// Seals what is left as the final chunk. Returns the samples written.
    pub fn finish(mut self) -> Result<u64, ScribeError> {
        self.seal(true)?;
        Ok(self.samples)
    }

    fn seal(&mut self, last: bool) -> Result<(), ScribeError> {
        let plain: Zeroizing<Vec<u8>> =
            Zeroizing::new(self.pending.iter().flat_map(|s| s.to_le_bytes()).collect());
        let index = self.next_chunk;
        let sealed = self
            .cipher
            .encrypt(
                &nonce(&self.header, index),
                Payload {
                    msg: &plain,
                    aad: &aad(&self.header, index, last),
                },
            )
            .map_err(|_| ScribeError::Audio("sealing a recording chunk failed".into()))?;
        let mut out = Vec::with_capacity(4 + sealed.len());
        out.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
        out.extend_from_slice(&sealed);
        self.file
            .write_all(&out)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| io(&self.path, &e))?;
        self.samples += self.pending.len() as u64;
        self.pending.clear();
        self.next_chunk += 1;
        Ok(())
    }
}

/// A recording read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    pub id: [u8; 16],
    pub samples: Vec<f32>,
    /// The final chunk was there: the recording was finished, not cut short.
    pub complete: bool,
}

/// Reads and opens a recording. A recording cut short (a crash while recording) gives
/// its whole chunks with `complete: false`; a chunk that does not open — a wrong key,
/// or changed bytes — is an error naming it.
pub fn read(path: &Path, key: &[u8; 32]) -> Result<Recovered, ScribeError> {
    let bytes = std::fs::read(path).map_err(|e| io(path, &e))?;
    let damaged = |why: String| ScribeError::Audio(format!("{}: {why}", path.display()));
    if bytes.len() < HEADER_LEN || &bytes[..6] != MAGIC {
        return Err(damaged("not a Vetdesk recording".into()));
    }
    let mut header = [0u8; HEADER_LEN];
    header.copy_from_slice(&bytes[..HEADER_LEN]);
    let mut id = [0u8; 16];
    id.copy_from_slice(&header[12..28]);
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut samples = Vec::new();
    let mut at = HEADER_LEN;
    let mut index = 0u64;
    let mut complete = false;
    while at + 4 <= bytes.len() {
        let len =
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize;
        if len > MAX_CHUNK_BYTES {
            return Err(damaged(format!("chunk {index} claims {len} bytes")));
        }
        let Some(sealed) = bytes.get(at + 4..at + 4 + len) else {
            break; // cut off while being written
        };
        let open = |last: bool| {
            cipher.decrypt(
                &nonce(&header, index),
                Payload {
                    msg: sealed,
                    aad: &aad(&header, index, last),
                },
            )
        };
        let (plain, last) = match open(false) {
            Ok(plain) => (plain, false),
            Err(_) => match open(true) {
                Ok(plain) => (plain, true),
                Err(_) => {
                    return Err(damaged(format!(
                        "chunk {index} does not open: a wrong key, or the file was changed"
                    )));
                }
            },
        };
        samples.extend(
            plain
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / f32::from(i16::MAX)),
        );
        at += 4 + len;
        index += 1;
        if last {
            complete = true;
            break;
        }
    }
    Ok(Recovered {
        id,
        samples,
        complete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const ID: [u8; 16] = [3; 16];

    fn tone(seconds: f32) -> Vec<f32> {
        (0..(seconds * 16_000.0) as usize)
            .map(|i| 0.25 * (i as f32 * 0.05).sin())
            .collect()
    }

    #[test]
    fn a_recording_round_trips_and_holds_no_audio_in_clear() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("visit.vdrec");
        let audio = tone(2.5);
        let mut writer = RecordingWriter::create(&path, ID, &KEY).unwrap_or_else(|e| panic!("{e}"));
        writer.push(&audio).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(writer.finish().ok(), Some(40_000));
        let back = read(&path, &KEY).unwrap_or_else(|e| panic!("{e}"));
        assert!(back.complete);
        assert_eq!(back.id, ID);
        assert_eq!(back.samples.len(), audio.len());
        assert!(
            back.samples
                .iter()
                .zip(&audio)
                .all(|(a, b)| (a - b).abs() < 1e-4)
        );
        // The PCM bytes of the first samples appear nowhere in the file.
        let bytes = std::fs::read(&path).unwrap_or_default();
        let pcm: Vec<u8> = audio[100..108]
            .iter()
            .flat_map(|s| ((s * f32::from(i16::MAX)) as i16).to_le_bytes())
            .collect();
        assert!(!bytes.windows(pcm.len()).any(|w| w == pcm.as_slice()));
        assert!(
            RecordingWriter::create(&path, ID, &KEY).is_err(),
            "never overwrites"
        );
    }

    #[test]
    fn a_recording_cut_short_keeps_every_whole_second() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("crash.vdrec");
        let mut writer = RecordingWriter::create(&path, ID, &KEY).unwrap_or_else(|e| panic!("{e}"));
        writer.push(&tone(3.4)).unwrap_or_else(|e| panic!("{e}"));
        // A crash: the writer is gone without `finish`, and the last write was torn.
        drop(writer);
        let mut bytes = std::fs::read(&path).unwrap_or_default();
        bytes.extend_from_slice(&[9, 0, 0]);
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let back = read(&path, &KEY).unwrap_or_else(|e| panic!("{e}"));
        assert!(!back.complete);
        assert_eq!(back.samples.len(), 3 * 16_000, "0.4 s lost, nothing more");
    }

    #[test]
    fn a_wrong_key_a_changed_byte_or_a_swapped_chunk_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x.vdrec");
        let mut writer = RecordingWriter::create(&path, ID, &KEY).unwrap_or_else(|e| panic!("{e}"));
        writer.push(&tone(2.0)).unwrap_or_else(|e| panic!("{e}"));
        writer.finish().unwrap_or_else(|e| panic!("{e}"));
        assert!(read(&path, &[8; 32]).is_err());
        let good = std::fs::read(&path).unwrap_or_default();
        let mut changed = good.clone();
        changed[HEADER_LEN + 100] ^= 1;
        std::fs::write(&path, &changed).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(read(&path, &KEY), Err(e) if e.to_string().contains("chunk 0")));
        // Swap the two full chunks.
        let chunk = 4 + CHUNK_SAMPLES * 2 + 16;
        let mut swapped = good[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&good[HEADER_LEN + chunk..HEADER_LEN + 2 * chunk]);
        swapped.extend_from_slice(&good[HEADER_LEN..HEADER_LEN + chunk]);
        swapped.extend_from_slice(&good[HEADER_LEN + 2 * chunk..]);
        std::fs::write(&path, &swapped).unwrap_or_else(|e| panic!("{e}"));
        assert!(read(&path, &KEY).is_err());
    }
}
