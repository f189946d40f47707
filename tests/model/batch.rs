//! `kaigiroku batch` end to end with the real models, on an archive of short
//! cuts of the sample meeting and damaged files:
//! - the damaged files end in their `error.json` with a reason naming them,
//!   the run goes on and exits 2;
//! - a run killed with SIGKILL mid-recording, then two runs at once over
//!   the same manifest (as a retried cluster task would overlap its first
//!   try): every recording is done exactly once (one "done" line in all the
//!   runs' logs, the `done.json` of those finished before the kill never
//!   rewritten), the one killed is redone (attempt 2), no lock or attempt
//!   left behind;
//! - the outputs are byte for byte those of a one-shot `kaigiroku draft`
//!   (or `transcribe`, without a meeting file) with the same threads;
//! - a rerun does nothing; `batch status` counts it all.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn kaigiroku() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kaigiroku"));
    command
        .env("KAIGIROKU_MODELS", crate::models::installed().dir())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null());
    command
}

/// `seconds` of the sample meeting from `from`, at `rate`, written to `path`.
fn cut(path: &Path, from: f64, seconds: f64, rate: u32) {
    let sample = root().join("samples/kaigi-2022-01/meeting.wav");
    let audio = kaigiroku::audio::load(&sample).unwrap();
    let start = (from * 16000.0) as usize;
    let piece = &audio.samples[start..start + (seconds * 16000.0) as usize];
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let step = 16000 / rate as usize;
    for s in piece.iter().step_by(step.max(1)) {
        w.write_sample(*s).unwrap();
    }
    w.finalize().unwrap();
}

fn said(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}

/// The `done` lines of a run's log, by recording file name.
fn done_lines(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.starts_with("done "))
        .filter_map(|l| l.split_whitespace().nth(2))
        .map(|p| {
            Path::new(p.trim_end_matches(':'))
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

struct Line {
    path: PathBuf,
    output: PathBuf,
    meeting: Option<PathBuf>,
}

fn manifest(path: &Path) -> Vec<Line> {
    let base = path.parent().unwrap();
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            Line {
                path: base.join(v["path"].as_str().unwrap()),
                output: base.join(v["output"].as_str().unwrap()),
                meeting: v["meeting"].as_str().map(|m| base.join(m)),
            }
        })
        .collect()
}

#[test]
fn an_archive_is_processed_once_each_survives_a_kill_and_matches_one_shot_runs() {
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    std::fs::copy(
        root().join("samples/kaigi-2022-01/meeting.toml"),
        archive.join("meeting.toml"),
    )
    .unwrap();
    let good = [
        ("r1.wav", 0.0, 24.0),
        ("r2.wav", 40.0, 20.0),
        ("r3.wav", 70.0, 18.0),
        ("r4.wav", 100.0, 16.0),
    ];
    for (name, from, seconds) in good {
        cut(&archive.join(name), from, seconds, 16000);
    }
    // Telephone audio, in a folder with no meeting file: transcript only.
    cut(&work.path().join("phone/call.wav"), 130.0, 14.0, 8000);
    let damaged = work.path().join("damaged");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join("empty.wav"), b"").unwrap();
    std::fs::write(damaged.join("notes.mp3"), "議事メモ".repeat(300)).unwrap();
    let header = std::fs::read(archive.join("r4.wav")).unwrap();
    std::fs::write(damaged.join("header-only.wav"), &header[..44]).unwrap();

    let manifest_path = work.path().join("manifest.jsonl");
    let out = kaigiroku()
        .args(["batch", "plan"])
        .arg(&archive)
        .arg(work.path().join("phone"))
        .arg(&damaged)
        .arg("-o")
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let lines = manifest(&manifest_path);
    assert_eq!(lines.len(), 8);

    // A run killed as soon as its first recording is done (the other job
    // is then in the middle of one).
    let mut first = kaigiroku()
        .args(["batch", "run", "--jobs", "2"])
        .arg(&manifest_path)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let done_before: HashMap<PathBuf, Vec<u8>> = loop {
        let done: HashMap<PathBuf, Vec<u8>> = lines
            .iter()
            .filter_map(|l| {
                Some((
                    l.output.clone(),
                    std::fs::read(l.output.join("done.json")).ok()?,
                ))
            })
            .collect();
        if !done.is_empty() {
            first.kill().unwrap();
            break done;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "no recording done in 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let first = first.wait_with_output().unwrap();
    let first_log = said(&first);
    let interrupted: Vec<&Line> = lines
        .iter()
        .filter(|l| l.output.join("attempt.json").exists())
        .collect();
    eprintln!(
        "batch: killed after {:.1} s with {} done, {} under way",
        started.elapsed().as_secs_f64(),
        done_before.len(),
        interrupted.len()
    );
    assert!(!interrupted.is_empty(), "nothing was under way at the kill");
    let status = said(
        &kaigiroku()
            .args(["batch", "status"])
            .arg(&manifest_path)
            .output()
            .unwrap(),
    );
    assert!(status.contains("interrupted"), "{status}");

    // Two runs at once over the same manifest, one thread each.
    let spawn = || {
        kaigiroku()
            .args(["batch", "run", "--jobs", "1", "--threads", "1"])
            .arg(&manifest_path)
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let logs = [first_log.as_str(), &said(&a), &said(&b)];
    eprintln!("batch: second runs:\n{}\n{}", logs[1], logs[2]);
    let codes = [a.status.code(), b.status.code()];
    assert!(
        codes.contains(&Some(2)),
        "some failed: exit 2, got {codes:?}"
    );
    assert!(
        codes.iter().all(|c| matches!(c, Some(0) | Some(2))),
        "{codes:?}"
    );

    // Exactly once each, and what was done before the kill never redone.
    let mut times: HashMap<String, usize> = HashMap::new();
    for log in logs {
        for name in done_lines(log) {
            *times.entry(name).or_default() += 1;
        }
    }
    for l in &lines {
        let name = l.path.file_name().unwrap().to_string_lossy().into_owned();
        let broken = l.path.starts_with(&damaged);
        assert_eq!(
            times.get(&name).copied().unwrap_or(0),
            usize::from(!broken),
            "{name}: {times:?}"
        );
        assert!(!l.output.join("attempt.json").exists(), "{name}");
        match broken {
            true => {
                let error = std::fs::read_to_string(l.output.join("error.json")).unwrap();
                assert!(error.contains(&*name), "{error}");
                assert!(!l.output.join("done.json").exists());
            }
            false => {
                let done = std::fs::read(l.output.join("done.json")).unwrap();
                if let Some(before) = done_before.get(&l.output) {
                    assert_eq!(&done, before, "{name} was redone");
                }
                let attempt =
                    serde_json::from_slice::<serde_json::Value>(&done).unwrap()["attempt"].clone();
                let was_interrupted = interrupted.iter().any(|i| i.output == l.output);
                assert_eq!(
                    attempt,
                    serde_json::json!(if was_interrupted { 2 } else { 1 }),
                    "{name}"
                );
            }
        }
    }

    // The same files as one-shot runs with the same threads.
    for l in lines.iter().filter(|l| l.meeting.is_some()).take(1).chain(
        lines
            .iter()
            .filter(|l| l.meeting.is_none() && !l.path.starts_with(&damaged)),
    ) {
        let one_shot = work
            .path()
            .join("one-shot")
            .join(l.path.file_stem().unwrap());
        let mut command = kaigiroku();
        match &l.meeting {
            Some(meeting) => command
                .arg("draft")
                .arg(&l.path)
                .arg("--meeting")
                .arg(meeting),
            None => command.arg("transcribe").arg(&l.path),
        };
        let out = command
            .args(["--threads", "1", "-o"])
            .arg(&one_shot)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", said(&out));
        let mut compared = 0;
        for file in ["transcript.json", "turns.json", "draft.json", "minutes.md"] {
            let single = std::fs::read(one_shot.join(file)).ok();
            let batch = std::fs::read(l.output.join(file)).ok();
            assert_eq!(
                single.is_some(),
                batch.is_some(),
                "{file} of {}",
                l.path.display()
            );
            if let (Some(single), Some(batch)) = (single, batch) {
                assert!(
                    single == batch,
                    "{file} of {} differs from a one-shot run",
                    l.path.display()
                );
                compared += 1;
            }
        }
        eprintln!(
            "batch: {} identical to a one-shot run ({compared} files)",
            l.path.display()
        );
        assert!(compared >= if l.meeting.is_some() { 4 } else { 1 });
    }

    // Nothing left to do.
    let again = kaigiroku()
        .args(["batch", "run"])
        .arg(&manifest_path)
        .output()
        .unwrap();
    let log = said(&again);
    assert_eq!(again.status.code(), Some(2), "{log}");
    assert!(done_lines(&log).is_empty(), "{log}");
    assert_eq!(log.matches("already done").count(), 5, "{log}");
    let status = said(
        &kaigiroku()
            .args(["batch", "status"])
            .arg(&manifest_path)
            .output()
            .unwrap(),
    );
    assert!(
        status.contains("5 done, 3 failed, 0 running, 0 interrupted, 0 pending"),
        "{status}"
    );
}

/// A recording that takes longer than its time limit is stopped (between
/// two recognition windows) and failed with the reason; the run goes on.
#[test]
fn a_recording_over_its_time_limit_is_stopped_and_failed() {
    use kaigiroku::batch::{self, Finish, Manifest, RunOptions};
    use kaigiroku::pipeline::{Pipeline, Settings};
    let work = tempfile::tempdir().unwrap();
    cut(&work.path().join("archive/long.wav"), 0.0, 60.0, 16000);
    let manifest_path = work.path().join("manifest.jsonl");
    let manifest = Manifest::plan(
        &[work.path().join("archive")],
        &manifest_path,
        &work.path().join("out"),
        |_| {},
    )
    .unwrap();
    let pipeline = Pipeline::new(Settings::new(crate::models::installed())).unwrap();
    let options = RunOptions {
        timeout_factor: 0.05,
        min_timeout: Duration::ZERO,
        ..RunOptions::default()
    };
    let started = Instant::now();
    let finished = std::sync::Mutex::new(Vec::new());
    let summary = batch::run(&manifest, &pipeline, &options, &|event| {
        if let batch::Event::Finished { finish, .. } = event {
            finished.lock().unwrap().push(finish.clone());
        }
    })
    .unwrap();
    let took = started.elapsed().as_secs_f64();
    let finished = finished.into_inner().unwrap();
    eprintln!("batch: time limit 3 s: {finished:?} after {took:.1} s");
    assert_eq!(summary.failed, 1);
    let Finish::Failed { reason } = &finished[0] else {
        panic!("{finished:?}");
    };
    assert!(
        reason.contains("took longer than its time limit"),
        "{reason}"
    );
    assert!(reason.contains("--timeout-factor"), "{reason}");
    // Stopped between two windows, before the end.
    let said: Vec<f64> = reason
        .split_once("stopped after ")
        .unwrap_or_else(|| panic!("{reason}"))
        .1
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(said.len() >= 2 && said[0] < said[1], "{reason}");
    let error = std::fs::read_to_string(manifest.entries[0].output.join("error.json")).unwrap();
    assert!(error.contains("took longer than"), "{error}");
    assert!(!manifest.entries[0].output.join("done.json").exists());
}
