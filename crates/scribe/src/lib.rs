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
