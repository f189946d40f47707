//! CAM++'s forward pass on the CPU in plain Rust: every convolution is a few
//! matrix products (the `gemm` crate's kernels) over buffers laid out so that
//! no input is copied — the candle graph in [`super::campp`] spent most of its
//! time building im2col copies and small tensors. The same network and the same
//! weights; `tests/model/speakers.rs` pins both to PyTorch's output.
//!
//! Layouts, all row-major `f32`:
//! - the FCM head's 2-D maps are (bands, channels, frames) with one zero band
//!   above and below and one zero frame each side, so a 3×3 conv's three band
//!   taps of an output band are `3 · channels` consecutive rows, and its time
//!   taps are column offsets;
//! - the x-vector part is (channels, frames), a dense block's layers writing
//!   their 32 new channels below the ones before (no concatenation copies).

use candle_core::Tensor;

use super::campp::{CampplusError, Weights};
use super::fbank::BINS;

/// Frames per context segment of the CAM layers.
const SEGMENT: usize = 100;

/// Batch norm in inference form: `x · scale + shift` per channel.
pub(super) struct Norm {
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
}

/// A 3×3 conv as three (out × 3·in) matrices, one per time tap, whose columns
/// are (band tap, input channel).
pub(super) struct Conv3x3 {
    pub out: usize,
    pub input: usize,
    pub taps: [Vec<f32>; 3],
}

/// A 1-D conv as one (out × in) matrix per tap.
pub(super) struct Conv1d {
    pub out: usize,
    pub input: usize,
    pub taps: Vec<Vec<f32>>,
}

pub(super) struct ResBlock {
    pub conv1: Conv3x3,
    pub bn1: Norm,
    pub conv2: Conv3x3,
    pub bn2: Norm,
    /// Band-strided 1×1 conv (out × in) + BN when the block halves the bands.
    pub shortcut: Option<(Vec<f32>, Norm)>,
}

pub(super) struct CamLayer {
    pub bn1: Norm,
    /// 1×1 conv (128 × channels so far).
    pub linear1: Vec<f32>,
    pub bn2: Norm,
    /// Kernel-3 conv 128 → 32.
    pub local: Conv1d,
    pub dilation: usize,
    /// Context layers (64 × 128) and (32 × 64), with biases.
    pub context1: (Vec<f32>, Vec<f32>),
    pub context2: (Vec<f32>, Vec<f32>),
}

pub(super) struct Block {
    pub layers: Vec<CamLayer>,
    pub transit_bn: Norm,
    /// 1×1 conv (channels / 2 × channels).
    pub transit: Vec<f32>,
}

/// The network's weights in the layouts above.
pub(super) struct CpuNet {
    pub conv1: Conv3x3,
    pub bn1: Norm,
    pub res: Vec<ResBlock>,
    pub conv2: Conv3x3,
    pub bn2: Norm,
    /// Kernel 5, stride 2, padding 2: 320 → 128.
    pub tdnn: Conv1d,
    pub tdnn_bn: Norm,
    pub blocks: Vec<Block>,
    pub out_bn: Norm,
    /// (192 × 1024).
    pub dense: Vec<f32>,
    pub dense_bn: Norm,
}

impl CpuNet {
    /// The weights of the state dict in `w`, in this module's layouts.
    pub(super) fn load(w: &Weights) -> Result<CpuNet, CampplusError> {
        let mut res = Vec::new();
        for stage in ["head.layer1", "head.layer2"] {
            for k in 0..2 {
                let p = format!("{stage}.{k}");
                res.push(ResBlock {
                    conv1: conv3x3_weights(&w.get(&format!("{p}.conv1.weight"))?)?,
                    bn1: norm(w, &format!("{p}.bn1"), true)?,
                    conv2: conv3x3_weights(&w.get(&format!("{p}.conv2.weight"))?)?,
                    bn2: norm(w, &format!("{p}.bn2"), true)?,
                    shortcut: match k {
                        0 => Some((
                            flat(&w.get(&format!("{p}.shortcut.0.weight"))?)?,
                            norm(w, &format!("{p}.shortcut.1"), true)?,
                        )),
                        _ => None,
                    },
                });
            }
        }
        let mut blocks = Vec::new();
        for (b, (layers, dilation)) in [(12, 1), (24, 2), (16, 2)].into_iter().enumerate() {
            let mut cam = Vec::new();
            for l in 1..=layers {
                let p = format!("xvector.block{}.tdnnd{l}", b + 1);
                let get = |name: &str| flat(&w.get(&format!("{p}.{name}"))?);
                cam.push(CamLayer {
                    bn1: norm(w, &format!("{p}.nonlinear1.batchnorm"), true)?,
                    linear1: get("linear1.weight")?,
                    bn2: norm(w, &format!("{p}.nonlinear2.batchnorm"), true)?,
                    local: conv1d_weights(&w.get(&format!("{p}.cam_layer.linear_local.weight"))?)?,
                    dilation,
                    context1: (
                        get("cam_layer.linear1.weight")?,
                        get("cam_layer.linear1.bias")?,
                    ),
                    context2: (
                        get("cam_layer.linear2.weight")?,
                        get("cam_layer.linear2.bias")?,
                    ),
                });
            }
            let t = format!("xvector.transit{}", b + 1);
            blocks.push(Block {
                layers: cam,
                transit_bn: norm(w, &format!("{t}.nonlinear.batchnorm"), true)?,
                transit: flat(&w.get(&format!("{t}.linear.weight"))?)?,
            });
        }
        Ok(CpuNet {
            conv1: conv3x3_weights(&w.get("head.conv1.weight")?)?,
            bn1: norm(w, "head.bn1", true)?,
            res,
            conv2: conv3x3_weights(&w.get("head.conv2.weight")?)?,
            bn2: norm(w, "head.bn2", true)?,
            tdnn: conv1d_weights(&w.get("xvector.tdnn.linear.weight")?)?,
            tdnn_bn: norm(w, "xvector.tdnn.nonlinear.batchnorm", true)?,
            blocks,
            out_bn: norm(w, "xvector.out_nonlinear.batchnorm", true)?,
            dense: flat(&w.get("xvector.dense.linear.weight")?)?,
            dense_bn: norm(w, "xvector.dense.nonlinear.batchnorm", false)?,
        })
    }
}

fn flat(t: &Tensor) -> Result<Vec<f32>, CampplusError> {
    Ok(t.flatten_all()?.to_vec1::<f32>()?)
}

fn norm(w: &Weights, prefix: &str, affine: bool) -> Result<Norm, CampplusError> {
    let n = w.norm(prefix, affine)?;
    Ok(Norm {
        scale: flat(&n.scale)?,
        shift: flat(&n.shift)?,
    })
}

/// (out, in, 3 bands, 3 frames) → one (out × 3·in) matrix per frame tap,
/// columns (band tap, input channel).
fn conv3x3_weights(t: &Tensor) -> Result<Conv3x3, CampplusError> {
    let (out, input, _, _) = t.dims4()?;
    let w = flat(t)?;
    let taps = [0, 1, 2].map(|dt| {
        let mut m = vec![0.0; out * 3 * input];
        for co in 0..out {
            for ci in 0..input {
                for df in 0..3 {
                    m[co * 3 * input + df * input + ci] = w[((co * input + ci) * 3 + df) * 3 + dt];
                }
            }
        }
        m
    });
    Ok(Conv3x3 { out, input, taps })
}

/// (out, in, k) → k matrices (out × in).
fn conv1d_weights(t: &Tensor) -> Result<Conv1d, CampplusError> {
    let (out, input, k) = t.dims3()?;
    let w = flat(t)?;
    let taps = (0..k)
        .map(|tap| {
            (0..out * input)
                .map(|i| w[i * k + tap])
                .collect::<Vec<f32>>()
        })
        .collect();
    Ok(Conv1d { out, input, taps })
}

/// A (bands, channels, frames) map with a zero band above and below and a
/// zero frame each side.
struct Map {
    bands: usize,
    channels: usize,
    frames: usize,
    data: Vec<f32>,
}

impl Map {
    fn zeros(bands: usize, channels: usize, frames: usize) -> Map {
        Map {
            bands,
            channels,
            frames,
            data: vec![0.0; (bands + 2) * channels * (frames + 2)],
        }
    }

    fn width(&self) -> usize {
        self.frames + 2
    }

    /// Row of channel `c` of real band `band` (padded band `band + 1`).
    fn row(&self, band: usize, c: usize) -> usize {
        ((band + 1) * self.channels + c) * self.width()
    }

    /// Applies `norm` (and ReLU) to every real value.
    fn norm(&mut self, norm: &Norm, relu: bool) {
        for band in 0..self.bands {
            for c in 0..self.channels {
                let at = self.row(band, c) + 1;
                scale_row(&mut self.data[at..at + self.frames], norm, c, relu);
            }
        }
    }
}

fn scale_row(row: &mut [f32], norm: &Norm, c: usize, relu: bool) {
    let (a, b) = (norm.scale[c], norm.shift[c]);
    if relu {
        row.iter_mut().for_each(|v| *v = (*v * a + b).max(0.0));
    } else {
        row.iter_mut().for_each(|v| *v = *v * a + b);
    }
}

impl CpuNet {
    /// The [`DIM`](super::campp::DIM)-dimensional embedding of `frames` rows of [`BINS`] filter-bank values.
    pub fn embed(&self, features: &[f32], frames: usize) -> Vec<f32> {
        // (frames, bins) → (bins, 1 channel, frames)
        let mut x = Map::zeros(BINS, 1, frames);
        for (t, row) in features.chunks_exact(BINS).take(frames).enumerate() {
            for (band, v) in row.iter().enumerate() {
                let at = x.row(band, 0) + 1 + t;
                x.data[at] = *v;
            }
        }
        let x = self.head(x);
        self.xvector(&x, frames)
    }

    /// FCM: (80, 1, T) → (320, T) with channel `c · 10 + band`.
    fn head(&self, x: Map) -> Vec<f32> {
        let mut x = conv3x3(&x, &self.conv1, 1);
        x.norm(&self.bn1, true);
        for block in &self.res {
            let stride = if block.shortcut.is_some() { 2 } else { 1 };
            let mut y = conv3x3(&x, &block.conv1, stride);
            y.norm(&block.bn1, true);
            let mut y = conv3x3(&y, &block.conv2, 1);
            y.norm(&block.bn2, false);
            match &block.shortcut {
                Some((weight, bn)) => {
                    let mut skip = Map::zeros(y.bands, y.channels, y.frames);
                    let w = x.width();
                    for band in 0..y.bands {
                        let (src, dst) = (x.row(2 * band, 0), skip.row(band, 0));
                        matmul(
                            &mut skip.data[dst..],
                            w,
                            weight,
                            x.channels,
                            &x.data[src..],
                            w,
                            1,
                            (y.channels, w, x.channels),
                            false,
                        );
                    }
                    skip.norm(bn, false);
                    add_relu(&mut y.data, &skip.data);
                }
                None => add_relu(&mut y.data, &x.data),
            }
            x = y;
        }
        let mut x = conv3x3(&x, &self.conv2, 2);
        x.norm(&self.bn2, true);
        let (bands, frames) = (x.bands, x.frames);
        let mut out = vec![0.0; x.channels * bands * frames];
        for c in 0..x.channels {
            for band in 0..bands {
                let at = x.row(band, c) + 1;
                let row = (c * bands + band) * frames;
                out[row..row + frames].copy_from_slice(&x.data[at..at + frames]);
            }
        }
        out
    }

    /// D-TDNN, pooling and dense layer: (320, T) → 192 (`DIM`).
    fn xvector(&self, x: &[f32], frames: usize) -> Vec<f32> {
        // TDNN: kernel 5, stride 2, padding 2.
        let input = self.tdnn.input;
        let width = frames + 4;
        let mut padded = vec![0.0; input * width];
        for (c, row) in x.chunks_exact(frames).enumerate() {
            padded[c * width + 2..c * width + 2 + frames].copy_from_slice(row);
        }
        let t = (frames - 1) / 2 + 1;
        let mut channels = self.tdnn.out;
        let mut x = vec![0.0; channels * t];
        for (k, tap) in self.tdnn.taps.iter().enumerate() {
            matmul(
                &mut x,
                t,
                tap,
                input,
                &padded[k..],
                width,
                2,
                (channels, t, input),
                k > 0,
            );
        }
        norm_rows(&mut x, t, &self.tdnn_bn, true);
        for block in &self.blocks {
            let total = channels + 32 * block.layers.len();
            x.resize(total * t, 0.0);
            for layer in &block.layers {
                layer.forward(&mut x, channels, t);
                channels += 32;
            }
            // The block's output is needed only through the transition.
            norm_rows(&mut x, t, &block.transit_bn, true);
            x = product(&block.transit, channels, &x, t);
            channels = x.len() / t;
        }
        norm_rows(&mut x, t, &self.out_bn, true);
        // Statistics pooling: mean and unbiased standard deviation.
        let mut stats = vec![0.0f32; 2 * channels];
        for (c, row) in x.chunks_exact(t).enumerate() {
            let mean = row.iter().map(|&v| v as f64).sum::<f64>() / t as f64;
            stats[c] = mean as f32;
            stats[channels + c] = if t > 1 {
                let var =
                    row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / (t - 1) as f64;
                var.sqrt() as f32
            } else {
                1e-2
            };
        }
        let mut out = product(&self.dense, 2 * channels, &stats, 1);
        norm_rows(&mut out, 1, &self.dense_bn, false);
        out
    }
}

impl CamLayer {
    /// Adds this layer's 32 channels to `x` (rows `channels..channels + 32`
    /// of a (·, t) buffer already that large).
    fn forward(&self, x: &mut [f32], channels: usize, t: usize) {
        let mut h = x[..channels * t].to_vec();
        norm_rows(&mut h, t, &self.bn1, true);
        let hidden = self.bn2.scale.len();
        let d = self.dilation;
        let width = t + 2 * d;
        let mut u = vec![0.0; hidden * width];
        matmul(
            &mut u[d..],
            width,
            &self.linear1,
            channels,
            &h,
            t,
            1,
            (hidden, t, channels),
            false,
        );
        // Context: the utterance mean + the mean of each 100-frame segment.
        let segments = t.div_ceil(SEGMENT);
        let mut context = vec![0.0f32; hidden * segments];
        for c in 0..hidden {
            let row = &mut u[c * width + d..c * width + d + t];
            scale_row(row, &self.bn2, c, true);
            let mean = row.iter().sum::<f32>() / t as f32;
            for (s, chunk) in row.chunks(SEGMENT).enumerate() {
                context[c * segments + s] = chunk.iter().sum::<f32>() / chunk.len() as f32 + mean;
            }
        }
        let (w1, b1) = &self.context1;
        let hid = affine(w1, b1, &context, segments, |v| v.max(0.0));
        let (w2, b2) = &self.context2;
        let out = b2.len();
        let gate = affine(w2, b2, &hid, segments, |v| 1.0 / (1.0 + (-v).exp()));
        let y = &mut x[channels * t..(channels + out) * t];
        for (k, tap) in self.local.taps.iter().enumerate() {
            matmul(
                y,
                t,
                tap,
                hidden,
                &u[k * d..],
                width,
                1,
                (out, t, hidden),
                k > 0,
            );
        }
        for (c, row) in y.chunks_exact_mut(t).enumerate() {
            for (s, chunk) in row.chunks_mut(SEGMENT).enumerate() {
                let g = gate[c * segments + s];
                chunk.iter_mut().for_each(|v| *v *= g);
            }
        }
    }
}

/// `w · x` for `w` (· × k) and `x` (k × n), both contiguous.
fn product(w: &[f32], k: usize, x: &[f32], n: usize) -> Vec<f32> {
    let out = w.len() / k;
    let mut y = vec![0.0; out * n];
    matmul(&mut y, n, w, k, x, n, 1, (out, n, k), false);
    y
}

/// `activation(w · x + bias)` for `w` (bias.len() × k) and `x` (k × n).
fn affine(w: &[f32], bias: &[f32], x: &[f32], n: usize, activation: fn(f32) -> f32) -> Vec<f32> {
    let mut y = product(w, w.len() / bias.len().max(1), x, n);
    for (row, b) in y.chunks_exact_mut(n).zip(bias) {
        row.iter_mut().for_each(|v| *v = activation(*v + b));
    }
    y
}

/// A 3×3 conv, padding 1, band stride 1 or 2.
fn conv3x3(x: &Map, conv: &Conv3x3, stride: usize) -> Map {
    let bands = (x.bands - 1) / stride + 1;
    let mut out = Map::zeros(bands, conv.out, x.frames);
    let w = x.width();
    for band in 0..bands {
        // Padded input bands stride·band … + 2 are 3 · channels consecutive rows.
        let src = stride * band * x.channels * w;
        let dst = out.row(band, 0) + 1;
        for (dt, tap) in conv.taps.iter().enumerate() {
            matmul(
                &mut out.data[dst..],
                w,
                tap,
                3 * conv.input,
                &x.data[src + dt..],
                w,
                1,
                (conv.out, x.frames, 3 * conv.input),
                dt > 0,
            );
        }
    }
    out
}

/// `y = relu(y + skip)` over whole padded maps (the padding stays zero).
fn add_relu(y: &mut [f32], skip: &[f32]) {
    y.iter_mut()
        .zip(skip)
        .for_each(|(a, b)| *a = (*a + b).max(0.0));
}

/// Applies `norm` (and ReLU) to the rows of a (channels, t) buffer.
fn norm_rows(x: &mut [f32], t: usize, norm: &Norm, relu: bool) {
    for (c, row) in x.chunks_exact_mut(t).enumerate().take(norm.scale.len()) {
        scale_row(row, norm, c, relu);
    }
}

/// `dst (m × n, row stride ldd) = [dst +] a (m × k, row stride lda) · b (k × n,
/// row stride ldb, column stride cs)`, bounds checked.
#[allow(clippy::too_many_arguments)]
fn matmul(
    dst: &mut [f32],
    ldd: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    cs: usize,
    (m, n, k): (usize, usize, usize),
    accumulate: bool,
) {
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    assert!((m - 1) * ldd + n <= dst.len(), "matmul: dst too small");
    assert!((m - 1) * lda + k <= a.len(), "matmul: lhs too small");
    assert!(
        (k - 1) * ldb + (n - 1) * cs < b.len(),
        "matmul: rhs too small"
    );
    // SAFETY: the asserts above keep every element gemm reads or writes
    // inside the three slices; `dst` is borrowed mutably, so it aliases neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            ldd as isize,
            accumulate,
            a.as_ptr(),
            1,
            lda as isize,
            b.as_ptr(),
            cs as isize,
            ldb as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
