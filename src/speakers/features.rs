//! Frame-level acoustic analysis of a whole recording for the classical
//! speaker embedding: every 10 ms, log energy, 19 MFCCs (c1–c19 of a 40-band
//! HTK mel bank, 25 ms Hamming window) and F0 by normalised autocorrelation
//! (40 ms window, 60–600 Hz; 0 when unvoiced). Pure Rust on `realfft`.

use std::f32::consts::PI;
use std::sync::Arc;

use realfft::{RealFftPlanner, RealToComplex};

use crate::types::{sample_f32, Audio};

/// Frame hop: 10 ms at 16 kHz.
pub const HOP: usize = 160;
/// Frames per second.
pub const FRAME_RATE: f64 = Audio::SAMPLE_RATE as f64 / HOP as f64;
/// Cepstral coefficients kept per frame (c1 … c19).
pub const N_CEPS: usize = 19;

const WIN: usize = 400;
const NFFT: usize = 512;
const N_MELS: usize = 40;
const F0_WIN: usize = 640;
const F0_NFFT: usize = 2048;
const F0_MIN: f32 = 60.0;
const F0_MAX: f32 = 600.0;
/// Normalised autocorrelation peak above which a frame is voiced.
const VOICING: f32 = 0.5;

/// Per-frame features of a recording.
#[derive(Debug, Clone, Default)]
pub struct Frames {
    /// Log energy (natural log of mean squared sample) per frame.
    pub energy: Vec<f32>,
    /// `N_CEPS` cepstra per frame, row after row.
    pub mfcc: Vec<f32>,
    /// F0 in Hz per frame; 0 where unvoiced.
    pub f0: Vec<f32>,
    /// Log energy below which a frame is silence for this recording.
    pub silence: f32,
}

impl Frames {
    pub fn len(&self) -> usize {
        self.energy.len()
    }

    pub fn is_empty(&self) -> bool {
        self.energy.is_empty()
    }

    pub fn ceps(&self, frame: usize) -> &[f32] {
        &self.mfcc[frame * N_CEPS..(frame + 1) * N_CEPS]
    }

    /// Frame index of a time in seconds, clamped to the recording.
    pub fn frame_at(&self, seconds: f64) -> usize {
        ((seconds.max(0.0) * FRAME_RATE).round() as usize).min(self.len())
    }

    /// Log energy alone (for cutting units when CAM++ embeds them; [`analyse`]
    /// starts from it): `mfcc` and `f0` stay empty.
    ///
    /// [`analyse`]: Frames::analyse
    pub fn energy_only(samples: &[i16]) -> Frames {
        let n = samples.len() / HOP;
        let energy: Vec<f32> = (0..n)
            .map(|t| {
                let start = (t * HOP + HOP / 2) as isize - WIN as isize / 2;
                let sum_sq: f32 = (0..WIN as isize)
                    .map(|i| sample(samples, start + i).powi(2))
                    .sum();
                (sum_sq / WIN as f32).max(1e-12).ln()
            })
            .collect();
        Frames {
            silence: silence_level(&energy),
            energy,
            mfcc: Vec::new(),
            f0: Vec::new(),
        }
    }

    /// Analyses `samples` (16 kHz mono); `on_frame(done, total)` reports progress.
    pub fn analyse(samples: &[i16], mut on_frames: impl FnMut(usize, usize)) -> Frames {
        let n = samples.len() / HOP;
        let mut planner = RealFftPlanner::<f32>::new();
        let mfcc_fft = planner.plan_fft_forward(NFFT);
        let f0_fft = planner.plan_fft_forward(F0_NFFT);
        let f0_ifft = planner.plan_fft_inverse(F0_NFFT);
        let window: Vec<f32> = (0..WIN)
            .map(|i| 0.54 - 0.46 * (2.0 * PI * i as f32 / (WIN - 1) as f32).cos())
            .collect();
        let bank = mel_bank();
        let mut frames = Frames::energy_only(samples);
        frames.mfcc.reserve(n * N_CEPS);
        frames.f0.reserve(n);
        let mut spectrum = mfcc_fft.make_output_vec();
        let mut input = mfcc_fft.make_input_vec();
        let mut f0_in = f0_fft.make_input_vec();
        let mut f0_spec = f0_fft.make_output_vec();
        let mut acf = f0_ifft.make_output_vec();
        let mut mel = [0f32; N_MELS];
        for t in 0..n {
            let centre = t * HOP + HOP / 2;
            // MFCC over a 25 ms window centred on the frame (the energy over
            // the same window is `energy_only`'s).
            let start = centre as isize - WIN as isize / 2;
            let mut previous = sample(samples, start - 1);
            input.iter_mut().for_each(|x| *x = 0.0);
            for i in 0..WIN {
                let x = sample(samples, start + i as isize);
                input[i] = (x - 0.97 * previous) * window[i];
                previous = x;
            }
            if mfcc_fft.process(&mut input, &mut spectrum).is_err() {
                spectrum.iter_mut().for_each(|c| *c = Default::default());
            }
            for (m, filter) in bank.iter().enumerate() {
                let e: f32 = filter
                    .iter()
                    .map(|&(bin, w)| w * spectrum[bin].norm_sqr())
                    .sum();
                mel[m] = e.max(1e-10).ln();
            }
            for k in 1..=N_CEPS {
                let c: f32 = mel
                    .iter()
                    .enumerate()
                    .map(|(m, &v)| v * (PI * k as f32 * (m as f32 + 0.5) / N_MELS as f32).cos())
                    .sum();
                frames.mfcc.push(c * (2.0 / N_MELS as f32).sqrt());
            }
            let f0 = pitch(
                samples,
                centre,
                (&f0_fft, &mut f0_in, &mut f0_spec),
                (&f0_ifft, &mut acf),
            );
            frames.f0.push(f0);
            if t % 5000 == 0 {
                on_frames(t, n);
            }
        }
        on_frames(n, n);
        frames
    }
}

/// Sample `i` as f32, 0 outside the recording.
fn sample(samples: &[i16], i: isize) -> f32 {
    usize::try_from(i)
        .ok()
        .and_then(|i| samples.get(i))
        .map_or(0.0, |&s| sample_f32(s))
}

type Forward<'a> = (
    &'a Arc<dyn RealToComplex<f32>>,
    &'a mut Vec<f32>,
    &'a mut Vec<realfft::num_complex::Complex<f32>>,
);
type Inverse<'a> = (&'a Arc<dyn realfft::ComplexToReal<f32>>, &'a mut Vec<f32>);

/// F0 of the 40 ms around `centre` by autocorrelation; 0 when unvoiced.
fn pitch(samples: &[i16], centre: usize, forward: Forward, inverse: Inverse) -> f32 {
    let (fft, input, spec) = forward;
    let (ifft, acf) = inverse;
    let start = centre as isize - F0_WIN as isize / 2;
    let mean = (0..F0_WIN)
        .map(|i| sample(samples, start + i as isize))
        .sum::<f32>()
        / F0_WIN as f32;
    input.iter_mut().for_each(|x| *x = 0.0);
    for (i, x) in input.iter_mut().take(F0_WIN).enumerate() {
        *x = sample(samples, start + i as isize) - mean;
    }
    if fft.process(input, spec).is_err() {
        return 0.0;
    }
    for c in spec.iter_mut() {
        *c = realfft::num_complex::Complex::new(c.norm_sqr(), 0.0);
    }
    if ifft.process(spec, acf).is_err() || acf[0] <= 1e-9 {
        return 0.0;
    }
    let sr = Audio::SAMPLE_RATE as f32;
    let lo = (sr / F0_MAX) as usize;
    let hi = ((sr / F0_MIN) as usize).min(F0_WIN / 2);
    // Normalise, correcting the bias of a finite window.
    let r = |k: usize| acf[k] / acf[0] * F0_WIN as f32 / (F0_WIN - k) as f32;
    let mut best = (0usize, 0f32);
    for k in lo..=hi {
        let v = r(k);
        if v > best.1 && r(k - 1) <= v && r(k + 1) <= v {
            best = (k, v);
        }
    }
    if best.1 < VOICING {
        return 0.0;
    }
    // Prefer the shortest lag whose peak is nearly as high (avoids octave-low errors).
    let mut lag = best.0;
    for k in lo..best.0 {
        let v = r(k);
        if v >= 0.9 * best.1 && r(k - 1) <= v && r(k + 1) <= v {
            lag = k;
            break;
        }
    }
    sr / lag as f32
}

/// Triangular HTK mel filters as (bin, weight) lists.
fn mel_bank() -> Vec<Vec<(usize, f32)>> {
    let mel = |f: f32| 2595.0 * (1.0 + f / 700.0).log10();
    let hz = |m: f32| 700.0 * (10f32.powf(m / 2595.0) - 1.0);
    let (lo, hi) = (mel(20.0), mel(7600.0));
    let points: Vec<f32> = (0..N_MELS + 2)
        .map(|i| hz(lo + (hi - lo) * i as f32 / (N_MELS + 1) as f32))
        .collect();
    let bin_hz = Audio::SAMPLE_RATE as f32 / NFFT as f32;
    (0..N_MELS)
        .map(|m| {
            let (a, b, c) = (points[m], points[m + 1], points[m + 2]);
            (0..=NFFT / 2)
                .filter_map(|bin| {
                    let f = bin as f32 * bin_hz;
                    let w = if f > a && f <= b {
                        (f - a) / (b - a)
                    } else if f > b && f < c {
                        (c - f) / (c - b)
                    } else {
                        0.0
                    };
                    (w > 0.0).then_some((bin, w))
                })
                .collect()
        })
        .collect()
}

/// The recording's silence level: its quietest tenth plus 6 dB, but never
/// more than 45 dB below its loud frames.
fn silence_level(energy: &[f32]) -> f32 {
    if energy.is_empty() {
        return 0.0;
    }
    let mut sorted = energy.to_vec();
    sorted.sort_by(f32::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    let db = 10f32.ln() / 10.0; // one dB in natural-log power
    (at(0.10) + 6.0 * db).max(at(0.95) - 45.0 * db)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::sample_i16;

    #[test]
    fn finds_the_pitch_of_a_pulse_train() {
        let sr = Audio::SAMPLE_RATE as f32;
        let samples: Vec<i16> = (0..16000)
            .map(|i| {
                let t = i as f32 / sr;
                sample_i16(0.6 * (2.0 * PI * 150.0 * t).sin() + 0.3 * (2.0 * PI * 300.0 * t).sin())
            })
            .collect();
        let frames = Frames::analyse(&samples, |_, _| {});
        let f0 = frames.f0[50];
        assert!((f0 - 150.0).abs() < 3.0, "{f0}");
        assert_eq!(frames.mfcc.len(), frames.len() * N_CEPS);
    }
}
