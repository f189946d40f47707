//! `kaigiroku record --live --meeting` in the room, as far as a machine
//! without a sound card can have one: the sample meeting played in real time
//! into a private PulseAudio null sink whose monitor is recorded (see
//! `tests/fast/record_support.rs`). When playback ends the clerk presses
//! `q`; the draft must follow soon, and hold the same structure as the draft
//! `kaigiroku draft` made of the file (the committed
//! `tests/fixtures/review-sample`), with text as good against the truth.
//!
//! A test binary of its own (`tests/live`), run after the model tests so
//! that a real-time recording never shares the 2 cores with them.
//! `bench/record-live.sh` runs it on the 12.5-minute sample
//! (`KAIGIROKU_LIVE_SAMPLE=kaigi-2022-01-full`, offline draft made here)
//! and prints the figures of issue 13.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kaigiroku::draft::Draft;
use kaigiroku::meeting::Meeting;
use kaigiroku::metrics::cer;
use kaigiroku::pipeline::{Goal, Pipeline, Settings, Silent};
use kaigiroku::types::Transcript;

use crate::models;
use crate::record_support::{files, Pulse, Recording};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn truth(sample: &Path) -> String {
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sample.join("truth.json")).unwrap()).unwrap();
    truth["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["text"].as_str().unwrap())
        .collect()
}

fn text(transcript: &Transcript) -> String {
    transcript
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .collect()
}

/// What `kaigiroku draft` makes of the recording: the committed draft of
/// the short sample, or a draft made now.
fn offline(name: &str, recorded: &Path, meeting: &Meeting) -> (Draft, Transcript) {
    let fixture = root().join("tests/fixtures/review-sample");
    if name == "kaigi-2022-01" {
        let draft = Draft::load(&fixture.join("draft.json")).unwrap();
        let transcript: Transcript =
            serde_json::from_slice(&std::fs::read(fixture.join("transcript.json")).unwrap())
                .unwrap();
        return (draft, transcript);
    }
    let audio = kaigiroku::audio::load(recorded).unwrap();
    let pipeline = Pipeline::new(Settings::new(models::installed())).unwrap();
    let outcome = pipeline
        .run(&audio, "recorded", Some(meeting), Goal::Draft, &mut Silent)
        .unwrap();
    (outcome.draft.unwrap(), outcome.transcript)
}

#[test]
fn a_meeting_recorded_live_is_drafted_soon_after_it_ends() {
    models::installed();
    let name = std::env::var("KAIGIROKU_LIVE_SAMPLE").unwrap_or("kaigi-2022-01".into());
    let sample = root().join("samples").join(&name);
    let meeting_file = sample.join("meeting.toml");
    let meeting = Meeting::load(&meeting_file).unwrap();
    let pulse = Pulse::start();
    let work = tempfile::tempdir().unwrap();
    let played = work.path().join("played.wav");
    let seconds = kaigiroku::audio::load(&sample.join("meeting.wav"))
        .unwrap()
        .duration();
    std::fs::copy(sample.join("meeting.wav"), &played).unwrap();
    let out = work.path().join("out");
    let mut recording = Recording::start_with(
        &pulse,
        &out,
        &["--meeting", meeting_file.to_str().unwrap(), "--live"],
    );
    let played_for = pulse.play(&played);
    std::thread::sleep(Duration::from_millis(500));
    let stopped = Instant::now();
    writeln!(recording.child.stdin.as_mut().unwrap(), "q").unwrap();
    recording.wait_for("draft written", Duration::from_secs(600));
    let stop_to_draft = stopped.elapsed().as_secs_f64();
    let status = recording.child.wait().unwrap();
    assert!(
        status.success(),
        "record: {status}\n{}",
        recording.stderr.join("\n")
    );
    let said = recording.stderr.join("\n");
    assert!(
        !said.contains("DROPPED") && !said.contains("were dropped"),
        "{said}"
    );
    assert!(!said.contains("live transcription failed"), "{said}");

    let recorded = files(&out, ".wav")
        .into_iter()
        .find(|p| !p.to_string_lossy().ends_with("partial.wav"))
        .unwrap();
    let live = Draft::load(&out.join("draft.json")).unwrap();
    let live_transcript: Transcript =
        serde_json::from_slice(&std::fs::read(out.join("transcript.json")).unwrap()).unwrap();
    let (file_draft, file_transcript) = offline(&name, &recorded, &meeting);

    let reference = truth(&sample);
    let (cer_live, cer_file) = (
        cer(&reference, &text(&live_transcript)),
        cer(&reference, &text(&file_transcript)),
    );
    let summary = |d: &Draft| -> Vec<(String, bool, Option<kaigiroku::draft::Decision>)> {
        d.items
            .iter()
            .map(|i| {
                (
                    i.heading(),
                    i.found != kaigiroku::draft::Found::Missing,
                    i.outcome.as_ref().map(|o| o.decision),
                )
            })
            .collect()
    };
    eprintln!("| {name} | value |\n|---|---:|");
    eprintln!(
        "| audio played | {seconds:.1} s (paplay {:.1} s) |",
        played_for.as_secs_f64()
    );
    eprintln!("| dropped samples | 0 |");
    let overruns = said
        .lines()
        .filter(|l| l.contains("OVERRUNS") || l.contains("overruns"))
        .count();
    eprintln!("| lines reporting device overruns | {overruns} |");
    eprintln!("| stop → draft written | {stop_to_draft:.1} s |");
    eprintln!("| CER live (vs truth) | {:.2} % |", cer_live * 100.0);
    eprintln!(
        "| CER draft on the file (vs truth) | {:.2} % |",
        cer_file * 100.0
    );
    eprintln!(
        "| items / decisions equal | {} |",
        summary(&live) == summary(&file_draft)
    );
    assert_eq!(summary(&live), summary(&file_draft));
    assert!(
        cer_live <= cer_file + 0.03,
        "live CER {:.1} % against {:.1} % from the file",
        cer_live * 100.0,
        cer_file * 100.0
    );
    assert!(
        stop_to_draft < 120.0,
        "the draft took {stop_to_draft:.0} s after stop"
    );
}
