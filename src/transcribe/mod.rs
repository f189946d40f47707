//! Speech recognition with whisper.cpp (through whisper-rs): [`Audio`] in,
//! [`Transcription`] out. Japanese is fixed (no per-window language
//! detection); the meeting's vocabulary is the initial prompt.
//!
//! With a VAD model, only speech is decoded: the Silero VAD finds speech
//! spans, [`vad::windows`] groups them into windows of at most 28 s split at
//! long pauses, and each window is decoded on its own, its timestamps moved
//! back into the recording's timeline. [`guards`] then cuts repetition loops,
//! drops silence phrases over non-speech and flags low confidence.
//!
//! Invariant: only this module touches whisper-rs.

pub mod guards;
pub mod vad;

use std::path::{Path, PathBuf};

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use crate::types::{Audio, Dropped, Segment, Span};
pub use guards::GuardSettings;
pub use vad::Vad;

#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error("{}: whisper.cpp could not load this model ({source}); is it a complete ggml file?", path.display())]
    LoadModel {
        path: PathBuf,
        source: whisper_rs::WhisperError,
    },
    #[error("recognition failed: {0}")]
    Whisper(#[from] whisper_rs::WhisperError),
}

/// Progress of a transcription, in seconds of speech decoded.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: f64,
    pub total: f64,
}

/// The result of [`Transcriber::transcribe`].
#[derive(Debug, Clone)]
pub struct Transcription {
    pub segments: Vec<Segment>,
    /// Speech spans found by the VAD (the whole recording without VAD).
    pub speech: Vec<Span>,
    /// Recognised text the guards removed, with the reason.
    pub dropped: Vec<Dropped>,
}

/// Longest window decoded in one pass (Whisper's window is 30 s).
const WINDOW_SECONDS: f64 = 28.0;
/// A pause longer than this always ends a window.
const SPLIT_PAUSE_SECONDS: f64 = 2.0;
/// Silence kept around each window so word edges are not clipped.
const WINDOW_PAD_SECONDS: f64 = 0.2;

/// Builds a [`Transcriber`].
#[derive(Debug, Clone)]
pub struct TranscriberBuilder {
    model: PathBuf,
    vad_model: Option<PathBuf>,
    beam_size: u32,
    threads: u32,
    prompt: Option<String>,
    guards: GuardSettings,
}

impl TranscriberBuilder {
    /// Beam width; 1 means greedy decoding. Default 5: greedy measured
    /// worse on Japanese meeting speech and once dropped a whole sentence.
    pub fn beam_size(mut self, beam_size: u32) -> Self {
        self.beam_size = beam_size.max(1);
        self
    }

    /// Threads for whisper.cpp. Default: all cores.
    pub fn threads(mut self, threads: u32) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Silero VAD model (ggml); without one the whole recording is decoded.
    pub fn vad_model(mut self, path: Option<&Path>) -> Self {
        self.vad_model = path.map(Path::to_path_buf);
        self
    }

    /// Words the meeting uses (its glossary, titles, agenda), given to
    /// Whisper as the initial prompt.
    pub fn vocabulary(mut self, terms: &[String]) -> Self {
        self.prompt = (!terms.is_empty()).then(|| terms.join("、"));
        self
    }

    pub fn guards(mut self, guards: GuardSettings) -> Self {
        self.guards = guards;
        self
    }

    pub fn build(self) -> Result<Transcriber, TranscribeError> {
        whisper_rs::install_logging_hooks();
        let path = self.model.to_string_lossy().into_owned();
        let context = WhisperContext::new_with_params(&path, WhisperContextParameters::default())
            .map_err(|source| TranscribeError::LoadModel {
            path: self.model.clone(),
            source,
        })?;
        let vad = match &self.vad_model {
            Some(path) => Some(Vad::builder(path).build()?),
            None => None,
        };
        Ok(Transcriber {
            context,
            vad,
            settings: self,
        })
    }
}

/// A loaded Whisper model (and VAD model) with decoding settings.
pub struct Transcriber {
    context: WhisperContext,
    vad: Option<Vad>,
    settings: TranscriberBuilder,
}

impl Transcriber {
    pub fn builder(model: &Path) -> TranscriberBuilder {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        TranscriberBuilder {
            model: model.to_path_buf(),
            vad_model: None,
            beam_size: 5,
            threads,
            prompt: None,
            guards: GuardSettings::default(),
        }
    }

    /// Recognises `audio`, calling `on_progress` after each window.
    pub fn transcribe(
        &mut self,
        audio: &Audio,
        mut on_progress: impl FnMut(Progress),
    ) -> Result<Transcription, TranscribeError> {
        let whole = Span {
            start: 0.0,
            end: audio.duration(),
        };
        let (speech, windows) = match self.vad.as_mut() {
            Some(vad) => {
                let speech = vad.speech(audio)?;
                let windows = vad::windows(&speech, WINDOW_SECONDS, SPLIT_PAUSE_SECONDS);
                (speech, windows)
            }
            None => (vec![whole], vec![whole]),
        };
        let total: f64 = windows.iter().map(Span::duration).sum();
        let mut done = 0.0;
        on_progress(Progress { done, total });
        let mut segments = Vec::new();
        for window in &windows {
            let from = (window.start - WINDOW_PAD_SECONDS).max(0.0);
            let to = (window.end + WINDOW_PAD_SECONDS).min(whole.end);
            let rate = Audio::SAMPLE_RATE as f64;
            let samples = &audio.samples[(from * rate) as usize..(to * rate) as usize];
            for mut segment in self.decode(samples)? {
                segment.start = (segment.start + from).min(to);
                segment.end = (segment.end + from).min(to);
                segments.push(segment);
            }
            done += window.duration();
            on_progress(Progress { done, total });
        }
        let vad_spans = self.vad.is_some().then_some(speech.as_slice());
        let (segments, dropped) = guards::guard(segments, vad_spans, self.settings.guards);
        Ok(Transcription {
            segments,
            speech,
            dropped,
        })
    }

    /// Decodes one stretch of samples; times relative to its start.
    fn decode(&self, samples: &[f32]) -> Result<Vec<Segment>, TranscribeError> {
        let s = &self.settings;
        let strategy = if s.beam_size > 1 {
            SamplingStrategy::BeamSearch {
                beam_size: s.beam_size as i32,
                patience: -1.0,
            }
        } else {
            SamplingStrategy::Greedy { best_of: 1 }
        };
        let mut params = FullParams::new(strategy);
        params.set_language(Some("ja"));
        params.set_detect_language(false);
        params.set_n_threads(s.threads as i32);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        if let Some(prompt) = &s.prompt {
            params.set_initial_prompt(prompt);
        }
        let mut state = self.context.create_state()?;
        state.full(params, samples)?;
        let eot = self.context.token_eot();
        let mut segments = Vec::new();
        for segment in state.as_iter() {
            let text = segment.to_str_lossy()?.trim().to_string();
            if text.is_empty() {
                continue;
            }
            let probabilities: Vec<f32> = (0..segment.n_tokens())
                .filter_map(|i| segment.get_token(i))
                .filter(|t| t.token_id() < eot)
                .map(|t| t.token_probability())
                .collect();
            let confidence = if probabilities.is_empty() {
                0.0
            } else {
                probabilities.iter().sum::<f32>() / probabilities.len() as f32
            };
            segments.push(Segment {
                start: segment.start_timestamp() as f64 / 100.0,
                end: segment.end_timestamp() as f64 / 100.0,
                text,
                confidence,
                flags: Vec::new(),
            });
        }
        Ok(segments)
    }
}
