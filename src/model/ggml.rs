//! whisper.cpp's ggml model file: writing one from a CTranslate2 Whisper
//! model, and reading back the header of any ggml file.
//!
//! Layout (all little-endian), as `whisper_model_load` reads it: magic,
//! eleven i32 hyper-parameters, the mel filter bank, the vocabulary, then
//! tensors, each `n_dims, name_len, type, ne[0..n_dims], name, data` with
//! `ne[0]` the innermost (fastest-varying) dimension.

use std::io::{self, Read, Write};
use std::ops::Range;

use super::ct2::{Ct2Model, DType};
use super::quantize::{self, Quantization};
use super::{mel, vocab, ModelError};

pub const MAGIC: u32 = 0x6767_6d6c;
pub(super) const TYPE_F32: i32 = 0;
pub(super) const TYPE_F16: i32 = 1;
/// The most mel bins a model converted here may have.
const MAX_MELS: i32 = 256;

/// Whisper's hyper-parameters as stored in the ggml header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HParams {
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
    /// 0 = f32, 1 = f16, others quantized (plus 1000 × quantization version).
    pub ftype: i32,
}

/// Byte offset of `ftype` in the header.
pub(super) const FTYPE_AT: usize = 44;

impl HParams {
    fn fields(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    /// The weights' storage as whisper.cpp's `quantize` names it: `f32`,
    /// `f16`, `q8_0` …
    pub fn ftype_name(&self) -> String {
        match self.ftype % quantize::QNT_VERSION_FACTOR {
            0 => "f32".into(),
            1 => "f16".into(),
            ftype => Quantization::ALL
                .into_iter()
                .find(|q| q.ftype() == ftype)
                .map(|q| q.to_string())
                .unwrap_or_else(|| format!("ftype {ftype}")),
        }
    }

    /// OpenAI's name for a model of this shape.
    pub fn size_name(&self) -> &'static str {
        match self.n_audio_layer {
            4 => "tiny",
            6 => "base",
            12 => "small",
            24 => "medium",
            32 => "large",
            _ => "unknown",
        }
    }

    /// Reads the header of a ggml Whisper file; `None` if it is not one.
    pub fn read(mut r: impl Read) -> io::Result<Option<HParams>> {
        let mut buf = [0u8; 48];
        if let Err(e) = r.read_exact(&mut buf) {
            return match e.kind() {
                io::ErrorKind::UnexpectedEof => Ok(None),
                _ => Err(e),
            };
        }
        let word = |i: usize| i32::from_le_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
        if word(0) as u32 != MAGIC {
            return Ok(None);
        }
        let h = HParams {
            n_vocab: word(4),
            n_audio_ctx: word(8),
            n_audio_state: word(12),
            n_audio_head: word(16),
            n_audio_layer: word(20),
            n_text_ctx: word(24),
            n_text_state: word(28),
            n_text_head: word(32),
            n_text_layer: word(36),
            n_mels: word(40),
            ftype: word(44),
        };
        let sane = h.fields()[..10].iter().all(|&v| v > 0) && h.n_vocab > 50_000;
        Ok(sane.then_some(h))
    }
}

/// One tensor's header in a ggml file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// Dimensions innermost first, as ggml's `ne`.
    pub ne: Vec<usize>,
    /// ggml type id: 0 f32, 1 f16, 2/3 q4, 6/7 q5, 8 q8_0.
    pub ttype: i32,
    /// Where its header (`n_dims, name_len, type, ne…, name`) starts in the file.
    pub at: usize,
    /// Where its data lies in the file.
    pub data: Range<usize>,
}

/// The structure of a ggml Whisper file, checked from end to end.
#[derive(Debug, Clone)]
pub struct GgmlInfo {
    pub hparams: HParams,
    pub mel: (usize, usize),
    pub vocab: Vec<Vec<u8>>,
    pub tensors: Vec<TensorInfo>,
}

/// What is wrong with a ggml Whisper file ([`GgmlInfo::parse`]). Offsets
/// are bytes from the start of the file.
#[derive(Debug, thiserror::Error)]
pub enum GgmlError {
    #[error("not a ggml Whisper model (bad magic or header)")]
    NotGgml,
    #[error("truncated at byte {at} of {len}: {what} needs {needed} bytes")]
    Truncated {
        what: String,
        at: usize,
        needed: usize,
        len: usize,
    },
    #[error(
        "corrupt header: {what} at byte {at} is {value}, which cannot fit in the {left} bytes left"
    )]
    ImpossibleCount {
        what: String,
        at: usize,
        value: i64,
        left: usize,
    },
    #[error("bad tensor header at byte {at}")]
    BadTensorHeader { at: usize },
    #[error("tensor {name}: unknown type {ttype}")]
    UnknownType { name: String, ttype: i32 },
    #[error("tensor {name} is quantized in blocks of {block} but its rows hold {row} values")]
    PartialBlock {
        name: String,
        row: usize,
        block: usize,
    },
    #[error(
        "tensor {name} has shape {found:?}, but the header's hyper-parameters make it {expected:?}"
    )]
    Shape {
        name: String,
        found: Vec<usize>,
        expected: Vec<usize>,
    },
    #[error("{found} tensors, expected {expected} (truncated file?)")]
    TensorCount { found: usize, expected: usize },
}

impl GgmlInfo {
    /// Tensors whisper.cpp expects for these hyper-parameters.
    pub fn expected_tensors(h: &HParams) -> usize {
        7 + 15 * h.n_audio_layer as usize + 4 + 24 * h.n_text_layer as usize
    }

    /// Walks the whole file and says what is wrong (truncated, trailing
    /// bytes, unknown tensor type, missing tensors, a count no file of this
    /// length can hold, tensors that disagree with the header). Nothing is
    /// allocated beyond what the file's length allows.
    pub fn parse(bytes: &[u8]) -> Result<GgmlInfo, GgmlError> {
        let mut r = Reader { bytes, pos: 0 };
        let header = r.take(48, "the header")?;
        let hparams = HParams::read(header)
            .ok()
            .flatten()
            .ok_or(GgmlError::NotGgml)?;
        let at = r.pos;
        let n_mel = r.count("the mel filter rows")?;
        let n_fft = r.count("the mel filter columns")?;
        let what = "the mel filter bank (rows × columns)";
        let filters = r.bytes_for(n_mel.checked_mul(n_fft), 4, what, at)?;
        if filters > r.left() {
            return Err(r.impossible(what, n_mel.saturating_mul(n_fft), at));
        }
        r.take(filters, "the mel filters")?;
        let at = r.pos;
        let n_vocab = r.count("the vocabulary size")?;
        // Each token is at least its 4-byte length.
        if n_vocab > r.left() / 4 {
            return Err(r.impossible("the vocabulary size", n_vocab, at));
        }
        let mut vocab = Vec::with_capacity(n_vocab);
        for i in 0..n_vocab {
            let len = r.count("a token's length")?;
            vocab.push(r.take(len, &format!("vocabulary token {i}"))?.to_vec());
        }
        let mut tensors = Vec::new();
        while !r.at_end() {
            let at = r.pos;
            let n_dims = r.int("a tensor header")?;
            let name_len = r.int("a tensor header")?;
            let ttype = r.int("a tensor header")?;
            if !(1..=4).contains(&n_dims) || !(1..=256).contains(&name_len) {
                return Err(GgmlError::BadTensorHeader { at });
            }
            let mut ne = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                ne.push(r.count("a tensor dimension")?);
            }
            let name =
                String::from_utf8_lossy(r.take(name_len as usize, "a tensor name")?).into_owned();
            let (block, block_bytes) = match ttype {
                0 => (1, 4),
                1 => (1, 2),
                2 => (32, 18),
                3 => (32, 20),
                6 => (32, 22),
                7 => (32, 24),
                8 => (32, 34),
                _ => return Err(GgmlError::UnknownType { name, ttype }),
            };
            // ggml sizes a tensor row by row: whole blocks per row.
            let row = ne[0];
            if row % block != 0 {
                return Err(GgmlError::PartialBlock { name, row, block });
            }
            let blocks = ne[1..]
                .iter()
                .try_fold(row / block, |n, &d| n.checked_mul(d));
            let what = format!("tensor {name}'s size");
            let size = r.bytes_for(blocks, block_bytes, &what, at)?;
            let start = r.pos;
            r.take(size, &format!("tensor {name}'s data"))?;
            tensors.push(TensorInfo {
                name,
                ne,
                ttype,
                at,
                data: start..r.pos,
            });
        }
        let expected = Self::expected_tensors(&hparams);
        if tensors.len() != expected {
            return Err(GgmlError::TensorCount {
                found: tensors.len(),
                expected,
            });
        }
        check_shapes(&hparams, &tensors)?;
        Ok(GgmlInfo {
            hparams,
            mel: (n_mel, n_fft),
            vocab,
            tensors,
        })
    }
}

/// whisper.cpp sizes its buffers from the header before it reads a tensor:
/// the tensors that carry each hyper-parameter must agree with it.
fn check_shapes(h: &HParams, tensors: &[TensorInfo]) -> Result<(), GgmlError> {
    let d = |v: i32| v as usize;
    let expected = [
        (
            "encoder.positional_embedding",
            vec![d(h.n_audio_state), d(h.n_audio_ctx)],
        ),
        (
            "encoder.conv1.weight",
            vec![3, d(h.n_mels), d(h.n_audio_state)],
        ),
        (
            "decoder.positional_embedding",
            vec![d(h.n_text_state), d(h.n_text_ctx)],
        ),
        (
            "decoder.token_embedding.weight",
            vec![d(h.n_text_state), d(h.n_vocab)],
        ),
    ];
    for (name, expected) in expected {
        let found = tensors
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.ne.clone())
            .unwrap_or_default();
        if found != expected {
            return Err(GgmlError::Shape {
                name: name.into(),
                found,
                expected,
            });
        }
    }
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], GgmlError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| GgmlError::Truncated {
            what: what.into(),
            at: self.pos,
            needed: n,
            len: self.bytes.len(),
        })?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn int(&mut self, what: &str) -> Result<i32, GgmlError> {
        let b = self.take(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A count or length: an i32 that must not be negative.
    fn count(&mut self, what: &str) -> Result<usize, GgmlError> {
        let at = self.pos;
        let value = self.int(what)?;
        usize::try_from(value).map_err(|_| GgmlError::ImpossibleCount {
            what: what.into(),
            at,
            value: value.into(),
            left: self.left(),
        })
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The bytes `count` items of `unit` bytes take (`count` read at byte
    /// `at`, `None` when computing it overflowed): a size that overflows is
    /// a corrupt header; one larger than what is left, truncation (`take`).
    fn bytes_for(
        &self,
        count: Option<usize>,
        unit: usize,
        what: &str,
        at: usize,
    ) -> Result<usize, GgmlError> {
        count
            .and_then(|n| n.checked_mul(unit))
            .ok_or_else(|| self.impossible(what, count.unwrap_or(usize::MAX), at))
    }

    fn impossible(&self, what: &str, count: usize, at: usize) -> GgmlError {
        GgmlError::ImpossibleCount {
            what: what.into(),
            at,
            value: i64::try_from(count).unwrap_or(i64::MAX),
            left: self.left(),
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

/// What a conversion wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConvertSummary {
    pub hparams: HParams,
    pub tensors: usize,
    pub vocab: usize,
    pub bytes: u64,
}

/// Reads Whisper's hyper-parameters off the tensor shapes of a CTranslate2 model.
pub fn hparams_of(model: &Ct2Model) -> Result<HParams, ModelError> {
    let corrupt = |what: String| ModelError::Corrupt {
        path: model.path.clone(),
        what,
    };
    if model.spec != "WhisperSpec" {
        return Err(corrupt(format!(
            "a CTranslate2 {} model, not Whisper (WhisperSpec)",
            model.spec
        )));
    }
    let dim = |name: &str, i: usize| -> Result<i32, ModelError> {
        let (var, _) = model.get(name)?;
        var.shape
            .get(i)
            .map(|&d| d as i32)
            .ok_or_else(|| corrupt(format!("variable {name} has shape {:?}", var.shape)))
    };
    let layers = |prefix: &str| {
        (0..)
            .take_while(|i| {
                model
                    .names()
                    .any(|n| n.starts_with(&format!("{prefix}/layer_{i}/")))
            })
            .count() as i32
    };
    let num_heads = |name: &str| -> Result<i32, ModelError> {
        // Older conversions have no num_heads scalar; Whisper uses 64-wide heads.
        match model.scalar(name) {
            Ok(v) => Ok(v as i32),
            Err(_) => Ok(dim("encoder/conv1/weight", 0)? / 64),
        }
    };
    let h = HParams {
        n_vocab: dim("decoder/embeddings/weight", 0)?,
        n_audio_ctx: dim("encoder/position_encodings/encodings", 0)?,
        n_audio_state: dim("encoder/conv1/weight", 0)?,
        n_audio_head: num_heads("encoder/num_heads")?,
        n_audio_layer: layers("encoder"),
        n_text_ctx: dim("decoder/position_encodings/encodings", 0)?,
        n_text_state: dim("decoder/embeddings/weight", 1)?,
        n_text_head: num_heads("decoder/num_heads")?,
        n_text_layer: layers("decoder"),
        n_mels: dim("encoder/conv1/weight", 1)?,
        ftype: TYPE_F16,
    };
    // Shapes are bounded by the file's length only when no dimension is 0;
    // the mel filter bank is sized from n_mels (Whisper has 80 or 128).
    if h.fields()[..10].iter().any(|&v| v <= 0) || h.n_mels > MAX_MELS {
        return Err(corrupt(format!(
            "tensor shapes give impossible hyper-parameters {h:?}"
        )));
    }
    Ok(h)
}

/// Which rows of a CTranslate2 variable a ggml tensor takes (fused Q/K/V).
#[derive(Clone, Copy)]
enum Part {
    Whole,
    /// `k`-th of `of` equal row blocks.
    Rows {
        k: usize,
        of: usize,
    },
}

/// Storage of the output tensor, following `convert-pt-to-ggml.py`.
#[derive(Clone, Copy, PartialEq)]
enum Store {
    F16,
    F32,
    /// f32, shape `[n]` written as `[n, 1]` (conv biases).
    F32Column,
}

struct TensorPlan {
    name: String,
    source: String,
    part: Part,
    store: Store,
}

#[derive(Default)]
struct Planner {
    out: Vec<TensorPlan>,
}

impl Planner {
    fn tensor(&mut self, name: String, source: String, part: Part, store: Store) {
        self.out.push(TensorPlan {
            name,
            source,
            part,
            store,
        });
    }

    /// `dst.weight` (f16) and, unless `bias` is false, `dst.bias` (f32).
    fn linear(&mut self, dst: &str, src: &str, part: Part, bias: bool) {
        self.tensor(
            format!("{dst}.weight"),
            format!("{src}/weight"),
            part,
            Store::F16,
        );
        if bias {
            self.tensor(
                format!("{dst}.bias"),
                format!("{src}/bias"),
                part,
                Store::F32,
            );
        }
    }

    fn norm(&mut self, dst: &str, src: &str) {
        self.tensor(
            format!("{dst}.weight"),
            format!("{src}/gamma"),
            Part::Whole,
            Store::F32,
        );
        self.tensor(
            format!("{dst}.bias"),
            format!("{src}/beta"),
            Part::Whole,
            Store::F32,
        );
    }

    /// Self-attention: Q, K, V fused in `linear_0` (K has no bias in whisper.cpp).
    fn self_attention(&mut self, dst: &str, src: &str) {
        self.norm(&format!("{dst}_ln"), &format!("{src}/layer_norm"));
        let fused = format!("{src}/linear_0");
        self.linear(
            &format!("{dst}.query"),
            &fused,
            Part::Rows { k: 0, of: 3 },
            true,
        );
        self.linear(
            &format!("{dst}.key"),
            &fused,
            Part::Rows { k: 1, of: 3 },
            false,
        );
        self.linear(
            &format!("{dst}.value"),
            &fused,
            Part::Rows { k: 2, of: 3 },
            true,
        );
        self.linear(
            &format!("{dst}.out"),
            &format!("{src}/linear_1"),
            Part::Whole,
            true,
        );
    }

    /// Cross-attention: query alone in `linear_0`, key and value fused in `linear_1`.
    fn cross_attention(&mut self, dst: &str, src: &str) {
        self.norm(&format!("{dst}_ln"), &format!("{src}/layer_norm"));
        self.linear(
            &format!("{dst}.query"),
            &format!("{src}/linear_0"),
            Part::Whole,
            true,
        );
        let fused = format!("{src}/linear_1");
        self.linear(
            &format!("{dst}.key"),
            &fused,
            Part::Rows { k: 0, of: 2 },
            false,
        );
        self.linear(
            &format!("{dst}.value"),
            &fused,
            Part::Rows { k: 1, of: 2 },
            true,
        );
        self.linear(
            &format!("{dst}.out"),
            &format!("{src}/linear_2"),
            Part::Whole,
            true,
        );
    }

    fn mlp(&mut self, dst: &str, src: &str) {
        self.norm(&format!("{dst}.mlp_ln"), &format!("{src}/ffn/layer_norm"));
        self.linear(
            &format!("{dst}.mlp.0"),
            &format!("{src}/ffn/linear_0"),
            Part::Whole,
            true,
        );
        self.linear(
            &format!("{dst}.mlp.2"),
            &format!("{src}/ffn/linear_1"),
            Part::Whole,
            true,
        );
    }
}

/// The ggml tensors in file order, each with its CTranslate2 source.
fn plan(h: &HParams) -> Vec<TensorPlan> {
    let mut p = Planner::default();
    p.tensor(
        "encoder.positional_embedding".into(),
        "encoder/position_encodings/encodings".into(),
        Part::Whole,
        Store::F32,
    );
    for conv in ["conv1", "conv2"] {
        p.tensor(
            format!("encoder.{conv}.weight"),
            format!("encoder/{conv}/weight"),
            Part::Whole,
            Store::F16,
        );
        p.tensor(
            format!("encoder.{conv}.bias"),
            format!("encoder/{conv}/bias"),
            Part::Whole,
            Store::F32Column,
        );
    }
    for i in 0..h.n_audio_layer {
        let (dst, src) = (format!("encoder.blocks.{i}"), format!("encoder/layer_{i}"));
        p.self_attention(&format!("{dst}.attn"), &format!("{src}/self_attention"));
        p.mlp(&dst, &src);
    }
    p.norm("encoder.ln_post", "encoder/layer_norm");
    p.tensor(
        "decoder.positional_embedding".into(),
        "decoder/position_encodings/encodings".into(),
        Part::Whole,
        Store::F32,
    );
    p.tensor(
        "decoder.token_embedding.weight".into(),
        "decoder/embeddings/weight".into(),
        Part::Whole,
        Store::F16,
    );
    for i in 0..h.n_text_layer {
        let (dst, src) = (format!("decoder.blocks.{i}"), format!("decoder/layer_{i}"));
        p.self_attention(&format!("{dst}.attn"), &format!("{src}/self_attention"));
        p.cross_attention(&format!("{dst}.cross_attn"), &format!("{src}/attention"));
        p.mlp(&dst, &src);
    }
    p.norm("decoder.ln", "decoder/layer_norm");
    p.out
}

/// Writes `model` (with its vocabulary, in order) as a ggml f16 file, or
/// quantized: byte for byte what whisper.cpp's `quantize` makes of the f16
/// file (the quantized tensors are rounded to f16 first, as that file holds them).
pub fn convert(
    model: &Ct2Model,
    tokens: &[String],
    quantization: Option<Quantization>,
    out: &mut impl Write,
    mut on_tensor: impl FnMut(usize, usize),
) -> Result<ConvertSummary, ModelError> {
    let mut h = hparams_of(model)?;
    if let Some(q) = quantization {
        h.ftype = q.header_ftype();
    }
    let corrupt = |what: String| ModelError::Corrupt {
        path: model.path.clone(),
        what,
    };
    let io = |source: io::Error| ModelError::Write { source };
    let mut w = CountingWriter {
        inner: out,
        bytes: 0,
    };

    w.write_all(&MAGIC.to_le_bytes()).map_err(io)?;
    for v in h.fields() {
        w.write_all(&v.to_le_bytes()).map_err(io)?;
    }
    let bank = mel::filter_bank(h.n_mels as usize);
    w.write_all(&h.n_mels.to_le_bytes()).map_err(io)?;
    w.write_all(&((mel::N_FFT / 2 + 1) as i32).to_le_bytes())
        .map_err(io)?;
    for v in &bank {
        w.write_all(&v.to_le_bytes()).map_err(io)?;
    }
    let words = vocab::ordinary_token_bytes(tokens).map_err(|i| {
        corrupt(format!(
            "vocabulary token {i} ({:?}) is not byte-level BPE",
            tokens[i]
        ))
    })?;
    w.write_all(&(words.len() as i32).to_le_bytes())
        .map_err(io)?;
    for word in &words {
        w.write_all(&(word.len() as u32).to_le_bytes())
            .map_err(io)?;
        w.write_all(word).map_err(io)?;
    }

    let plan = plan(&h);
    for (index, t) in plan.iter().enumerate() {
        let (var, data) = model.get(&t.source)?;
        if var.shape.is_empty() {
            return Err(corrupt(format!("variable {} has no dimensions", t.source)));
        }
        let (shape, data) = match t.part {
            Part::Whole => (var.shape.clone(), data),
            Part::Rows { k, of } => {
                let rows = var.shape[0] / of;
                let row_bytes = data.len() / var.shape[0].max(1);
                let mut shape = var.shape.clone();
                shape[0] = rows;
                (
                    shape,
                    &data[k * rows * row_bytes..(k + 1) * rows * row_bytes],
                )
            }
        };
        let shape = if t.store == Store::F32Column {
            vec![shape[0], 1]
        } else {
            shape
        };
        let store_f16 = t.store == Store::F16 && shape.len() > 1;
        let values = to_f32(var.dtype, data).ok_or_else(|| {
            corrupt(format!(
                "variable {} is {:?}; only float32/float16/bfloat16 models convert \
                 (re-export the CTranslate2 model with --quantization float16)",
                t.source, var.dtype
            ))
        })?;
        let quantize_as = quantization.filter(|_| quantize::quantizes(&t.name, shape.len()));
        let ttype = match quantize_as {
            Some(q) => q.ggml_type(),
            None if store_f16 => TYPE_F16,
            None => TYPE_F32,
        };
        let ne: Vec<usize> = shape.iter().rev().copied().collect();
        write_tensor_header(&mut w, &t.name, &ne, ttype).map_err(io)?;
        let mut buf = Vec::with_capacity(values.len() * 4);
        if let Some(q) = quantize_as {
            let row = ne[0];
            if !q.fits(row) {
                return Err(ModelError::CannotQuantize {
                    path: model.path.clone(),
                    tensor: t.name.clone(),
                    row,
                    quantization: q,
                });
            }
            let mut rounded = Vec::with_capacity(row);
            for values in values.chunks_exact(row) {
                // The f16 file's values, as `quantize` reads them.
                rounded.clear();
                rounded.extend(values.iter().map(|&v| match store_f16 {
                    true => f16_rounded(var.dtype, v),
                    false => v,
                }));
                q.quantize_row_into(&rounded, &mut buf);
            }
        } else if store_f16 {
            if var.dtype == DType::F16 {
                buf.extend_from_slice(data);
            } else {
                for v in &values {
                    buf.extend_from_slice(&half::f16::from_f32(*v).to_le_bytes());
                }
            }
        } else {
            for v in &values {
                buf.extend_from_slice(&v.to_le_bytes());
            }
        }
        w.write_all(&buf).map_err(io)?;
        on_tensor(index + 1, plan.len());
    }
    Ok(ConvertSummary {
        hparams: h,
        tensors: plan.len(),
        vocab: words.len(),
        bytes: w.bytes,
    })
}

/// `v` as the f16 file stores it (f16 sources are already exact).
fn f16_rounded(dtype: DType, v: f32) -> f32 {
    match dtype {
        DType::F16 => v,
        _ => half::f16::from_f32(v).to_f32(),
    }
}

/// `n_dims, name_len, type, ne[0..n_dims], name`, as `whisper_model_load` reads it.
pub(super) fn write_tensor_header(
    w: &mut impl Write,
    name: &str,
    ne: &[usize],
    ttype: i32,
) -> io::Result<()> {
    w.write_all(&(ne.len() as i32).to_le_bytes())?;
    w.write_all(&(name.len() as i32).to_le_bytes())?;
    w.write_all(&ttype.to_le_bytes())?;
    for d in ne {
        w.write_all(&(*d as i32).to_le_bytes())?;
    }
    w.write_all(name.as_bytes())
}

/// Little-endian values of `dtype` as f32; `None` for integer types.
pub(super) fn to_f32(dtype: DType, data: &[u8]) -> Option<Vec<f32>> {
    let pairs = data.chunks_exact(2).map(|b| [b[0], b[1]]);
    Some(match dtype {
        DType::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        DType::F16 => pairs
            .map(|b| half::f16::from_le_bytes(b).to_f32())
            .collect(),
        DType::BF16 => pairs
            .map(|b| half::bf16::from_le_bytes(b).to_f32())
            .collect(),
        DType::I8 | DType::I16 | DType::I32 => return None,
    })
}

pub(super) struct CountingWriter<'a, W: Write> {
    pub(super) inner: &'a mut W,
    pub(super) bytes: u64,
}

impl<W: Write> Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
