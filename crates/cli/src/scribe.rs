//! `vetdesk models …` and `vetdesk transcribe`: the scribe's model files and
//! transcription from the command line. The work is `vetdesk-scribe`'s; this is the
//! shell around it (arguments, progress on stderr, output on stdout).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vetdesk_scribe::catalog::{self, KNOWN_MODELS};
use vetdesk_scribe::install::{self, Manifest};
use vetdesk_scribe::model::{model_files, models_dir};
use vetdesk_scribe::transcribe::{self, Options, Transcriber};
use vetdesk_visit::VisitContext;

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// The models Vetdesk can install, and those installed in this data directory.
    List,
    /// Download a standard whisper.cpp model (resumes an interrupted download; checks
    /// its SHA-256 before using it). `VETDESK_MODEL_BASE_URL` names a mirror.
    Install { name: String },
    /// Convert a CTranslate2 (faster-whisper) Whisper model folder into a model here.
    ImportCt2 {
        dir: PathBuf,
        /// Name to install it under [default: its size, e.g. tiny.en-ct2].
        #[arg(long)]
        name: Option<String>,
    },
    /// Recheck every installed model's header and SHA-256.
    Verify,
}

/// `\r`-updated progress on stderr, at most once per percent.
struct Progress {
    label: String,
    last: Option<u64>,
    /// Counting bytes (shown in MB), else items.
    bytes: bool,
}

impl Progress {
    fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            last: None,
            bytes: true,
        }
    }

    fn of_items(label: impl Into<String>) -> Self {
        Self {
            bytes: false,
            ..Self::new(label)
        }
    }

    fn update(&mut self, done: u64, total: u64) {
        let percent = (done * 100).checked_div(total).unwrap_or(0);
        if self.last == Some(percent) {
            return;
        }
        self.last = Some(percent);
        let mut err = std::io::stderr();
        if !self.bytes {
            let _ = write!(err, "\r{} {percent:>3}% ({done} of {total})", self.label);
        } else if total > 0 {
            let _ = write!(
                err,
                "\r{} {percent:>3}% ({:.1} of {:.1} MB)",
                self.label,
                done as f64 / 1e6,
                total as f64 / 1e6
            );
        } else {
            let _ = write!(err, "\r{} {:.1} MB", self.label, done as f64 / 1e6);
        }
        let _ = err.flush();
    }

    fn done(&self) {
        eprintln!();
    }
}

pub fn models(data_dir: &Path, command: ModelsCommand) -> Result<bool> {
    let dir = models_dir(data_dir);
    match command {
        ModelsCommand::List => list(&dir).map(|()| true),
        ModelsCommand::Install { name } => {
            let Some(model) = catalog::find(&name) else {
                let names: Vec<&str> = KNOWN_MODELS.iter().map(|m| m.name).collect();
                bail!("no model called {name:?}; known: {}", names.join(", "));
            };
            let base = std::env::var("VETDESK_MODEL_BASE_URL")
                .unwrap_or_else(|_| catalog::DEFAULT_BASE_URL.to_string());
            let mut progress = Progress::new(format!("downloading {}", model.name));
            let path = install::download(model, &dir, &base, &mut |d, t| progress.update(d, t));
            progress.done();
            let path = path?;
            println!(
                "installed {} at {} (SHA-256 checked)",
                model.name,
                path.display()
            );
            Ok(true)
        }
        ModelsCommand::ImportCt2 { dir: source, name } => {
            let name = match name {
                Some(name) => name,
                None => default_import_name(&source)?,
            };
            let mut progress = Progress::of_items(format!("converting tensors into {name}"));
            let entry = install::import_ct2(&source, &dir, &name, &mut |d, t| {
                progress.update(d as u64, t as u64);
            });
            progress.done();
            let entry = entry?;
            println!(
                "imported {} as {} ({} bytes, SHA-256 {})",
                source.display(),
                entry.file,
                entry.bytes,
                entry.sha256
            );
            Ok(true)
        }
        ModelsCommand::Verify => {
            let mut progress = Progress::new("checking");
            let report = install::verify(&dir, &mut |file, d, t| {
                progress.label = format!("checking {file}");
                progress.update(d, t);
            });
            if progress.last.is_some() {
                progress.done();
            }
            let report = report?;
            if report.is_empty() {
                println!("no models installed in {}", dir.display());
                return Ok(false);
            }
            for model in &report {
                println!("{}  {}", model.file, model.verdict);
            }
            Ok(report.iter().all(|m| m.ok))
        }
    }
}

/// "tiny.en-ct2" and the like, from the CTranslate2 model's own shapes.
fn default_import_name(source: &Path) -> Result<String> {
    let header = vetdesk_scribe::ct2::inspect(source)?;
    Ok(format!("{}-ct2", header.name().replace(' ', "-")))
}

fn list(dir: &Path) -> Result<()> {
    let manifest = Manifest::load(dir)?;
    let installed: Vec<String> = model_files(dir)
        .iter()
        .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .collect();
    println!("Standard models (vetdesk models install NAME):");
    for model in KNOWN_MODELS {
        let mark = if installed.iter().any(|f| f == model.file) {
            "installed"
        } else {
            "-"
        };
        println!(
            "  {:<15} {:>4} MB  {:<9}  {}",
            model.name, model.approx_mb, mark, model.note
        );
    }
    let others: Vec<&String> = installed
        .iter()
        .filter(|f| !KNOWN_MODELS.iter().any(|m| m.file == f.as_str()))
        .collect();
    if !others.is_empty() {
        println!("Other models in {}:", dir.display());
        for file in others {
            let source = manifest
                .entry_for_file(file)
                .map_or("not installed by Vetdesk", |e| e.source.as_str());
            println!("  {file}  ({source})");
        }
    }
    Ok(())
}

/// The model file to use: `--model` as a name or a path, else the first installed of
/// tiny.en, tiny.en-ct2, then any.
fn choose_model(data_dir: &Path, asked: Option<&str>) -> Result<PathBuf> {
    let dir = models_dir(data_dir);
    install::choose_model(&dir, asked).map_err(|e| match e {
        vetdesk_scribe::ScribeError::ModelNotFound(_) if asked.is_none() => anyhow::anyhow!(
            "no Whisper model in {}: `vetdesk models install tiny.en` (or `vetdesk models import-ct2 DIR`)",
            dir.display()
        ),
        vetdesk_scribe::ScribeError::ModelNotFound(_) => anyhow::anyhow!(
            "no model {:?} in {}: see `vetdesk models list`",
            asked.unwrap_or_default(),
            dir.display()
        ),
        other => other.into(),
    })
}

/// The model's SHA-256: from the manifest, else computed now.
fn model_hash(path: &Path) -> Result<String> {
    Ok(install::model_sha256(path)?)
}

/// Where the audio comes from: a WAV file, or an encrypted recording of this device
/// (opened with its key from the store; needs a signed-in clinician).
#[derive(Debug, Clone, Copy)]
pub enum Audio<'a> {
    Wav(&'a Path),
    Recording(uuid::Uuid, &'a crate::records::SignIn),
}

pub struct TranscribeArgs<'a> {
    pub file: Audio<'a>,
    pub model: Option<&'a str>,
    pub json: bool,
    pub threads: usize,
    pub beam: Option<usize>,
}

/// Loads the model and transcribes `file`, the prompt biased toward `names` and
/// `drugs`; progress on stderr.
fn run_transcription(
    data_dir: &Path,
    args: &TranscribeArgs<'_>,
    names: &[&str],
    drugs: &[&str],
) -> Result<transcribe::Transcript> {
    let model_path = choose_model(data_dir, args.model)?;
    let samples = match args.file {
        Audio::Wav(path) => transcribe::read_wav(path)?,
        Audio::Recording(id, who) => {
            let mut store = crate::records::open(data_dir)?;
            let actor = crate::records::sign_in(&mut store, who)?;
            let key = store.read(&actor, |rx| rx.recording_key(id))?;
            let (samples, complete) =
                vetdesk_visit::recording_samples(key.as_deref(), data_dir, id)?;
            if !complete {
                eprintln!(
                    "note: the recording was cut short (a crash while recording); transcribing what was saved"
                );
            }
            samples
        }
    };
    let transcriber = Transcriber::load(&model_path, &model_hash(&model_path)?)?;
    let options = Options {
        threads: args.threads,
        beam: args.beam,
        prompt: transcribe::vocabulary_prompt(names, drugs, transcribe::VETERINARY_TERMS),
        cancel: None,
    };
    let transcript = transcriber.transcribe(&samples, &options, |percent| {
        eprint!("\rtranscribing {percent:>3}%");
    })?;
    eprintln!();
    Ok(transcript)
}

pub fn transcribe_file(data_dir: &Path, args: &TranscribeArgs<'_>) -> Result<()> {
    let drugs = vetdesk_draft::formulary::starter();
    let drug_names: Vec<&str> = drugs.iter().map(|d| d.name.as_str()).collect();
    let transcript = run_transcription(data_dir, args, &[], &drug_names)?;
    if args.json {
        let mut value = serde_json::to_value(&transcript)?;
        value["text"] = serde_json::Value::String(transcript.text());
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for segment in &transcript.segments {
            println!(
                "[{} → {}] {}",
                crate::drafts::clock(segment.start_ms),
                crate::drafts::clock(segment.end_ms),
                segment.text
            );
        }
    }
    Ok(())
}

/// What `vetdesk draft` knows of the patient besides the audio.
pub struct DraftArgs<'a> {
    pub transcribe: TranscribeArgs<'a>,
    /// Store the draft beside this encounter (its patient gives the context).
    pub encounter: Option<uuid::Uuid>,
    pub patient: Option<uuid::Uuid>,
    pub species: Option<String>,
    pub weight_kg: Option<f64>,
    pub formulary: Option<&'a Path>,
}

/// Transcribes `file` and drafts the SOAP items from it: JSON with the transcript
/// (timestamps, model hash) and every drafted item with its evidence and flags.
pub fn draft_file(
    data_dir: &Path,
    who: &crate::records::SignIn,
    args: &DraftArgs<'_>,
) -> Result<()> {
    // A formulary given on the command line, else the clinic's (the starter formulary
    // with its catalog's drugs and ranges) where there is a record, else the starter.
    let given: Option<Vec<vetdesk_draft::extract::Drug>> = match args.formulary {
        Some(path) => Some(
            serde_json::from_slice(
                &std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?,
            )
            .with_context(|| {
                format!(
                    "{} is not a formulary (a JSON list of drugs)",
                    path.display()
                )
            })?,
        ),
        None => None,
    };
    let clinics = |rx: &vetdesk_core::Rx<'_>| match &given {
        Some(drugs) => Ok(drugs.clone()),
        None => vetdesk_visit::clinic_formulary(rx),
    };
    if let Some(kg) = args.weight_kg
        && !(kg > 0.0 && kg < 2000.0)
    {
        bail!("--weight: {kg} kg is not a patient's weight");
    }
    let species = args.species.as_ref().map(|s| s.to_lowercase());
    // The record gives the context when there is a patient (or an encounter's).
    let mut signed_in = None;
    let visit = match (args.encounter, args.patient) {
        (Some(encounter), _) => {
            let mut store = crate::records::open(data_dir)?;
            let actor = crate::records::sign_in(&mut store, who)?;
            let visit = store.read(&actor, |rx| {
                VisitContext::of_encounter(rx, encounter, clinics(rx)?)
            })?;
            signed_in = Some((store, actor));
            visit
        }
        (None, Some(patient)) => {
            let mut store = crate::records::open(data_dir)?;
            let actor = crate::records::sign_in(&mut store, who)?;
            let mut visit = store.read(&actor, |rx| {
                VisitContext::of_patient(rx, patient, args.weight_kg, clinics(rx)?)
            })?;
            if species.is_some() {
                visit.context.species = species;
            }
            visit
        }
        (None, None) => VisitContext::by_hand(
            species,
            args.weight_kg,
            given
                .clone()
                .unwrap_or_else(vetdesk_draft::formulary::starter),
        ),
    };
    let context = &visit.context;
    let name_refs: Vec<&str> = visit.names.iter().map(String::as_str).collect();
    let drug_names: Vec<&str> = context.formulary.iter().map(|d| d.name.as_str()).collect();
    let transcript = run_transcription(data_dir, &args.transcribe, &name_refs, &drug_names)?;
    let items = vetdesk_draft::extract::extract(&vetdesk_visit::segments_of(&transcript), context);
    // Kept beside the encounter for review; the record itself is unchanged.
    let stored = match (args.encounter, signed_in.as_mut()) {
        (Some(encounter), Some((store, actor))) => Some(vetdesk_visit::store_draft(
            store,
            actor,
            encounter,
            &transcript,
            &items,
        )?),
        _ => None,
    };
    let mut value = serde_json::json!({
        "transcript": transcript,
        "text": transcript.text(),
        "context": { "species": context.species, "weight_kg": context.weight_kg },
        "items": items,
        "draft_id": stored,
    });
    if !args.transcribe.json {
        // A readable list for people; scripts use --json.
        for item in &items {
            let flags = if item.flags.is_empty() {
                String::new()
            } else {
                format!("  FLAGS: {}", serde_json::to_string(&item.flags)?)
            };
            println!(
                "{} [{} → {} \"{}\"]{flags}",
                serde_json::to_string(&item.item)?,
                crate::drafts::clock(item.evidence.start_ms),
                crate::drafts::clock(item.evidence.end_ms),
                item.evidence.quote
            );
        }
        if let Some(id) = stored {
            println!(
                "draft {id} stored beside the encounter: review it with `vetdesk drafts list --encounter {}`",
                args.encounter.map(|e| e.to_string()).unwrap_or_default()
            );
        }
        return Ok(());
    }
    value["items"] = serde_json::to_value(&items)?;
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

/// `vetdesk record`: records `seconds` from the microphone (counted from the first
/// audio the device delivers) into a 16 kHz mono 16-bit WAV at `out`, showing the
/// level. If the device goes away, what was recorded is written and the command fails.
/// Where `vetdesk record` puts the audio.
pub enum RecordTo<'a> {
    /// A plain WAV file.
    Wav(&'a Path),
    /// An encrypted recording linked to an encounter (consent checked in core).
    Encounter {
        encounter: uuid::Uuid,
        override_reason: Option<&'a str>,
        retention_days: i64,
        who: &'a crate::records::SignIn,
    },
}

pub fn record(
    data_dir: &Path,
    device: Option<&str>,
    seconds: f64,
    to: &RecordTo<'_>,
    live_model: Option<Option<&str>>,
) -> Result<()> {
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    use vetdesk_scribe::capture::{Capture, CaptureEvent};

    if !(seconds > 0.0 && seconds <= 4.0 * 3600.0) {
        bail!("--seconds: {seconds} is not a recording length (more than 0, at most 4 hours)");
    }
    // For an encounter: consent first (core refuses without it), then a key for this
    // recording, which only this device holds.
    let mut linked = None;
    if let RecordTo::Encounter {
        encounter,
        override_reason,
        retention_days,
        who,
    } = to
    {
        let mut store = crate::records::open(data_dir)?;
        let actor = crate::records::sign_in(&mut store, who)?;
        let start = store.transact(&actor, |tx| {
            tx.start_recording(*encounter, *override_reason, *retention_days)
        })?;
        let dir = data_dir.join("recordings");
        std::fs::create_dir_all(&dir)?;
        let path = data_dir.join(&start.file);
        let writer = vetdesk_scribe::recording::RecordingWriter::create(
            &path,
            *start.id.as_bytes(),
            &start.key,
        )?;
        linked = Some((
            store,
            actor,
            start.id,
            path,
            Arc::new(Mutex::new(Some(writer))),
        ));
    }
    let writer = linked.as_ref().map(|(_, _, _, _, w)| Arc::clone(w));
    // With --live: a streaming transcription of each utterance as it ends, on stderr.
    let live = match live_model {
        Some(model) => {
            let path = choose_model(data_dir, model)?;
            let transcriber = Arc::new(Transcriber::load(&path, &model_hash(&path)?)?);
            let options = Options {
                threads: 0,
                prompt: transcribe::vocabulary_prompt(&[], &[], transcribe::VETERINARY_TERMS),
                ..Options::default()
            };
            Some(vetdesk_scribe::stream::StreamingTranscriber::start(
                transcriber,
                options,
                |segment| {
                    eprintln!(
                        "\r[{} → {}] {}   (lag {} ms)",
                        crate::drafts::clock(segment.start_ms),
                        crate::drafts::clock(segment.end_ms),
                        segment.text,
                        segment.lag_ms
                    );
                },
            )?)
        }
        None => None,
    };
    let live = Arc::new(Mutex::new(live));
    let live_feed = Arc::clone(&live);
    let audio = Arc::new(Mutex::new(Vec::<f32>::new()));
    let kept = Arc::clone(&audio);
    let failed = Arc::new(Mutex::new(None::<String>));
    let failure = Arc::clone(&failed);
    let (news, heard) = mpsc::channel::<CaptureEvent>();
    let capture = Capture::start(
        device,
        move |samples| {
            if let Ok(guard) = live_feed.lock()
                && let Some(stream) = guard.as_ref()
            {
                stream.push(samples);
            }
            match &writer {
                // Encrypted and flushed a second at a time; nothing in clear on disk.
                Some(writer) => {
                    if let Ok(mut guard) = writer.lock()
                        && let Some(w) = guard.as_mut()
                        && let Err(e) = w.push(samples)
                        && let Ok(mut f) = failure.lock()
                    {
                        *f = Some(e.to_string());
                    }
                }
                None => {
                    if let Ok(mut audio) = kept.lock() {
                        audio.extend_from_slice(samples);
                    }
                }
            }
        },
        move |event| {
            let _ = news.send(event);
        },
    )?;
    let mut deadline: Option<Instant> = None;
    let waiting_since = Instant::now();
    let mut lost = None;
    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        if deadline.is_none() && now.duration_since(waiting_since) > Duration::from_secs(15) {
            bail!("no audio arrived from the input device within 15 s");
        }
        match heard.recv_timeout(Duration::from_millis(100)) {
            Ok(CaptureEvent::Started {
                device,
                rate_hz,
                channels,
                format,
            }) => {
                eprintln!(
                    "recording from {device} ({rate_hz} Hz, {channels} ch, {format}) for {seconds} s"
                );
                deadline = Some(Instant::now() + Duration::from_secs_f64(seconds));
            }
            Ok(CaptureEvent::Level { dbfs }) => {
                let bars = ((dbfs + 60.0).clamp(0.0, 60.0) / 3.0) as usize;
                eprint!("\rlevel {dbfs:>6.1} dBFS {:<20}", "#".repeat(bars));
            }
            Ok(CaptureEvent::DeviceLost { why }) => {
                lost = Some(why);
                break;
            }
            Err(_) => {}
        }
    }
    eprintln!();
    let summary = capture.stop();
    let stream = live.lock().ok().and_then(|mut l| l.take());
    if let Some(stream) = stream {
        stream.finish()?;
    }
    let seconds_kept = summary.samples as f64 / f64::from(transcribe::SAMPLE_RATE);
    if let Some(why) = failed.lock().ok().and_then(|f| f.clone()) {
        bail!("writing the recording failed: {why}");
    }
    let saved = match (to, linked) {
        (RecordTo::Wav(out), _) => {
            let samples = audio.lock().map(|a| a.clone()).unwrap_or_default();
            write_wav(out, &samples)?;
            out.display().to_string()
        }
        (RecordTo::Encounter { .. }, Some((mut store, actor, id, path, writer))) => {
            let writer = writer.lock().ok().and_then(|mut w| w.take());
            if let Some(writer) = writer {
                writer.finish()?;
            }
            let ms = (seconds_kept * 1000.0) as i64;
            store.transact(&actor, |tx| tx.finish_recording(id, ms))?;
            println!("{id}");
            path.display().to_string()
        }
        (RecordTo::Encounter { .. }, None) => bail!("the recording was not set up"),
    };
    eprintln!("saved {saved} ({seconds_kept:.1} s of 16 kHz mono audio)");
    if let Some(why) = lost {
        bail!(
            "the input device went away ({why}); the {seconds_kept:.1} s recorded before it are saved in {saved}"
        );
    }
    Ok(())
}

/// Writes 16 kHz mono samples as a 16-bit PCM WAV (to a temporary file, then renamed).
fn write_wav(out: &Path, samples: &[f32]) -> Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: transcribe::SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let partial = out.with_extension("wav.partial");
    let mut writer = hound::WavWriter::create(&partial, spec)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    for s in samples {
        writer.write_sample((s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16)?;
    }
    writer.finalize()?;
    std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum RecordingsCommand {
    /// An encounter's recordings: consent, length, retention, whether playable here.
    List {
        #[arg(long)]
        encounter: uuid::Uuid,
    },
    /// Destroy the audio of every recording past its retention on this device (its key,
    /// then its file); the notes stay. Run daily (the app does it at start).
    Purge,
}

pub fn recordings(
    data_dir: &Path,
    who: &crate::records::SignIn,
    command: RecordingsCommand,
) -> Result<()> {
    let mut store = crate::records::open(data_dir)?;
    let actor = crate::records::sign_in(&mut store, who)?;
    match command {
        RecordingsCommand::List { encounter } => {
            for r in store.read(&actor, |rx| rx.recordings(encounter))? {
                println!(
                    "{}  {}  {}  {:.1} s  keep until {}  {}",
                    r.id,
                    r.started_at,
                    match &r.override_reason {
                        Some(reason) => format!("consent override ({reason})"),
                        None => "client consent".into(),
                    },
                    r.duration_ms.unwrap_or(0) as f64 / 1000.0,
                    r.retain_until,
                    match (&r.destroyed_at, r.playable_here) {
                        (Some(at), _) => format!("destroyed {at}"),
                        (None, true) => "audio on this device".into(),
                        (None, false) => "audio on another device".into(),
                    }
                );
            }
        }
        RecordingsCommand::Purge => {
            let purged = store.purge_expired_recordings()?;
            for (file, why) in &purged.files_left {
                eprintln!(
                    "{}: its key is destroyed, so it can no longer be opened, but the file could not be removed ({why})",
                    file.display()
                );
            }
            let destroyed = purged.destroyed;
            println!(
                "destroyed the audio of {} recording(s) past retention",
                destroyed.len()
            );
        }
    }
    Ok(())
}
