//! The product end to end: `kaigiroku draft` on the 12.5-minute, 9-voice
//! sample meeting (real audio, the installed Whisper base model, the
//! installed speaker model) → draft.json and the minutes renders. Checks
//! what a clerk would: every agenda item found in order with its title, the
//! decision line of each 議案, the roles of the turns against the sample's
//! truth, key facts in each 要旨, no filler left in the minutes text.
//! Prints the checks: `cargo test --release --test model draft_e2e -- --nocapture`.

use std::path::{Path, PathBuf};
use std::process::Command;

use kaigiroku::draft::{Decision, Draft};
use kaigiroku::meeting::{AgendaKind, Meeting, Role};
use serde::Deserialize;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Deserialize)]
struct Truth {
    utterances: Vec<Utterance>,
}

#[derive(Deserialize)]
struct Utterance {
    start: f64,
    end: f64,
    role: String,
}

/// Share of the truth's speech time whose role the draft's turns got right.
fn role_accuracy(draft: &Draft, truth: &Truth) -> f64 {
    let (mut right, mut total) = (0.0, 0.0);
    for u in &truth.utterances {
        let role: Role = u.role.parse().unwrap();
        total += u.end - u.start;
        for t in &draft.turns {
            let overlap = t.end.min(u.end) - t.start.max(u.start);
            if overlap > 0.0 && draft.role_of(t.id) == Some(&role) {
                right += overlap;
            }
        }
    }
    right / total
}

fn draft(sample: &str, out: &Path) -> Draft {
    crate::models::installed();
    let dir = root().join("samples").join(sample);
    let status = Command::new(env!("CARGO_BIN_EXE_kaigiroku"))
        .current_dir(root())
        .arg("draft")
        .arg(dir.join("meeting.wav"))
        .arg("--meeting")
        .arg(dir.join("meeting.toml"))
        .arg("-o")
        .arg(out)
        .status()
        .unwrap();
    assert!(status.success(), "kaigiroku draft failed on {sample}");
    Draft::load(&out.join("draft.json")).unwrap()
}

#[test]
fn drafts_the_full_sample_meeting_from_its_recording() {
    let sample = "kaigi-2022-01-full";
    let out = tempfile::tempdir().unwrap();
    let d = draft(sample, out.path());
    // KAIGIROKU_E2E_KEEP=DIR keeps the outputs (e.g. to compare two builds' text).
    if let Some(keep) = std::env::var_os("KAIGIROKU_E2E_KEEP") {
        std::fs::create_dir_all(&keep).unwrap();
        for entry in std::fs::read_dir(out.path()).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, Path::new(&keep).join(path.file_name().unwrap())).unwrap();
        }
    }
    let meeting = Meeting::load(&root().join("samples").join(sample).join("meeting.toml")).unwrap();

    println!("items:");
    for item in &d.items {
        let summary: String = item.summary.iter().map(|s| s.text.as_str()).collect();
        println!(
            "  {} [{:?}] presenter {:?}, {} questions, outcome {:?}\n    要旨: {summary}",
            item.heading(),
            item.found,
            item.presenter.as_ref().map(Role::to_string),
            item.questions.len(),
            item.outcome.as_ref().map(|o| o.text.as_str()),
        );
    }

    // Every agenda item, in order, with the meeting's title, located by the
    // chair's announcement (not merely by order).
    let expected: Vec<_> = meeting
        .agenda
        .iter()
        .map(|a| (a.kind, a.number, a.title.clone()))
        .collect();
    let got: Vec<_> = d
        .items
        .iter()
        .map(|i| (i.kind, i.number, i.title.clone()))
        .collect();
    assert_eq!(got, expected);
    let announced = d
        .items
        .iter()
        .filter(|i| i.found == kaigiroku::draft::Found::Announcement)
        .count();
    println!("announced: {announced} of {}", d.items.len());
    assert!(announced >= d.items.len() - 1, "items found only by order");

    // Both 議案 approved as proposed: 「案のとおり承認」.
    for item in d.items.iter().filter(|i| i.kind == AgendaKind::Proposal) {
        let outcome = item.outcome.as_ref().expect("decision line");
        assert_eq!(outcome.decision, Decision::Approved, "{}", item.heading());
    }
    // Each presentation by the secretariat, with a 要旨.
    for item in &d.items {
        assert!(!item.summary.is_empty(), "no 要旨 for {}", item.heading());
    }

    // Roles of the turns against the truth.
    let truth: Truth = serde_json::from_slice(
        &std::fs::read(root().join("samples").join(sample).join("truth.json")).unwrap(),
    )
    .unwrap();
    let accuracy = role_accuracy(&d, &truth);
    println!("role accuracy (speech time): {:.1} %", 100.0 * accuracy);
    assert!(accuracy >= 0.9, "role accuracy {accuracy:.3}");

    // Key facts survive recognition into the 要旨. Whisper's words differ
    // from one CPU to another, so no single fact is required: every item
    // keeps at least one, and four in five are kept overall.
    let summary =
        |i: usize| -> String { d.items[i].summary.iter().map(|s| s.text.as_str()).collect() };
    let (mut kept, mut total) = (0, 0);
    for (i, keys) in [
        (
            0,
            &["平成28年度", "仮想デスクトップシステム", "4000万円"][..],
        ),
        (1, &["BPR", "令和4年度"][..]),
        (2, &["意見照会", "パブリックコメント"][..]),
        (3, &["令和3年度末", "タブレット端末"][..]),
        (4, &["7年", "スマートフォン"][..]),
        (5, &["LGWAN-ASP"][..]),
    ] {
        let here = keys.iter().filter(|k| summary(i).contains(*k)).count();
        println!("要旨 {i}: {here}/{} key facts", keys.len());
        assert!(here >= 1, "no key fact in 要旨 {i}: {}", summary(i));
        kept += here;
        total += keys.len();
    }
    assert!(5 * kept >= 4 * total, "key facts kept: {kept}/{total}");

    // The renders exist, and no filler is left in the minutes text.
    for file in [
        "minutes.md",
        "minutes.txt",
        "minutes.docx",
        "turns.json",
        "transcript.json",
    ] {
        assert!(out.path().join(file).is_file(), "{file} not written");
    }
    let text = std::fs::read_to_string(out.path().join("minutes.txt")).unwrap();
    for filler in ["えー", "あのー", "えっと", "、まあ、", "あのう"] {
        assert!(!text.contains(filler), "filler {filler} left");
    }
    assert!(text.contains("—議題について案のとおり承認—"));
    println!("{text}");
}
