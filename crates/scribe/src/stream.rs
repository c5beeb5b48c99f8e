//! Transcribing while the vet talks: a worker thread takes 16 kHz audio as it is
//! captured, finds utterances with a voice-activity detector (earshot, 16 ms frames),
//! and transcribes each utterance as soon as it ends, emitting timestamped segments.
//! The final, whole-recording pass at stop is the caller's ([`crate::transcribe`]).
//!
//! [`Segmenter`] is the pure part: VAD scores in, utterance boundaries out. An
//! utterance starts at the first voiced frame (with 200 ms of lead-in kept), ends after
//! 500 ms without voice, and is cut at 15 s so a long monologue still shows up while
//! it goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Instant;

use serde::Serialize;

use crate::ScribeError;
use crate::transcribe::{Options, Transcriber};

/// Samples per VAD frame (16 ms at 16 kHz), as earshot takes them.
pub const FRAME: usize = 256;
const FRAME_MS: u64 = 16;

/// Where utterances begin and end, from per-frame voice scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmenter {
    threshold: f32,
    /// Frames of silence that end an utterance.
    hangover: u64,
    /// Frames kept before the first voiced one.
    lead_in: u64,
    /// Longest utterance, in frames.
    max_len: u64,
    frame: u64,
    start: Option<u64>,
    last_voice: u64,
}

/// An utterance, in frames `[start, end)` of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utterance {
    pub start: u64,
    pub end: u64,
}

impl Utterance {
    pub fn start_ms(&self) -> u64 {
        self.start * FRAME_MS
    }
    pub fn end_ms(&self) -> u64 {
        self.end * FRAME_MS
    }
}

impl Default for Segmenter {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            hangover: 500 / FRAME_MS,
            lead_in: 200 / FRAME_MS,
            max_len: 15_000 / FRAME_MS,
            frame: 0,
            start: None,
            last_voice: 0,
        }
    }
}

impl Segmenter {
    /// Takes the next frame's voice score; returns an utterance when one just ended.
    pub fn push(&mut self, score: f32) -> Option<Utterance> {
        let frame = self.frame;
        self.frame += 1;
        let voiced = score >= self.threshold;
        match self.start {
            None if voiced => {
                self.start = Some(frame.saturating_sub(self.lead_in));
                self.last_voice = frame;
                None
            }
            None => None,
            Some(start) => {
                if voiced {
                    self.last_voice = frame;
                }
                let silent_long = frame - self.last_voice >= self.hangover;
                let too_long = frame + 1 - start >= self.max_len;
                if silent_long || too_long {
                    self.start = None;
                    Some(Utterance {
                        start,
                        end: frame + 1,
                    })
                } else {
                    None
                }
            }
        }
    }

    /// The utterance in progress, cut at the current frame (at stop).
    pub fn flush(&mut self) -> Option<Utterance> {
        self.start.take().map(|start| Utterance {
            start,
            end: self.frame,
        })
    }
}

/// What the streaming transcriber emits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
    /// From the moment the utterance's last audio arrived to this segment being ready.
    pub lag_ms: u64,
}

enum Input {
    Audio(Vec<f32>),
    Finish,
}

/// A running streaming transcription.
pub struct StreamingTranscriber {
    input: Sender<Input>,
    cancel: Arc<AtomicBool>,
    worker: Option<JoinHandle<Result<(), ScribeError>>>,
}

impl std::fmt::Debug for StreamingTranscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingTranscriber")
            .finish_non_exhaustive()
    }
}

impl StreamingTranscriber {
    /// Starts the worker: `transcriber` does the utterances with `options`; each
    /// segment goes to `emit` (on the worker thread).
    pub fn start(
        transcriber: Arc<Transcriber>,
        options: Options,
        mut emit: impl FnMut(StreamSegment) + Send + 'static,
    ) -> Result<Self, ScribeError> {
        let (input, received) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let options = Options {
            cancel: Some(Arc::clone(&cancel)),
            ..options
        };
        let worker = std::thread::Builder::new()
            .name("vetdesk-stream".into())
            .spawn(move || run(&received, &transcriber, &options, &mut emit))
            .map_err(|e| ScribeError::Transcription(e.to_string()))?;
        Ok(Self {
            input,
            cancel,
            worker: Some(worker),
        })
    }

    /// Hands over captured 16 kHz audio (returns at once).
    pub fn push(&self, samples: &[f32]) {
        let _ = self.input.send(Input::Audio(samples.to_vec()));
    }

    /// Transcribes what is still pending and waits for it.
    pub fn finish(mut self) -> Result<(), ScribeError> {
        let _ = self.input.send(Input::Finish);
        self.join()
    }

    /// Stops at once, dropping what is pending.
    pub fn cancel(mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        let _ = self.input.send(Input::Finish);
        let _ = self.join();
    }

    fn join(&mut self) -> Result<(), ScribeError> {
        match self.worker.take() {
            Some(worker) => worker
                .join()
                .map_err(|_| ScribeError::Transcription("the streaming worker panicked".into()))?,
            None => Ok(()),
        }
    }
}

impl Drop for StreamingTranscriber {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        let _ = self.input.send(Input::Finish);
        let _ = self.join();
    }
}

fn run(
    received: &Receiver<Input>,
    transcriber: &Transcriber,
    options: &Options,
    emit: &mut dyn FnMut(StreamSegment),
) -> Result<(), ScribeError> {
    let mut detector = earshot::Detector::default();
    let mut segmenter = Segmenter::default();
    // Every sample of the stream so far (a visit is minutes: a few MB).
    let mut audio: Vec<f32> = Vec::new();
    let mut scored = 0usize;
    let mut arrived: Vec<Instant> = Vec::new(); // when each frame's audio arrived
    let mut transcribe =
        |utterance: Utterance, audio: &[f32], arrived: &[Instant]| -> Result<(), ScribeError> {
            let from = (utterance.start as usize * FRAME).min(audio.len());
            let to = (utterance.end as usize * FRAME).min(audio.len());
            if to <= from {
                return Ok(());
            }
            let last_audio = arrived
                .get(utterance.end.saturating_sub(1) as usize)
                .copied()
                .unwrap_or_else(Instant::now);
            let transcript = transcriber.transcribe(&audio[from..to], options, |_| {})?;
            let text = transcript.text();
            if !text.is_empty() {
                emit(StreamSegment {
                    start_ms: utterance.start_ms(),
                    end_ms: utterance.end_ms(),
                    text,
                    lag_ms: u64::try_from(last_audio.elapsed().as_millis()).unwrap_or(u64::MAX),
                });
            }
            Ok(())
        };
    while let Ok(input) = received.recv() {
        if options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(ScribeError::Cancelled);
        }
        match input {
            Input::Audio(samples) => {
                let now = Instant::now();
                audio.extend_from_slice(&samples);
                while scored + FRAME <= audio.len() {
                    let score = detector.predict_f32(&audio[scored..scored + FRAME]);
                    scored += FRAME;
                    arrived.push(now);
                    if let Some(utterance) = segmenter.push(score) {
                        transcribe(utterance, &audio, &arrived)?;
                    }
                }
            }
            Input::Finish => {
                if let Some(utterance) = segmenter.flush() {
                    transcribe(utterance, &audio, &arrived)?;
                }
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Transcribes long audio utterance by utterance (VAD cuts of at most 28 s, so each
/// fits Whisper's 30 s window): `progress(done, total)` counts utterances, and
/// `options.cancel` is checked before each one. Timestamps are the whole audio's.
pub fn transcribe_long(
    transcriber: &Transcriber,
    samples: &[f32],
    options: &Options,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<crate::transcribe::Transcript, ScribeError> {
    let mut detector = earshot::Detector::default();
    let mut segmenter = Segmenter {
        max_len: 28_000 / FRAME_MS,
        ..Segmenter::default()
    };
    let mut utterances: Vec<Utterance> = samples
        .chunks_exact(FRAME)
        .filter_map(|frame| segmenter.push(detector.predict_f32(frame)))
        .collect();
    utterances.extend(segmenter.flush());
    let total = utterances.len();
    let mut segments = Vec::new();
    let mut model = (String::new(), String::new());
    progress(0, total);
    for (done, utterance) in utterances.iter().enumerate() {
        if options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(ScribeError::Cancelled);
        }
        let from = (utterance.start as usize * FRAME).min(samples.len());
        let to = (utterance.end as usize * FRAME).min(samples.len());
        let part = transcriber.transcribe(&samples[from..to], options, |_| {})?;
        let offset = utterance.start_ms();
        segments.extend(
            part.segments
                .into_iter()
                .map(|s| crate::transcribe::Segment {
                    start_ms: s.start_ms + offset,
                    end_ms: s.end_ms + offset,
                    text: s.text,
                }),
        );
        model = (part.model_file, part.model_sha256);
        progress(done + 1, total);
    }
    Ok(crate::transcribe::Transcript {
        model_file: model.0,
        model_sha256: model.1,
        audio_ms: samples.len() as u64 * 1000 / u64::from(crate::transcribe::SAMPLE_RATE),
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_scores(scores: &[f32]) -> (Vec<Utterance>, Option<Utterance>) {
        let mut s = Segmenter::default();
        let found = scores.iter().filter_map(|x| s.push(*x)).collect();
        (found, s.flush())
    }

    #[test]
    fn utterances_start_with_lead_in_and_end_after_half_a_second_of_silence() {
        // 10 silent frames, 50 voiced, 40 silent (640 ms), 20 voiced, then the end.
        let mut scores = vec![0.1; 10];
        scores.extend(vec![0.9; 50]);
        scores.extend(vec![0.1; 40]);
        scores.extend(vec![0.8; 20]);
        let (found, rest) = run_scores(&scores);
        // Lead-in of 12 frames (200 ms) but not before the stream's start.
        assert_eq!(found, [Utterance { start: 0, end: 91 }]);
        assert_eq!(
            rest,
            Some(Utterance {
                start: 88,
                end: 120
            })
        );
    }

    #[test]
    fn short_pauses_do_not_split_and_a_monologue_is_cut_at_fifteen_seconds() {
        let mut scores = Vec::new();
        for _ in 0..10 {
            scores.extend(vec![0.9; 30]);
            scores.extend(vec![0.2; 20]); // 320 ms pauses
        }
        let (found, rest) = run_scores(&scores);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(rest, Some(Utterance { start: 0, end: 500 }));
        let (found, _) = run_scores(&vec![0.9; 2000]);
        assert_eq!(found.first(), Some(&Utterance { start: 0, end: 937 }));
        assert!(found.iter().all(|u| u.end - u.start <= 15_000 / 16));
    }

    #[test]
    fn silence_gives_nothing() {
        assert_eq!(run_scores(&[0.0; 500]), (vec![], None));
    }
}
