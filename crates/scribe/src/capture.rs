//! Recording from a microphone: cpal input from any device, sample format, channel
//! count and rate, turned into 16 kHz mono f32 (downmix, then rubato's FFT resampler)
//! on a processing thread, with a level meter (dBFS every 100 ms), pause and resume,
//! and device loss reported as an event while everything recorded so far is kept.
//!
//! cpal's callback only converts and hands the samples over a channel; resampling,
//! metering and the caller's sink run on the processing thread, so a slow sink (disk,
//! encryption, the streaming transcriber) never stalls the audio callback. Recording
//! starts at the first buffer the device delivers (0.8–2.1 s after `play` on a
//! PulseAudio source): the [`CaptureEvent::Started`] event marks it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{Data, Sample, SampleFormat};
use serde::Serialize;

use crate::ScribeError;

/// What the recorder reports as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CaptureEvent {
    /// The first audio arrived: the recording starts here.
    Started {
        device: String,
        rate_hz: u32,
        channels: u16,
        format: String,
    },
    /// The input level over the last 100 ms, in dBFS (−100 for silence).
    Level { dbfs: f32 },
    /// The device went away (unplugged, or the sound server stopped). What was recorded
    /// so far is kept; the recording cannot continue on this device.
    DeviceLost { why: String },
}

/// What a finished recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CaptureSummary {
    /// 16 kHz samples handed to the sink.
    pub samples: u64,
}

/// A running recording. Stop it with [`Capture::stop`]; dropping it stops it too.
pub struct Capture {
    stream: Option<cpal::Stream>,
    paused: Arc<AtomicBool>,
    samples: Arc<AtomicU64>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture").finish_non_exhaustive()
    }
}

/// One block of mono samples at the device's rate, or the device's end.
enum Block {
    Audio(Vec<f32>),
    Lost(String),
}

impl Capture {
    /// Starts recording from `device` (a name from the host's input devices) or the
    /// default input. `sink` receives 16 kHz mono samples; `events` the start, levels
    /// and device loss. Both run on the processing thread.
    pub fn start(
        device: Option<&str>,
        mut sink: impl FnMut(&[f32]) + Send + 'static,
        mut events: impl FnMut(CaptureEvent) + Send + 'static,
    ) -> Result<Self, ScribeError> {
        let host = cpal::default_host();
        let device = match device {
            Some(name) => host
                .input_devices()
                .map_err(|e| ScribeError::Audio(e.to_string()))?
                .find(|d| d.name().is_ok_and(|n| n == name))
                .ok_or_else(|| {
                    ScribeError::NoInputDevice(format!("no input device called {name:?}"))
                })?,
            None => host.default_input_device().ok_or_else(|| {
                ScribeError::NoInputDevice(format!(
                    "the {} host reports no default input",
                    host.id().name()
                ))
            })?,
        };
        let name = device
            .name()
            .map_err(|e| ScribeError::Audio(e.to_string()))?;
        let supported = device
            .default_input_config()
            .map_err(|e| ScribeError::NoInputDevice(format!("{name}: {e}")))?;
        let format = supported.sample_format();
        let config: cpal::StreamConfig = supported.into();
        let (rate, channels) = (config.sample_rate.0, config.channels);

        let (sender, receiver) = mpsc::channel::<Block>();
        let lost = sender.clone();
        let paused = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(AtomicU64::new(0));
        let stream = device
            .build_input_stream_raw(
                &config,
                format,
                move |data: &Data, _| {
                    if let Some(mono) = to_mono(data, usize::from(channels)) {
                        let _ = sender.send(Block::Audio(mono));
                    }
                },
                move |error| {
                    let _ = lost.send(Block::Lost(error.to_string()));
                },
                None,
            )
            .map_err(|e| ScribeError::Audio(format!("{name}: {e}")))?;
        stream
            .play()
            .map_err(|e| ScribeError::Audio(format!("{name}: {e}")))?;

        let (worker_paused, worker_samples) = (Arc::clone(&paused), Arc::clone(&samples));
        let started = CaptureEvent::Started {
            device: name,
            rate_hz: rate,
            channels,
            format: format.to_string(),
        };
        let worker = std::thread::Builder::new()
            .name("vetdesk-capture".into())
            .spawn(move || {
                process(
                    &receiver,
                    rate,
                    started,
                    &worker_paused,
                    &worker_samples,
                    &mut sink,
                    &mut events,
                );
            })
            .map_err(|e| ScribeError::Audio(e.to_string()))?;
        Ok(Self {
            stream: Some(stream),
            paused,
            samples,
            worker: Some(worker),
        })
    }

    /// Stops keeping audio until [`resume`](Self::resume) (the device keeps running,
    /// so resuming is immediate).
    pub fn pause(&self) {
        self.paused.store(true, Ordering::Relaxed);
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::Relaxed);
    }

    /// 16 kHz samples kept so far.
    pub fn samples(&self) -> u64 {
        self.samples.load(Ordering::Relaxed)
    }

    /// Stops the device, lets the processing thread hand over what it holds, and
    /// returns what was recorded.
    pub fn stop(mut self) -> CaptureSummary {
        self.finish();
        CaptureSummary {
            samples: self.samples.load(Ordering::Relaxed),
        }
    }

    fn finish(&mut self) {
        // Dropping the stream drops the callback's sender; the worker then drains.
        drop(self.stream.take());
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The device's interleaved samples (any format) as mono f32.
fn to_mono(data: &Data, channels: usize) -> Option<Vec<f32>> {
    fn mix<T: Sample>(samples: &[T], channels: usize) -> Vec<f32>
    where
        f32: cpal::FromSample<T>,
    {
        let channels = channels.max(1);
        samples
            .chunks(channels)
            .map(|frame| {
                frame.iter().map(|s| s.to_sample::<f32>()).sum::<f32>() / frame.len() as f32
            })
            .collect()
    }
    Some(match data.sample_format() {
        SampleFormat::F32 => mix(data.as_slice::<f32>()?, channels),
        SampleFormat::F64 => mix(data.as_slice::<f64>()?, channels),
        SampleFormat::I16 => mix(data.as_slice::<i16>()?, channels),
        SampleFormat::I32 => mix(data.as_slice::<i32>()?, channels),
        SampleFormat::I8 => mix(data.as_slice::<i8>()?, channels),
        SampleFormat::U8 => mix(data.as_slice::<u8>()?, channels),
        SampleFormat::U16 => mix(data.as_slice::<u16>()?, channels),
        SampleFormat::U32 => mix(data.as_slice::<u32>()?, channels),
        _ => return None,
    })
}

/// The level of `samples` in dBFS (RMS), −100 for silence.
pub fn dbfs(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return -100.0;
    }
    let mean_square = samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32;
    if mean_square <= 1e-10 {
        -100.0
    } else {
        (10.0 * mean_square.log10()).max(-100.0)
    }
}

/// The processing thread: resample to 16 kHz in fixed blocks, meter, hand to the sink.
fn process(
    blocks: &Receiver<Block>,
    rate: u32,
    started: CaptureEvent,
    paused: &AtomicBool,
    kept: &AtomicU64,
    sink: &mut dyn FnMut(&[f32]),
    events: &mut dyn FnMut(CaptureEvent),
) {
    let mut to16k = crate::transcribe::To16k::new(rate).ok();
    let mut resampled: Vec<f32> = Vec::new();
    let mut meter: Vec<f32> = Vec::new();
    let meter_len = (rate / 10).max(1) as usize;
    let mut started = Some(started);
    let deliver = |samples: &[f32], sink: &mut dyn FnMut(&[f32])| {
        if !samples.is_empty() {
            kept.fetch_add(samples.len() as u64, Ordering::Relaxed);
            sink(samples);
        }
    };
    while let Ok(block) = blocks.recv() {
        let audio = match block {
            Block::Audio(audio) => audio,
            Block::Lost(why) => {
                events(CaptureEvent::DeviceLost { why });
                continue;
            }
        };
        if let Some(event) = started.take() {
            events(event);
        }
        meter.extend_from_slice(&audio);
        while meter.len() >= meter_len {
            let level = dbfs(&meter[..meter_len]);
            meter.drain(..meter_len);
            events(CaptureEvent::Level { dbfs: level });
        }
        if paused.load(Ordering::Relaxed) {
            continue;
        }
        match to16k.as_mut() {
            Some(to16k) => {
                resampled.clear();
                if to16k.push(&audio, &mut resampled).is_ok() {
                    deliver(&resampled, sink);
                }
            }
            None => deliver(&audio, sink),
        }
    }
    // The device stopped: hand over the tail.
    if let Some(to16k) = to16k.as_mut() {
        resampled.clear();
        if to16k.finish(&mut resampled).is_ok() {
            deliver(&resampled, sink);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_meter_reads_full_scale_silence_and_a_quiet_tone() {
        assert_eq!(dbfs(&[]), -100.0);
        assert_eq!(dbfs(&[0.0; 1600]), -100.0);
        assert!((dbfs(&[1.0; 1600])).abs() < 0.01);
        let tone: Vec<f32> = (0..1600).map(|i| 0.1 * (i as f32 * 0.3).sin()).collect();
        let level = dbfs(&tone);
        // A sine of amplitude 0.1 has an RMS of 0.0707: −23 dBFS.
        assert!((level + 23.0).abs() < 0.3, "{level}");
    }
}
