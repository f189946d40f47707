//! Loading recordings: mixing, and bad input that fails with an error naming
//! the file (or, for a file that is only partly damaged, loads with warnings).

use std::path::{Path, PathBuf};

use kaigiroku::audio::{load, AudioError, AudioLoader};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/audio")
        .join(name)
}

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
    let audio = load(&path).unwrap();
    assert_eq!(audio.samples.len(), 16_000);
    assert_eq!(audio.source_channels, 2);
    assert_eq!(audio.samples[100], 8_192);
    assert!((audio.duration() - 1.0).abs() < 1e-9);
    assert!(audio.channels.is_empty());

    let kept = AudioLoader::new().keep_channels(true).load(&path).unwrap();
    assert_eq!(kept.channels, vec![vec![16_384; 16_000], vec![0; 16_000]]);
    assert_eq!(kept.samples, audio.samples);
}

#[test]
fn sixteen_bit_samples_at_16_khz_are_kept_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exact.wav");
    let written: Vec<i16> = (0..20_000i32)
        .map(|i| (i * 3_277 % 65_536 - 32_768) as i16)
        .chain([i16::MIN, i16::MAX, 0, -1, 1])
        .collect();
    let frames: Vec<Vec<i16>> = written.iter().map(|&s| vec![s]).collect();
    write_wav(&path, 16_000, 1, &frames);
    assert_eq!(load(&path).unwrap().samples, written);
}

#[test]
fn mono_files_keep_no_channels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mono.wav");
    write_wav(&path, 16_000, 1, &vec![vec![100]; 8000]);
    let audio = AudioLoader::new().keep_channels(true).load(&path).unwrap();
    assert!(audio.channels.is_empty());
    assert_eq!(audio.samples.len(), 8000);
}

#[test]
fn the_sample_meeting_loads() {
    let audio = load(Path::new("samples/kaigi-2022-01/meeting.wav")).unwrap();
    assert!(audio.duration() > 120.0 && audio.duration() < 240.0);
    assert!(audio.warnings.is_empty());
}

#[test]
fn other_sample_rates_are_resampled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("44k.wav");
    write_wav(&path, 44_100, 1, &vec![vec![1000]; 44_100]);
    let audio = load(&path).unwrap();
    assert_eq!(audio.source_rate, 44_100);
    assert_eq!(audio.samples.len(), 16_000);
    assert!(audio.samples[8000].abs_diff(1000) <= 32);
}

fn error_for(path: &Path) -> (AudioError, String) {
    let error = load(path).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "file not named: {message}"
    );
    assert_eq!(error.path(), Some(path));
    (error, message)
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let (error, message) = error_for(&dir.path().join("missing.mp3"));
    assert!(matches!(error, AudioError::Missing { .. }), "{message}");
    assert!(message.contains("no such file"), "{message}");
}

#[test]
fn empty_files() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["empty.wav", "empty.mp3", "empty.m4a"] {
        let path = dir.path().join(name);
        std::fs::write(&path, b"").unwrap();
        let (error, message) = error_for(&path);
        assert!(matches!(error, AudioError::Empty { .. }), "{message}");
        assert!(message.contains("empty"), "{message}");
    }
}

#[test]
fn no_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-samples.wav");
    write_wav(&path, 16_000, 1, &[]);
    let (error, message) = error_for(&path);
    assert!(matches!(error, AudioError::NoSamples { .. }), "{message}");
    assert!(message.contains("no audio"), "{message}");
}

#[test]
fn truncated_headers() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_wav(&good, 16_000, 1, &vec![vec![100]; 8000]);
    let wav = std::fs::read(&good).unwrap();
    let flac = std::fs::read(fixture("sine-440-660-880-22k-3ch.flac")).unwrap();
    let m4a = std::fs::read(fixture("sine-440-48k-mono.m4a")).unwrap();
    for (name, bytes) in [
        ("cut.wav", &wav[..30]),
        ("cut-early.wav", &wav[..8]),
        ("cut.flac", &flac[..40]),
        ("cut.m4a", &m4a[..m4a.len() / 2]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let (error, message) = error_for(&path);
        assert!(
            matches!(error, AudioError::Truncated { .. }),
            "{name}: {message}"
        );
        assert!(message.contains("truncated"), "{message}");
    }
}

#[test]
fn a_file_cut_short_loads_up_to_the_cut_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.wav");
    write_wav(&good, 16_000, 1, &vec![vec![100]; 32_000]);
    let wav = std::fs::read(&good).unwrap();
    let flac = std::fs::read(fixture("sine-440-660-880-22k-3ch.flac")).unwrap();
    let mp3 = std::fs::read(fixture("sine-440-880-44k-stereo.mp3")).unwrap();
    let cut = |bytes: &[u8]| bytes[..bytes.len() * 3 / 4].to_vec();
    for (name, bytes) in [
        ("cut.wav", cut(&wav)),
        ("cut.flac", cut(&flac)),
        ("cut.mp3", cut(&mp3)),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let audio = load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            (1.2..1.8).contains(&audio.duration()),
            "{name}: {} s",
            audio.duration()
        );
        if name != "cut.mp3" {
            // MP3 has no length to compare with: it just ends.
            let warning = audio.warnings.first().expect("no warning");
            assert!(warning.message.contains("truncated"), "{name}: {warning}");
            assert!(
                (warning.at - audio.duration()).abs() < 0.1,
                "{name}: {warning}"
            );
        }
    }
    // Less than half left: refused.
    let path = dir.path().join("stub.flac");
    std::fs::write(&path, &flac[..flac.len() / 5]).unwrap();
    let (error, message) = error_for(&path);
    assert!(matches!(error, AudioError::Truncated { .. }), "{message}");
}

#[test]
fn non_audio_files() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["notes.wav", "notes.mp3", "notes.m4a", "notes.flac"] {
        let path = dir.path().join(name);
        std::fs::write(&path, "これは音声ではありません".repeat(20)).unwrap();
        let (error, message) = error_for(&path);
        assert!(
            matches!(error, AudioError::NotAudio { .. }),
            "{name}: {message}"
        );
        assert!(message.contains("WAV"), "{message}");
    }
    let (error, message) = error_for(dir.path());
    assert!(matches!(error, AudioError::NotAudio { .. }), "{message}");
}

#[test]
fn unsupported_codec() {
    let (error, message) = error_for(&fixture("ac3-audio.mka"));
    assert!(
        matches!(error, AudioError::UnsupportedCodec { .. }),
        "{message}"
    );
    assert!(message.contains("AC-3"), "{message}");
    assert!(message.contains("ffmpeg"), "{message}");
}

#[test]
fn no_audio_track() {
    for name in ["video-only.mp4", "video-only.mkv"] {
        let (error, message) = error_for(&fixture(name));
        assert!(
            matches!(error, AudioError::NoAudioTrack { .. }),
            "{name}: {message}"
        );
        assert!(message.contains("no audio track"), "{message}");
    }
}

/// Flips bytes: `spots` runs of 40 bytes at the given fractions of the file.
fn damage(bytes: &[u8], spots: &[f64]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for &at in spots {
        let start = (bytes.len() as f64 * at) as usize;
        for b in &mut out[start..start + 40] {
            *b ^= 0x5A;
        }
    }
    out
}

#[test]
fn a_few_damaged_packets_are_replaced_by_silence_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    // (Not the 2-s OGG fixtures: they have two audio pages, and symphonia
    // gives up on an OGG file whose first audio page is damaged.)
    for (name, expected) in [
        ("sine-440-660-880-22k-3ch.flac", 2.0),
        ("sine-440-48k-mono.m4a", 2.0),
    ] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, damage(&bytes, &[0.6])).unwrap();
        let audio = load(&path).unwrap_or_else(|e| panic!("{e}"));
        // The damaged part is silence: what follows keeps its time.
        assert!(
            (audio.duration() - expected).abs() < 0.03,
            "{name}: {} s",
            audio.duration()
        );
        assert!(!audio.warnings.is_empty(), "{name}: no warning");
        let warning = &audio.warnings[0];
        assert!(warning.message.contains("damaged"), "{name}: {warning}");
        assert!((0.3..1.9).contains(&warning.at), "{name}: {warning}");
    }
}

#[test]
fn a_mostly_damaged_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["sine-440-660-880-22k-3ch.flac", "sine-440-32k-mono.ogg"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let spots: Vec<f64> = (2..19).map(|i| i as f64 / 20.0).collect();
        let path = dir.path().join(name);
        std::fs::write(&path, damage(&bytes, &spots)).unwrap();
        let (error, message) = error_for(&path);
        assert!(
            matches!(
                error,
                AudioError::Corrupt { .. } | AudioError::Truncated { .. }
            ),
            "{name}: {message}"
        );
    }
}
