//! The scribe as the window sees it: model status, a live recording's words, the work
//! in progress, and drafting from a file.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The scribe as the exam room shows it: the model in use, the recording in progress,
/// the long work (the final pass) and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ScribeStatus {
    /// The model file in use; `null` when none is installed.
    pub model: Option<String>,
    pub recording: Option<LiveRecordingView>,
    pub working: Option<WorkView>,
}

/// A recording in progress: time, input level, what the live transcript heard so far.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LiveRecordingView {
    pub encounter_id: String,
    pub recording_id: String,
    pub seconds: f64,
    /// The last 100 ms, in dBFS (silence ≈ −90).
    pub level_dbfs: f32,
    pub paused: bool,
    /// The input device, once it delivers audio.
    pub device: Option<String>,
    pub segments: Vec<LiveSegment>,
    /// The microphone went away (what was recorded is kept), or another problem.
    pub problem: Option<String>,
}

/// One utterance of the live transcript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LiveSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// Long work in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct WorkView {
    pub what: String,
    /// 0–100.
    pub percent: i32,
}

/// Argument of `start_recording`: the client's recorded consent is needed, or an
/// override reason for this visit (audited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StartRecordingRequest {
    pub encounter_id: String,
    #[ts(optional)]
    pub override_reason: Option<String>,
}

/// Argument of `draft_from_file`: a WAV file on this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DraftFromFileRequest {
    pub encounter_id: String,
    pub path: String,
}

/// Argument of `pause_recording`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PauseRequest {
    pub paused: bool,
}
