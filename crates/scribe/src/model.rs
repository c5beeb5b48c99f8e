//! Whisper model files: where they live and loading one into whisper.cpp.

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

/// Loads a whisper.cpp (ggml) model file.
pub fn load(path: &Path) -> Result<WhisperContext, ScribeError> {
    if !path.is_file() {
        return Err(ScribeError::ModelNotFound(path.to_path_buf()));
    }
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

    /// whisper.cpp itself reads the file and rejects it: a model with the right magic
    /// number but a truncated header must fail cleanly, not crash the app.
    #[test]
    fn whisper_cpp_rejects_a_damaged_model_file() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let bad_magic = dir.path().join("not-a-model.bin");
        std::fs::write(&bad_magic, b"this is not a ggml file at all")?;
        let truncated = dir.path().join("truncated.bin");
        let mut header = 0x6767_6d6c_u32.to_le_bytes().to_vec();
        header.extend(51864_i32.to_le_bytes());
        std::fs::write(&truncated, header)?;

        for path in [&bad_magic, &truncated] {
            let err = load(path);
            assert!(matches!(err, Err(ScribeError::ModelInvalid { .. })), "{path:?}: {err:?}");
        }
        assert_eq!(model_files(dir.path()), vec![bad_magic, truncated]);
        Ok(())
    }
}
