//! Voice activity detection with whisper.cpp's Silero model: which stretches
//! of the recording are speech. Non-speech is never sent to Whisper.

use std::path::Path;

use whisper_rs::{WhisperVadContext, WhisperVadContextParams, WhisperVadParams};

use super::TranscribeError;
use crate::types::{Audio, Span};

/// Speech probability above which a frame counts as speech.
const THRESHOLD: f32 = 0.5;
/// Silence shorter than this does not end a stretch of speech (short
/// pauses between sentences are where windows may be cut).
const MIN_SILENCE_MS: i32 = 100;
/// Shorter stretches of speech are ignored.
const MIN_SPEECH_MS: i32 = 250;
/// Kept around each stretch of speech.
const PAD_MS: i32 = 100;

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

    /// Stretches of speech in `audio`, in order, in the recording's timeline.
    pub fn speech(&mut self, audio: &Audio) -> Result<Vec<Span>, TranscribeError> {
        let mut params = WhisperVadParams::new();
        params.set_threshold(THRESHOLD);
        params.set_min_silence_duration(MIN_SILENCE_MS);
        params.set_min_speech_duration(MIN_SPEECH_MS);
        params.set_speech_pad(PAD_MS);
        let segments = self
            .context
            .segments_from_samples(params, &audio.samples)
            .map_err(TranscribeError::Whisper)?;
        // whisper.cpp reports VAD times in centiseconds.
        let duration = audio.duration();
        Ok(segments
            .map(|s| Span {
                start: (s.start as f64 / 100.0).clamp(0.0, duration),
                end: (s.end as f64 / 100.0).clamp(0.0, duration),
            })
            .filter(|s| s.duration() > 0.0)
            .collect())
    }
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
