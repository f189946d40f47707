//! whisper.cpp's quantized weights (q8_0, q5_0, q5_1), made as its
//! `quantize` tool makes them (`examples/quantize/quantize.cpp` with
//! `ggml_common_quantize_0` in `examples/common-ggml.cpp`): every 2-D
//! tensor except the conv biases and the positional embeddings is
//! quantized row by row with ggml's reference quantizers
//! (`quantize_row_{q8_0,q5_0,q5_1}_ref` in `ggml-quants.c`, which
//! `ggml_quantize_chunk` calls when given no importance matrix), its type
//! id changed; the header's `ftype` becomes `GGML_FTYPE_MOSTLY_*` +
//! `GGML_QNT_VERSION` × `GGML_QNT_VERSION_FACTOR`; every other byte is
//! copied.
//!
//! The arithmetic follows the C step by step in f32 (Rust never fuses a
//! multiply and an add; ggml's f32 → f16 rounding is ported bit for bit),
//! so the bytes are ggml's: the tests compare them with
//! `ggml_quantize_chunk` from the whisper.cpp linked into this crate.

use std::io::Write;
use std::path::Path;

use super::ct2::DType;
use super::ggml::{self, ConvertSummary, CountingWriter, GgmlInfo, TYPE_F16, TYPE_F32};
use super::ModelError;

/// `GGML_QNT_VERSION` (ggml.h): the quantization format's version.
pub(super) const QNT_VERSION: i32 = 2;
/// `GGML_QNT_VERSION_FACTOR` (ggml.h).
pub(super) const QNT_VERSION_FACTOR: i32 = 1000;
/// Values per block (`QK8_0`, `QK5_0`, `QK5_1`).
pub const BLOCK: usize = 32;

/// 2-D tensors `quantize.cpp` leaves as they are.
const TO_SKIP: [&str; 4] = [
    "encoder.conv1.bias",
    "encoder.conv2.bias",
    "encoder.positional_embedding",
    "decoder.positional_embedding",
];

/// A quantized weight format of whisper.cpp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Quantization {
    #[serde(rename = "q8_0")]
    Q8_0,
    #[serde(rename = "q5_0")]
    Q5_0,
    #[serde(rename = "q5_1")]
    Q5_1,
}

/// A `--quantize` value that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown quantization '{0}': use q8_0, q5_0 or q5_1")]
pub struct UnknownQuantization(pub String);

impl std::str::FromStr for Quantization {
    type Err = UnknownQuantization;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantization::ALL
            .into_iter()
            .find(|q| q.name() == s)
            .ok_or_else(|| UnknownQuantization(s.to_string()))
    }
}

impl std::fmt::Display for Quantization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Quantization {
    pub const ALL: [Quantization; 3] = [Quantization::Q8_0, Quantization::Q5_0, Quantization::Q5_1];

    /// As `quantize` and file names spell it: `q8_0`, `q5_0`, `q5_1`.
    pub fn name(self) -> &'static str {
        match self {
            Quantization::Q8_0 => "q8_0",
            Quantization::Q5_0 => "q5_0",
            Quantization::Q5_1 => "q5_1",
        }
    }

    /// `GGML_TYPE_*`: the type id of a quantized tensor.
    pub fn ggml_type(self) -> i32 {
        match self {
            Quantization::Q5_0 => 6,
            Quantization::Q5_1 => 7,
            Quantization::Q8_0 => 8,
        }
    }

    /// `GGML_FTYPE_MOSTLY_*`.
    pub fn ftype(self) -> i32 {
        match self {
            Quantization::Q8_0 => 7,
            Quantization::Q5_0 => 8,
            Quantization::Q5_1 => 9,
        }
    }

    /// The header's `ftype` of a file quantized so (as `quantize.cpp` writes it).
    pub fn header_ftype(self) -> i32 {
        QNT_VERSION * QNT_VERSION_FACTOR + self.ftype()
    }

    /// Bytes of one block of [`BLOCK`] values (`sizeof(block_q8_0)` …).
    pub fn block_bytes(self) -> usize {
        match self {
            Quantization::Q8_0 => 2 + BLOCK,
            Quantization::Q5_0 => 2 + 4 + BLOCK / 2,
            Quantization::Q5_1 => 2 + 2 + 4 + BLOCK / 2,
        }
    }

    /// Whether rows of `row` values can be quantized (whole blocks).
    pub fn fits(self, row: usize) -> bool {
        row > 0 && row.is_multiple_of(BLOCK)
    }

    /// One row quantized, as ggml's `quantize_row_*_ref` writes it;
    /// `x.len()` must be a multiple of [`BLOCK`] (a partial block at the end
    /// is left out).
    pub fn quantize_row(self, x: &[f32]) -> Vec<u8> {
        let mut out = Vec::with_capacity(x.len() / BLOCK * self.block_bytes());
        self.quantize_row_into(x, &mut out);
        out
    }

    /// [`Quantization::quantize_row`], appended to `out`.
    pub fn quantize_row_into(self, x: &[f32], out: &mut Vec<u8>) {
        debug_assert!(x.len().is_multiple_of(BLOCK), "a row of {} values", x.len());
        for block in x.chunks_exact(BLOCK) {
            match self {
                Quantization::Q8_0 => q8_0(block, out),
                Quantization::Q5_0 => q5_0(block, out),
                Quantization::Q5_1 => q5_1(block, out),
            }
        }
    }
}

/// Whether `quantize.cpp` quantizes a tensor of this name and rank.
pub(super) fn quantizes(name: &str, n_dims: usize) -> bool {
    n_dims == 2 && !TO_SKIP.contains(&name)
}

/// C's `MAX(a, b)`: `a > b ? a : b`.
fn c_max(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// `quantize_row_q8_0_ref`: d = amax / 127, qs = round(x / d).
fn q8_0(x: &[f32], out: &mut Vec<u8>) {
    let amax = x.iter().fold(0.0f32, |amax, v| c_max(amax, v.abs()));
    let d = amax / 127.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    out.extend_from_slice(&fp32_to_fp16(d).to_le_bytes());
    // roundf: half away from zero, as f32::round.
    out.extend(x.iter().map(|v| (v * id).round() as i8 as u8));
}

/// The value of largest magnitude, the first of equals (`amax < fabsf(v)`).
fn signed_max(x: &[f32]) -> f32 {
    let (mut amax, mut max) = (0.0f32, 0.0f32);
    for &v in x {
        if amax < v.abs() {
            amax = v.abs();
            max = v;
        }
    }
    max
}

/// Low nibbles of the two half-blocks packed into 16 bytes, and their
/// fifth bits as a little-endian u32 (`qh`), as ggml's q5 formats hold them.
fn pack5(q: &[u8; BLOCK]) -> ([u8; 4], [u8; BLOCK / 2]) {
    let mut qh = 0u32;
    let mut qs = [0u8; BLOCK / 2];
    for j in 0..BLOCK / 2 {
        let (lo, hi) = (q[j], q[j + BLOCK / 2]);
        qs[j] = (lo & 0x0F) | ((hi & 0x0F) << 4);
        qh |= u32::from((lo & 0x10) >> 4) << j;
        qh |= u32::from((hi & 0x10) >> 4) << (j + BLOCK / 2);
    }
    (qh.to_le_bytes(), qs)
}

/// `quantize_row_q5_0_ref`: d = max / −16, q = min(31, (int8_t)(x / d + 16.5)).
fn q5_0(x: &[f32], out: &mut Vec<u8>) {
    let d = signed_max(x) / -16.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let mut q = [0u8; BLOCK];
    for (q, v) in q.iter_mut().zip(x) {
        // (int8_t) truncates towards zero; MIN(31, …) then stored as uint8_t.
        *q = ((v * id + 16.5) as i8).min(31) as u8;
    }
    let (qh, qs) = pack5(&q);
    out.extend_from_slice(&fp32_to_fp16(d).to_le_bytes());
    out.extend_from_slice(&qh);
    out.extend_from_slice(&qs);
}

/// `quantize_row_q5_1_ref`: d = (max − min) / 31, m = min,
/// q = (uint8_t)((x − min) / d + 0.5).
fn q5_1(x: &[f32], out: &mut Vec<u8>) {
    let (mut min, mut max) = (f32::MAX, -f32::MAX);
    for &v in x {
        if v < min {
            min = v;
        }
        if v > max {
            max = v;
        }
    }
    let d = (max - min) / 31.0;
    let id = if d != 0.0 { 1.0 / d } else { 0.0 };
    let mut q = [0u8; BLOCK];
    for (q, v) in q.iter_mut().zip(x) {
        *q = ((v - min) * id + 0.5) as u8;
    }
    let (qh, qs) = pack5(&q);
    out.extend_from_slice(&fp32_to_fp16(d).to_le_bytes());
    out.extend_from_slice(&fp32_to_fp16(min).to_le_bytes());
    out.extend_from_slice(&qh);
    out.extend_from_slice(&qs);
}

/// ggml's `GGML_FP32_TO_FP16` (`ggml_compute_fp32_to_fp16`, after the FP16
/// library): round to nearest even, overflow to infinity, NaN to 0x7E00.
pub(super) fn fp32_to_fp16(f: f32) -> u16 {
    let scale_to_inf = f32::from_bits(0x7780_0000); // 2^112
    let scale_to_zero = f32::from_bits(0x0880_0000); // 2^-110
    let mut base = (f.abs() * scale_to_inf) * scale_to_zero;
    let w = f.to_bits();
    let shl1_w = w.wrapping_add(w);
    let sign = w & 0x8000_0000;
    let bias = (shl1_w & 0xFF00_0000).max(0x7100_0000);
    base += f32::from_bits((bias >> 1) + 0x0780_0000);
    let bits = base.to_bits();
    let exp_bits = (bits >> 13) & 0x0000_7C00;
    let mantissa_bits = bits & 0x0000_0FFF;
    let nonsign = exp_bits + mantissa_bits;
    let half = if shl1_w > 0xFF00_0000 {
        0x7E00
    } else {
        nonsign
    };
    ((sign >> 16) | half) as u16
}

/// Quantizes a ggml f16 (or f32) Whisper file (`bytes`, read from
/// `origin`) into `out`, as `quantize model.bin out.bin q8_0` does.
/// `on_tensor(done, of)` after each tensor.
pub fn quantize_ggml(
    bytes: &[u8],
    origin: &Path,
    quantization: Quantization,
    out: &mut impl Write,
    mut on_tensor: impl FnMut(usize, usize),
) -> Result<ConvertSummary, ModelError> {
    let info = GgmlInfo::parse(bytes).map_err(|source| ModelError::Ggml {
        path: origin.to_path_buf(),
        source,
    })?;
    let already = |what: String| ModelError::AlreadyQuantized {
        path: origin.to_path_buf(),
        what,
        quantization,
    };
    if !matches!(info.hparams.ftype % QNT_VERSION_FACTOR, 0 | 1) {
        return Err(already(info.hparams.ftype_name()));
    }
    let io = |source: std::io::Error| ModelError::Write { source };
    let mut w = CountingWriter {
        inner: out,
        bytes: 0,
    };
    // Header, mel filters and vocabulary as they are, but for the ftype.
    let first = info.tensors.first().map_or(bytes.len(), |t| t.at);
    let ftype = quantization.header_ftype();
    w.write_all(&bytes[..ggml::FTYPE_AT]).map_err(io)?;
    w.write_all(&ftype.to_le_bytes()).map_err(io)?;
    w.write_all(&bytes[ggml::FTYPE_AT + 4..first]).map_err(io)?;

    let mut quantized = Vec::new();
    for (index, t) in info.tensors.iter().enumerate() {
        let header = &bytes[t.at..t.data.start];
        let data = &bytes[t.data.clone()];
        if !quantizes(&t.name, t.ne.len()) {
            w.write_all(header).map_err(io)?;
            w.write_all(data).map_err(io)?;
        } else {
            let dtype = match t.ttype {
                TYPE_F32 => DType::F32,
                TYPE_F16 => DType::F16,
                other => {
                    return Err(already(format!(
                        "quantized (tensor {} has type {other})",
                        t.name
                    )))
                }
            };
            let row = t.ne[0];
            if !quantization.fits(row) {
                return Err(ModelError::CannotQuantize {
                    path: origin.to_path_buf(),
                    tensor: t.name.clone(),
                    row,
                    quantization,
                });
            }
            ggml::write_tensor_header(&mut w, &t.name, &t.ne, quantization.ggml_type())
                .map_err(io)?;
            let values = ggml::to_f32(dtype, data)
                .ok_or_else(|| already(format!("tensor {} of type {dtype:?}", t.name)))?;
            for values in values.chunks_exact(row) {
                quantized.clear();
                quantization.quantize_row_into(values, &mut quantized);
                w.write_all(&quantized).map_err(io)?;
            }
        }
        on_tensor(index + 1, info.tensors.len());
    }
    Ok(ConvertSummary {
        hparams: super::HParams {
            ftype,
            ..info.hparams
        },
        tensors: info.tensors.len(),
        vocab: info.vocab.len(),
        bytes: w.bytes,
    })
}

#[cfg(test)]
mod tests;
