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
    let hyperparameters = vetdesk_scribe::ct2::inspect(source)?;
    Ok(format!("{}-ct2", hyperparameters.size_name()))
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
    if let Some(asked) = asked {
        let as_path = PathBuf::from(asked);
        if as_path.is_file() {
            return Ok(as_path);
        }
        let named = dir.join(format!("ggml-{asked}.bin"));
        if named.is_file() {
            return Ok(named);
        }
        bail!(
            "no model {asked:?} in {}: see `vetdesk models list`",
            dir.display()
        );
    }
    for preferred in ["tiny.en", "tiny.en-ct2"] {
        let path = dir.join(format!("ggml-{preferred}.bin"));
        if path.is_file() {
            return Ok(path);
        }
    }
    model_files(&dir).into_iter().next().with_context(|| {
        format!(
            "no Whisper model in {}: `vetdesk models install tiny.en` (or `vetdesk models import-ct2 DIR`)",
            dir.display()
        )
    })
}

/// The model's SHA-256: from the manifest, else computed now.
fn model_hash(path: &Path) -> Result<String> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let recorded = path
        .parent()
        .and_then(|dir| Manifest::load(dir).ok())
        .and_then(|m| m.entry_for_file(&file).map(|e| e.sha256.clone()));
    match recorded {
        Some(hash) => Ok(hash),
        None => Ok(install::sha256_file(path, &mut |_, _| {})?),
    }
}

pub struct TranscribeArgs<'a> {
    pub file: &'a Path,
    pub model: Option<&'a str>,
    pub json: bool,
    pub threads: usize,
    pub beam: Option<usize>,
}

pub fn transcribe_file(data_dir: &Path, args: &TranscribeArgs<'_>) -> Result<()> {
    let model_path = choose_model(data_dir, args.model)?;
    let samples = transcribe::read_wav(args.file)?;
    let transcriber = Transcriber::load(&model_path, &model_hash(&model_path)?)?;
    let options = Options {
        threads: args.threads,
        beam: args.beam,
        prompt: transcribe::vocabulary_prompt(&[], &[], transcribe::VETERINARY_TERMS),
        cancel: None,
    };
    let transcript = transcriber.transcribe(&samples, &options, |percent| {
        eprint!("\rtranscribing {percent:>3}%");
    })?;
    eprintln!();
    if args.json {
        let mut value = serde_json::to_value(&transcript)?;
        value["text"] = serde_json::Value::String(transcript.text());
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for segment in &transcript.segments {
            println!(
                "[{} → {}] {}",
                clock(segment.start_ms),
                clock(segment.end_ms),
                segment.text
            );
        }
    }
    Ok(())
}

fn clock(ms: u64) -> String {
    format!(
        "{:02}:{:02}.{:02}",
        ms / 60_000,
        (ms / 1000) % 60,
        (ms % 1000) / 10
    )
}
