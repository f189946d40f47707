//! `kaigiroku record`: the binary's side of the recorder. The library's
//! `record::Recorder` captures and writes; this polls its status and draws
//! it on stderr, handles Ctrl-C and `q`, and drafts the minutes afterwards.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use kaigiroku::pipeline::{Goal, LiveRun};
use kaigiroku::record::{self, clock, Options, Recorder, Recovered, State, Status};

use crate::cli::{Bars, Recognition, RecordArgs};
use crate::Job;

/// Silence longer than this is warned about.
const SILENCE_WARNING: f64 = 30.0;

pub fn record(args: RecordArgs) -> Result<()> {
    if args.list_devices {
        return list();
    }
    if let Some(dir) = &args.recover {
        let recovered = record::recover_dir(dir)
            .with_context(|| format!("recovering the recordings in {}", dir.display()))?;
        if recovered.is_empty() {
            println!(
                "no interrupted recording (*.partial.wav) in {}",
                dir.display()
            );
        }
        for r in &recovered {
            print_recovered(r);
        }
        return Ok(());
    }
    if args.max_hours.is_nan() || args.max_hours <= 0.0 {
        bail!("--max-hours must be more than 0");
    }
    // Everything the draft needs is checked (and the model loaded) before
    // the meeting starts, not after it ends.
    let job = match &args.meeting {
        Some(meeting) => {
            let recognition = Recognition {
                output: Some(args.output.clone()),
                model: args.model.clone(),
                beam: 5,
                threads: None,
                gpu: None,
                corrections: None,
                no_correct: false,
            };
            Some(Job::prepare(
                Some(meeting),
                recognition,
                None,
                true,
                Goal::Draft,
            )?)
        }
        None => None,
    };

    let (tap, tapped) = match args.live {
        true => {
            let (tap, tapped) = mpsc::channel();
            (Some(tap), Some(tapped))
        }
        false => (None, None),
    };
    let options = Options {
        device: args.device.clone(),
        max_hours: args.max_hours,
        tap,
        ..Options::new(&args.output)
    };
    let recorder = Recorder::start(options).context("cannot start recording")?;
    for r in recorder.recovered() {
        print_recovered(r);
    }
    // The device may take a moment to deliver its first samples: the clerk
    // is told "recording" once audio arrives.
    let waiting = std::time::Instant::now();
    while recorder.status().frames == 0 && waiting.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = recorder.status();
    if status.frames == 0 {
        eprintln!(
            "warning: no audio has come from {} in 10 s; still waiting for it",
            status.device
        );
    }
    eprintln!(
        "recording from {} ({} Hz, {} channel(s), {}) to {}",
        status.device,
        status.spec.sample_rate,
        status.spec.channels,
        status.device_format,
        status.file.display()
    );
    eprintln!(
        "stop with Ctrl-C or q + Enter (a second Ctrl-C stops at once; the file stays valid)"
    );

    let stops = Arc::new(AtomicUsize::new(0));
    {
        let stops = stops.clone();
        ctrlc::set_handler(move || {
            if stops.fetch_add(1, Ordering::SeqCst) >= 1 {
                eprintln!(
                    "\nstopped at once: the recording is valid up to its last second; \
                     `kaigiroku record --recover DIR` (or the next `record`) finishes it"
                );
                std::process::exit(130);
            }
        })
        .context("cannot catch Ctrl-C")?;
    }
    {
        let stops = stops.clone();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                match line {
                    Ok(l) if l.trim().eq_ignore_ascii_case("q") => {
                        stops.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
    }

    std::thread::scope(|scope| -> Result<()> {
        // --live: the recording is transcribed on this thread as it is written.
        let decoded = Arc::new(AtomicU64::new(0));
        let live = match (tapped, &job) {
            (Some(tapped), Some(job)) => {
                let spec = recorder.status().spec;
                let decoded = decoded.clone();
                Some(scope.spawn(move || -> Result<LiveRun<'_>> {
                    let mut run = job.pipeline.live(job.meeting.as_ref(), job.goal)?;
                    record::live::feed(tapped, spec, &mut run, |_, done| {
                        decoded.store(done.to_bits(), Ordering::Relaxed)
                    })?;
                    Ok(run)
                }))
            }
            _ => None,
        };
        let display = Display::new();
        let mut last = recorder.status();
        while stops.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(200));
            let status = recorder.status();
            let transcribed = live
                .as_ref()
                .map(|_| f64::from_bits(decoded.load(Ordering::Relaxed)));
            display.draw(&last, &status, transcribed);
            let failed = matches!(status.state, State::Failed { .. });
            last = status;
            if failed {
                break;
            }
        }
        display.bar.finish_and_clear();
        eprintln!("stopping …");
        let recording = recorder.stop().context("finishing the recording")?;
        for file in &recording.files {
            println!("{}", file.display());
        }
        eprintln!(
            "recorded {} in {}",
            clock(recording.seconds),
            match recording.files.len() {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            }
        );
        if recording.dropped > 0 {
            eprintln!(
                "warning: {} samples were dropped (the disk or the computer could not keep up)",
                recording.dropped
            );
        }
        if recording.xruns > 0 {
            eprintln!(
            "warning: the device reported {} overruns: some audio was lost before it reached the recorder",
            recording.xruns
        );
        }
        for (at, missed) in &recording.gaps {
            eprintln!(
                "warning: the device went away at {}; about {missed:.0} s were not recorded",
                clock(*at)
            );
        }
        if let Some(failure) = &recording.failure {
            eprintln!("error: {failure}");
        }
        let stopped = Instant::now();
        let mut drafted = false;
        if let (Some(handle), Some(first)) = (live, recording.files.first()) {
            match handle
                .join()
                .map_err(|_| anyhow!("the live transcription stopped unexpectedly"))
            {
                Ok(Ok(run)) => {
                    finish_live(run, first, &args.output)?;
                    eprintln!(
                        "draft written {:.0} s after the recording stopped",
                        stopped.elapsed().as_secs_f64()
                    );
                    drafted = true;
                }
                Ok(Err(e)) | Err(e) => {
                    eprintln!("warning: live transcription failed ({e:#}); drafting from the file instead")
                }
            }
        }
        if let (Some(job), Some(first), false) = (&job, recording.files.first(), drafted) {
            if recording.files.len() > 1 {
                eprintln!(
                "warning: the recording was split in {} files; drafting the first, {} (draft the others with `kaigiroku draft`)",
                recording.files.len(),
                first.display()
            );
            }
            eprintln!("drafting the minutes of {} …", first.display());
            job.run(first, &args.output)?;
        }
        if recording.failure.is_some() {
            bail!("the recording stopped early (see above)");
        }
        Ok(())
    })
}

/// The rest of a live run after the recording stopped: the last windows,
/// speakers, minutes; written into `dir`.
fn finish_live(run: LiveRun<'_>, recording: &Path, dir: &Path) -> Result<()> {
    let mut bars = Bars::new();
    let (outcome, _) = run.finish(&recording.display().to_string(), &mut bars)?;
    bars.finish();
    for path in bars.timed("write", || outcome.write(dir))? {
        println!("{}", path.display());
    }
    println!(
        "time by stage after the recording stopped: {}",
        bars.timings()
    );
    Ok(())
}

fn print_recovered(r: &Recovered) {
    match r {
        Recovered::Repaired { path, seconds, cut } => eprintln!(
            "recovered an interrupted recording: {} ({}{})",
            path.display(),
            clock(*seconds),
            match cut {
                0 => String::new(),
                n => format!(", {n} bytes of a torn last frame cut"),
            }
        ),
        Recovered::Empty { path } => eprintln!(
            "removed an interrupted recording with no audio: {}",
            path.display()
        ),
        Recovered::InUse { path } => eprintln!(
            "left alone: {} is being recorded by another kaigiroku right now",
            path.display()
        ),
    }
}

fn list() -> Result<()> {
    let devices = record::list_devices()?;
    if devices.is_empty() {
        bail!("no audio input device found");
    }
    for d in devices {
        let config = match &d.config {
            Some((channels, rate, format)) => format!("{rate} Hz, {channels} ch, {format}"),
            None => "cannot be opened now".into(),
        };
        println!(
            "{} {:<28} {:<32} {config}",
            if d.default { "*" } else { " " },
            d.id,
            d.name.lines().next().unwrap_or(""),
        );
    }
    println!("(* the default; choose one with --device ID)");
    Ok(())
}

/// The live line on stderr: elapsed, level meter, warnings, disk.
struct Display {
    bar: ProgressBar,
    plain: bool,
}

impl Display {
    fn new() -> Display {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Display {
            bar,
            plain: !std::io::stderr().is_terminal(),
        }
    }

    fn draw(&self, last: &Status, now: &Status, transcribed: Option<f64>) {
        let mut warnings = Vec::new();
        if now.clipped > last.clipped {
            warnings.push("CLIPPING: turn the input down".to_string());
        }
        if now.silence_seconds > SILENCE_WARNING {
            warnings.push(format!(
                "NO SIGNAL for {:.0} s: is the microphone on and unmuted?",
                now.silence_seconds
            ));
        }
        if now.dropped > 0 {
            warnings.push(format!("{} samples DROPPED", now.dropped));
        }
        if now.xruns > 0 {
            warnings.push(format!("{} device OVERRUNS (audio lost)", now.xruns));
        }
        if let State::Reconnecting { reason, .. } = &now.state {
            warnings.push(format!("DEVICE LOST ({reason}): reconnecting …"));
        }
        let disk = match (now.free_bytes, now.seconds_left) {
            (Some(free), Some(left)) => format!(
                "disk {:.1} GB free ≈ {} left",
                free as f64 / 1e9,
                clock(left)
            ),
            _ => String::new(),
        };
        let live = transcribed
            .map(|t| format!("transcribed {}  ", clock(t)))
            .unwrap_or_default();
        let line = format!(
            "{} {} peak {:>5.1} dB  {live}{disk}{}",
            clock(now.seconds),
            meter(now.rms, now.peak),
            db(now.peak),
            warnings
                .iter()
                .map(|w| format!("  ⚠ {w}"))
                .collect::<String>()
        );
        if self.plain {
            // Not a terminal: a line every 10 s of recording, and every
            // warning when it first appears.
            let new_warning = warnings.len() > warnings_of(last);
            if now.seconds as u64 / 10 != last.seconds as u64 / 10 || new_warning {
                eprintln!("{line}");
            }
        } else {
            self.bar.set_message(line);
            self.bar.tick();
        }
    }
}

/// How many warnings `status` would show (for the plain display).
fn warnings_of(status: &Status) -> usize {
    usize::from(status.silence_seconds > SILENCE_WARNING)
        + usize::from(status.dropped > 0)
        + usize::from(status.xruns > 0)
        + usize::from(matches!(status.state, State::Reconnecting { .. }))
}

fn db(level: f32) -> f32 {
    20.0 * level.max(1e-5).log10()
}

/// A 20-cell meter from −60 dB: `#` up to the RMS, `|` at the peak.
fn meter(rms: f32, peak: f32) -> String {
    let cell = |level: f32| (((db(level) + 60.0) / 3.0).clamp(0.0, 20.0)) as usize;
    let (r, p) = (cell(rms), cell(peak));
    let cells: String = (0..20)
        .map(|i| match i {
            _ if i < r => '#',
            _ if i == p.min(19) && p > 0 => '|',
            _ => '-',
        })
        .collect();
    format!("[{cells}]")
}
