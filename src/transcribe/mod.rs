//! Speech recognition with whisper.cpp (through whisper-rs): [`Audio`] in,
//! [`Transcription`] out. Japanese is fixed (no per-window language
//! detection); the meeting's vocabulary is the initial prompt, and each
//! later window is prompted with the text before it, as Whisper's own
//! long-form decoding does.
//!
//! Three types, from shared to per recording:
//! - [`WhisperModel`]: the weights, loaded once ([`WhisperModel::load`]) and
//!   shared (cheap to clone, `Send + Sync`) by every recording decoded with
//!   them, in as many threads as wanted. Where whisper.cpp runs (CPU threads,
//!   GPU) is decided here once, by the [`Device`] given at load.
//! - [`Session`]: one recording being decoded ([`WhisperModel::session`]).
//!   It carries from window to window the previous text (the next prompt),
//!   the punctuation-style repair and the guards. Windows are fed one at a time
//!   ([`Session::push`], a [`Window`] of 16 kHz samples with its start in the
//!   recording) and each returns its own final segments, so a live recording
//!   can push a window as it closes; [`Session::finish`] gives the
//!   [`Transcription`].
//! - [`Transcriber`]: a whole recording at once ([`WhisperModel::transcriber`],
//!   or [`Transcriber::builder`] with a model file it loads for itself):
//!   with a VAD model, only speech is decoded: the Silero VAD finds speech
//!   spans, [`vad::windows`] groups them into windows of at most 28.5 s split
//!   at long pauses, and each window is pushed to a [`Session`], its
//!   timestamps moved back into the recording's timeline. On the CPU with
//!   two threads or more, the windows are cut into two contiguous chains
//!   decoded at once, one session and thread each (`chains`: faster than
//!   one chain with every thread; recordings over an hour stay one chain
//!   to bound memory).
//!
//! A session decodes all its windows in one whisper.cpp state, made at its
//! first window. whisper.cpp as shipped would not allow it: beam search
//! draws candidates with each beam's random generator, and
//! `whisper_full_with_state` reseeded all of them but the first, which only
//! `whisper_init_state` seeds; a state used again gave different text (12 of
//! 43 segments on the sample meeting). The vendored whisper.cpp reseeds the
//! first too (vendor/README.md), so each window's text depends on the
//! windows before it only through the prompt, as with a fresh state; a
//! state per window had cost a 330 MB allocation touched anew each time.
//!
//! Inside a session, `split` cuts Whisper's segments into sentences and
//! `guards` cuts repetition loops, drops silence phrases over non-speech and
//! flags low confidence; `holes` finds speech Whisper skipped inside a
//! window, which is decoded again on its own.
//!
//! Invariant: only this module touches whisper-rs.

mod chains;
mod guards;
mod holes;
mod live;
mod split;
pub mod vad;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use whisper_rs::{
    DtwMode, DtwModelPreset, DtwParameters, FullParams, SamplingStrategy, WhisperContext,
    WhisperContextParameters, WhisperState,
};

use crate::model::HParams;
use crate::types::{samples_f32, Audio, Dropped, Flag, Segment, Span};
pub use live::LiveTranscriber;
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
    #[error("the VAD model gave {probabilities} speech probabilities for {samples} samples; a Silero model at 16 kHz gives one per {} samples", vad::FRAME)]
    VadFrames {
        samples: usize,
        probabilities: usize,
    },
    #[error("recognition stopped after {done:.0} of {total:.0} s of speech")]
    Stopped { done: f64, total: f64 },
}

/// Progress of a transcription, in seconds of speech decoded.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: f64,
    pub total: f64,
}

/// The result of [`Transcriber::transcribe`] and [`Session::finish`].
#[derive(Debug, Clone)]
pub struct Transcription {
    pub segments: Vec<Segment>,
    /// Speech spans found by the VAD (the windows themselves without VAD).
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
/// A hole decoded again whose no-speech probability is above this is
/// dropped (whisper.cpp's own no-speech threshold).
const MAX_NO_SPEECH: f32 = 0.6;
/// Beam width unless told otherwise: greedy decoding measured worse on
/// Japanese meeting speech and once dropped a whole sentence.
const DEFAULT_BEAM_SIZE: u32 = 5;

/// Where whisper.cpp runs, chosen once when a [`WhisperModel`] is loaded.
/// The default is the CPU with all cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Device {
    /// Threads whisper.cpp uses in each decode; `None`: all cores. Several
    /// recordings decoded at once each use this many.
    pub threads: Option<u32>,
    /// The GPU to run on through whisper.cpp's GPU backend; `None`: the CPU.
    /// whisper.cpp falls back to the CPU when whisper-rs was built without
    /// a GPU backend (its `cuda`, `vulkan`, `metal`, … features).
    pub gpu: Option<u32>,
}

impl Device {
    fn thread_count(&self) -> u32 {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32))
            .max(1)
    }
}

/// A loaded Whisper model, shared by every recording decoded with it.
/// Cloning shares the same weights; it is `Send + Sync`, so sessions in
/// several threads can decode with one model at once.
#[derive(Debug, Clone)]
pub struct WhisperModel {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    context: WhisperContext,
    path: PathBuf,
    device: Device,
    /// Threads per decode, resolved from `device`.
    threads: u32,
}

impl WhisperModel {
    /// Loads a ggml Whisper model to run on `device`. Token timestamps use
    /// whisper.cpp's alignment-head preset for the model's shape.
    pub fn load(path: &Path, device: Device) -> Result<WhisperModel, TranscribeError> {
        whisper_rs::install_logging_hooks();
        let hparams = std::fs::File::open(path)
            .and_then(HParams::read)
            .ok()
            .flatten();
        let mut params = WhisperContextParameters::default();
        params
            .use_gpu(device.gpu.is_some())
            .gpu_device(device.gpu.unwrap_or(0) as i32)
            .dtw_parameters(DtwParameters {
                mode: dtw_mode(hparams.as_ref()),
                ..DtwParameters::default()
            });
        let context = WhisperContext::new_with_params(path, params).map_err(|source| {
            TranscribeError::LoadModel {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok(WhisperModel {
            shared: Arc::new(Shared {
                context,
                path: path.to_path_buf(),
                device,
                threads: device.thread_count(),
            }),
        })
    }

    /// The file the model was loaded from.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Where the model runs.
    pub fn device(&self) -> Device {
        self.shared.device
    }

    /// Starts decoding one recording, window by window.
    pub fn session(&self, options: &DecodeOptions) -> Result<Session, TranscribeError> {
        self.session_with_threads(options, self.shared.threads)
    }

    /// [`WhisperModel::session`] decoding with `threads` threads (one
    /// chain of a recording decoded in several: see `chains`).
    fn session_with_threads(
        &self,
        options: &DecodeOptions,
        threads: u32,
    ) -> Result<Session, TranscribeError> {
        let context = &self.shared.context;
        Ok(Session {
            vocabulary: vocabulary_tokens(context, &options.vocabulary)?,
            beam_size: options.beam_size.max(1),
            threads,
            model: self.clone(),
            previous: Vec::new(),
            segments: Vec::new(),
            dropped: Vec::new(),
            speech: Vec::new(),
            state: None,
        })
    }

    /// A whole-recording transcriber with this model.
    pub fn transcriber(&self) -> TranscriberBuilder {
        TranscriberBuilder {
            model: self.clone(),
            vad_model: None,
            options: DecodeOptions::default(),
        }
    }
}

/// How one recording is decoded.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// Beam width; 1 means greedy decoding. Default 5.
    pub beam_size: u32,
    /// Words the meeting uses (its glossary, titles, agenda), most
    /// important first: the first window's prompt, cut to whole terms that
    /// fit Whisper's prompt budget.
    pub vocabulary: Vec<String>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            beam_size: DEFAULT_BEAM_SIZE,
            vocabulary: Vec::new(),
        }
    }
}

/// One stretch of a recording to decode.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Where `samples[0]` lies in the recording, in seconds.
    pub start: f64,
    /// 16 kHz mono samples (at most about 30 s: Whisper's window), read
    /// as f32 when the window is decoded.
    pub samples: &'a [i16],
    /// The VAD's speech spans in and around the window (recording
    /// timeline, in order), or `None` without VAD. Pauses between them cut
    /// segments and time them, and the guards drop silence phrases over
    /// what is not speech.
    pub speech: Option<&'a [Span]>,
}

/// One recording being decoded: what carries from one window to the next.
pub struct Session {
    model: WhisperModel,
    beam_size: u32,
    /// whisper.cpp threads for each window (the model's, unless this
    /// session is one of a recording's chains).
    threads: u32,
    /// The vocabulary prompt, tokenized term by term.
    vocabulary: Vec<Vec<i32>>,
    /// The last [`PROMPT_BUDGET`] text tokens decoded: the next prompt.
    previous: Vec<i32>,
    /// Segments kept so far (after the guards), in time order.
    segments: Vec<Segment>,
    dropped: Vec<Dropped>,
    /// Speech spans seen so far, in order.
    speech: Vec<Span>,
    /// The whisper.cpp state every window is decoded in, made at the first.
    state: Option<WhisperState>,
}

impl Session {
    /// Decodes the next window (windows come in time order) and returns its
    /// segments, in the recording's timeline. They are final: later windows
    /// never change them.
    pub fn push(&mut self, window: Window<'_>) -> Result<&[Segment], TranscribeError> {
        let end = window.start + window.samples.len() as f64 / Audio::SAMPLE_RATE as f64;
        self.push_until(window, end)
    }

    /// Everything decoded: the segments, speech spans and dropped text.
    pub fn finish(self) -> Transcription {
        Transcription {
            segments: self.segments,
            speech: self.speech,
            dropped: self.dropped,
        }
    }

    /// [`Session::push`] with the window's end given (segment times are
    /// clamped to it).
    fn push_until(&mut self, window: Window<'_>, end: f64) -> Result<&[Segment], TranscribeError> {
        let first = self.segments.len();
        let from = window.start;
        match window.speech {
            Some(spans) => spans.iter().for_each(|&s| note_speech(&mut self.speech, s)),
            None => note_speech(&mut self.speech, Span { start: from, end }),
        }
        for mut segment in self.decode_in_context(window, end, true)? {
            segment.start = (segment.start + from).min(end);
            segment.end = (segment.end + from).min(end);
            let (kept, dropped) = (&mut self.segments, &mut self.dropped);
            guards::guard_one(segment, window.speech, kept, dropped);
        }
        Ok(&self.segments[first..])
    }

    /// Decodes `window` for its text alone, as the next window's prompt:
    /// none of it is kept. A chain that starts inside a recording reads the
    /// window before its first this way (see `chains`).
    fn warm_up(&mut self, window: Window<'_>, end: f64) -> Result<(), TranscribeError> {
        self.decode_in_context(window, end, false).map(drop)
    }

    /// Decodes a window with the prompt of the windows before it and makes
    /// its text the next prompt; segment times are from the window's start.
    /// With `fill_holes`, speech Whisper skipped inside the window is
    /// decoded again on its own (`holes`).
    fn decode_in_context(
        &mut self,
        window: Window<'_>,
        end: f64,
        fill_holes: bool,
    ) -> Result<Vec<Segment>, TranscribeError> {
        if window.samples.is_empty() {
            return Ok(Vec::new());
        }
        let silences = window
            .speech
            .map(|spans| silences_within(spans, window.start, end))
            .unwrap_or_default();
        let first = self.decode(window.samples, &silences)?;
        let tokens = first.tokens;
        let mut decoded = first.segments;
        if let (Some(speech), true) = (window.speech, fill_holes) {
            let times: Vec<f64> = first.times.iter().map(|t| t + window.start).collect();
            // In the window's timeline, as its segments are.
            let found: Vec<Span> = holes::find(speech, window.start, end, &times)
                .iter()
                .map(|h| Span {
                    start: h.start - window.start,
                    end: h.end - window.start,
                })
                .collect();
            holes::clip(&mut decoded, &found);
            for &hole in &found {
                decoded.extend(self.decode_hole(&window, speech, hole, end)?);
            }
            decoded.sort_by(|a, b| a.start.total_cmp(&b.start));
        }
        // A window decoded without punctuation would teach the next one
        // to write none: its prompt gets the text with sentence ends.
        if split::unpunctuated(&decoded) {
            let text = split::punctuated_text(&decoded);
            let context = &self.model.shared.context;
            self.previous
                .extend(context.tokenize(&text, 4 * text.len() + 8)?);
        } else {
            self.previous.extend(tokens);
        }
        self.previous
            .drain(..self.previous.len().saturating_sub(PROMPT_BUDGET));
        Ok(decoded)
    }

    /// The prompt of the next window: the last text tokens the windows
    /// before it decoded, or, for the first window, the vocabulary (whole
    /// terms in order, as many as fit).
    /// Measured on the 12.5-minute sample: the term list in every window's
    /// prompt raised CER from 13.4 % to 20.4 %; the previous text alone gave
    /// 13.4 %, no prompt at all 16.6 %; the previous tokens with their
    /// timestamp tokens (as Whisper's own long-form decoding keeps them)
    /// 18.1 %. With text alone, Whisper rarely ends a segment inside a
    /// window: `split` cuts them with token timestamps and pauses.
    fn prompt(&self) -> Vec<i32> {
        if !self.previous.is_empty() {
            return self.previous.clone();
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

    /// Decodes the speech of `hole` (seconds from the window's start; the
    /// window ends at `end`, same timeline) alone, with the window's prompt
    /// and the VAD's `speech` (recording timeline) for its pauses; segments
    /// are timed from the window's start and flagged [`Flag::Redecoded`].
    /// What Whisper takes for no speech there is recorded as dropped.
    fn decode_hole(
        &mut self,
        window: &Window<'_>,
        speech: &[Span],
        hole: Span,
        end: f64,
    ) -> Result<Vec<Segment>, TranscribeError> {
        let (sub, sub_end) = padded_window(window.samples, &hole, end - window.start, None);
        let offset = sub.start;
        let silences = silences_within(speech, window.start + offset, window.start + sub_end);
        let again = self.decode(sub.samples, &silences)?;
        if again.no_speech > MAX_NO_SPEECH {
            for segment in again.segments {
                self.dropped.push(Dropped {
                    start: segment.start + offset + window.start,
                    end: segment.end + offset + window.start,
                    text: segment.text,
                    reason: format!(
                        "decoded again where the window's text skipped speech, but Whisper took it for no speech (p = {:.2})",
                        again.no_speech
                    ),
                });
            }
            return Ok(Vec::new());
        }
        Ok(again
            .segments
            .into_iter()
            .map(|mut segment| {
                segment.start += offset;
                segment.end += offset;
                segment.flags.push(Flag::Redecoded);
                segment
            })
            .collect())
    }

    /// Decodes one stretch of samples; times relative to its start.
    fn decode(&mut self, samples: &[i16], silences: &[Span]) -> Result<Decoded, TranscribeError> {
        let strategy = if self.beam_size > 1 {
            SamplingStrategy::BeamSearch {
                beam_size: self.beam_size as i32,
                patience: -1.0,
            }
        } else {
            SamplingStrategy::Greedy { best_of: 1 }
        };
        let mut params = FullParams::new(strategy);
        params.set_language(Some("ja"));
        params.set_detect_language(false);
        params.set_n_threads(self.threads as i32);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        params.set_token_timestamps(true);
        let prompt = self.prompt();
        if !prompt.is_empty() {
            params.set_tokens(&prompt);
        }
        let state = match &mut self.state {
            Some(state) => state,
            None => self.state.insert(self.model.shared.context.create_state()?),
        };
        state.full(params, &samples_f32(samples))?;
        let eot = self.model.shared.context.token_eot();
        let mut segments = Vec::new();
        let mut tokens = Vec::new();
        let mut times = Vec::new();
        let mut no_speech: f32 = 0.0;
        for segment in state.as_iter() {
            no_speech = no_speech.max(segment.no_speech_probability());
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
            times.extend(decoded.iter().map(|t| t.time() as f64 / 100.0));
            segments.extend(split::split(&decoded, start, end, silences));
        }
        Ok(Decoded {
            segments,
            tokens,
            times,
            no_speech,
        })
    }
}

/// One stretch decoded by [`Session::decode`].
struct Decoded {
    /// Sentence-sized segments, seconds from the stretch's start.
    segments: Vec<Segment>,
    /// The text tokens, the next window's context.
    tokens: Vec<i32>,
    /// When each text token is spoken, seconds from the stretch's start.
    times: Vec<f64>,
    /// Whisper's probability that the stretch holds no speech.
    no_speech: f32,
}

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

/// Builds a [`Transcriber`]: from a loaded model ([`WhisperModel::transcriber`],
/// `M` = [`WhisperModel`]) or from a model file loaded by `build`
/// ([`Transcriber::builder`], `M` = [`ModelFile`], the only form that takes
/// a [`Device`]).
#[derive(Debug, Clone)]
pub struct TranscriberBuilder<M = WhisperModel> {
    model: M,
    vad_model: Option<PathBuf>,
    options: DecodeOptions,
}

/// A model file to load, and where to run it ([`Transcriber::builder`]).
#[derive(Debug, Clone)]
pub struct ModelFile {
    path: PathBuf,
    device: Device,
}

impl<M> TranscriberBuilder<M> {
    /// Beam width; 1 means greedy decoding. Default 5.
    pub fn beam_size(mut self, beam_size: u32) -> Self {
        self.options.beam_size = beam_size.max(1);
        self
    }

    /// Silero VAD model (ggml); without one the whole recording is decoded.
    pub fn vad_model(mut self, path: Option<&Path>) -> Self {
        self.vad_model = path.map(Path::to_path_buf);
        self
    }

    /// The meeting's words, most important first ([`DecodeOptions::vocabulary`]).
    pub fn vocabulary(mut self, terms: &[String]) -> Self {
        self.options.vocabulary = terms.to_vec();
        self
    }

    fn with_model(self, model: WhisperModel) -> Result<Transcriber, TranscribeError> {
        let vad = self.vad_model.as_deref().map(Vad::load).transpose()?;
        Ok(Transcriber {
            model,
            vad,
            options: self.options,
        })
    }
}

impl TranscriberBuilder<WhisperModel> {
    /// Loads the VAD model, if any.
    pub fn build(self) -> Result<Transcriber, TranscribeError> {
        let model = self.model.clone();
        self.with_model(model)
    }
}

impl TranscriberBuilder<ModelFile> {
    /// Where the model will run (default: the CPU, all cores).
    pub fn device(mut self, device: Device) -> Self {
        self.model.device = device;
        self
    }

    /// Threads for whisper.cpp ([`Device::threads`]). Default: all cores.
    pub fn threads(mut self, threads: u32) -> Self {
        self.model.device.threads = Some(threads);
        self
    }

    /// Loads the model (see [`WhisperModel::load`]) and the VAD model.
    pub fn build(self) -> Result<Transcriber, TranscribeError> {
        let model = WhisperModel::load(&self.model.path, self.model.device)?;
        self.with_model(model)
    }
}

/// Whole recordings with a shared [`WhisperModel`] (and its own VAD model):
/// VAD, windows, then a [`Session`] over them.
pub struct Transcriber {
    model: WhisperModel,
    vad: Option<Vad>,
    options: DecodeOptions,
}

impl Transcriber {
    /// This transcriber for a recording that is still being made: see
    /// [`LiveTranscriber`].
    pub fn live(self) -> Result<LiveTranscriber, TranscribeError> {
        let session = self.model.session(&self.options)?;
        Ok(LiveTranscriber::new(session, self.vad))
    }

    /// A transcriber whose `build` loads the model at `model` for itself.
    /// To decode several recordings, load a [`WhisperModel`] once and use
    /// [`WhisperModel::transcriber`] (or sessions) instead.
    pub fn builder(model: &Path) -> TranscriberBuilder<ModelFile> {
        TranscriberBuilder {
            model: ModelFile {
                path: model.to_path_buf(),
                device: Device::default(),
            },
            vad_model: None,
            options: DecodeOptions::default(),
        }
    }

    /// Recognises `audio`, calling `on_progress` after each window.
    pub fn transcribe(
        &mut self,
        audio: &Audio,
        mut on_progress: impl FnMut(Progress),
    ) -> Result<Transcription, TranscribeError> {
        self.transcribe_until(audio, |p| {
            on_progress(p);
            ControlFlow::Continue(())
        })
    }

    /// [`Transcriber::transcribe`], stopped with [`TranscribeError::Stopped`]
    /// when `on_progress` says [`ControlFlow::Break`] (it is called before
    /// the first window and after each).
    pub fn transcribe_until(
        &mut self,
        audio: &Audio,
        mut on_progress: impl FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<Transcription, TranscribeError> {
        let whole = Span {
            start: 0.0,
            end: audio.duration(),
        };
        let (speech, windows) = match self.vad.as_mut() {
            Some(vad) => {
                let speech = vad.speech(&audio.samples)?;
                let windows = vad::windows(&speech, WINDOW_SECONDS, SPLIT_PAUSE_SECONDS);
                (Some(speech), windows)
            }
            None => (None, vec![whole]),
        };
        let total: f64 = windows.iter().map(Span::duration).sum();
        let mut done = 0.0;
        let stopped = |done| TranscribeError::Stopped { done, total };
        if on_progress(Progress { done, total }).is_break() {
            return Err(stopped(done));
        }
        let shared = &self.model.shared;
        let runs = chains::split(
            &windows,
            chains::chain_count(
                shared.threads,
                shared.device.gpu.is_some(),
                windows.len(),
                whole.end,
            ),
        );
        let threads = (shared.threads / runs.len() as u32).max(1);
        let sessions = runs
            .iter()
            .map(|_| self.model.session_with_threads(&self.options, threads))
            .collect::<Result<Vec<_>, _>>()?;
        let stop = AtomicBool::new(false);
        let chain = chains::Shared {
            audio,
            speech: speech.as_deref(),
            stop: &stop,
        };
        let (results, interrupted) = std::thread::scope(|scope| {
            let (sender, receiver) = mpsc::channel();
            let handles: Vec<_> = sessions
                .into_iter()
                .zip(&runs)
                .map(|(session, run)| {
                    let (sender, chain) = (sender.clone(), &chain);
                    let before = run.start.checked_sub(1).map(|i| &windows[i]);
                    let run = &windows[run.clone()];
                    scope.spawn(move || chains::decode_chain(session, before, run, chain, sender))
                })
                .collect();
            drop(sender);
            // Progress is reported here, on the caller's thread, as windows
            // end in any chain; the loop ends when every chain has.
            let mut interrupted = false;
            for seconds in receiver {
                done += seconds;
                if !interrupted && on_progress(Progress { done, total }).is_break() {
                    interrupted = true;
                    stop.store(true, Ordering::Relaxed);
                }
            }
            let results: Vec<_> = handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect();
            (results, interrupted)
        });
        let mut parts = Vec::with_capacity(results.len());
        for result in results {
            match result? {
                Some(part) => parts.push(part),
                None => return Err(stopped(done)),
            }
        }
        if interrupted {
            return Err(stopped(done));
        }
        let mut transcription = chains::join(parts);
        if let Some(speech) = speech {
            // The VAD's own list, as found (the sessions saw the same spans,
            // window by window, merged where they overlapped).
            transcription.speech = speech;
        }
        Ok(transcription)
    }
}

/// The window Whisper decodes for the speech of `span`: padded by
/// [`WINDOW_PAD_SECONDS`] on each side, cut at 0 and at `until` (the end of
/// the audio so far), with the VAD spans touching it; and its end.
fn padded_window<'a>(
    samples: &'a [i16],
    span: &Span,
    until: f64,
    speech: Option<&'a [Span]>,
) -> (Window<'a>, f64) {
    let rate = Audio::SAMPLE_RATE as f64;
    let from = (span.start - WINDOW_PAD_SECONDS).max(0.0);
    let to = (span.end + WINDOW_PAD_SECONDS).min(until);
    let last = ((to * rate) as usize).min(samples.len());
    let first = ((from * rate) as usize).min(last);
    let window = Window {
        start: from,
        samples: &samples[first..last],
        speech: speech.map(|s| spans_touching(s, from, to)),
    };
    (window, to)
}

/// Adds a speech span to those seen: one that overlaps or touches the last
/// is merged into it (windows overlap by their padding, so a span may come
/// twice; windows without VAD follow each other).
fn note_speech(seen: &mut Vec<Span>, span: Span) {
    match seen.last_mut() {
        Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
        _ => seen.push(span),
    }
}

/// The spans of `speech` (in order) that touch `from..=to`.
fn spans_touching(speech: &[Span], from: f64, to: f64) -> &[Span] {
    let first = speech.partition_point(|s| s.end < from);
    let last = speech.partition_point(|s| s.start <= to).max(first);
    &speech[first..last]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: f64, end: f64) -> Span {
        Span { start, end }
    }

    #[test]
    fn models_and_sessions_can_go_to_other_threads() {
        fn send_sync<T: Send + Sync>() {}
        fn send<T: Send>() {}
        send_sync::<WhisperModel>();
        send::<Session>();
        send::<Transcriber>();
    }

    #[test]
    fn the_spans_of_a_window_give_the_same_pauses_as_all_spans() {
        let speech = [
            span(1.0, 3.0),
            span(4.0, 6.0),
            span(9.0, 12.0),
            span(12.5, 14.0),
            span(40.0, 41.0),
        ];
        let (from, to) = (3.8, 14.2);
        let near = spans_touching(&speech, from, to);
        assert_eq!(near, &speech[1..4]);
        assert_eq!(
            silences_within(near, from, to),
            silences_within(&speech, from, to)
        );
        assert_eq!(
            spans_touching(&speech, 3.0, 3.5),
            &speech[..1],
            "touching counts"
        );
        assert!(spans_touching(&speech, 20.0, 30.0).is_empty());
    }

    #[test]
    fn speech_seen_twice_or_back_to_back_is_merged() {
        let mut seen = Vec::new();
        for s in [
            span(1.0, 3.0),
            span(4.0, 6.0),
            span(4.0, 6.0),
            span(5.5, 7.0),
            span(7.0, 8.0),
            span(9.0, 10.0),
        ] {
            note_speech(&mut seen, s);
        }
        assert_eq!(seen, vec![span(1.0, 3.0), span(4.0, 8.0), span(9.0, 10.0)]);
    }

    #[test]
    fn device_defaults_to_the_cpu_with_every_core() {
        let device = Device::default();
        assert_eq!(device.gpu, None);
        assert!(device.thread_count() >= 1);
        let two = Device {
            threads: Some(2),
            ..Device::default()
        };
        assert_eq!(two.thread_count(), 2);
    }
}
