//! Whisper model files: where they live, checking their header, and loading one into
//! whisper.cpp.
//!
//! whisper.cpp (1.8.3) does not notice a file that ends inside its header: it keeps its
//! default hyperparameters and hands back a context, which then fails or misbehaves at
//! transcription time (found by this module's tests). So [`load`] reads and checks the
//! header itself first and refuses a damaged or truncated file with a clear reason.

use std::io::Read;
use std::path::{Path, PathBuf};

use whisper_rs::{WhisperContext, WhisperContextParameters};

use crate::ScribeError;

/// The folder of models inside a data directory.
pub fn models_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}

/// The ggml model files (`*.bin`) in `dir`, sorted by name; none if the folder is missing.
pub fn model_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "bin") && path.is_file())
        .collect();
    files.sort();
    files
}

/// The ggml file's magic number ("ggml" as a little-endian u32).
const GGML_MAGIC: u32 = 0x6767_6d6c;

/// The hyperparameters at the start of a whisper.cpp model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelHeader {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl ModelHeader {
    /// The model's size class, from its number of encoder layers.
    pub fn size_name(&self) -> &'static str {
        match self.n_audio_layer {
            4 => "tiny",
            6 => "base",
            12 => "small",
            24 => "medium",
            32 => "large",
            _ => "unknown size",
        }
    }

    /// A lower bound on the size of a complete file with these hyperparameters: the
    /// weights of the token embedding, encoder and decoder blocks at 4 bits each (below
    /// any quantization whisper.cpp ships). A shorter file has lost its weights.
    pub fn min_plausible_bytes(&self) -> u64 {
        let width = |v: i32| u64::from(v.unsigned_abs());
        let embedding = width(self.n_vocab) * width(self.n_text_state);
        let encoder = width(self.n_audio_layer) * 12 * width(self.n_audio_state).pow(2);
        let decoder = width(self.n_text_layer) * 16 * width(self.n_text_state).pow(2);
        (embedding + encoder + decoder) / 2
    }

    /// English-only models have a vocabulary of 51864 tokens.
    pub fn is_english_only(&self) -> bool {
        self.n_vocab == 51864
    }

    /// "tiny.en", "base", …: the size class, ".en" for an English-only model.
    pub fn name(&self) -> String {
        let english = if self.is_english_only() { ".en" } else { "" };
        format!("{}{english}", self.size_name())
    }
}

/// Reads and checks a model file's header: magic, hyperparameters, mel filters and the
/// start of the vocabulary must all be present and plausible.
pub fn read_header(path: &Path) -> Result<ModelHeader, ScribeError> {
    let invalid = |reason: String| ScribeError::ModelInvalid {
        path: path.to_path_buf(),
        reason,
    };
    if !path.is_file() {
        return Err(ScribeError::ModelNotFound(path.to_path_buf()));
    }
    let file = std::fs::File::open(path).map_err(|e| invalid(e.to_string()))?;
    let file_len = file.metadata().map_err(|e| invalid(e.to_string()))?.len();
    let mut reader = std::io::BufReader::new(file);
    let mut next_i32 = |what: &str| -> Result<i32, ScribeError> {
        let mut bytes = [0u8; 4];
        reader
            .read_exact(&mut bytes)
            .map_err(|_| invalid(format!("the file ends before its {what}")))?;
        Ok(i32::from_le_bytes(bytes))
    };
    let magic = next_i32("magic number")? as u32;
    if magic != GGML_MAGIC {
        return Err(invalid(format!("not a ggml file (magic {magic:#010x})")));
    }
    // Fields are read in the order they are written here, which is the file's order.
    let hp = "hyperparameters";
    let header = ModelHeader {
        n_vocab: next_i32(hp)?,
        n_audio_ctx: next_i32(hp)?,
        n_audio_state: next_i32(hp)?,
        n_audio_head: next_i32(hp)?,
        n_audio_layer: next_i32(hp)?,
        n_text_ctx: next_i32(hp)?,
        n_text_state: next_i32(hp)?,
        n_text_head: next_i32(hp)?,
        n_text_layer: next_i32(hp)?,
        n_mels: next_i32(hp)?,
        ftype: next_i32(hp)?,
    };
    let ModelHeader {
        n_vocab, n_mels, ..
    } = header;
    let dimensions = [
        header.n_audio_ctx,
        header.n_audio_state,
        header.n_audio_head,
        header.n_audio_layer,
        header.n_text_ctx,
        header.n_text_state,
        header.n_text_head,
        header.n_text_layer,
    ];
    if !(51864..=51866).contains(&n_vocab) {
        return Err(invalid(format!(
            "vocabulary of {n_vocab} tokens is not Whisper's"
        )));
    }
    if dimensions.iter().any(|v| *v <= 0 || *v > 1 << 16) {
        return Err(invalid(format!("implausible hyperparameters {header:?}")));
    }
    if n_mels != 80 && n_mels != 128 {
        return Err(invalid(format!(
            "{n_mels} mel bands (Whisper uses 80 or 128)"
        )));
    }
    let filter_mels = next_i32("mel filters")?;
    let filter_fft = next_i32("mel filters")?;
    if filter_mels != n_mels || filter_fft != 201 {
        return Err(invalid(format!(
            "mel filter table is {filter_mels}×{filter_fft}, expected {n_mels}×201"
        )));
    }
    // Header (12 × 4 bytes), filter dimensions (2 × 4), filters, then the token count.
    let tokens_offset = 56 + u64::from(filter_mels.unsigned_abs()) * 201 * 4;
    if file_len < tokens_offset + 4 {
        return Err(invalid(format!(
            "the file ends inside its mel filters ({file_len} bytes)"
        )));
    }
    // whisper.cpp accepts a file with no tensors at all ("assuming empty model for
    // testing") and would transcribe nothing: refuse a file too short for its weights.
    let needed = header.min_plausible_bytes();
    if file_len < needed {
        return Err(invalid(format!(
            "the file is {file_len} bytes, too short for the weights of a {} model (at least {needed}): it is truncated",
            header.size_name()
        )));
    }
    Ok(header)
}

/// Loads a whisper.cpp (ggml) model file after checking its header.
pub fn load(path: &Path) -> Result<WhisperContext, ScribeError> {
    // whisper.cpp and ggml print to stderr unless given a log hook; route them to the
    // `log` facade (silent unless a logger is installed), once per process.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(whisper_rs::install_logging_hooks);
    read_header(path)?;
    let path_text = path.to_str().ok_or_else(|| ScribeError::ModelInvalid {
        path: path.to_path_buf(),
        reason: "the path is not valid UTF-8".into(),
    })?;
    WhisperContext::new_with_params(path_text, WhisperContextParameters::default()).map_err(|e| {
        ScribeError::ModelInvalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_is_reported_as_not_found() {
        let err = load(Path::new("/nonexistent/ggml-tiny.en.bin"));
        assert!(matches!(err, Err(ScribeError::ModelNotFound(_))), "{err:?}");
    }

    /// The tiny.en hyperparameters, then `extra` bytes of the rest of a file.
    fn tiny_en_header(filters: bool) -> Vec<u8> {
        let mut bytes = GGML_MAGIC.to_le_bytes().to_vec();
        for value in [51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, 1] {
            bytes.extend(i32::to_le_bytes(value));
        }
        if filters {
            bytes.extend(80_i32.to_le_bytes());
            bytes.extend(201_i32.to_le_bytes());
            bytes.extend(vec![0u8; 80 * 201 * 4]);
            bytes.extend(50257_i32.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn a_complete_header_is_read_and_named() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("ggml-tiny.en.bin");
        // The official ggml-tiny.en.bin is 77,704,715 bytes.
        write_padded(&path, &tiny_en_header(true), 77_704_715)?;
        let header = read_header(&path).map_err(std::io::Error::other)?;
        assert_eq!(header, TINY_EN);
        assert!(header.min_plausible_bytes() < 77_704_715 / 2);
        assert_eq!(header.size_name(), "tiny");
        assert!(header.is_english_only());
        assert_eq!(header.n_mels, 80);
        Ok(())
    }

    /// A damaged or truncated model must fail cleanly with a reason. whisper.cpp alone
    /// accepts a file that ends right after its header (it keeps default
    /// hyperparameters), which is why `load` checks the header first.
    #[test]
    fn damaged_and_truncated_model_files_are_refused() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let cases: [(&str, Vec<u8>, &str); 4] = [
            (
                "a-not-ggml.bin",
                b"this is not a ggml file at all".to_vec(),
                "not a ggml file",
            ),
            (
                "b-magic-only.bin",
                GGML_MAGIC.to_le_bytes().to_vec(),
                "ends before its hyperparameters",
            ),
            (
                "c-header-only.bin",
                tiny_en_header(false),
                "ends before its mel filters",
            ),
            (
                "d-cut-in-filters.bin",
                tiny_en_header(true)[..2000].to_vec(),
                "ends inside its mel filters",
            ),
        ];
        for (name, bytes, reason) in &cases {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes)?;
            match load(&path) {
                Err(ScribeError::ModelInvalid { reason: got, .. }) => {
                    assert!(got.contains(reason), "{name}: {got}");
                }
                other => panic!("{name}: expected ModelInvalid, got {other:?}"),
            }
        }
        assert_eq!(model_files(dir.path()).len(), cases.len());
        Ok(())
    }

    /// A tiny.en header and vocabulary; `tensors` follows.
    fn tiny_en_file(tensors: &[u8]) -> Vec<u8> {
        let mut bytes = tiny_en_header(true);
        for token in 0..50257_u32 {
            let text = format!("t{token}");
            bytes.extend((text.len() as u32).to_le_bytes());
            bytes.extend(text.as_bytes());
        }
        bytes.extend(tensors);
        bytes
    }

    /// whisper.cpp keeps a context for a file with no tensors ("empty model for
    /// testing"); such a file, e.g. a download cut after its vocabulary, is refused.
    #[test]
    fn a_model_cut_before_its_weights_is_refused() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("no-tensors.bin");
        std::fs::write(&path, tiny_en_file(&[]))?;
        match load(&path) {
            Err(ScribeError::ModelInvalid { reason, .. }) => {
                assert!(reason.contains("truncated"), "{reason}")
            }
            other => panic!("expected ModelInvalid, got {other:?}"),
        }
        Ok(())
    }

    /// Past our checks, whisper.cpp itself reads the tensors and refuses one it does
    /// not know, cleanly and with an error rather than a crash.
    #[test]
    fn whisper_cpp_refuses_a_model_with_an_unknown_tensor() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("unknown-tensor.bin");
        let name = b"bogus.tensor";
        let mut tensor = Vec::new();
        for value in [1_i32, name.len() as i32, 0, 4] {
            tensor.extend(value.to_le_bytes());
        }
        tensor.extend(name);
        tensor.extend([0u8; 16]);
        write_padded(&path, &tiny_en_file(&tensor), TINY_EN.min_plausible_bytes())?;
        let result = load(&path);
        assert!(
            matches!(result, Err(ScribeError::ModelInvalid { .. })),
            "{result:?}"
        );
        Ok(())
    }

    /// Writes `bytes`, then extends the file with zeros (sparsely) to `len` bytes.
    fn write_padded(path: &Path, bytes: &[u8], len: u64) -> std::io::Result<()> {
        std::fs::write(path, bytes)?;
        let file = std::fs::OpenOptions::new().write(true).open(path)?;
        if file.metadata()?.len() < len {
            file.set_len(len)?;
        }
        Ok(())
    }

    const TINY_EN: ModelHeader = ModelHeader {
        n_vocab: 51864,
        n_audio_ctx: 1500,
        n_audio_state: 384,
        n_audio_head: 6,
        n_audio_layer: 4,
        n_text_ctx: 448,
        n_text_state: 384,
        n_text_head: 6,
        n_text_layer: 4,
        n_mels: 80,
        ftype: 1,
    };
}
