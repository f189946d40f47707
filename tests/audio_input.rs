//! Loading WAV recordings: formats that load, and bad input that fails with
//! an error naming the file.

use std::path::Path;

use kaigiroku::audio::load_wav;

fn write_wav(path: &Path, rate: u32, channels: u16, frames: &[Vec<i16>]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for frame in frames {
        for s in frame {
            w.write_sample(*s).unwrap();
        }
    }
    w.finalize().unwrap();
}

#[test]
fn stereo_is_mixed_to_mono() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stereo.wav");
    let frames: Vec<Vec<i16>> = (0..16_000).map(|_| vec![16_384, 0]).collect();
    write_wav(&path, 16_000, 2, &frames);
    let audio = load_wav(&path).unwrap();
    assert_eq!(audio.samples.len(), 16_000);
    assert_eq!(audio.source_channels, 2);
    assert!((audio.samples[100] - 0.25).abs() < 1e-4);
    assert!((audio.duration() - 1.0).abs() < 1e-9);
}

#[test]
fn the_sample_meeting_loads() {
    let audio = load_wav(Path::new("samples/kaigi-2022-01/meeting.wav")).unwrap();
    assert!(audio.duration() > 120.0 && audio.duration() < 240.0);
}

fn error_for(path: &Path) -> String {
    let message = load_wav(path).unwrap_err().to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "file not named: {message}"
    );
    message
}

#[test]
fn wrong_sample_rate_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("44k.wav");
    write_wav(&path, 44_100, 1, &[vec![0], vec![1]]);
    assert!(error_for(&path).contains("44100"));
}

#[test]
fn empty_truncated_and_non_audio_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    error_for(&empty);

    let no_samples = dir.path().join("no-samples.wav");
    write_wav(&no_samples, 16_000, 1, &[]);
    assert!(error_for(&no_samples).contains("no audio"));

    let good = dir.path().join("good.wav");
    write_wav(&good, 16_000, 1, &vec![vec![100]; 8000]);
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.path().join("truncated.wav");
    std::fs::write(&truncated, &bytes[..30]).unwrap();
    error_for(&truncated);

    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "これは音声ではありません".repeat(20)).unwrap();
    assert!(error_for(&text).contains("WAV"));

    error_for(&dir.path().join("missing.wav"));
}
