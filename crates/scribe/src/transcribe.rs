//! Turning audio into timestamped text with whisper.cpp (whisper-rs): reading a WAV file
//! in any sample format, channel count and rate into 16 kHz mono (rubato's FFT
//! resampler), biasing the model toward the visit's vocabulary through the initial
//! prompt, and collecting segments. Progress and cancellation reach the caller through
//! a callback and a flag; the work runs on the caller's thread (a worker thread in the
//! app, never the UI's).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext};

use crate::ScribeError;

/// Whisper's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;

/// Reads a WAV file into 16 kHz mono f32 samples in [-1, 1].
pub fn read_wav(path: &Path) -> Result<Vec<f32>, ScribeError> {
    let bad = |reason: String| ScribeError::Audio(format!("{}: {reason}", path.display()));
    let mut reader = hound::WavReader::open(path).map_err(|e| bad(e.to_string()))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?
        }
    };
    let mono: Vec<f32> = interleaved
        .chunks(channels)
        .map(|frame| frame.iter().sum::<f32>() / frame.len() as f32)
        .collect();
    resample_to_16k(&mono, spec.sample_rate).map_err(|e| bad(e.to_string()))
}

/// Mono audio at any rate to 16 kHz, a block at a time (rubato's FFT resampler in
/// fixed 1024-sample input chunks), for a file read at once or a microphone as it
/// delivers. The resampler's start-up delay is dropped, so sample *n* out is time
/// *n* / 16 kHz in.
pub struct To16k {
    resampler: Option<rubato::FftFixedIn<f32>>,
    pending: Vec<f32>,
    /// Output samples still to drop (the resampler's delay).
    delay_left: usize,
}

impl std::fmt::Debug for To16k {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("To16k").finish_non_exhaustive()
    }
}

const RESAMPLE_CHUNK: usize = 1024;

/// Why audio could not be brought to 16 kHz.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    #[error("a sample rate of 0 Hz")]
    ZeroRate,
    #[error("no resampler for this rate: {0}")]
    Construction(#[from] rubato::ResamplerConstructionError),
    #[error("resampling failed: {0}")]
    Resample(#[from] rubato::ResampleError),
}

impl To16k {
    pub fn new(rate: u32) -> Result<Self, ResampleError> {
        use rubato::Resampler;
        if rate == 0 {
            return Err(ResampleError::ZeroRate);
        }
        let resampler = if rate == SAMPLE_RATE {
            None
        } else {
            Some(rubato::FftFixedIn::<f32>::new(
                rate as usize,
                SAMPLE_RATE as usize,
                RESAMPLE_CHUNK,
                2,
                1,
            )?)
        };
        let delay_left = resampler.as_ref().map_or(0, |r| r.output_delay());
        Ok(Self {
            resampler,
            pending: Vec::new(),
            delay_left,
        })
    }

    /// Adds input; appends what is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), ResampleError> {
        use rubato::Resampler;
        let Some(resampler) = self.resampler.as_mut() else {
            out.extend_from_slice(input);
            return Ok(());
        };
        self.pending.extend_from_slice(input);
        let mut used = 0;
        while self.pending.len() - used >= RESAMPLE_CHUNK {
            let done = resampler.process(&[&self.pending[used..used + RESAMPLE_CHUNK]], None)?;
            used += RESAMPLE_CHUNK;
            Self::keep(&mut self.delay_left, &done[0], out);
        }
        self.pending.drain(..used);
        Ok(())
    }

    /// Resamples what is left (the input has ended); appends it to `out`.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), ResampleError> {
        use rubato::Resampler;
        let Some(resampler) = self.resampler.as_mut() else {
            return Ok(());
        };
        let tail = std::mem::take(&mut self.pending);
        let done = resampler.process_partial(Some(&[&tail[..]]), None)?;
        Self::keep(&mut self.delay_left, &done[0], out);
        // What the resampler still holds: as much again as its delay.
        let mut flushed = 0;
        while flushed < resampler.output_delay() {
            let done = resampler.process_partial::<&[f32]>(None, None)?;
            if done[0].is_empty() {
                break;
            }
            flushed += done[0].len();
            Self::keep(&mut self.delay_left, &done[0], out);
        }
        Ok(())
    }

    fn keep(delay_left: &mut usize, block: &[f32], out: &mut Vec<f32>) {
        let dropped = (*delay_left).min(block.len());
        *delay_left -= dropped;
        out.extend_from_slice(&block[dropped..]);
    }
}

/// Resamples mono audio at `rate` Hz to 16 kHz (unchanged when already 16 kHz): exactly
/// `len × 16000 / rate` samples.
pub fn resample_to_16k(mono: &[f32], rate: u32) -> Result<Vec<f32>, ResampleError> {
    if rate == SAMPLE_RATE || mono.is_empty() {
        return Ok(mono.to_vec());
    }
    let mut to16k = To16k::new(rate)?;
    let expected = (mono.len() as u64 * u64::from(SAMPLE_RATE) / u64::from(rate)) as usize;
    let mut out = Vec::with_capacity(expected + RESAMPLE_CHUNK);
    to16k.push(mono, &mut out)?;
    to16k.finish(&mut out)?;
    out.truncate(expected);
    Ok(out)
}

/// One stretch of transcript with its place in the audio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// A transcript and what made it: the model file and its SHA-256 are recorded with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transcript {
    pub model_file: String,
    pub model_sha256: String,
    pub audio_ms: u64,
    pub segments: Vec<Segment>,
}

impl Transcript {
    /// The whole text, segments joined by single spaces.
    pub fn text(&self) -> String {
        self.segments
            .iter()
            .map(|s| s.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// How to transcribe.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Threads for whisper.cpp (0: one less than the cores, at least 1).
    pub threads: usize,
    /// Beam search width; `None` for greedy decoding.
    pub beam: Option<usize>,
    /// Words the model should expect (see [`vocabulary_prompt`]).
    pub prompt: String,
    /// Set to stop early: checked before each whisper.cpp call (an utterance, when
    /// going through [`crate::stream::transcribe_long`]); the call then returns
    /// [`ScribeError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

/// The initial prompt that biases Whisper toward a visit's words: the patient's and
/// client's names, the clinic's drug names and common veterinary terms. Whisper reads
/// only the last ~224 tokens of a prompt, so it is kept short (≤ 600 characters, the
/// visit's own names first); NUL characters are dropped.
pub fn vocabulary_prompt(names: &[&str], drugs: &[&str], terms: &[&str]) -> String {
    const MAX_CHARS: usize = 600;
    let mut words: Vec<String> = Vec::new();
    for word in names.iter().chain(drugs).chain(terms) {
        let clean: String = word.chars().filter(|c| *c != '\0').collect();
        let clean = clean.trim();
        if clean.is_empty() || words.iter().any(|w| w.eq_ignore_ascii_case(clean)) {
            continue;
        }
        let length: usize = words.iter().map(|w| w.len() + 2).sum();
        if length + clean.len() > MAX_CHARS {
            break;
        }
        words.push(clean.to_string());
    }
    if words.is_empty() {
        return String::new();
    }
    format!("Veterinary visit. {}.", words.join(", "))
}

/// Common veterinary words Whisper tends to mishear without a hint.
pub const VETERINARY_TERMS: &[&str] = &[
    "spayed",
    "neutered",
    "otitis externa",
    "pyoderma",
    "dermatitis",
    "gastroenteritis",
    "cruciate",
    "luxating patella",
    "heart murmur",
    "tachycardia",
    "pruritus",
    "mg per kg",
    "twice daily",
    "SID",
    "BID",
    "TID",
    "subcutaneous",
    "intramuscular",
    "body condition score",
    "mucous membranes",
    "capillary refill",
];

/// A loaded model, ready to transcribe (load once, transcribe many times).
pub struct Transcriber {
    context: WhisperContext,
    /// A decoding state kept between calls (whisper-cli keeps one too): making one
    /// allocates the KV caches and compute buffers, ~0.1 s a call with tiny.en. A call
    /// that finds it taken (another thread transcribing) makes its own.
    spare_state: std::sync::Mutex<Option<whisper_rs::WhisperState>>,
    model_file: String,
    model_sha256: String,
}

impl std::fmt::Debug for Transcriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcriber")
            .field("model_file", &self.model_file)
            .finish_non_exhaustive()
    }
}

impl Transcriber {
    /// Loads the model at `path`; `sha256` is what transcripts will record (from the
    /// manifest, or computed by the caller).
    pub fn load(path: &Path, sha256: &str) -> Result<Self, ScribeError> {
        Ok(Self {
            context: crate::model::load(path)?,
            spare_state: std::sync::Mutex::new(None),
            model_file: file_name(path),
            model_sha256: sha256.to_string(),
        })
    }

    /// The model file's name, as transcripts record it.
    pub fn model_file(&self) -> &str {
        &self.model_file
    }

    /// Transcribes 16 kHz mono `samples`. `progress` receives 0–100.
    pub fn transcribe(
        &self,
        samples: &[f32],
        options: &Options,
        progress: impl FnMut(i32) + 'static,
    ) -> Result<Transcript, ScribeError> {
        let failed = |e: whisper_rs::WhisperError| ScribeError::Transcription(e.to_string());
        let spare = self.spare_state.lock().ok().and_then(|mut s| s.take());
        let mut state = match spare {
            Some(state) => state,
            None => self.context.create_state().map_err(failed)?,
        };
        let strategy = match options.beam {
            Some(width) => SamplingStrategy::BeamSearch {
                beam_size: i32::try_from(width.clamp(1, 8)).unwrap_or(5),
                patience: -1.0,
            },
            None => SamplingStrategy::Greedy { best_of: 1 },
        };
        let mut params = FullParams::new(strategy);
        params.set_n_threads(i32::try_from(thread_count(options.threads)).unwrap_or(1));
        params.set_language(Some("en"));
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        params.set_suppress_nst(true);
        if !options.prompt.is_empty() {
            let prompt: String = options.prompt.chars().filter(|c| *c != '\0').collect();
            params.set_initial_prompt(&prompt);
        }
        // whisper.cpp counts from its seek position, which steps past the end of the
        // audio in its last 30 s window (it reported 401 % on 7 s of audio): clamp, and
        // never go backwards.
        let mut progress = progress;
        let mut shown = -1;
        params.set_progress_callback_safe(move |percent: i32| {
            let percent = percent.clamp(0, 100);
            if percent > shown {
                shown = percent;
                progress(percent);
            }
        });
        // whisper-rs 0.16's `set_abort_callback_safe` casts its boxed closure to the
        // closure's own type in the C trampoline (undefined behaviour: whisper.cpp then
        // aborts at random, error -6), so cancellation is checked between calls
        // instead: long audio goes through `stream::transcribe_long` in utterances.
        if options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(ScribeError::Cancelled);
        }
        state.full(params, samples).map_err(failed)?;
        let audio_ms = samples.len() as u64 * 1000 / u64::from(SAMPLE_RATE);
        let mut segments = Vec::new();
        for segment in state.as_iter() {
            let text = segment.to_str_lossy().map_err(failed)?.trim().to_string();
            // whisper.cpp counts in 10 ms steps, and may end the last segment at the
            // end of its 30 s window rather than of the audio.
            let at = |t: i64| (u64::try_from(t).unwrap_or(0) * 10).min(audio_ms);
            segments.push(Segment {
                start_ms: at(segment.start_timestamp()),
                end_ms: at(segment.end_timestamp()),
                text,
            });
        }
        if let Ok(mut spare) = self.spare_state.lock() {
            *spare = Some(state);
        }
        Ok(Transcript {
            model_file: self.model_file.clone(),
            model_sha256: self.model_sha256.clone(),
            audio_ms,
            segments,
        })
    }
}

fn thread_count(asked: usize) -> usize {
    if asked > 0 {
        return asked;
    }
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| PathBuf::from(path).display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_leads_with_the_visit_s_names_drops_repeats_and_stays_short() {
        let prompt = vocabulary_prompt(
            &["Bella", "Ms Okafor"],
            &["Otomax", "carprofen", "otomax"],
            VETERINARY_TERMS,
        );
        assert!(prompt.starts_with("Veterinary visit. Bella, Ms Okafor, Otomax, carprofen,"));
        assert_eq!(
            prompt.matches("Otomax").count() + prompt.matches("otomax").count(),
            1
        );
        assert!(prompt.len() <= 640);
        let long: Vec<String> = (0..500).map(|i| format!("drug{i}")).collect();
        let long: Vec<&str> = long.iter().map(String::as_str).collect();
        assert!(vocabulary_prompt(&[], &long, &[]).len() <= 640);
        assert!(!vocabulary_prompt(&["Nul\0Name"], &[], &[]).contains('\0'));
        assert_eq!(vocabulary_prompt(&[], &[], &[]), "");
    }

    #[test]
    fn resampling_keeps_duration_and_a_tone_s_frequency() {
        let rate = 22_050u32;
        let tone: Vec<f32> = (0..rate)
            .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin() * 0.5)
            .collect();
        let out = resample_to_16k(&tone, rate).unwrap_or_default();
        assert_eq!(out.len(), 16_000);
        // Count rising zero crossings over the middle half second: 440 Hz → ~220.
        let middle = &out[4_000..12_000];
        let crossings = middle
            .windows(2)
            .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
            .count();
        assert!((218..=222).contains(&crossings), "{crossings}");
        let peak = middle.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!((0.45..0.55).contains(&peak), "{peak}");
    }
}
