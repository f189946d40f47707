//! Speech recognition with whisper.cpp (through whisper-rs): [`Audio`] in,
//! [`Segment`]s out. Japanese is fixed; the meeting's vocabulary goes in as
//! the initial prompt.
//!
//! Invariant: only this module touches whisper-rs.

use std::path::{Path, PathBuf};

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use crate::types::{Audio, Segment};

#[derive(Debug, thiserror::Error)]
pub enum TranscribeError {
    #[error("{}: whisper.cpp could not load this model ({source}); is it a complete ggml Whisper file?", path.display())]
    LoadModel {
        path: PathBuf,
        source: whisper_rs::WhisperError,
    },
    #[error("recognition failed: {0}")]
    Whisper(#[from] whisper_rs::WhisperError),
}

/// Progress of a transcription, in percent of the audio.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub percent: u8,
}

/// Builds a [`Transcriber`].
#[derive(Debug, Clone)]
pub struct TranscriberBuilder {
    model: PathBuf,
    beam_size: u32,
    threads: u32,
    prompt: Option<String>,
}

impl TranscriberBuilder {
    /// Beam width; 1 means greedy decoding. Default 5 (greedy measured worse
    /// on Japanese meeting speech: it dropped whole sentences).
    pub fn beam_size(mut self, beam_size: u32) -> Self {
        self.beam_size = beam_size.max(1);
        self
    }

    /// Threads for whisper.cpp. Default: all cores.
    pub fn threads(mut self, threads: u32) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Words the meeting uses (its glossary, titles, agenda), given to
    /// Whisper as the initial prompt.
    pub fn vocabulary(mut self, terms: &[String]) -> Self {
        self.prompt = (!terms.is_empty()).then(|| terms.join("、"));
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
        Ok(Transcriber {
            context,
            settings: self,
        })
    }
}

/// A loaded Whisper model with its decoding settings.
pub struct Transcriber {
    context: WhisperContext,
    settings: TranscriberBuilder,
}

impl Transcriber {
    pub fn builder(model: &Path) -> TranscriberBuilder {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
        TranscriberBuilder {
            model: model.to_path_buf(),
            beam_size: 5,
            threads,
            prompt: None,
        }
    }

    /// Recognises `audio`, calling `on_progress` as whisper.cpp advances.
    pub fn transcribe(
        &self,
        audio: &Audio,
        on_progress: impl FnMut(Progress) + 'static,
    ) -> Result<Vec<Segment>, TranscribeError> {
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
        let mut on_progress = on_progress;
        params.set_progress_callback_safe(move |percent: i32| {
            on_progress(Progress {
                percent: percent.clamp(0, 100) as u8,
            })
        });

        let mut state = self.context.create_state()?;
        state.full(params, &audio.samples)?;
        let mut segments = Vec::new();
        for segment in state.as_iter() {
            let text = segment.to_str_lossy()?.trim().to_string();
            if text.is_empty() {
                continue;
            }
            let mut probability_sum = 0.0;
            let mut count = 0;
            for i in 0..segment.n_tokens() {
                if let Some(token) = segment.get_token(i) {
                    if token.token_id() < self.context.token_eot() {
                        probability_sum += token.token_probability();
                        count += 1;
                    }
                }
            }
            segments.push(Segment {
                start: segment.start_timestamp() as f64 / 100.0,
                end: segment.end_timestamp() as f64 / 100.0,
                text,
                confidence: if count > 0 {
                    probability_sum / count as f32
                } else {
                    0.0
                },
            });
        }
        Ok(segments)
    }
}
