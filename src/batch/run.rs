//! `batch run`: the lines of one shard, `jobs` at a time, sharing one loaded
//! pipeline. Each recording: its lock taken (or left to the run that holds
//! it), skipped when its `done.json` holds the same inputs, else processed
//! and its outputs written, `done.json` last; a failure goes to
//! `error.json` and the run goes on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::manifest::{Entry, Manifest, Shard};
use super::state::{self, Attempt, Digest, Done, Failure, Inputs, Lock};
use super::BatchError;
use crate::meeting::Meeting;
use crate::model::file_sha256;
use crate::pipeline::{Goal, Observer, Pipeline, Stage};

/// How a run goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub shard: Shard,
    /// Recordings processed at once (each with the pipeline's threads).
    pub jobs: usize,
    /// A recording is stopped after this many times its length …
    pub timeout_factor: f64,
    /// … but never before this.
    pub min_timeout: Duration,
    /// A recording whose run died this many times (killed, out of memory)
    /// is marked failed rather than tried again.
    pub max_attempts: u32,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            shard: Shard::ALL,
            jobs: 1,
            timeout_factor: 4.0,
            min_timeout: Duration::from_secs(600),
            max_attempts: 2,
        }
    }
}

/// How one recording ended in this run.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    Done {
        took_seconds: f64,
        audio_seconds: f64,
    },
    /// Its `done.json` holds the same inputs.
    AlreadyDone,
    Failed {
        reason: String,
    },
    /// It failed before with the same inputs (`batch status
    /// --retry-failed` lets it be tried again).
    FailedBefore {
        reason: String,
    },
    /// Another run holds its lock.
    Busy,
    /// The same content as an earlier line.
    Duplicate,
}

/// What a run reports as it goes (from its worker threads).
#[derive(Debug)]
pub enum Event<'a> {
    Started {
        line: usize,
        entry: &'a Entry,
    },
    /// Seconds of speech recognised of a recording being processed.
    Progress {
        line: usize,
        done: f64,
        total: f64,
    },
    Finished {
        line: usize,
        entry: &'a Entry,
        finish: &'a Finish,
    },
}

/// The counts of a run, by how recordings ended.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub done: usize,
    pub already_done: usize,
    pub failed: usize,
    pub busy: usize,
    pub duplicates: usize,
    pub audio_seconds: f64,
}

impl Summary {
    fn count(&mut self, finish: &Finish) {
        match finish {
            Finish::Done { audio_seconds, .. } => {
                self.done += 1;
                self.audio_seconds += audio_seconds;
            }
            Finish::AlreadyDone => self.already_done += 1,
            Finish::Failed { .. } | Finish::FailedBefore { .. } => self.failed += 1,
            Finish::Busy => self.busy += 1,
            Finish::Duplicate => self.duplicates += 1,
        }
    }
}

/// The inputs every recording of a run shares: the program, the models,
/// the lists and the options, hashed once.
fn common_inputs(pipeline: &Pipeline) -> Result<Inputs, BatchError> {
    let settings = pipeline.settings();
    let digest = |path: &Path| -> Result<Digest, BatchError> {
        Ok(Digest {
            path: path.to_path_buf(),
            sha256: file_sha256(path).map_err(|source| BatchError::Io {
                path: path.to_path_buf(),
                source,
            })?,
        })
    };
    let optional = |path: Option<PathBuf>| path.map(|p| digest(&p)).transpose();
    let speakers = settings.models.campplus_path();
    Ok(Inputs {
        audio: String::new(),
        meeting: None,
        kaigiroku: env!("CARGO_PKG_VERSION").into(),
        whisper: digest(pipeline.whisper_model())?,
        vad: optional(settings.vad.then(|| settings.models.vad_path()))?,
        speakers: optional(speakers.is_file().then_some(speakers))?,
        corrections: optional(settings.corrections.clone())?,
        fillers: optional(settings.fillers.clone())?,
        beam: settings.beam,
        correct: settings.correct,
    })
}

/// Runs `options.shard` of `manifest` through `pipeline`.
pub fn run(
    manifest: &Manifest,
    pipeline: &Pipeline,
    options: &RunOptions,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Summary, BatchError> {
    let common = common_inputs(pipeline)?;
    let lines: Vec<(usize, &Entry)> = manifest.shard(options.shard).collect();
    let next = AtomicUsize::new(0);
    let summary = Mutex::new(Summary::default());
    let worker = || loop {
        let Some(&(line, entry)) = lines.get(next.fetch_add(1, Ordering::Relaxed)) else {
            return;
        };
        let job = Job {
            line,
            entry,
            pipeline,
            options,
            common: &common,
            on_event,
        };
        let finish = job.process();
        on_event(Event::Finished {
            line,
            entry,
            finish: &finish,
        });
        if let Ok(mut summary) = summary.lock() {
            summary.count(&finish);
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.max(1) {
            scope.spawn(worker);
        }
    });
    Ok(summary.into_inner().unwrap_or_default())
}

/// One recording of a run.
struct Job<'a> {
    line: usize,
    entry: &'a Entry,
    pipeline: &'a Pipeline,
    options: &'a RunOptions,
    common: &'a Inputs,
    on_event: &'a (dyn Fn(Event<'a>) + Sync),
}

impl Job<'_> {
    fn process(&self) -> Finish {
        let entry = self.entry;
        if entry.same_as.is_some() {
            return Finish::Duplicate;
        }
        let dir = &entry.output;
        let lock = match Lock::try_take(dir) {
            Ok(Some(lock)) => lock,
            Ok(None) => return Finish::Busy,
            Err(e) => {
                return Finish::Failed {
                    reason: e.to_string(),
                }
            }
        };
        let finish = match self.inputs() {
            Ok(inputs) => self.process_locked(&inputs),
            Err(reason) => self.fail(None, 1, reason),
        };
        drop(lock);
        finish
    }

    /// This recording's inputs: the run's, its content and its meeting file.
    fn inputs(&self) -> Result<Inputs, String> {
        let meeting = match &self.entry.meeting {
            Some(path) => Some(Digest {
                path: path.clone(),
                sha256: file_sha256(path)
                    .map_err(|e| format!("its meeting file {}: {e}", path.display()))?,
            }),
            None => None,
        };
        Ok(Inputs {
            audio: self.entry.id.clone(),
            meeting,
            ..self.common.clone()
        })
    }

    fn process_locked(&self, inputs: &Inputs) -> Finish {
        let dir = &self.entry.output;
        if let Some(done) = state::read::<Done>(dir, state::DONE) {
            if &done.inputs == inputs {
                return Finish::AlreadyDone;
            }
        }
        if let Some(failure) = state::read::<Failure>(dir, state::ERROR) {
            if failure.inputs.as_ref() == Some(inputs) {
                return Finish::FailedBefore {
                    reason: failure.reason,
                };
            }
        }
        let attempt = state::read::<Attempt>(dir, state::ATTEMPT).map_or(1, |a| a.attempt + 1);
        if attempt > self.options.max_attempts {
            let reason = format!(
                "the run processing it ended without a word {} times (killed, out of memory, or a crash); \
                 try it alone with `kaigiroku draft`",
                attempt - 1
            );
            return self.fail(Some(inputs), attempt - 1, reason);
        }
        let started = Instant::now();
        let result = state::write(
            dir,
            state::ATTEMPT,
            &Attempt {
                attempt,
                started: state::now(),
                host: state::host(),
                pid: std::process::id(),
            },
        )
        .and_then(|()| state::remove(dir, state::DONE))
        .map_err(|e| e.to_string())
        .and_then(|()| self.produce(inputs));
        match result {
            Ok(outputs) => {
                let done = Done {
                    inputs: inputs.clone(),
                    outputs: outputs.0,
                    audio_seconds: outputs.1,
                    took_seconds: started.elapsed().as_secs_f64(),
                    finished: state::now(),
                    attempt,
                };
                let written = state::write(dir, state::DONE, &done)
                    .and_then(|()| state::remove(dir, state::ERROR))
                    .and_then(|()| state::remove(dir, state::ATTEMPT));
                match written {
                    Ok(()) => Finish::Done {
                        took_seconds: done.took_seconds,
                        audio_seconds: done.audio_seconds,
                    },
                    Err(e) => self.fail(Some(inputs), attempt, e.to_string()),
                }
            }
            Err(reason) => self.fail(Some(inputs), attempt, reason),
        }
    }

    /// Decodes, runs the pipeline and writes the outputs; returns the files
    /// written (relative to the folder) and the seconds of audio.
    fn produce(&self, inputs: &Inputs) -> Result<(Vec<PathBuf>, f64), String> {
        let entry = self.entry;
        let actual =
            file_sha256(&entry.path).map_err(|e| format!("{}: {e}", entry.path.display()))?;
        if actual != inputs.audio {
            return Err(format!(
                "{}: the file has changed since the manifest was made; run `kaigiroku batch plan` again",
                entry.path.display()
            ));
        }
        let meeting = match &entry.meeting {
            Some(path) => Some(Meeting::load(path).map_err(|e| e.to_string())?),
            None => None,
        };
        let goal = match meeting {
            Some(_) => Goal::Draft,
            None => Goal::Transcript,
        };
        let run = || {
            let audio = crate::audio::load(&entry.path).map_err(|e| e.to_string())?;
            let limit = self.options.min_timeout.max(Duration::from_secs_f64(
                self.options.timeout_factor * audio.duration(),
            ));
            let mut watch = Watch {
                line: self.line,
                deadline: Instant::now() + limit,
                on_event: self.on_event,
            };
            (self.on_event)(Event::Started {
                line: self.line,
                entry,
            });
            let source = entry.path.display().to_string();
            let outcome = self
                .pipeline
                .run(&audio, &source, meeting.as_ref(), goal, &mut watch)
                .map_err(|e| match e {
                    crate::pipeline::PipelineError::Stopped { .. }
                    | crate::pipeline::PipelineError::Transcribe(
                        crate::transcribe::TranscribeError::Stopped { .. },
                    ) => format!(
                        "took longer than its time limit, {:.1} min ({}× its length): {e}; raise --timeout-factor",
                        limit.as_secs_f64() / 60.0,
                        self.options.timeout_factor
                    ),
                    other => other.to_string(),
                })?;
            let written = outcome.write(&entry.output).map_err(|e| e.to_string())?;
            let names = written
                .iter()
                .map(|p| p.strip_prefix(&entry.output).unwrap_or(p).to_path_buf())
                .collect();
            Ok((names, audio.duration()))
        };
        catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!(
                "internal error (a bug in kaigiroku; please report it): {what}"
            ))
        })
    }

    /// Records a failure in `error.json`; the attempt marker goes.
    fn fail(&self, inputs: Option<&Inputs>, attempt: u32, reason: String) -> Finish {
        let dir = &self.entry.output;
        let failure = Failure {
            inputs: inputs.cloned(),
            reason: reason.clone(),
            at: state::now(),
            attempt,
        };
        let reason = match state::write(dir, state::ERROR, &failure)
            .and_then(|()| state::remove(dir, state::ATTEMPT))
        {
            Ok(()) => reason,
            Err(e) => format!("{reason} (and the failure could not be recorded: {e})"),
        };
        Finish::Failed { reason }
    }
}

/// The pipeline's observer for one recording: progress to the caller, and
/// the time limit.
struct Watch<'a> {
    line: usize,
    deadline: Instant,
    on_event: &'a (dyn Fn(Event<'a>) + Sync),
}

impl Observer for Watch<'_> {
    fn progress(&mut self, stage: Stage, done: f64, total: f64) {
        if stage == Stage::Transcribe {
            (self.on_event)(Event::Progress {
                line: self.line,
                done,
                total,
            });
        }
    }

    fn go_on(&mut self) -> bool {
        Instant::now() < self.deadline
    }
}
