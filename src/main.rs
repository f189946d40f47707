//! The `kaigiroku` command line: argument parsing, progress bars and
//! printing. The library's `pipeline` does the work.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::ProgressBar;

use kaigiroku::meeting::Meeting;
use kaigiroku::model::{InstallProgress, InstallRequest, ModelStore};
use kaigiroku::pipeline::{Goal, Outcome, Pipeline, Settings};
use kaigiroku::{audio, render};

mod batch_cli;
mod cli;
#[cfg(feature = "live")]
mod record_cli;
use cli::{Bars, Cli, Command, ModelCommand, Recognition};

/// `$KAIGIROKU_MODELS`, else `models/`.
fn model_store() -> ModelStore {
    match std::env::var_os("KAIGIROKU_MODELS") {
        Some(dir) if !dir.is_empty() => ModelStore::new(dir),
        _ => ModelStore::new("models"),
    }
}

fn main() -> Result<()> {
    // clap's usage errors exit 2, which `batch run` uses for "some
    // recordings failed": a wrong flag is "could not run" (1) here.
    let cli = Cli::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        std::process::exit(if e.use_stderr() { 1 } else { 0 })
    });
    match cli.command {
        Command::Model {
            command:
                ModelCommand::Install {
                    name,
                    from,
                    force,
                    quantize,
                },
        } => install(InstallRequest {
            name,
            from,
            force,
            quantize,
        }),
        Command::Model {
            command: ModelCommand::List,
        } => list(),
        Command::Transcribe {
            audio,
            meeting,
            recognition,
            no_vad,
        } => {
            let goal = match meeting {
                Some(_) => Goal::Turns,
                None => Goal::Transcript,
            };
            run(&audio, meeting.as_deref(), recognition, None, !no_vad, goal)
        }
        Command::Draft {
            audio,
            meeting,
            recognition,
            fillers,
        } => run(
            &audio,
            Some(&meeting),
            recognition,
            fillers,
            true,
            Goal::Draft,
        ),
        Command::Export {
            draft,
            format,
            output,
        } => {
            let out = output.unwrap_or_else(|| {
                let dir = draft.parent().unwrap_or(Path::new("."));
                dir.join(format.file_name())
            });
            let written = render::export(&draft, format, &out)?;
            println!("wrote {}", written.display());
            Ok(())
        }
        #[cfg(feature = "review")]
        Command::Review {
            dir,
            audio,
            port,
            corrections,
            no_open,
        } => review(
            kaigiroku::review::Options {
                dir,
                audio,
                port,
                corrections,
            },
            !no_open,
        ),
        #[cfg(feature = "live")]
        Command::Record(args) => record_cli::record(args),
        Command::Batch { command } => batch_cli::batch(command, || Settings::new(model_store())),
    }
}

/// Serves the review page until Ctrl-C.
#[cfg(feature = "review")]
fn review(options: kaigiroku::review::Options, open_browser: bool) -> Result<()> {
    use kaigiroku::review::{self, store::Opened};
    let dir = options.dir.clone();
    let review = review::Review::open(&options)
        .with_context(|| format!("cannot review {}", dir.display()))?;
    match review.opened() {
        Opened::Fresh => eprintln!(
            "review: the draft as drafted is kept as {}",
            dir.join(review::store::ORIGINAL).display()
        ),
        Opened::Resumed { revision } => eprintln!("review: resuming at change {revision}"),
        Opened::Recovered { revision } => eprintln!(
            "review: the last change ({revision}) had not reached draft.json; it has been restored from the history"
        ),
        Opened::Rebased { suffix } => eprintln!(
            "review: draft.json was made anew since the last review; that review's history is kept as history.{suffix}.jsonl"
        ),
    }
    let url = review.url();
    println!("{url}");
    eprintln!("review: the link above works once and only on this computer; Ctrl-C stops the server (every saved change stays)");
    if open_browser && !cli::open_browser(&url) {
        eprintln!("review: no browser to open here; open the link above");
    }
    review::serve(review).context("review server")?;
    eprintln!("review: stopped");
    Ok(())
}

/// Transcribes (and with a meeting, drafts) one recording: everything is
/// checked before the audio is decoded.
fn run(
    audio_path: &Path,
    meeting: Option<&Path>,
    recognition: Recognition,
    fillers: Option<PathBuf>,
    vad: bool,
    goal: Goal,
) -> Result<()> {
    let output = recognition.output.clone();
    let job = Job::prepare(meeting, recognition, fillers, vad, goal)?;
    let dir =
        output.unwrap_or_else(|| Path::new("out").join(audio_path.file_stem().unwrap_or_default()));
    job.run(audio_path, &dir)
}

/// A checked run, its models loaded, waiting for its recording (`record
/// --meeting` prepares one before it starts recording).
struct Job {
    pipeline: Pipeline,
    meeting: Option<Meeting>,
    goal: Goal,
}

impl Job {
    fn prepare(
        meeting: Option<&Path>,
        recognition: Recognition,
        fillers: Option<PathBuf>,
        vad: bool,
        goal: Goal,
    ) -> Result<Job> {
        let settings = Settings {
            whisper: recognition.model,
            beam: recognition.beam,
            threads: recognition.threads,
            gpu: recognition.gpu,
            vad,
            correct: !recognition.no_correct,
            corrections: recognition.corrections,
            fillers,
            ..Settings::new(model_store())
        };
        let meeting = meeting.map(Meeting::load).transpose()?;
        let pipeline = Pipeline::new(settings)?;
        pipeline.check(meeting.as_ref(), goal)?;
        Ok(Job {
            pipeline,
            meeting,
            goal,
        })
    }

    fn run(&self, audio_path: &Path, dir: &Path) -> Result<()> {
        let started = Instant::now();
        let mut bars = Bars::new();
        let audio = bars.timed("decode", || audio::load(audio_path))?;
        for warning in &audio.warnings {
            eprintln!("warning: {}: {warning}", audio_path.display());
        }
        let source = audio_path.display().to_string();
        let outcome = self
            .pipeline
            .run(&audio, &source, self.meeting.as_ref(), self.goal, &mut bars)
            .with_context(|| format!("processing {source}"))?;
        bars.finish();
        let written = bars.timed("write", || outcome.write(dir))?;
        report(&outcome, &source, started.elapsed().as_secs_f64());
        println!("time by stage: {}", bars.timings());
        let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
        println!("wrote {}", names.join(", "));
        Ok(())
    }
}

/// Prints the segments, their flags and corrections, and a summary line.
fn report(outcome: &Outcome, source: &str, took: f64) {
    let t = &outcome.transcript;
    for s in &t.segments {
        let flags = match s.flags.is_empty() {
            true => String::new(),
            false => format!("  {:?}", s.flags),
        };
        let corrected: String = s
            .corrections
            .iter()
            .map(|c| format!("  {}→{} ({:?})", c.from, c.to, c.rule))
            .collect();
        println!(
            "[{:>7.2} – {:>7.2}] {}{flags}{corrected}",
            s.start, s.end, s.text
        );
    }
    let speech: f64 = t.speech.iter().map(|s| s.duration()).sum();
    println!(
        "{source}: {:.1} s of audio ({speech:.1} s speech) in {took:.1} s, real-time factor {:.3}; {} segments, {} flagged, {} dropped, {} corrections",
        t.duration,
        took / t.duration.max(1e-9),
        t.segments.len(),
        t.segments.iter().filter(|s| !s.flags.is_empty()).count(),
        t.dropped.len(),
        t.segments.iter().map(|s| s.corrections.len()).sum::<usize>(),
    );
    if let Some(d) = &outcome.diarization {
        let roles: Vec<String> = d
            .speakers
            .iter()
            .map(|s| format!("{}={}", s.id, s.role))
            .collect();
        println!(
            "speakers: {} found ({:?} embedding); roles: {}",
            d.speakers.len(),
            d.method,
            roles.join(" ")
        );
    }
}

fn install(request: InstallRequest) -> Result<()> {
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    let report = model_store()
        .install(&request, |p| match p {
            InstallProgress::Fetching { package } => bar.set_message(format!("fetching {package}")),
            InstallProgress::Reading { path } => {
                bar.set_message(format!("reading {}", path.display()))
            }
            InstallProgress::Converting { tensor, of } => {
                bar.set_message(format!("converting tensor {tensor}/{of}"))
            }
            InstallProgress::Quantizing { tensor, of } => {
                bar.set_message(format!("quantizing tensor {tensor}/{of}"))
            }
            InstallProgress::Writing { path } => {
                bar.set_message(format!("writing {}", path.display()))
            }
        })
        .context("model install failed")?;
    bar.finish_and_clear();
    for (what, installed) in [
        ("Whisper", Some(&report.whisper)),
        ("VAD", report.vad.as_ref()),
        ("CAM++ speaker embedding", report.campplus.as_ref()),
    ] {
        match installed {
            Some(installed) => println!("{what}: {installed}"),
            None => println!("{what}: not installed (not in the given files)"),
        }
    }
    Ok(())
}

fn list() -> Result<()> {
    let store = model_store();
    let models = store.list()?;
    if models.is_empty() {
        println!(
            "no models in {}: run `kaigiroku model install`",
            store.dir().display()
        );
    }
    for m in models {
        println!(
            "{:<12} {:<8} {:<5} {:>6.1} MB  {}",
            m.name,
            m.hparams.size_name(),
            m.hparams.ftype_name(),
            m.bytes as f64 / 1e6,
            m.path.display()
        );
    }
    for (what, path) in [("VAD", store.vad_path()), ("CAM++", store.campplus_path())] {
        match path.is_file() {
            true => println!("{what}: {}", path.display()),
            false => println!("{what}: not installed"),
        }
    }
    Ok(())
}
