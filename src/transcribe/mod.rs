//! Speech recognition with whisper.cpp (through whisper-rs): [`Audio`] in,
//! [`Transcription`] out. Japanese is fixed (no per-window language
//! detection); the meeting's vocabulary is the initial prompt, and each
//! later window is prompted with the text before it, as Whisper's own
//! long-form decoding does.
//!
//! With a VAD model, only speech is decoded: the Silero VAD finds speech
//! spans, [`vad::windows`] groups them into windows of at most 28 s split at
//! long pauses, and each window is decoded on its own, its timestamps moved
//! back into the recording's timeline. [`guards`] then cuts repetition loops,
//! drops silence phrases over non-speech and flags low confidence.
//!
//! Invariant: only this module touches whisper-rs.

pub mod guards;
pub mod split;
pub mod vad;

use std::path::{Path, PathBuf};

use whisper_rs::{
    DtwMode, DtwModelPreset, DtwParameters, FullParams, SamplingStrategy, WhisperContext,
    WhisperContextParameters,
};

use crate::model::HParams;
use crate::types::{Audio, Dropped, Segment, Span};
pub use guards::GuardSettings;
use split::DecodedToken;
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
const WINDOW_SECONDS: f64 = 28.5;
/// A pause longer than this always ends a window.
const SPLIT_PAUSE_SECONDS: f64 = 2.0;
/// Silence kept around each window so word edges are not clipped.
const WINDOW_PAD_SECONDS: f64 = 0.2;
/// Whisper reads at most half its 448-token text context as prompt, one of
/// them the start-of-previous marker.
const PROMPT_BUDGET: usize = 223;

/// Default tokens of previous text in each window's prompt (measured on
/// the 12.5-minute sample, see README's benchmark).
const DEFAULT_CONTEXT_TOKENS: usize = PROMPT_BUDGET;

/// The vocabulary as prompt tokens, one entry per term, each after a
/// 「、」 separator except the first.
fn vocabulary_tokens(
    context: &WhisperContext,
    terms: &[String],
) -> Result<Vec<Vec<i32>>, TranscribeError> {
    terms
        .iter()
        .enumerate()
        .map(|(i, term)| {
            let piece = if i == 0 {
                term.clone()
            } else {
                format!("、{term}")
            };
            Ok(context.tokenize(&piece, 4 * piece.len() + 8)?)
        })
        .collect()
}

/// Builds a [`Transcriber`].
#[derive(Debug, Clone)]
pub struct TranscriberBuilder {
    model: PathBuf,
    vad_model: Option<PathBuf>,
    beam_size: u32,
    threads: u32,
    vocabulary: Vec<String>,
    context_tokens: usize,
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

    /// Words the meeting uses (its glossary, titles, agenda), most important
    /// first: the initial prompt (the first window's), cut to whole terms
    /// that fit Whisper's prompt budget.
    pub fn vocabulary(mut self, terms: &[String]) -> Self {
        self.vocabulary = terms.to_vec();
        self
    }

    /// At most how many tokens of the previous window's text make each
    /// later window's prompt (0 = every window decoded on its own with the
    /// vocabulary as prompt). Default: Whisper's whole prompt budget.
    pub fn context_tokens(mut self, tokens: usize) -> Self {
        self.context_tokens = tokens.min(PROMPT_BUDGET);
        self
    }

    pub fn guards(mut self, guards: GuardSettings) -> Self {
        self.guards = guards;
        self
    }

    pub fn build(self) -> Result<Transcriber, TranscribeError> {
        whisper_rs::install_logging_hooks();
        let path = self.model.to_string_lossy().into_owned();
        let hparams = std::fs::File::open(&self.model)
            .and_then(HParams::read)
            .ok()
            .flatten();
        let mut params = WhisperContextParameters::default();
        params.dtw_parameters(DtwParameters {
            mode: dtw_mode(hparams.as_ref()),
            ..DtwParameters::default()
        });
        let context = WhisperContext::new_with_params(&path, params).map_err(|source| {
            TranscribeError::LoadModel {
                path: self.model.clone(),
                source,
            }
        })?;
        let vad = match &self.vad_model {
            Some(path) => Some(Vad::builder(path).build()?),
            None => None,
        };
        let vocabulary = vocabulary_tokens(&context, &self.vocabulary)?;
        Ok(Transcriber {
            context,
            vad,
            vocabulary,
            settings: self,
        })
    }
}

/// A loaded Whisper model (and VAD model) with decoding settings.
pub struct Transcriber {
    context: WhisperContext,
    vad: Option<Vad>,
    /// The vocabulary prompt, tokenized once, term by term.
    vocabulary: Vec<Vec<i32>>,
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
            vocabulary: Vec::new(),
            context_tokens: DEFAULT_CONTEXT_TOKENS,
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
        let mut segments: Vec<Segment> = Vec::new();
        let mut previous: Vec<i32> = Vec::new();
        for window in &windows {
            let from = (window.start - WINDOW_PAD_SECONDS).max(0.0);
            let to = (window.end + WINDOW_PAD_SECONDS).min(whole.end);
            let rate = Audio::SAMPLE_RATE as f64;
            let samples = &audio.samples[(from * rate) as usize..(to * rate) as usize];
            let silences = silences_within(&speech, from, to);
            let (decoded, tokens) = self.decode(samples, &previous, &silences)?;
            // A window decoded without punctuation would teach the next one
            // to write none: its prompt gets the text with sentence ends.
            if split::unpunctuated(&decoded) {
                let text = split::punctuated_text(&decoded);
                previous.extend(self.context.tokenize(&text, 4 * text.len() + 8)?);
            } else {
                previous.extend(tokens);
            }
            previous.drain(..previous.len().saturating_sub(PROMPT_BUDGET));
            for mut segment in decoded {
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

    /// The prompt of one window: the last `context_tokens` text tokens the
    /// windows before it decoded, or, for the first window, the vocabulary (whole terms in order, as many as fit).
    /// Measured on the 12.5-minute sample: the term list in every window's
    /// prompt raised CER from 13.4 % to 20.4 %; the previous text alone gave
    /// 13.4 %, no prompt at all 16.6 %; the previous tokens with their
    /// timestamp tokens (as Whisper's own long-form decoding keeps them)
    /// 18.1 %. With text alone, Whisper rarely ends a segment inside a
    /// window: [`split::split`] cuts them with token timestamps and pauses.
    fn prompt(&self, previous: &[i32]) -> Vec<i32> {
        let n = self.settings.context_tokens;
        if n > 0 && !previous.is_empty() {
            return previous[previous.len().saturating_sub(n)..].to_vec();
        }
        let mut prompt = Vec::new();
        for term in &self.vocabulary {
            if prompt.len() + term.len() > PROMPT_BUDGET {
                break;
            }
            prompt.extend_from_slice(term);
        }
        prompt
    }

    /// Decodes one stretch of samples; times relative to its start. Also
    /// returns the tokens decoded (text and timestamps), the next window's
    /// context.
    fn decode(
        &self,
        samples: &[f32],
        previous: &[i32],
        silences: &[Span],
    ) -> Result<(Vec<Segment>, Vec<i32>), TranscribeError> {
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
        params.set_token_timestamps(true);
        let prompt = self.prompt(previous);
        if !prompt.is_empty() {
            params.set_tokens(&prompt);
        }
        let mut state = self.context.create_state()?;
        state.full(params, samples)?;
        let eot = self.context.token_eot();
        let mut segments = Vec::new();
        let mut tokens = Vec::new();
        for segment in state.as_iter() {
            let (start, end) = (segment.start_timestamp(), segment.end_timestamp());
            let mut decoded = Vec::new();
            for token in (0..segment.n_tokens()).filter_map(|i| segment.get_token(i)) {
                let data = token.token_data();
                if data.id >= eot {
                    continue;
                }
                tokens.push(data.id);
                decoded.push(DecodedToken {
                    bytes: token.to_bytes()?.to_vec(),
                    probability: data.p,
                    t0: data.t0,
                    t1: data.t1,
                    t_dtw: data.t_dtw,
                });
            }
            segments.extend(split::split(&decoded, start, end, silences));
        }
        Ok((segments, tokens))
    }
}

/// Which attention heads time tokens (DTW timestamps): whisper.cpp's
/// preset for the model's shape, or the top half of the text layers for a
/// shape it has no preset for.
fn dtw_mode(hparams: Option<&HParams>) -> DtwMode<'static> {
    let Some(h) = hparams else {
        return DtwMode::TopMost { n_top: 2 };
    };
    let english = h.n_vocab < 51865;
    let preset = match (h.size_name(), english) {
        ("tiny", false) => Some(DtwModelPreset::Tiny),
        ("tiny", true) => Some(DtwModelPreset::TinyEn),
        ("base", false) => Some(DtwModelPreset::Base),
        ("base", true) => Some(DtwModelPreset::BaseEn),
        ("small", false) => Some(DtwModelPreset::Small),
        ("small", true) => Some(DtwModelPreset::SmallEn),
        ("medium", false) => Some(DtwModelPreset::Medium),
        ("medium", true) => Some(DtwModelPreset::MediumEn),
        ("large", _) if h.n_mels == 128 && h.n_text_layer == 4 => {
            Some(DtwModelPreset::LargeV3Turbo)
        }
        ("large", _) if h.n_mels == 128 => Some(DtwModelPreset::LargeV3),
        ("large", _) => Some(DtwModelPreset::LargeV2),
        _ => None,
    };
    match preset {
        Some(model_preset) => DtwMode::ModelPreset { model_preset },
        None => DtwMode::TopMost {
            n_top: (h.n_text_layer / 2).max(1),
        },
    }
}

/// The VAD's silences between speech spans inside `from..to` (seconds of
/// the recording), in seconds from `from`.
fn silences_within(speech: &[Span], from: f64, to: f64) -> Vec<Span> {
    speech
        .windows(2)
        .map(|w| Span {
            start: w[0].end,
            end: w[1].start,
        })
        .filter(|gap| gap.start >= from && gap.end <= to)
        .map(|gap| Span {
            start: gap.start - from,
            end: gap.end - from,
        })
        .collect()
}
