//! `kaigiroku batch`: the binary's side of archives. The library's `batch`
//! plans, runs and reports; this reads the flags and the scheduler's
//! environment, draws the progress and sets the exit status.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use kaigiroku::batch::{self, Event, Finish, Manifest, PlanProgress, RunOptions, Shard, State};
use kaigiroku::pipeline::{Pipeline, Settings};

/// Exit status of a run in which some recordings failed (1 is "could not run").
pub const SOME_FAILED: i32 = 2;

#[derive(Subcommand)]
pub enum BatchCommand {
    /// Find the recordings under INPUT (folders, searched recursively, or files) and
    /// write the manifest: one JSON line each (content hash, path, size, duration,
    /// format, meeting file, output folder, error), longest first.
    Plan {
        input: Vec<PathBuf>,
        /// A file listing recordings, one path a line (as well as, or instead of, INPUT).
        #[arg(long, value_name = "FILE")]
        list: Option<PathBuf>,
        /// The manifest to write.
        #[arg(short, long, value_name = "MANIFEST")]
        output: PathBuf,
        /// Where each recording's folder goes [default: out/ beside the manifest].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Process this machine's share of the manifest. Done recordings (same inputs)
    /// are skipped; a failure is written to the recording's error.json and the run
    /// goes on. Exit status: 0 all done, 2 some failed, 1 could not run.
    Run {
        manifest: PathBuf,
        /// Recordings processed at once; they share the model and split the cores.
        #[arg(long, default_value_t = 1, value_name = "J")]
        jobs: usize,
        /// Take lines k with k mod N = I [default: from SLURM_ARRAY_TASK_ID and
        /// SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with --shard-count; else all].
        #[arg(long, value_name = "I/N", conflicts_with = "shard_count")]
        shard: Option<Shard>,
        /// The number of shards of a Kubernetes Indexed Job (its `completions`).
        #[arg(long, value_name = "N")]
        shard_count: Option<u32>,
        /// Installed Whisper model to use.
        #[arg(long, default_value = "base")]
        model: String,
        /// Beam width (1 = greedy).
        #[arg(long, default_value_t = 5)]
        beam: u32,
        /// whisper.cpp threads per job [default: the cores this task may use, divided by J].
        #[arg(long)]
        threads: Option<u32>,
        /// Stop a recording after this many times its length (10 minutes at least).
        #[arg(long, default_value_t = 4.0, value_name = "F")]
        timeout_factor: f64,
        /// A confusion list (`wrong → right` lines) replacing the built-in one.
        #[arg(long, value_name = "FILE")]
        corrections: Option<PathBuf>,
        /// A filler list replacing the built-in one.
        #[arg(long, value_name = "FILE")]
        fillers: Option<PathBuf>,
        /// Keep Whisper's text as recognised.
        #[arg(long)]
        no_correct: bool,
    },
    /// Done, failed (with the reason), running and pending recordings, and the hours left.
    Status {
        manifest: PathBuf,
        /// Let the failed recordings be tried again by the next run.
        #[arg(long)]
        retry_failed: bool,
    },
}

pub fn batch(command: BatchCommand, settings: impl FnOnce() -> Settings) -> Result<()> {
    match command {
        BatchCommand::Plan {
            input,
            list,
            output,
            out,
        } => plan(input, list, output, out),
        BatchCommand::Run {
            manifest,
            jobs,
            shard,
            shard_count,
            model,
            beam,
            threads,
            timeout_factor,
            corrections,
            fillers,
            no_correct,
        } => {
            let shard = shard_from_env(shard, shard_count, |name| std::env::var(name).ok())?;
            if jobs == 0 {
                bail!("--jobs must be at least 1");
            }
            if timeout_factor.is_nan() || timeout_factor <= 0.0 {
                bail!("--timeout-factor must be more than 0");
            }
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let threads = threads.unwrap_or_else(|| (cores / jobs).max(1) as u32);
            let settings = Settings {
                whisper: model,
                beam,
                threads: Some(threads),
                correct: !no_correct,
                corrections,
                fillers,
                ..settings()
            };
            let options = RunOptions {
                shard,
                jobs,
                timeout_factor,
                ..RunOptions::default()
            };
            let status = run(&manifest, settings, &options)?;
            if status != 0 {
                std::process::exit(status);
            }
            Ok(())
        }
        BatchCommand::Status {
            manifest,
            retry_failed,
        } => status(&manifest, retry_failed),
    }
}

/// The shard: `--shard`, else a Slurm array task's, else a Kubernetes
/// Indexed Job's (`--shard-count` N), else every line.
pub fn shard_from_env(
    shard: Option<Shard>,
    shard_count: Option<u32>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Shard> {
    let number = |name: &str| -> Result<Option<u32>> {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| {
                v.trim()
                    .parse::<u32>()
                    .with_context(|| format!("{name}={v:?} is not a number"))
            })
            .transpose()
    };
    if let Some(shard) = shard {
        return Ok(shard);
    }
    if let Some(count) = shard_count {
        let Some(index) = number("JOB_COMPLETION_INDEX")? else {
            bail!("--shard-count is for a Kubernetes Indexed Job, and JOB_COMPLETION_INDEX is not set; give --shard I/N");
        };
        return Shard::new(index, count).context("JOB_COMPLETION_INDEX and --shard-count");
    }
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        let Some(count) = number("SLURM_ARRAY_TASK_COUNT")? else {
            bail!("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT; give --shard I/N");
        };
        if id < min || (id - min) % step != 0 {
            bail!("the array task {id} is not one of {min}, {min}+{step}, …: use --array=A-B (a range), or give --shard I/N");
        }
        return Shard::new((id - min) / step, count).with_context(|| {
            format!("array task {id} of {count} (from {min}): use a range --array=A-B, or give --shard I/N")
        });
    }
    Ok(Shard::ALL)
}

fn plan(
    mut inputs: Vec<PathBuf>,
    list: Option<PathBuf>,
    output: PathBuf,
    out: Option<PathBuf>,
) -> Result<()> {
    if let Some(list) = &list {
        let text = std::fs::read_to_string(list)
            .with_context(|| format!("cannot read the list {}", list.display()))?;
        inputs.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(PathBuf::from),
        );
    }
    if inputs.is_empty() {
        bail!("nothing to plan: give folders or files, or --list FILE");
    }
    let out = out.unwrap_or_else(|| {
        output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join("out")
    });
    let bar = ProgressBar::new(0);
    bar.set_style(bar_style("{bar:40} {pos}/{len} files  {wide_msg}"));
    let manifest = Manifest::plan(&inputs, &output, &out, |p| match p {
        PlanProgress::Found { files } => bar.set_length(files as u64),
        PlanProgress::Reading { done, path } => {
            bar.set_position(done as u64);
            bar.set_message(path.display().to_string());
        }
    })?;
    bar.finish_and_clear();
    manifest.write()?;
    let readable: Vec<_> = manifest
        .entries
        .iter()
        .filter(|e| e.error.is_none())
        .collect();
    let hours: f64 = readable
        .iter()
        .filter_map(|e| e.duration)
        .sum::<f64>()
        .max(0.0)
        / 3600.0;
    for entry in manifest.entries.iter().filter(|e| e.error.is_some()) {
        eprintln!("unreadable: {}", entry.error.as_deref().unwrap_or_default());
    }
    let duplicates = manifest
        .entries
        .iter()
        .filter(|e| e.same_as.is_some())
        .count();
    let without_meeting = readable.iter().filter(|e| e.meeting.is_none()).count();
    println!(
        "wrote {}: {} recordings ({hours:.2} h), {} unreadable, {duplicates} duplicates; {without_meeting} without a meeting file (transcript only)",
        output.display(),
        manifest.entries.len(),
        manifest.entries.len() - readable.len(),
    );
    Ok(())
}

/// Runs the shard; returns the exit status.
fn run(manifest_path: &Path, settings: Settings, options: &RunOptions) -> Result<i32> {
    let manifest = Manifest::load(manifest_path)?;
    let pipeline = Pipeline::new(settings)?;
    let lines: Vec<_> = manifest.shard(options.shard).collect();
    let total: f64 = lines.iter().map(|(_, e)| e.duration.unwrap_or(0.0)).sum();
    let durations: HashMap<usize, f64> = lines
        .iter()
        .map(|(k, e)| (*k, e.duration.unwrap_or(0.0)))
        .collect();
    eprintln!(
        "batch: shard {} of {}: {} recordings, {:.2} h; {} at once, {} threads each",
        options.shard,
        manifest_path.display(),
        lines.len(),
        total / 3600.0,
        options.jobs,
        pipeline.settings().threads.unwrap_or(0),
    );
    let bar = ProgressBar::new((total * 10.0) as u64);
    bar.set_style(bar_style(
        "{bar:40} {msg}  elapsed {elapsed_precise} eta {eta_precise}",
    ));
    bar.enable_steady_tick(Duration::from_millis(500));
    // Seconds of audio finished, and the share of each recording under way.
    let progress = Mutex::new((0.0f64, 0usize, HashMap::<usize, f64>::new()));
    let files = lines.len();
    let on_event = |event: Event| {
        let Ok(mut p) = progress.lock() else {
            return;
        };
        match event {
            Event::Started { .. } => {}
            Event::Progress { line, done, total } => {
                p.2.insert(line, done / total.max(1e-9));
            }
            Event::Finished {
                line,
                entry,
                finish,
            } => {
                p.2.remove(&line);
                p.0 += durations.get(&line).copied().unwrap_or(0.0);
                p.1 += 1;
                let said = finished_line(line, &entry.path, finish);
                match bar.is_hidden() {
                    true => eprintln!("{said}"),
                    false => bar.println(said),
                }
            }
        }
        let under_way: f64 =
            p.2.iter()
                .map(|(line, share)| share * durations.get(line).copied().unwrap_or(0.0))
                .sum();
        bar.set_position(((p.0 + under_way) * 10.0) as u64);
        bar.set_message(format!(
            "{}/{files} files, {:.2}/{:.2} h",
            p.1,
            (p.0 + under_way) / 3600.0,
            total / 3600.0
        ));
    };
    let summary = batch::run(&manifest, &pipeline, options, &on_event)?;
    bar.finish_and_clear();
    eprintln!(
        "batch: {} done now ({:.2} h of audio), {} done before, {} failed, {} being done by another run, {} duplicates",
        summary.done,
        summary.audio_seconds / 3600.0,
        summary.already_done,
        summary.failed,
        summary.busy,
        summary.duplicates
    );
    if summary.busy > 0 {
        eprintln!("batch: `kaigiroku batch status` shows when the others finish");
    }
    Ok(match summary.failed {
        0 => 0,
        _ => SOME_FAILED,
    })
}

fn finished_line(line: usize, path: &std::path::Path, finish: &Finish) -> String {
    let path = path.display();
    match finish {
        Finish::Done {
            took_seconds,
            audio_seconds,
        } => format!(
            "done    #{line} {path}: {:.1} min of audio in {:.1} min",
            audio_seconds / 60.0,
            took_seconds / 60.0
        ),
        Finish::AlreadyDone => format!("skipped #{line} {path}: already done"),
        Finish::Failed { reason } => format!("FAILED  #{line} {path}: {reason}"),
        Finish::FailedBefore { reason } => format!(
            "FAILED  #{line} {path} (before; `batch status --retry-failed` to retry): {reason}"
        ),
        Finish::Busy => format!("busy    #{line} {path}: another run is processing it"),
        Finish::Duplicate => format!("skipped #{line} {path}: the same recording as another line"),
    }
}

fn status(manifest_path: &Path, retry: bool) -> Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    if retry {
        let count = batch::retry_failed(&manifest)?;
        println!("{count} failed recordings will be tried again by the next `batch run`");
    }
    let states = batch::status(&manifest);
    let mut counts: HashMap<&str, (usize, f64)> = HashMap::new();
    for (entry, state) in &states {
        let (name, detail) = match state {
            State::Done { .. } => ("done", None),
            State::Failed { reason } => ("failed", Some(reason.clone())),
            State::Unreadable { reason } => ("failed", Some(reason.clone())),
            State::Running { attempt, host } => {
                ("running", Some(format!("attempt {attempt} on {host}")))
            }
            State::Interrupted { attempts } => (
                "interrupted",
                Some(format!(
                    "a run died at it ({attempts}×); the next run retries it"
                )),
            ),
            State::Pending => ("pending", None),
            State::Duplicate => ("duplicate", None),
        };
        let count = counts.entry(name).or_default();
        count.0 += 1;
        count.1 += entry.duration.unwrap_or(0.0);
        if let Some(detail) = detail {
            println!("{name:<11} {}: {detail}", entry.path.display());
        }
    }
    let get = |name| counts.get(name).copied().unwrap_or_default();
    let left = get("pending").1 + get("interrupted").1 + get("running").1;
    println!(
        "{}: {} done, {} failed, {} running, {} interrupted, {} pending, {} duplicates; {:.2} h of audio left",
        manifest_path.display(),
        get("done").0,
        get("failed").0,
        get("running").0,
        get("interrupted").0,
        get("pending").0,
        get("duplicate").0,
        left / 3600.0
    );
    Ok(())
}

fn bar_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_shard_comes_from_the_flag_slurm_or_kubernetes() {
        let none = env(&[]);
        assert_eq!(shard_from_env(None, None, &none).unwrap(), Shard::ALL);
        let flag = Shard::new(1, 3).unwrap();
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert_eq!(shard_from_env(Some(flag), None, &slurm).unwrap(), flag);
        assert_eq!(
            shard_from_env(None, None, &slurm).unwrap(),
            Shard::new(1, 3).unwrap()
        );
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert_eq!(
            shard_from_env(None, None, &stepped).unwrap(),
            Shard::new(2, 3).unwrap()
        );
        let listed = env(&[
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert!(shard_from_env(None, None, &listed).is_err());
        let no_count = env(&[("SLURM_ARRAY_TASK_ID", "0")]);
        assert!(shard_from_env(None, None, &no_count).is_err());
        let k8s = env(&[("JOB_COMPLETION_INDEX", "4")]);
        assert_eq!(
            shard_from_env(None, Some(5), &k8s).unwrap(),
            Shard::new(4, 5).unwrap()
        );
        assert!(shard_from_env(None, Some(4), &k8s).is_err());
        assert!(shard_from_env(None, Some(4), &none).is_err());
        let garbage = env(&[
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        let e = shard_from_env(None, None, &garbage).unwrap_err();
        assert!(e.to_string().contains("SLURM_ARRAY_TASK_ID"), "{e}");
    }
}
