//! The correction stage on real Whisper output: segments recorded from
//! `kaigiroku transcribe` (tests/fixtures/speakers/NAME.segments.json) are
//! corrected with samples/NAME/meeting.toml and scored against
//! samples/NAME/truth.json. Prints CER before and after and the corrections
//! per rule (`cargo test --release --test fast correct -- --nocapture`); fails if CER rises,
//! or if any correction is not what was said where it was made.
//!
//! More hypotheses can be scored without committing them:
//! `KAIGIROKU_CORRECT_EXTRA=/tmp/a.tsv=samples/kaigi-2022-01-full` (TSV lines
//! `start<TAB>end<TAB>text`; several pairs separated by `,`).

use std::path::{Path, PathBuf};

use kaigiroku::correct::Corrector;
use kaigiroku::meeting::Meeting;
use kaigiroku::metrics::{cer, normalize};
use kaigiroku::types::{CorrectionRule, Segment};
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
    text: String,
}

#[derive(Deserialize)]
struct Fixture {
    segments: Vec<Segment>,
}

fn load_truth(sample: &Path) -> Truth {
    let text = std::fs::read_to_string(sample.join("truth.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn load_tsv(path: &Path) -> Vec<Segment> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            let start = parts.next()?.parse().ok()?;
            let end = parts.next()?.parse().ok()?;
            let text = parts.next()?.to_string();
            Some(Segment {
                start,
                end,
                text,
                confidence: 1.0,
                flags: vec![],
                verbatim: None,
                corrections: vec![],
            })
        })
        .collect()
}

/// What was said from `start` to `end` (utterances overlapping it, with a
/// margin for Whisper's loose timestamps), normalised.
fn said(truth: &Truth, start: f64, end: f64) -> String {
    truth
        .utterances
        .iter()
        .filter(|u| u.start < end + 3.0 && start - 3.0 < u.end)
        .flat_map(|u| normalize(&u.text))
        .collect()
}

#[derive(Default)]
struct Score {
    before: f64,
    after: f64,
    era: usize,
    confusion: usize,
    glossary: usize,
    wrong: Vec<String>,
}

fn score(name: &str, segments: Vec<Segment>, sample: &Path) -> Score {
    let meeting = Meeting::load(&sample.join("meeting.toml")).unwrap();
    let truth = load_truth(sample);
    let reference: String = truth.utterances.iter().map(|u| u.text.as_str()).collect();
    let before: String = segments.iter().map(|s| s.text.as_str()).collect();
    let corrector = Corrector::builder(&meeting).build().unwrap();
    let corrected = corrector.correct(segments);
    let after: String = corrected.iter().map(|s| s.text.as_str()).collect();
    let mut score = Score {
        before: cer(&reference, &before),
        after: cer(&reference, &after),
        ..Score::default()
    };
    for s in &corrected {
        if s.corrections.is_empty() {
            assert!(s.verbatim.is_none());
            continue;
        }
        let verbatim = s.verbatim.as_deref().unwrap();
        let window = said(&truth, s.start, s.end);
        for c in &s.corrections {
            match c.rule {
                CorrectionRule::Era => score.era += 1,
                CorrectionRule::Confusion => score.confusion += 1,
                CorrectionRule::Glossary => score.glossary += 1,
            }
            let to: String = normalize(&c.to).into_iter().collect();
            let at: String = s
                .text
                .chars()
                .skip(c.at)
                .take(c.to.chars().count())
                .collect();
            let ok = window.contains(&to) && at == c.to;
            println!(
                "  {name} [{:>7.2}] {:<9} {} → {}{}",
                s.start,
                format!("{:?}", c.rule).to_lowercase(),
                c.from,
                c.to,
                if ok { "" } else { "   ✗ not said here" }
            );
            if !ok {
                score
                    .wrong
                    .push(format!("{} → {} at {:.2} s", c.from, c.to, s.start));
            }
        }
        // Locally too, the segment must be nearer what was said.
        let (b, a) = (cer(&window, verbatim), cer(&window, &s.text));
        if a > b {
            score.wrong.push(format!(
                "segment at {:.2} s got worse: {b:.3} → {a:.3}",
                s.start
            ));
        }
    }
    score
}

#[test]
fn corrections_lower_cer_on_real_whisper_output_and_are_all_right() {
    let mut runs: Vec<(String, Vec<Segment>, PathBuf)> = Vec::new();
    for name in [
        "kaigi-2022-01",
        "kaigi-2022-01-full",
        "kaigi-2022-01-full-noisy",
    ] {
        let path = root().join(format!("tests/fixtures/speakers/{name}.segments.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{name}: fixture {}: {e}", path.display()));
        let fixture: Fixture = serde_json::from_str(&text).unwrap();
        runs.push((
            name.into(),
            fixture.segments,
            root().join("samples").join(name),
        ));
    }
    if let Ok(extra) = std::env::var("KAIGIROKU_CORRECT_EXTRA") {
        for pair in extra.split(',').filter(|p| !p.is_empty()) {
            let (tsv, sample) = pair.split_once('=').expect("TSV=SAMPLE_DIR");
            let name = Path::new(tsv)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            runs.push((name, load_tsv(Path::new(tsv)), root().join(sample)));
        }
    }
    assert!(!runs.is_empty());
    let mut table = vec![
        "| hypothesis | CER before % | CER after % | era | confusion | glossary |".to_string(),
        "| --- | ---: | ---: | ---: | ---: | ---: |".to_string(),
    ];
    let mut wrong = Vec::new();
    for (name, segments, sample) in runs {
        let s = score(&name, segments, &sample);
        table.push(format!(
            "| {name} | {:.1} | {:.1} | {} | {} | {} |",
            s.before * 100.0,
            s.after * 100.0,
            s.era,
            s.confusion,
            s.glossary
        ));
        assert!(
            s.after <= s.before,
            "{name}: CER rose from {:.4} to {:.4}",
            s.before,
            s.after
        );
        wrong.extend(s.wrong.into_iter().map(|w| format!("{name}: {w}")));
    }
    println!("{}", table.join("\n"));
    assert!(wrong.is_empty(), "wrong corrections:\n{}", wrong.join("\n"));
}

#[test]
fn the_sample_meetings_load_and_build_a_corrector() {
    for name in [
        "kaigi-2022-01",
        "kaigi-2022-01-full",
        "kaigi-2022-01-full-noisy",
    ] {
        let meeting =
            Meeting::load(&root().join("samples").join(name).join("meeting.toml")).unwrap();
        let corrector = Corrector::builder(&meeting).build().unwrap();
        assert!(!corrector.confusions().is_empty(), "{name}");
    }
}
