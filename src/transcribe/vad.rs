//! Voice activity detection with whisper.cpp's Silero model: which stretches
//! of the recording are speech. Non-speech is never sent to Whisper.
//!
//! whisper.cpp reads its input in place (`whisper_vad_detect_speech`: one
//! speech probability per 512-sample frame, the model's LSTM state carried
//! from frame to frame and cleared at each call), but it wants f32 and the
//! recording is 16-bit (3 h as f32 would be 691 MB): the probabilities are
//! found over pieces of 30 minutes ([`PIECE_FRAMES`], 115 MB as f32, less
//! than the second whisper.cpp state that decoding holds later), each read
//! from [`PRE_ROLL_FRAMES`] (131 s) before its start, and the spans are made
//! from all the probabilities at once ([`spans_from_probabilities`],
//! whisper.cpp's `whisper_vad_segments_from_probs` in Rust, which gives its
//! spans exactly). A recording of up to 30 minutes is one piece: its spans
//! are those of one call. After a cut, the LSTM state differs a little from
//! one call's, for minutes on noisy audio (probabilities 1e-3 apart after
//! the pre-roll): measured with a cut every minute, the clean samples' spans
//! were the same and 2 of the noisy sample's 228 span ends moved by one
//! frame (32 ms, inside the 0.2 s padding of every window).

use std::path::Path;

use whisper_rs::{WhisperVadContext, WhisperVadContextParams};

use super::TranscribeError;
use crate::types::{sample_f32, Audio, Span};

/// Speech probability above which a frame counts as speech.
const THRESHOLD: f32 = 0.5;
/// Silence shorter than this does not end a stretch of speech (short
/// pauses between sentences are where windows may be cut).
const MIN_SILENCE_MS: i64 = 100;
/// Shorter stretches of speech are ignored.
const MIN_SPEECH_MS: i64 = 250;
/// Kept around each stretch of speech.
const PAD_MS: i64 = 100;
/// Stretches closer than this are joined (whisper.cpp's fixed 200 ms).
const MERGE_GAP_MS: i64 = 200;

/// Samples per speech probability: the Silero model's window at 16 kHz.
pub const FRAME: usize = 512;
/// Frames converted to f32 and read in one call: 30 minutes (115 MB).
const PIECE_FRAMES: usize = 56_250;
/// Frames read before a piece (and not kept) so that the model's state is
/// close to what one call would have there: 131 s. (With 33 s, 3 of the
/// noisy sample's spans ended a frame apart with one cut, 27 with a cut
/// every minute.)
const PRE_ROLL_FRAMES: usize = 4_096;

/// A loaded Silero VAD model (one per thread: finding speech needs `&mut`).
pub struct Vad {
    context: WhisperVadContext,
}

impl Vad {
    /// Loads whisper.cpp's ggml form of the Silero VAD model.
    pub fn load(model: &Path) -> Result<Vad, TranscribeError> {
        let mut params = WhisperVadContextParams::new();
        params.set_n_threads(1);
        let context =
            WhisperVadContext::new(&model.to_string_lossy(), params).map_err(|source| {
                TranscribeError::LoadModel {
                    path: model.to_path_buf(),
                    source,
                }
            })?;
        Ok(Vad { context })
    }

    /// Stretches of speech in `samples` (16 kHz mono), in order, in seconds
    /// from `samples[0]`.
    pub fn speech(&mut self, samples: &[i16]) -> Result<Vec<Span>, TranscribeError> {
        self.speech_in_pieces(samples, PIECE_FRAMES)
    }

    /// [`Vad::speech`] with the probabilities found `piece_frames` frames
    /// of [`FRAME`] samples at a time (tests cut shorter pieces than the
    /// 30 minutes of [`Vad::speech`]).
    pub fn speech_in_pieces(
        &mut self,
        samples: &[i16],
        piece_frames: usize,
    ) -> Result<Vec<Span>, TranscribeError> {
        let frames = samples.len().div_ceil(FRAME);
        let mut probabilities = Vec::with_capacity(frames);
        let mut piece = Vec::new();
        while probabilities.len() < frames {
            let first = probabilities.len();
            let from = first.saturating_sub(PRE_ROLL_FRAMES);
            let to = (first + piece_frames.max(1)).min(frames);
            piece.clear();
            piece.extend(
                samples[from * FRAME..(to * FRAME).min(samples.len())]
                    .iter()
                    .map(|&s| sample_f32(s)),
            );
            self.context.detect_speech(&piece)?;
            let found = self.context.probabilities();
            if found.len() != to - from {
                return Err(TranscribeError::VadFrames {
                    samples: piece.len(),
                    probabilities: found.len(),
                });
            }
            probabilities.extend_from_slice(&found[first - from..]);
        }
        let duration = samples.len() as f64 / Audio::SAMPLE_RATE as f64;
        Ok(spans_from_probabilities(&probabilities)
            .into_iter()
            .map(|s| Span {
                start: s.start.clamp(0.0, duration),
                end: s.end.clamp(0.0, duration),
            })
            .filter(|s| s.duration() > 0.0)
            .collect())
    }
}

/// Stretches of speech from the speech probability of each [`FRAME`] of a
/// recording, as whisper.cpp's `whisper_vad_segments_from_probs` makes them
/// with our parameters (threshold 0.5, ends below 0.35; speech of at least
/// 250 ms; silences from 100 ms; 100 ms padding; stretches under 200 ms
/// apart joined), times rounded to centiseconds as it does. Its split of
/// speech longer than `max_speech_duration_s` is left out: unset, as here,
/// it splits only after 2^30 samples (18.6 hours) without a pause.
pub fn spans_from_probabilities(probabilities: &[f32]) -> Vec<Span> {
    let rate = i64::from(Audio::SAMPLE_RATE);
    let frame = FRAME as i64;
    let min_silence = rate * MIN_SILENCE_MS / 1000;
    let min_speech = rate * MIN_SPEECH_MS / 1000;
    let pad = rate * PAD_MS / 1000;
    let merge_gap = rate * MERGE_GAP_MS / 1000;
    let length = probabilities.len() as i64 * frame;
    let below = (THRESHOLD - 0.15).max(0.01);

    // (start, end) in samples. `silence_from` 0 is "none", as in whisper.cpp.
    let mut found: Vec<(i64, i64)> = Vec::new();
    let mut in_speech = false;
    let mut start = 0;
    let mut silence_from = 0;
    for (i, &p) in probabilities.iter().enumerate() {
        let at = i as i64 * frame;
        if p >= THRESHOLD {
            silence_from = 0;
            if !in_speech {
                in_speech = true;
                start = at;
                continue;
            }
        }
        if p < below && in_speech {
            if silence_from == 0 {
                silence_from = at;
            }
            if at - silence_from >= min_silence {
                if silence_from - start > min_speech {
                    found.push((start, silence_from));
                }
                silence_from = 0;
                in_speech = false;
            }
        }
    }
    if in_speech && length - start > min_speech {
        found.push((start, length));
    }

    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(found.len());
    for (start, end) in found {
        match merged.last_mut() {
            Some(last) if start - last.1 < merge_gap => last.1 = end,
            _ => merged.push((start, end)),
        }
    }
    merged.retain(|(start, end)| end - start >= min_speech);

    // Padding, each start and end once, in whisper.cpp's order.
    if let Some(first) = merged.first_mut() {
        first.0 = (first.0 - pad).max(0);
    }
    for i in 0..merged.len() {
        match merged.get(i + 1).map(|next| next.0 - merged[i].1) {
            Some(silence) if silence < 2 * pad => {
                merged[i].1 += silence / 2;
                merged[i + 1].0 = (merged[i + 1].0 - silence / 2).max(0);
            }
            Some(_) => {
                merged[i].1 = (merged[i].1 + pad).min(length);
                merged[i + 1].0 = (merged[i + 1].0 - pad).max(0);
            }
            None => merged[i].1 = (merged[i].1 + pad).min(length),
        }
    }
    let seconds = |samples: i64| {
        let centiseconds = (samples as f64 / rate as f64 * 100.0 + 0.5) as i64;
        centiseconds as f64 / 100.0
    };
    merged
        .into_iter()
        .map(|(start, end)| Span {
            start: seconds(start),
            end: seconds(end),
        })
        .collect()
}

/// Groups speech spans into windows Whisper decodes in one pass: spans are
/// joined while the window stays within `max_len` seconds; a pause longer
/// than `max_gap` always starts a new window, so no window (and so no
/// segment) ever spans a long silence.
pub fn windows(speech: &[Span], max_len: f64, max_gap: f64) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for span in speech {
        match out.last_mut() {
            Some(w) if span.start - w.end <= max_gap && span.end - w.start <= max_len => {
                w.end = span.end
            }
            _ => {
                // A single span longer than max_len is split evenly.
                let pieces = (span.duration() / max_len).ceil().max(1.0);
                let step = span.duration() / pieces;
                for k in 0..pieces as usize {
                    let start = span.start + k as f64 * step;
                    out.push(Span {
                        start,
                        end: (start + step).min(span.end),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: f64, end: f64) -> Span {
        Span { start, end }
    }

    /// Probabilities: `(frames, p)` runs of frames of 512 samples (32 ms).
    fn probabilities(runs: &[(usize, f32)]) -> Vec<f32> {
        runs.iter()
            .flat_map(|&(n, p)| std::iter::repeat_n(p, n))
            .collect()
    }

    #[test]
    fn spans_are_made_from_probabilities_as_whisper_cpp_makes_them() {
        // Speech from frame 10 (5120 samples) to 30, a frame at 0.4 inside
        // it (between the two thresholds: still speech); it ends at the
        // first frame under 0.35 once 100 ms of them followed; padded by
        // 100 ms (1600 samples) each side: 3520..16960 samples.
        let one = probabilities(&[(10, 0.0), (12, 0.9), (1, 0.4), (7, 0.9), (10, 0.1)]);
        assert_eq!(spans_from_probabilities(&one), vec![span(0.22, 1.06)]);
        // Two stretches 160 ms apart are joined; a 64 ms blip is dropped;
        // speech that runs to the end ends there (not padded past it).
        let two = probabilities(&[
            (5, 0.0),
            (10, 0.8),
            (5, 0.0),
            (10, 0.8),
            (10, 0.0),
            (2, 0.9),
            (8, 0.0),
            (15, 0.7),
        ]);
        assert_eq!(
            spans_from_probabilities(&two),
            vec![span(0.06, 1.06), span(1.5, 2.08)]
        );
        assert!(spans_from_probabilities(&[]).is_empty());
        assert!(spans_from_probabilities(&probabilities(&[(100, 0.3)])).is_empty());
    }

    #[test]
    fn joins_close_speech_up_to_the_window_length() {
        let speech = [
            span(0.0, 5.0),
            span(5.5, 12.0),
            span(12.3, 26.0),
            span(26.5, 31.0),
        ];
        let w = windows(&speech, 28.0, 2.0);
        assert_eq!(w, vec![span(0.0, 26.0), span(26.5, 31.0)]);
    }

    #[test]
    fn a_long_pause_always_splits() {
        let speech = [span(0.0, 3.0), span(45.0, 48.0)];
        assert_eq!(windows(&speech, 28.0, 2.0).len(), 2);
    }

    #[test]
    fn an_overlong_span_is_cut_into_equal_windows() {
        let w = windows(&[span(10.0, 70.0)], 28.0, 2.0);
        assert_eq!(w.len(), 3);
        assert!((w[0].end - 30.0).abs() < 1e-9 && (w[2].end - 70.0).abs() < 1e-9);
    }
}
