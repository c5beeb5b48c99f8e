//! Putting model files into the models folder: downloading a known model (resumable,
//! SHA-256-checked, with progress), importing a CTranslate2 model, and the manifest that
//! records each file's hash and origin so `verify` can recheck them and every transcript
//! can name the exact model that made it.
//!
//! A download goes to `<file>.partial`; an interrupted one resumes from where it stopped
//! (`Range: bytes=N-`; a server that ignores ranges makes it start over). Only a file
//! whose SHA-256 matches the catalog is renamed into place, so a damaged or tampered
//! download is never used.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ScribeError;
use crate::catalog::KnownModel;

/// The manifest's file name inside the models folder.
pub const MANIFEST: &str = "manifest.json";

/// One model file the manifest knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub name: String,
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
    /// `download <url>` or `import-ct2 <folder>`.
    pub source: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub models: Vec<ManifestEntry>,
}

impl Manifest {
    pub fn load(models_dir: &Path) -> Result<Self, ScribeError> {
        let path = models_dir.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ScribeError::ModelInvalid {
                path,
                reason: format!("the manifest is damaged: {e}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(io(&path, &e)),
        }
    }

    /// Records `entry` (replacing any entry for the same file), written atomically.
    pub fn record(models_dir: &Path, entry: ManifestEntry) -> Result<(), ScribeError> {
        let mut manifest = Self::load(models_dir)?;
        manifest.models.retain(|m| m.file != entry.file);
        manifest.models.push(entry);
        manifest.models.sort_by(|a, b| a.file.cmp(&b.file));
        let path = models_dir.join(MANIFEST);
        let partial = models_dir.join(format!("{MANIFEST}.partial"));
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| ScribeError::ModelInvalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        std::fs::write(&partial, text).map_err(|e| io(&partial, &e))?;
        std::fs::rename(&partial, &path).map_err(|e| io(&path, &e))
    }

    pub fn entry_for_file(&self, file: &str) -> Option<&ManifestEntry> {
        self.models.iter().find(|m| m.file == file)
    }
}

fn io(path: &Path, e: &std::io::Error) -> ScribeError {
    ScribeError::ModelInvalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// SHA-256 of a file, lowercase hex; `progress(done, total)` in bytes.
pub fn sha256_file(path: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<String, ScribeError> {
    let mut file = std::fs::File::open(path).map_err(|e| io(path, &e))?;
    let total = file.metadata().map_err(|e| io(path, &e))?.len();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| io(path, &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        progress(done, total);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a download failed (the partial file is kept for the next try unless it is bad).
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error(
        "the model server cannot be reached or the transfer broke off ({0}); run the same command again to resume"
    )]
    Network(String),
    #[error("the model server answered {status} for {url}")]
    Refused { status: u16, url: String },
    #[error(
        "the downloaded {file} is not the published file (SHA-256 {found}, expected {expected}); it was deleted, nothing was installed"
    )]
    ChecksumMismatch {
        file: String,
        found: String,
        expected: String,
    },
    #[error("{0}")]
    Local(#[from] ScribeError),
}

/// Downloads `model` from `base_url` into `models_dir`, resuming a partial download,
/// and records it in the manifest. Returns the installed file. Already installed (and
/// matching) → returns at once. `progress(done, total)` in bytes (`total` 0 if unknown).
pub fn download(
    model: &KnownModel,
    models_dir: &Path,
    base_url: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PathBuf, DownloadError> {
    std::fs::create_dir_all(models_dir).map_err(|e| io(models_dir, &e))?;
    let target = models_dir.join(model.file);
    if target.is_file() && sha256_file(&target, &mut |_, _| {})? == model.sha256 {
        return Ok(target);
    }
    let partial = models_dir.join(format!("{}.partial", model.file));
    let url = format!("{}/{}", base_url.trim_end_matches('/'), model.file);
    let have = std::fs::metadata(&partial).map_or(0, |m| m.len());

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(std::time::Duration::from_secs(20)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(&url);
    if have > 0 {
        request = request.header("range", format!("bytes={have}-"));
    }
    let mut response = request
        .call()
        .map_err(|e| DownloadError::Network(e.to_string()))?;
    let status = response.status().as_u16();
    let resumed = match status {
        206 => true,
        200 => false,
        // The partial file is already complete (or longer than the file): start over.
        416 => {
            let _ = std::fs::remove_file(&partial);
            return download(model, models_dir, base_url, progress);
        }
        _ => return Err(DownloadError::Refused { status, url }),
    };
    let length: u64 = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let start = if resumed { have } else { 0 };
    let total = if length > 0 { start + length } else { 0 };

    let mut hasher = Sha256::new();
    let mut file = if resumed {
        // Hash what is already there, then append.
        let mut existing = std::fs::File::open(&partial).map_err(|e| io(&partial, &e))?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = existing.read(&mut buf).map_err(|e| io(&partial, &e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&partial)
            .map_err(|e| io(&partial, &e))?
    } else {
        std::fs::File::create(&partial).map_err(|e| io(&partial, &e))?
    };
    let mut body = response.body_mut().with_config().limit(u64::MAX).reader();
    let mut buf = vec![0u8; 256 << 10];
    let mut done = start;
    progress(done, total);
    loop {
        let n = body
            .read(&mut buf)
            .map_err(|e| DownloadError::Network(e.to_string()))?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).map_err(|e| io(&partial, &e))?;
        hasher.update(&buf[..n]);
        done += n as u64;
        progress(done, total);
    }
    if total > 0 && done < total {
        return Err(DownloadError::Network(format!(
            "{done} of {total} bytes arrived"
        )));
    }
    file.sync_all().map_err(|e| io(&partial, &e))?;
    drop(file);
    let found = hex(&hasher.finalize());
    if found != model.sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(DownloadError::ChecksumMismatch {
            file: model.file.to_string(),
            found,
            expected: model.sha256.to_string(),
        });
    }
    std::fs::rename(&partial, &target).map_err(|e| io(&target, &e))?;
    Manifest::record(
        models_dir,
        ManifestEntry {
            name: model.name.to_string(),
            file: model.file.to_string(),
            sha256: found,
            bytes: done,
            source: format!("download {url}"),
        },
    )?;
    Ok(target)
}

/// Converts the CTranslate2 model in `ct2_dir` into `models_dir/ggml-<name>.bin` and
/// records it. `progress(done, total)` counts tensors.
pub fn import_ct2(
    ct2_dir: &Path,
    models_dir: &Path,
    name: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ManifestEntry, ScribeError> {
    let valid_name = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid_name {
        return Err(ScribeError::ModelInvalid {
            path: PathBuf::from(name),
            reason: "a model name is letters, digits, '.', '-' or '_' (at most 64)".into(),
        });
    }
    std::fs::create_dir_all(models_dir).map_err(|e| io(models_dir, &e))?;
    let file = format!("ggml-{name}.bin");
    let converted = crate::ct2::convert(ct2_dir, &models_dir.join(&file), progress)?;
    let entry = ManifestEntry {
        name: name.to_string(),
        file,
        sha256: sha256_file(&converted.path, &mut |_, _| {})?,
        bytes: converted.bytes,
        source: format!("import-ct2 {}", ct2_dir.display()),
    };
    Manifest::record(models_dir, entry.clone())?;
    Ok(entry)
}

/// What `verify` found for one file of the models folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub file: String,
    pub sha256: String,
    /// `ok`, or why not.
    pub verdict: String,
    pub ok: bool,
}

/// Rechecks every model file: its header, and its SHA-256 against the manifest and (for
/// the standard files) the catalog. `progress(file, done, total)` in bytes.
pub fn verify(
    models_dir: &Path,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Vec<Verified>, ScribeError> {
    let manifest = Manifest::load(models_dir)?;
    let mut out = Vec::new();
    for path in crate::model::model_files(models_dir) {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sha256 = sha256_file(&path, &mut |done, total| progress(&file, done, total))?;
        let header = crate::model::read_header(&path);
        let recorded = manifest.entry_for_file(&file);
        let known = crate::catalog::KNOWN_MODELS.iter().find(|m| m.file == file);
        let verdict = match (&header, recorded, known) {
            (Err(e), _, _) => format!("not a usable model: {e}"),
            (_, Some(entry), _) if entry.sha256 != sha256 => format!(
                "changed since it was installed (SHA-256 {sha256}, recorded {})",
                entry.sha256
            ),
            (_, _, Some(k)) if k.sha256 != sha256 => {
                format!("not the published {} (SHA-256 {sha256})", k.name)
            }
            (_, None, None) => "ok, but not installed by Vetdesk (no recorded checksum)".into(),
            _ => "ok".into(),
        };
        out.push(Verified {
            ok: verdict.starts_with("ok"),
            file,
            sha256,
            verdict,
        });
    }
    Ok(out)
}

/// The model file to use from `dir`: `asked` as a file path or a model name, else
/// tiny.en (official, then converted), else any model there.
pub fn choose_model(dir: &Path, asked: Option<&str>) -> Result<PathBuf, ScribeError> {
    if let Some(asked) = asked {
        let as_path = PathBuf::from(asked);
        if as_path.is_file() {
            return Ok(as_path);
        }
        let named = dir.join(format!("ggml-{asked}.bin"));
        return if named.is_file() {
            Ok(named)
        } else {
            Err(ScribeError::ModelNotFound(named))
        };
    }
    for preferred in ["tiny.en", "tiny.en-ct2"] {
        let path = dir.join(format!("ggml-{preferred}.bin"));
        if path.is_file() {
            return Ok(path);
        }
    }
    crate::model::model_files(dir)
        .into_iter()
        .next()
        .ok_or_else(|| ScribeError::ModelNotFound(dir.to_path_buf()))
}

/// A model file's SHA-256: from the manifest beside it, else computed now.
pub fn model_sha256(path: &Path) -> Result<String, ScribeError> {
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
        None => sha256_file(path, &mut |_, _| {}),
    }
}
