//! The whisper.cpp model files Vetdesk knows how to install: the standard ggml files
//! whisper.cpp publishes, each with its SHA-256 (checked after every download; a file
//! that does not match is not used).
//!
//! The hashes are those of the files at `huggingface.co/ggerganov/whisper.cpp`; each was
//! found in at least two independent public sources that pin them.

/// Where the standard files are published (`VETDESK_MODEL_BASE_URL` overrides it, for a
/// clinic's own mirror).
pub const DEFAULT_BASE_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

/// A model `vetdesk models install NAME` can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    /// What staff type: `tiny.en`, `base.en-q5_1`, …
    pub name: &'static str,
    /// The file name, in the models folder and on the server.
    pub file: &'static str,
    /// SHA-256 of the whole file, lowercase hex.
    pub sha256: &'static str,
    /// Roughly how big, for the list (the download shows the exact size).
    pub approx_mb: u32,
    /// What it is good for.
    pub note: &'static str,
}

pub const KNOWN_MODELS: &[KnownModel] = &[
    KnownModel {
        name: "tiny.en",
        file: "ggml-tiny.en.bin",
        sha256: "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f",
        approx_mb: 78,
        note: "fastest; live transcript while recording",
    },
    KnownModel {
        name: "tiny.en-q5_1",
        file: "ggml-tiny.en-q5_1.bin",
        sha256: "c77c5766f1cef09b6b7d47f21b546cbddd4157886b3b5d6d4f709e91e66c7c2b",
        approx_mb: 32,
        note: "tiny.en quantized to 5 bits: smaller, slightly less accurate",
    },
    KnownModel {
        name: "tiny.en-q8_0",
        file: "ggml-tiny.en-q8_0.bin",
        sha256: "5bc2b3860aa151a4c6e7bb095e1fcce7cf12c7b020ca08dcec0c6d018bb7dd94",
        approx_mb: 44,
        note: "tiny.en quantized to 8 bits",
    },
    KnownModel {
        name: "base.en",
        file: "ggml-base.en.bin",
        sha256: "a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002",
        approx_mb: 148,
        note: "better final pass at stop; ~2.5× slower than tiny.en",
    },
    KnownModel {
        name: "base.en-q5_1",
        file: "ggml-base.en-q5_1.bin",
        sha256: "4baf70dd0d7c4247ba2b81fafd9c01005ac77c2f9ef064e00dcf195d0e2fdd2f",
        approx_mb: 60,
        note: "base.en quantized to 5 bits",
    },
    KnownModel {
        name: "small.en",
        file: "ggml-small.en.bin",
        sha256: "c6138d6d58ecc8322097e0f987c32f1be8bb0a18532a3f88f734d1bbf9c41e5d",
        approx_mb: 488,
        note: "most accurate here; too slow for live use on 2 cores",
    },
    KnownModel {
        name: "small.en-q5_1",
        file: "ggml-small.en-q5_1.bin",
        sha256: "bfdff4894dcb76bbf647d56263ea2a96645423f1669176f4844a1bf8e478ad30",
        approx_mb: 190,
        note: "small.en quantized to 5 bits",
    },
];

/// The known model called `name`.
pub fn find(name: &str) -> Option<&'static KnownModel> {
    KNOWN_MODELS.iter().find(|m| m.name == name)
}

/// The known model whose file has `sha256`, if any.
pub fn by_hash(sha256: &str) -> Option<&'static KnownModel> {
    KNOWN_MODELS.iter().find(|m| m.sha256 == sha256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_well_formed_and_unique() {
        for m in KNOWN_MODELS {
            assert_eq!(m.sha256.len(), 64, "{}", m.name);
            assert!(
                m.sha256
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            );
            assert_eq!(m.file, format!("ggml-{}.bin", m.name));
            assert_eq!(find(m.name), Some(m));
            assert_eq!(by_hash(m.sha256), Some(m));
        }
        let mut names: Vec<_> = KNOWN_MODELS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KNOWN_MODELS.len());
    }
}
