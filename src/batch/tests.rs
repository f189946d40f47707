use std::path::{Path, PathBuf};

use super::state::{self, Attempt, Done, Failure, Lock};
use super::*;
use crate::model::file_sha256;

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A silent 16-bit mono WAV of `seconds` at `rate`, with `salt` as its
/// first sample so that files differ.
fn wav(path: &Path, seconds: f64, rate: u32, salt: i16) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(seconds * f64::from(rate)) as usize {
        w.write_sample(if i == 0 { salt } else { 0 }).unwrap();
    }
    w.finalize().unwrap();
}

const MEETING: &str = r#"
name = "第1回 テスト会議"
secretariat = "情報政策課"
date = 2024-04-01
"#;

#[test]
fn shards_partition_the_manifest() {
    for count in 1..=12u32 {
        for lines in 0..=40usize {
            let mut taken = vec![0; lines];
            for index in 0..count {
                let shard = Shard::new(index, count).unwrap();
                for (k, seen) in taken.iter_mut().enumerate() {
                    if shard.takes(k) {
                        *seen += 1;
                    }
                }
            }
            assert!(taken.iter().all(|&n| n == 1), "{count} shards of {lines}");
        }
    }
    assert_eq!("2/5".parse::<Shard>().unwrap(), Shard::new(2, 5).unwrap());
    for bad in ["5/5", "1/0", "x/3", "3", "-1/3", ""] {
        assert!(bad.parse::<Shard>().is_err(), "{bad}");
    }
}

#[test]
fn a_plan_lists_every_recording_longest_first_with_its_meeting_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("archive");
    wav(&arch.join("2023/long.wav"), 3.0, 16000, 1);
    write(&arch.join("2023/long.toml"), MEETING.as_bytes());
    wav(&arch.join("2023/short.wav"), 1.0, 8000, 2);
    write(&arch.join("meeting.toml"), MEETING.as_bytes());
    wav(&arch.join("2024/mid.WAV"), 2.0, 48000, 3);
    std::fs::copy(arch.join("2023/short.wav"), arch.join("2024/copy.wav")).unwrap();
    write(&arch.join("2024/empty.wav"), b"");
    write(&arch.join("2024/text.mp3"), "会議録ではない".as_bytes());
    write(&arch.join("2024/bad.toml"), b"name = ");
    wav(&arch.join("2024/bad.wav"), 1.0, 16000, 4);
    write(&arch.join("2024/notes.txt"), b"not audio by name");
    wav(&arch.join(".hidden/skip.wav"), 1.0, 16000, 5);

    let path = dir.path().join("manifest.jsonl");
    let plan = Manifest::plan(
        std::slice::from_ref(&arch),
        &path,
        &dir.path().join("out"),
        |_| {},
    )
    .unwrap();
    let names: Vec<String> = plan
        .entries
        .iter()
        .map(|e| e.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "long.wav",
            "mid.WAV",
            "short.wav",
            "copy.wav",
            "bad.wav",
            "empty.wav",
            "text.mp3"
        ],
        "longest first, the unreadable last"
    );
    let by = |name: &str| {
        plan.entries
            .iter()
            .find(|e| e.path.ends_with(name))
            .unwrap()
    };
    assert_eq!(
        by("long.wav").meeting.as_deref(),
        Some(&*arch.join("2023/long.toml"))
    );
    assert_eq!(
        by("short.wav").meeting.as_deref(),
        Some(&*arch.join("meeting.toml"))
    );
    assert_eq!(
        by("mid.WAV").meeting.as_deref(),
        Some(&*arch.join("meeting.toml"))
    );
    assert_eq!(by("long.wav").duration, Some(3.0));
    assert_eq!(by("mid.WAV").format.as_deref(), Some("WAV"));
    assert_eq!(
        by("short.wav").id,
        file_sha256(&arch.join("2023/short.wav")).unwrap()
    );
    assert!(by("long.wav")
        .output
        .ends_with(format!("out/long-{}", &by("long.wav").id[..12])));
    // The copy is the same recording: one of the two is processed.
    assert_eq!(
        by("copy.wav").same_as.as_deref(),
        Some(&*by("short.wav").path)
    );
    assert_eq!(by("short.wav").same_as, None);
    let error = |name| by(name).error.clone().unwrap_or_default();
    assert!(
        error("empty.wav").contains("empty"),
        "{}",
        error("empty.wav")
    );
    assert!(error("empty.wav").contains("empty.wav"));
    assert!(
        error("text.mp3").contains("text.mp3"),
        "{}",
        error("text.mp3")
    );
    assert!(
        error("bad.wav").contains("meeting file"),
        "{}",
        error("bad.wav")
    );
    assert!(
        error("bad.wav").contains("bad.toml"),
        "{}",
        error("bad.wav")
    );

    // Written relative to its folder, read back the same.
    plan.write().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 7);
    assert!(text.contains(r#""path":"archive/2023/long.wav""#), "{text}");
    let loaded = Manifest::load(&path).unwrap();
    assert_eq!(loaded.entries, plan.entries);
}

#[test]
fn a_broken_manifest_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.jsonl");
    write(&path, b"{\"id\":\"x\"}\n");
    let e = Manifest::load(&path).unwrap_err().to_string();
    assert!(e.contains("m.jsonl, line 1"), "{e}");
    assert!(e.contains("batch plan"), "{e}");
}

#[test]
fn the_folder_tells_where_a_recording_stands() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    assert_eq!(state::state_of(out, "abc"), State::Pending);
    let attempt = Attempt {
        attempt: 1,
        started: state::now(),
        host: "node1".into(),
        pid: 1,
    };
    state::write(out, state::ATTEMPT, &attempt).unwrap();
    {
        let _held = Lock::try_take(out).unwrap().unwrap();
        assert!(
            Lock::try_take(out).unwrap().is_none(),
            "one holder at a time"
        );
        assert!(matches!(
            state::state_of(out, "abc"),
            State::Running { attempt: 1, .. }
        ));
    }
    assert_eq!(
        state::state_of(out, "abc"),
        State::Interrupted { attempts: 1 },
        "an attempt whose lock is free died"
    );
    let failure = Failure {
        inputs: None,
        reason: "the audio is damaged".into(),
        at: state::now(),
        attempt: 1,
    };
    state::write(out, state::ERROR, &failure).unwrap();
    assert!(matches!(state::state_of(out, "abc"), State::Failed { .. }));

    let manifest = Manifest {
        path: out.join("m.jsonl"),
        entries: vec![Entry {
            id: "abc".into(),
            path: out.join("a.wav"),
            size: 1,
            duration: Some(1.0),
            format: None,
            meeting: None,
            output: out.to_path_buf(),
            error: None,
            same_as: None,
        }],
    };
    assert_eq!(retry_failed(&manifest).unwrap(), 1);
    assert!(!out.join(state::ERROR).exists());
    assert_eq!(retry_failed(&manifest).unwrap(), 0);
    let kept: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("error."))
        .collect();
    assert_eq!(kept.len(), 1, "the old error is kept aside");
    let done: Option<Done> = state::read(out, state::DONE);
    assert!(done.is_none());
}
