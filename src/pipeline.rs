//! The pipeline: the one place that orders the stages. The binary, the
//! review server, the recorder and the batch runner all run a recording
//! through here:
//!
//! ```text
//! Settings ──Pipeline::new (checks files, loads models)──▶ Pipeline
//! Pipeline::run(audio, meeting, goal, observer) ──▶ Outcome { transcript, diarization, draft }
//! Outcome::write(dir) ──▶ transcript.{json,srt,vtt}, turns.json, draft.json, minutes.{md,txt,docx}
//! ```
//!
//! Everything a run can refuse for (a model that is not installed, an
//! unreadable filler or confusion list, corrections asked for without a
//! meeting) is refused by [`Pipeline::new`] or at the top of
//! [`Pipeline::run`], before any audio is decoded or recognised.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::correct::{self, Corrector};
use crate::draft::Draft;
use crate::meeting::Meeting;
use crate::minutes::{Drafter, FillerList};
use crate::model::ModelStore;
use crate::speakers::{Diarization, Diarizer};
use crate::transcribe::{Device, LiveTranscriber, Transcriber, Transcription, WhisperModel};
use crate::types::{Audio, Transcript};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    #[error(transparent)]
    Transcribe(#[from] crate::transcribe::TranscribeError),
    #[error(transparent)]
    Correct(#[from] crate::correct::CorrectError),
    #[error(transparent)]
    Speakers(#[from] crate::speakers::SpeakersError),
    #[error(transparent)]
    Minutes(#[from] crate::minutes::MinutesError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error("cannot read the {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{goal} needs the meeting file (meeting.toml): its attendees and agenda name the speakers and the items")]
    MeetingRequired { goal: Goal },
    #[error("this kaigiroku was built without GPU support: build it with `cargo build --release --features cuda` (needs the CUDA toolkit)")]
    NoGpuSupport,
    #[error("a confusion list needs the meeting file: corrections only bring in the meeting's own words")]
    CorrectionsWithoutMeeting,
    #[error("stopped before the {stage:?} stage")]
    Stopped { stage: Stage },
}

/// How far a run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Recognised and corrected segments (`transcript.*`).
    Transcript,
    /// … and speakers with their roles (`turns.json`); needs a meeting.
    Turns,
    /// … and the draft minutes (`draft.json`, `minutes.*`); needs a meeting.
    Draft,
}

impl std::fmt::Display for Goal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Goal::Transcript => "the transcript",
            Goal::Turns => "finding speakers and roles",
            Goal::Draft => "the draft minutes",
        })
    }
}

/// The stages a run goes through, as an [`Observer`] hears of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Transcribe,
    Correct,
    Speakers,
    Minutes,
}

/// Hears what a run does; every method has a no-op default.
pub trait Observer {
    /// `stage` begins.
    fn stage(&mut self, _stage: Stage) {}
    /// `done` of `total` units of `stage` (seconds of speech for
    /// [`Stage::Transcribe`], steps otherwise).
    fn progress(&mut self, _stage: Stage, _done: f64, _total: f64) {}
    /// Asked between recognition windows and between stages: `false` stops
    /// the run with [`PipelineError::Stopped`] (a batch's time limit).
    fn go_on(&mut self) -> bool {
        true
    }
}

/// An [`Observer`] that hears nothing.
pub struct Silent;

impl Observer for Silent {}

/// What a run is to do, as given (by command-line flags or a caller); checked
/// by [`Pipeline::new`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the models are installed.
    pub models: ModelStore,
    /// Installed Whisper model name (`models/ggml-NAME.bin`).
    pub whisper: String,
    /// Beam width (1 = greedy).
    pub beam: u32,
    /// whisper.cpp threads (`None`: all cores).
    pub threads: Option<u32>,
    /// The GPU for Whisper and CAM++ (`None`: the CPU); needs a build with
    /// the `cuda` feature.
    pub gpu: Option<u32>,
    /// Voice activity detection (Silero); without it the whole recording is decoded.
    pub vad: bool,
    /// Correct recognised text towards the meeting's vocabulary.
    pub correct: bool,
    /// A confusion list replacing the built-in `assets/corrections.txt`.
    pub corrections: Option<PathBuf>,
    /// A filler list replacing the built-in `assets/fillers.txt`.
    pub fillers: Option<PathBuf>,
}

impl Settings {
    /// Refuses a run that cannot be done: `goal` beyond the transcript, or
    /// a confusion list, without a meeting file.
    pub fn check(&self, meeting: bool, goal: Goal) -> Result<(), PipelineError> {
        if !meeting && goal != Goal::Transcript {
            return Err(PipelineError::MeetingRequired { goal });
        }
        if !meeting && self.corrections.is_some() {
            return Err(PipelineError::CorrectionsWithoutMeeting);
        }
        Ok(())
    }

    /// The defaults of `kaigiroku draft`, with models from `models`.
    pub fn new(models: ModelStore) -> Settings {
        Settings {
            models,
            whisper: "base".into(),
            beam: 5,
            threads: None,
            gpu: None,
            vad: true,
            correct: true,
            corrections: None,
            fillers: None,
        }
    }
}

/// A checked configuration with its models loaded: runs recordings, one
/// after another or from several threads at once (the Whisper model is
/// shared).
#[derive(Debug)]
pub struct Pipeline {
    settings: Settings,
    whisper: WhisperModel,
    /// The speaker stage, its CAM++ model loaded once.
    diarizer: Diarizer,
    vad: Option<PathBuf>,
    fillers: FillerList,
    /// The confusion list's path and text, read once.
    corrections: Option<(PathBuf, String)>,
}

/// What one run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub transcript: Transcript,
    /// Speakers and turns, for [`Goal::Turns`] and [`Goal::Draft`].
    pub diarization: Option<Diarization>,
    /// The draft minutes, for [`Goal::Draft`].
    pub draft: Option<Draft>,
}

impl Pipeline {
    /// Checks `settings` (the filler and confusion lists can be read and
    /// parsed, a GPU asked for is built in, the models are installed) and
    /// loads the Whisper and CAM++ models.
    pub fn new(settings: Settings) -> Result<Pipeline, PipelineError> {
        let read = |what, path: &Path| {
            std::fs::read_to_string(path).map_err(|source| PipelineError::Read {
                what,
                path: path.to_path_buf(),
                source,
            })
        };
        let fillers = match &settings.fillers {
            Some(path) => FillerList::parse(&read("filler list", path)?),
            None => FillerList::default(),
        };
        let corrections = match &settings.corrections {
            Some(path) => {
                let text = read("confusion list", path)?;
                correct::parse_confusions(path, &text)?;
                Some((path.clone(), text))
            }
            None => None,
        };
        if settings.gpu.is_some() && !cfg!(feature = "cuda") {
            return Err(PipelineError::NoGpuSupport);
        }
        let path = settings.models.whisper_model(&settings.whisper)?;
        let vad = match settings.vad {
            true => Some(settings.models.vad_model()?),
            false => None,
        };
        let device = Device {
            threads: settings.threads,
            gpu: settings.gpu,
        };
        let whisper = WhisperModel::load(&path, device)?;
        let mut diarizer = Diarizer::builder()
            .models(&settings.models)
            .gpu(settings.gpu);
        if let Some(threads) = settings.threads {
            diarizer = diarizer.threads(threads as usize);
        }
        Ok(Pipeline {
            diarizer: diarizer.build()?,
            settings,
            whisper,
            vad,
            fillers,
            corrections,
        })
    }

    /// Refuses a run that cannot be done, before any work:
    /// [`Settings::check`].
    pub fn check(&self, meeting: Option<&Meeting>, goal: Goal) -> Result<(), PipelineError> {
        self.settings.check(meeting.is_some(), goal)
    }

    /// The settings it was made with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The Whisper model file in use.
    pub fn whisper_model(&self) -> &Path {
        self.whisper.path()
    }

    /// Runs `audio` (named `source` in the outputs) through the stages up to `goal`.
    pub fn run(
        &self,
        audio: &Audio,
        source: &str,
        meeting: Option<&Meeting>,
        goal: Goal,
        observer: &mut dyn Observer,
    ) -> Result<Outcome, PipelineError> {
        self.check(meeting, goal)?;
        observer.stage(Stage::Transcribe);
        let recognised = self.transcriber(meeting)?.transcribe_until(audio, |p| {
            observer.progress(Stage::Transcribe, p.done, p.total);
            match observer.go_on() {
                true => ControlFlow::Continue(()),
                false => ControlFlow::Break(()),
            }
        })?;
        self.complete(audio, source, recognised, meeting, goal, observer)
    }

    /// A run over a recording that is still being made: see [`LiveRun`].
    pub fn live<'p>(
        &'p self,
        meeting: Option<&'p Meeting>,
        goal: Goal,
    ) -> Result<LiveRun<'p>, PipelineError> {
        self.check(meeting, goal)?;
        Ok(LiveRun {
            pipeline: self,
            transcriber: self.transcriber(meeting)?.live()?,
            meeting,
            goal,
        })
    }

    fn transcriber(&self, meeting: Option<&Meeting>) -> Result<Transcriber, PipelineError> {
        let mut transcriber = self
            .whisper
            .transcriber()
            .beam_size(self.settings.beam)
            .vad_model(self.vad.as_deref());
        if let Some(meeting) = meeting {
            transcriber = transcriber.vocabulary(&meeting.vocabulary());
        }
        Ok(transcriber.build()?)
    }

    /// The stages after recognition, up to `goal`.
    fn complete(
        &self,
        audio: &Audio,
        source: &str,
        recognised: Transcription,
        meeting: Option<&Meeting>,
        goal: Goal,
        observer: &mut dyn Observer,
    ) -> Result<Outcome, PipelineError> {
        let go_on = |observer: &mut dyn Observer, stage| match observer.go_on() {
            true => Ok(()),
            false => Err(PipelineError::Stopped { stage }),
        };
        let mut segments = recognised.segments;
        if let (Some(meeting), true) = (meeting, self.settings.correct) {
            observer.stage(Stage::Correct);
            let mut builder = Corrector::builder(meeting);
            if let Some((path, text)) = &self.corrections {
                builder = builder.confusions_text(path.clone(), text.clone());
            }
            segments = builder.build()?.correct(segments);
        }
        let transcript = Transcript {
            version: Transcript::VERSION,
            audio: source.to_string(),
            duration: audio.duration(),
            model: self.whisper.path().display().to_string(),
            language: "ja".into(),
            segments,
            speech: recognised.speech,
            dropped: recognised.dropped,
        };
        let Some(meeting) = meeting.filter(|_| goal != Goal::Transcript) else {
            return Ok(Outcome {
                transcript,
                diarization: None,
                draft: None,
            });
        };

        go_on(observer, Stage::Speakers)?;
        observer.stage(Stage::Speakers);
        let diarization = self
            .diarizer
            .diarize(audio, &transcript.segments, meeting, |p| {
                observer.progress(Stage::Speakers, p.done as f64, p.total as f64)
            })?;
        if goal == Goal::Turns {
            return Ok(Outcome {
                transcript,
                diarization: Some(diarization),
                draft: None,
            });
        }

        go_on(observer, Stage::Minutes)?;
        observer.stage(Stage::Minutes);
        let mut draft = Drafter::builder(meeting)
            .fillers(self.fillers.clone())
            .build()
            .draft(&diarization.turns, &diarization.speakers)?;
        correct::attach_to_turns(&mut draft.turns, &transcript.segments);
        Ok(Outcome {
            transcript,
            diarization: Some(diarization),
            draft: Some(draft),
        })
    }
}

/// A recording transcribed while it is made ([`Pipeline::live`]): push its
/// samples as they come (16 kHz mono) and the windows they close are decoded
/// at once; [`LiveRun::finish`] decodes the rest and runs the other stages.
pub struct LiveRun<'p> {
    pipeline: &'p Pipeline,
    transcriber: LiveTranscriber,
    meeting: Option<&'p Meeting>,
    goal: Goal,
}

impl LiveRun<'_> {
    /// Adds 16 kHz mono samples; decodes the windows they close.
    pub fn push(&mut self, samples: &[i16]) -> Result<(), PipelineError> {
        Ok(self.transcriber.push(samples)?)
    }

    /// Seconds pushed.
    pub fn duration(&self) -> f64 {
        self.transcriber.duration()
    }

    /// Seconds decoded.
    pub fn decoded_seconds(&self) -> f64 {
        self.transcriber.decoded_seconds()
    }

    /// Decodes the rest and runs the stages after recognition; returns the
    /// outcome and the whole recording (16 kHz mono).
    pub fn finish(
        self,
        source: &str,
        observer: &mut dyn Observer,
    ) -> Result<(Outcome, Audio), PipelineError> {
        observer.stage(Stage::Transcribe);
        let (recognised, audio) = self.transcriber.finish()?;
        let outcome = self.pipeline.complete(
            &audio,
            source,
            recognised,
            self.meeting,
            self.goal,
            observer,
        )?;
        Ok((outcome, audio))
    }
}

impl Outcome {
    /// Writes every output of the run into `dir` (created if missing, by
    /// `atomic`), each file atomically; returns the paths written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, PipelineError> {
        let mut written = crate::render::write_transcript(dir, &self.transcript)?;
        if let Some(diarization) = &self.diarization {
            written.push(crate::render::write_turns(dir, diarization)?);
        }
        if let Some(draft) = &self.draft {
            written.extend(crate::render::write_draft(dir, draft)?);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path) -> Settings {
        Settings::new(ModelStore::new(dir.join("models")))
    }

    #[test]
    fn what_a_run_needs_is_refused_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path());
        assert!(s.check(true, Goal::Draft).is_ok());
        assert!(s.check(false, Goal::Transcript).is_ok());
        let e = s.check(false, Goal::Draft).unwrap_err();
        assert!(e.to_string().contains("meeting file"), "{e}");
        let with_list = Settings {
            corrections: Some(dir.path().join("c.txt")),
            ..settings(dir.path())
        };
        assert!(matches!(
            with_list.check(false, Goal::Transcript),
            Err(PipelineError::CorrectionsWithoutMeeting)
        ));
    }

    #[test]
    fn bad_lists_and_missing_models_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("fillers.txt");
        let e = Pipeline::new(Settings {
            fillers: Some(missing.clone()),
            ..settings(dir.path())
        })
        .unwrap_err();
        assert!(e.to_string().contains("filler list"), "{e}");
        assert!(
            e.to_string().contains(&missing.display().to_string()),
            "{e}"
        );

        let list = dir.path().join("confusions.txt");
        std::fs::write(&list, "no arrow on this line\n").unwrap();
        let e = Pipeline::new(Settings {
            corrections: Some(list.clone()),
            ..settings(dir.path())
        })
        .unwrap_err();
        assert!(matches!(e, PipelineError::Correct(_)), "{e}");
        assert!(e.to_string().contains("confusions.txt"), "{e}");

        let e = Pipeline::new(settings(dir.path())).unwrap_err();
        assert!(e.to_string().contains("kaigiroku model install"), "{e}");

        if !cfg!(feature = "cuda") {
            let e = Pipeline::new(Settings {
                gpu: Some(0),
                ..settings(dir.path())
            })
            .unwrap_err();
            assert!(matches!(e, PipelineError::NoGpuSupport), "{e}");
        }
    }
}
