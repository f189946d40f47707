//! End to end without the speaker stage: turns from the samples' truth
//! (true text) and from Whisper base's recognised text (each segment given
//! the role of the utterance it overlaps most). Prints every item found, its
//! decision, its 要旨, and checks that no filler is left.
//! `cargo test --release --test fast minutes_e2e -- --nocapture`.

use crate::minutes_support;

use kaigiroku::draft::{Decision, Draft};
use kaigiroku::meeting::{AgendaKind, Meeting};
use kaigiroku::minutes::Drafter;
use kaigiroku::types::{Transcript, Turn};
use minutes_support::{meeting, root, truth, FULL_MEETING};

fn report(label: &str, m: &Meeting, turns: &[Turn]) -> Draft {
    let d = Drafter::builder(m).build().draft(turns, &[]).unwrap();
    println!("== {label}: {} turns", turns.len());
    for item in &d.items {
        println!(
            "  {} [{:?}, turns {:?}] presenter {:?}, {} questions, outcome {:?}",
            item.heading(),
            item.found,
            item.turns.first().zip(item.turns.last()),
            item.presenter.as_ref().map(|r| r.to_string()),
            item.questions.len(),
            item.outcome.as_ref().map(|o| o.text.as_str()),
        );
        let summary: String = item.summary.iter().map(|s| s.text.as_str()).collect();
        println!("    要旨: {summary}");
    }
    println!(
        "  closing {:?}, flags {:?}",
        d.closing.end_time.map(|t| t.to_string()),
        d.flags
    );
    // Items in meeting order with the meeting's titles; every 議案 has its line.
    let expected: Vec<_> = m
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
    for item in d.items.iter().filter(|i| i.kind == AgendaKind::Proposal) {
        assert!(item.outcome.is_some(), "{}", item.heading());
    }
    let text = kaigiroku::render::minutes::text(&d);
    for filler in ["えー", "あのー", "えっと", "、まあ、", "あのう"] {
        assert!(!text.contains(filler), "{label}: filler {filler} left");
    }
    d
}

fn has(d: &Draft, item: usize, keys: &[&str]) {
    let summary: String = d.items[item]
        .summary
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    for key in keys {
        assert!(
            summary.contains(key),
            "{key} missing from 要旨 of item {item}: {summary}"
        );
    }
}

#[test]
fn short_sample_from_truth_and_from_whisper() {
    let t = truth("kaigi-2022-01").unwrap();
    let m = meeting("kaigi-2022-01", FULL_MEETING);
    let d = report("kaigi-2022-01 truth", &m, &t.turns());
    assert!(d
        .items
        .iter()
        .all(|i| i.found == kaigiroku::draft::Found::Announcement));
    has(
        &d,
        0,
        &[
            "平成28年度",
            "令和4年度",
            "4000万円",
            "仮想デスクトップシステム",
            "現行ベンダー",
        ],
    );
    has(&d, 1, &["令和4年度", "3グループ", "標準化全体会"]);
    has(&d, 2, &["豊島区DX推進計画", "1月下旬", "令和4年4月末"]);
    for item in &d.items[..2] {
        assert_eq!(item.outcome.as_ref().unwrap().decision, Decision::Approved);
    }

    let path = root().join("tests/fast/minutes_support/kaigi-2022-01.whisper-base.json");
    let transcript: Transcript = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let d = report("kaigi-2022-01 whisper base", &m, &t.turns_from(&transcript));
    // Recognised text: 「ギアン、1」 for 議案（1）, 「勝人」 for 承認, 「例は4年度」 for 令和4年度.
    for item in &d.items[..2] {
        assert_eq!(item.outcome.as_ref().unwrap().decision, Decision::Approved);
    }
    has(&d, 0, &["平成28年度", "仮想デスクトップシステム"]);
    has(&d, 2, &["DX推進計画", "1月下旬", "パブリックコメント"]);
    let markdown = kaigiroku::render::minutes::markdown(&d);
    println!("{markdown}");
}

#[test]
fn full_sample_from_truth() {
    let t = truth("kaigi-2022-01-full").unwrap();
    let m = meeting("kaigi-2022-01-full", FULL_MEETING);
    let d = report("kaigi-2022-01-full truth", &m, &t.turns());
    has(
        &d,
        0,
        &["平成28年度", "令和4年度", "4000万円", "現行ベンダー"],
    );
    has(&d, 1, &["住記系", "3グループ", "標準化全体会"]);
    has(&d, 2, &["豊島区DX推進計画", "令和4年4月末"]);
    has(&d, 3, &["令和3年度末", "候補機種C"]);
    has(&d, 4, &["7年", "スマートフォン"]);
    has(&d, 5, &["LGWAN-ASP", "行政情報化推進本部"]);
    let questions: Vec<usize> = d.items.iter().map(|i| i.questions.len()).collect();
    println!("questions per item: {questions:?}");
    assert_eq!(questions[0], 0);
    println!("{}", kaigiroku::render::minutes::text(&d));
    // KAIGIROKU_DRAFT_OUT=DIR keeps the files to look at (e.g. the .docx in LibreOffice).
    if let Some(dir) = std::env::var_os("KAIGIROKU_DRAFT_OUT") {
        let written = kaigiroku::render::write_draft(std::path::Path::new(&dir), &d).unwrap();
        println!("wrote {written:?}");
    }
}
