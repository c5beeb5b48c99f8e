//! The exam room's scribe inside the app: one recording at a time, for an encounter,
//! on a thread of its own (cpal's stream may not move between threads). The audio is
//! encrypted as it is captured (core checks consent and makes the key); levels and a
//! live transcript of each utterance are kept for the UI to poll. At stop the whole
//! recording is transcribed again (the final pass) and stored as the encounter's next
//! draft; `draft_from_file` does the same from a WAV file. Progress of that long work
//! is kept for the UI too. Nothing here blocks the window: the commands run on
//! blocking threads.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use uuid::Uuid;
use vetdesk_core::services::recordings::DEFAULT_RETENTION_DAYS;
use vetdesk_core::{Actor, Store};
use vetdesk_draft::extract::DraftItem;
use vetdesk_ipc::{ErrorCode, IpcError, LiveRecordingView, LiveSegment, ScribeStatus, WorkView};
use vetdesk_scribe::capture::{Capture, CaptureEvent};
use vetdesk_scribe::recording::RecordingWriter;
use vetdesk_scribe::stream::StreamingTranscriber;
use vetdesk_scribe::transcribe::{Options, Transcriber, Transcript};
use vetdesk_visit::VisitContext;

use crate::failures;

/// What the recording thread is told.
enum Control {
    Pause,
    Resume,
    Stop,
}

/// A recording in progress.
struct Live {
    encounter: Uuid,
    recording: Uuid,
    control: mpsc::Sender<Control>,
    finished: mpsc::Receiver<Result<u64, String>>,
    view: Arc<Mutex<LiveRecordingView>>,
    started: Instant,
}

/// The app's scribe: the model (loaded once), the recording, the long work's progress.
pub struct Scribe {
    data_dir: PathBuf,
    transcriber: Mutex<Option<Arc<Transcriber>>>,
    live: Mutex<Option<Live>>,
    work: Arc<Mutex<Option<WorkView>>>,
}

impl std::fmt::Debug for Scribe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scribe")
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

fn poisoned() -> IpcError {
    IpcError::new(
        ErrorCode::Internal,
        "the scribe's state is damaged; restart Vetdesk",
    )
}

impl Scribe {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            transcriber: Mutex::new(None),
            live: Mutex::new(None),
            work: Arc::new(Mutex::new(None)),
        }
    }

    fn models_dir(&self) -> PathBuf {
        vetdesk_scribe::model::models_dir(&self.data_dir)
    }

    /// The model in use (file name), if one is installed: the loaded one, else a look in
    /// the models folder (until the first recording or draft loads one).
    fn model_name(&self) -> Option<String> {
        if let Ok(slot) = self.transcriber.lock()
            && let Some(loaded) = slot.as_ref()
        {
            return Some(loaded.model_file().to_string());
        }
        vetdesk_scribe::install::choose_model(&self.models_dir(), None)
            .ok()
            .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
    }

    /// The loaded model, loading it the first time.
    fn transcriber(&self) -> Result<Arc<Transcriber>, IpcError> {
        let mut slot = self.transcriber.lock().map_err(|_| poisoned())?;
        if let Some(loaded) = slot.as_ref() {
            return Ok(Arc::clone(loaded));
        }
        let path =
            vetdesk_scribe::install::choose_model(&self.models_dir(), None).map_err(|_| {
                IpcError::new(
                    ErrorCode::NotAllowedNow,
                    format!(
                        "no Whisper model in {}: install one with `vetdesk models install tiny.en`",
                        self.models_dir().display()
                    ),
                )
            })?;
        let sha = vetdesk_scribe::install::model_sha256(&path).map_err(failures::scribe)?;
        let loaded = Arc::new(Transcriber::load(&path, &sha).map_err(failures::scribe)?);
        *slot = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    /// What the exam room shows: the model, the recording (level, time, live
    /// transcript), the long work's progress.
    pub fn status(&self) -> Result<ScribeStatus, IpcError> {
        let recording = match self.live.lock().map_err(|_| poisoned())?.as_ref() {
            Some(live) => {
                let mut view = live.view.lock().map_err(|_| poisoned())?.clone();
                view.seconds = live.started.elapsed().as_secs_f64();
                Some(view)
            }
            None => None,
        };
        Ok(ScribeStatus {
            model: self.model_name(),
            recording,
            working: self.work.lock().map_err(|_| poisoned())?.clone(),
        })
    }

    /// Starts recording for `encounter`: core checks consent (or takes the audited
    /// override) and makes the recording's key; the audio is encrypted as it comes.
    pub fn start(
        &self,
        store: &mut Store,
        actor: &Actor,
        encounter: Uuid,
        override_reason: Option<&str>,
    ) -> Result<Uuid, IpcError> {
        let mut live = self.live.lock().map_err(|_| poisoned())?;
        if live.is_some() {
            return Err(IpcError::new(
                ErrorCode::NotAllowedNow,
                "a recording is already running: stop it first",
            ));
        }
        let start = store.transact(actor, |tx| {
            tx.start_recording(encounter, override_reason, DEFAULT_RETENTION_DAYS)
        })?;
        let path = self.data_dir.join(&start.file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| failures::io("the recordings folder", e))?;
        }
        let writer = RecordingWriter::create(&path, *start.id.as_bytes(), &start.key)
            .map_err(failures::scribe)?;
        // The live transcript, when a model is installed (recording works without).
        let stream = self.transcriber().ok();
        let view = Arc::new(Mutex::new(LiveRecordingView {
            encounter_id: encounter.to_string(),
            recording_id: start.id.to_string(),
            seconds: 0.0,
            level_dbfs: -90.0,
            paused: false,
            device: None,
            segments: Vec::new(),
            problem: None,
        }));
        let (control, orders) = mpsc::channel();
        let (done, finished) = mpsc::channel();
        let (ready, started) = mpsc::channel::<Result<(), String>>();
        let thread_view = Arc::clone(&view);
        std::thread::Builder::new()
            .name("vetdesk-recorder".into())
            .spawn(move || record(writer, stream, &thread_view, &orders, &ready, &done))
            .map_err(|e| failures::io("the recorder's thread", e))?;
        match started.recv() {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Err(failures::not_now(why)),
            Err(_) => return Err(failures::not_now("the recorder stopped before it started")),
        }
        *live = Some(Live {
            encounter,
            recording: start.id,
            control,
            finished,
            view,
            started: Instant::now(),
        });
        Ok(start.id)
    }

    pub fn pause(&self, paused: bool) -> Result<(), IpcError> {
        let live = self.live.lock().map_err(|_| poisoned())?;
        let live = live
            .as_ref()
            .ok_or_else(|| IpcError::new(ErrorCode::NotAllowedNow, "nothing is recording"))?;
        let _ = live.control.send(if paused {
            Control::Pause
        } else {
            Control::Resume
        });
        if let Ok(mut view) = live.view.lock() {
            view.paused = paused;
        }
        Ok(())
    }

    /// Stops the recording; returns its encounter, its id and how many samples it kept.
    /// (The caller records its length and runs the final pass.)
    pub fn stop(&self) -> Result<(Uuid, Uuid, u64), IpcError> {
        let live = self
            .live
            .lock()
            .map_err(|_| poisoned())?
            .take()
            .ok_or_else(|| IpcError::new(ErrorCode::NotAllowedNow, "nothing is recording"))?;
        let _ = live.control.send(Control::Stop);
        let samples = live
            .finished
            .recv()
            .map_err(|_| failures::not_now("the recorder ended without its audio"))?
            .map_err(|e| failures::io("the recording", e))?;
        Ok((live.encounter, live.recording, samples))
    }

    /// The final pass: `audio` transcribed with the visit's prompt and its items
    /// drafted, with progress for the UI. Runs without the store, so the rest of the
    /// app keeps working meanwhile.
    pub fn transcribe(
        &self,
        visit: &VisitContext,
        audio: &[f32],
    ) -> Result<(Transcript, Vec<DraftItem>), IpcError> {
        let transcriber = self.transcriber()?;
        set_work(&self.work, Some(0));
        let progress = Arc::clone(&self.work);
        let result =
            vetdesk_visit::transcribe_and_extract(&transcriber, visit, audio, 0, move |p| {
                set_work(&progress, Some(p));
            });
        set_work(&self.work, None);
        result.map_err(failures::visit)
    }
}

/// The audio and context of a final pass, gathered from the store.
pub fn visit_of(
    store: &mut Store,
    actor: &Actor,
    encounter: Uuid,
) -> Result<VisitContext, IpcError> {
    Ok(store.read(actor, |rx| {
        VisitContext::of_encounter(rx, encounter, vetdesk_visit::clinic_formulary(rx)?)
    })?)
}

/// A recording of this device read back for the final pass.
pub fn recording_audio(
    store: &mut Store,
    actor: &Actor,
    data_dir: &Path,
    recording: Uuid,
) -> Result<Vec<f32>, IpcError> {
    let key = store.read(actor, |rx| rx.recording_key(recording))?;
    let (audio, _complete) = vetdesk_visit::recording_samples(key.as_deref(), data_dir, recording)
        .map_err(failures::visit)?;
    Ok(audio)
}

/// Reads a WAV file (any rate and format) for a draft.
pub fn wav_audio(path: &Path) -> Result<Vec<f32>, IpcError> {
    vetdesk_scribe::transcribe::read_wav(path).map_err(|e| {
        IpcError::invalid(
            "path",
            format!("{} cannot be read as audio: {e}", path.display()),
        )
    })
}

/// Stores a final pass as the encounter's next draft; its id.
pub fn store_draft(
    store: &mut Store,
    actor: &Actor,
    encounter: Uuid,
    transcript: &Transcript,
    items: &[DraftItem],
) -> Result<String, IpcError> {
    let draft = vetdesk_visit::store_draft(store, actor, encounter, transcript, items)
        .map_err(failures::visit)?;
    Ok(draft.to_string())
}

fn set_work(work: &Mutex<Option<WorkView>>, percent: Option<i32>) {
    if let Ok(mut w) = work.lock() {
        *w = percent.map(|percent| WorkView {
            what: "transcribing".into(),
            percent,
        });
    }
}

/// The recording thread: owns the capture, writes every block encrypted, feeds the
/// live transcript, and answers pause / resume / stop.
fn record(
    writer: RecordingWriter,
    transcriber: Option<Arc<Transcriber>>,
    view: &Arc<Mutex<LiveRecordingView>>,
    orders: &mpsc::Receiver<Control>,
    ready: &mpsc::Sender<Result<(), String>>,
    done: &mpsc::Sender<Result<u64, String>>,
) {
    let writer = Arc::new(Mutex::new(Some(writer)));
    let failed = Arc::new(Mutex::new(None::<String>));
    let stream = transcriber.and_then(|t| {
        let segments = Arc::clone(view);
        StreamingTranscriber::start(t, Options::default(), move |segment| {
            if let Ok(mut v) = segments.lock() {
                v.segments.push(LiveSegment {
                    start_ms: segment.start_ms,
                    end_ms: segment.end_ms,
                    text: segment.text.clone(),
                });
            }
        })
        .ok()
    });
    let stream = Arc::new(Mutex::new(stream));
    let (sink_writer, sink_stream, sink_failed) = (
        Arc::clone(&writer),
        Arc::clone(&stream),
        Arc::clone(&failed),
    );
    let events_view = Arc::clone(view);
    let capture = Capture::start(
        None,
        move |samples| {
            if let Ok(guard) = sink_stream.lock()
                && let Some(s) = guard.as_ref()
            {
                s.push(samples);
            }
            if let Ok(mut guard) = sink_writer.lock()
                && let Some(w) = guard.as_mut()
                && let Err(e) = w.push(samples)
                && let Ok(mut f) = sink_failed.lock()
            {
                *f = Some(e.to_string());
            }
        },
        move |event| {
            if let Ok(mut v) = events_view.lock() {
                match event {
                    CaptureEvent::Started { device, .. } => v.device = Some(device),
                    CaptureEvent::Level { dbfs } => v.level_dbfs = dbfs,
                    CaptureEvent::DeviceLost { why } => {
                        v.problem = Some(format!(
                            "the microphone went away ({why}); what was recorded is kept"
                        ));
                    }
                }
            }
        },
    );
    let capture = match capture {
        Ok(capture) => {
            let _ = ready.send(Ok(()));
            capture
        }
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return;
        }
    };
    for order in orders.iter() {
        match order {
            Control::Pause => capture.pause(),
            Control::Resume => capture.resume(),
            Control::Stop => break,
        }
    }
    let summary = capture.stop();
    if let Some(s) = stream.lock().ok().and_then(|mut s| s.take()) {
        let _ = s.finish();
    }
    let finished = writer
        .lock()
        .ok()
        .and_then(|mut w| w.take())
        .map(|w| w.finish());
    let outcome = match (failed.lock().ok().and_then(|f| f.clone()), finished) {
        (Some(why), _) => Err(format!("writing the recording failed: {why}")),
        (None, Some(Err(e))) => Err(format!("closing the recording failed: {e}")),
        _ => Ok(summary.samples),
    };
    let _ = done.send(outcome);
}
