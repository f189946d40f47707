//! Analysis units: each transcript segment cut at its inner pauses, so a
//! segment Whisper made across a speaker change can be split there, and the
//! classical per-unit embedding (MFCC mean and spread, log-F0 statistics).

use super::features::{Frames, FRAME_RATE, N_CEPS};
use crate::types::Segment;

/// A stretch of one segment between pauses; the thing that gets an embedding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    /// Index of the segment it comes from.
    pub segment: usize,
    pub start: f64,
    pub end: f64,
}

impl Unit {
    pub fn duration(&self) -> f64 {
        (self.end - self.start).max(0.0)
    }
}

/// Dimensions of the classical embedding: 19 MFCC means, 19 MFCC standard
/// deviations, then log-F0 median, mean and spread, and the voiced share.
pub const CLASSICAL_DIM: usize = 2 * N_CEPS + 4;
/// Weights of the classical embedding's dimensions after standardisation:
/// the median log-F0 counts most (it tells voices apart best), the mean
/// log-F0 and the voiced share are left out (they follow the median and the
/// speaking style).
pub fn classical_gains(pitch: f32) -> Vec<f32> {
    let mut gains = vec![1.0; CLASSICAL_DIM];
    gains[2 * N_CEPS] = pitch;
    gains[2 * N_CEPS + 1] = 0.0;
    gains[2 * N_CEPS + 3] = 0.0;
    gains
}

/// One natural-log dB of power.
const DB: f32 = std::f32::consts::LN_10 / 10.0;

/// Cuts every segment at silences of at least `min_pause` seconds. Pieces
/// shorter than `min_unit` seconds join their neighbour.
pub fn cut(segments: &[Segment], frames: &Frames, min_pause: f64, min_unit: f64) -> Vec<Unit> {
    let mut units = Vec::new();
    for (index, segment) in segments.iter().enumerate() {
        let (a, b) = (frames.frame_at(segment.start), frames.frame_at(segment.end));
        if b <= a {
            continue;
        }
        let speech = speech_mask(frames, a, b);
        let min_run = (min_pause * FRAME_RATE).round().max(1.0) as usize;
        // Pieces of speech separated by long enough silences, in frames.
        let mut pieces: Vec<(usize, usize)> = Vec::new();
        let mut piece_start: Option<usize> = None;
        let mut last_speech = a;
        for (offset, &is_speech) in speech.iter().enumerate() {
            let t = a + offset;
            if is_speech {
                match piece_start {
                    None => piece_start = Some(t),
                    Some(s) if t - last_speech > min_run => {
                        pieces.push((s, last_speech + 1));
                        piece_start = Some(t);
                    }
                    Some(_) => {}
                }
                last_speech = t;
            }
        }
        if let Some(s) = piece_start {
            pieces.push((s, last_speech + 1));
        }
        if pieces.is_empty() {
            pieces.push((a, b));
        }
        // Short pieces join the neighbour across the shorter pause.
        let min_frames = (min_unit * FRAME_RATE) as usize;
        while pieces.len() > 1 {
            let Some(i) = pieces.iter().position(|p| p.1 - p.0 < min_frames) else {
                break;
            };
            let join_previous = if i == 0 {
                false
            } else if i == pieces.len() - 1 {
                true
            } else {
                pieces[i].0 - pieces[i - 1].1 <= pieces[i + 1].0 - pieces[i].1
            };
            if join_previous {
                pieces[i - 1].1 = pieces[i].1;
            } else {
                pieces[i + 1].0 = pieces[i].0;
            }
            pieces.remove(i);
        }
        // The first and last piece reach the segment's ends.
        let n = pieces.len();
        for (k, &(s, e)) in pieces.iter().enumerate() {
            let start = if k == 0 {
                segment.start
            } else {
                s as f64 / FRAME_RATE
            };
            let end = if k + 1 == n {
                segment.end
            } else {
                e as f64 / FRAME_RATE
            };
            units.push(Unit {
                segment: index,
                start,
                end,
            });
        }
    }
    units
}

/// Which frames of `a..b` are speech: above the recording's silence level
/// and within 30 dB of the stretch's loud frames.
fn speech_mask(frames: &Frames, a: usize, b: usize) -> Vec<bool> {
    let mut sorted: Vec<f32> = frames.energy[a..b].to_vec();
    sorted.sort_by(f32::total_cmp);
    let loud = sorted[(sorted.len() - 1) * 9 / 10];
    let threshold = frames.silence.max(loud - 30.0 * DB);
    frames.energy[a..b].iter().map(|&e| e > threshold).collect()
}

/// The classical embedding of one unit (see [`CLASSICAL_DIM`]).
pub fn classical_embedding(frames: &Frames, unit: &Unit) -> Vec<f32> {
    let (a, b) = (frames.frame_at(unit.start), frames.frame_at(unit.end));
    let mut out = vec![0f32; CLASSICAL_DIM];
    if b <= a {
        return out;
    }
    let speech = speech_mask(frames, a, b);
    let chosen: Vec<usize> = (a..b).filter(|&t| speech[t - a]).collect();
    let chosen = if chosen.is_empty() {
        (a..b).collect()
    } else {
        chosen
    };
    let n = chosen.len() as f32;
    for &t in &chosen {
        for (k, c) in frames.ceps(t).iter().enumerate() {
            out[k] += c / n;
        }
    }
    for &t in &chosen {
        for (k, c) in frames.ceps(t).iter().enumerate() {
            out[N_CEPS + k] += (c - out[k]).powi(2) / n;
        }
    }
    for v in &mut out[N_CEPS..2 * N_CEPS] {
        *v = v.sqrt();
    }
    let mut pitch: Vec<f32> = chosen
        .iter()
        .map(|&t| frames.f0[t])
        .filter(|&f| f > 0.0)
        .map(f32::ln)
        .collect();
    let base = 2 * N_CEPS;
    out[base + 3] = pitch.len() as f32 / n;
    if !pitch.is_empty() {
        pitch.sort_by(f32::total_cmp);
        let m = pitch.len();
        let mean = pitch.iter().sum::<f32>() / m as f32;
        out[base] = pitch[m / 2];
        out[base + 1] = mean;
        out[base + 2] = pitch[(m * 9) / 10] - pitch[m / 10];
    } else {
        out[base] = f32::NAN;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::speakers::features::HOP;

    #[test]
    fn cuts_a_segment_at_a_long_pause() {
        // 1.5 s tone, 0.8 s silence, 1.5 s tone.
        let sr = 16000usize;
        let mut samples = Vec::new();
        for i in 0..(sr * 3 / 2) {
            samples.push((i as f32 * 0.05).sin() * 0.3);
        }
        samples.extend(std::iter::repeat_n(0.0, sr * 8 / 10));
        for i in 0..(sr * 3 / 2) {
            samples.push((i as f32 * 0.08).sin() * 0.3);
        }
        samples.extend(std::iter::repeat_n(0.0, sr));
        let samples: Vec<i16> = samples.into_iter().map(crate::types::sample_i16).collect();
        let frames = Frames::analyse(&samples, |_, _| {});
        let segment: Segment = serde_json::from_value(serde_json::json!({
            "start": 0.0,
            "end": samples.len() as f64 / sr as f64,
            "text": "あ",
            "confidence": 1.0,
        }))
        .unwrap();
        let units = cut(&[segment], &frames, 0.5, 0.8);
        assert_eq!(units.len(), 2, "{units:?}");
        assert!((units[1].start - 2.3).abs() < 2.0 * HOP as f64 / sr as f64);
    }
}
