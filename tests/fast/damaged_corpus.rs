//! The corpus of real damaged and unusual recordings in
//! `tests/fixtures/damaged/` (made by its `make.py`), each with the one
//! outcome expected: the unusual ones load at 16 kHz mono with their length,
//! the broken ones fail with an error that names the file and says what is
//! wrong in words a clerk can act on. Several are the inputs that found a
//! bug (a panic or a huge allocation) and keep it fixed. Every file is also
//! loaded under the fuzzing bounds (time, memory), and probed.

use std::path::{Path, PathBuf};

use kaigiroku::audio::{AudioError, AudioLoader};
use kaigiroku::types::Audio;

use crate::fuzz_audio::{check_error, kind, BASE_MEMORY, PER_OUTPUT_BYTE, TIME_LIMIT};
use crate::fuzz_support::{bounded, Outcome};

enum Expect {
    /// Loads: seconds, source rate, source channels, the warning (if any)
    /// by a piece of its text.
    Loads(f64, u32, u16, Option<&'static str>),
    /// Fails with this kind of error (see `fuzz_audio::kind`), whose message
    /// says this.
    Fails(&'static str, &'static str),
}

use Expect::{Fails, Loads};

/// Every file of the corpus and what it must give.
const CORPUS: &[(&str, Expect)] = &[
    // Valid but unusual.
    ("u8.wav", Loads(0.5, 16_000, 1, None)),
    ("s24.wav", Loads(0.5, 16_000, 1, None)),
    ("float32.wav", Loads(0.5, 16_000, 1, None)),
    // hound refused 64-bit float as "damaged WAV data".
    ("float64.wav", Loads(0.25, 16_000, 1, None)),
    ("telephone-8k.wav", Loads(1.0, 8_000, 1, None)),
    ("telephone-8k-ulaw.wav", Loads(1.0, 8_000, 1, None)),
    ("six-channel.wav", Loads(0.25, 16_000, 6, None)),
    ("six-channel.flac", Loads(0.25, 16_000, 6, None)),
    ("odd-rate-47998.wav", Loads(0.5, 47_998, 1, None)),
    // hound refused IMA ADPCM ("inconsistent fmt chunk"): symphonia reads it.
    ("adpcm-ima.wav", Loads(0.51, 16_000, 1, None)),
    ("mp3-named.wav", Loads(1.0, 16_000, 1, None)),
    // Truncated.
    (
        "truncated.wav",
        Loads(
            0.6,
            16_000,
            1,
            Some("the file is truncated: it ends at 0.6 s, its header says 1.0 s"),
        ),
    ),
    (
        "truncated.flac",
        Loads(
            0.72,
            16_000,
            1,
            Some("truncated (or damaged): audio ends at 0.7 s of 1.0 s"),
        ),
    ),
    // MP3 declares no length: it just ends.
    ("truncated.mp3", Loads(0.543, 16_000, 1, None)),
    (
        "truncated-early.flac",
        Fails("truncated", "only 0.2 s of 1.0 s could be read"),
    ),
    (
        "truncated-header.wav",
        Fails("truncated", "the file ends inside the WAV header"),
    ),
    (
        "no-moov.m4a",
        Fails("truncated", "its index (the MP4 `moov` atom) is missing"),
    ),
    // Empty, not audio.
    (
        "zero-length.wav",
        Fails("empty", "the file is empty (0 bytes)"),
    ),
    (
        "zero-length.mp3",
        Fails("empty", "the file is empty (0 bytes)"),
    ),
    (
        "text-named.mp3",
        Fails("not_audio", "not an audio file this program reads"),
    ),
    (
        "garbage.wav",
        Fails("not_audio", "not an audio file this program reads"),
    ),
    (
        "garbage-after-riff.wav",
        Fails("truncated", "the file ends inside the WAV header"),
    ),
    (
        "header-only.wav",
        Fails("no_samples", "contains no audio samples"),
    ),
    // Sizes: placeholders of streamed and unfinished recordings are read to
    // the end of the file (hound refused 0xFFFFFFFF; 0 gave no samples).
    (
        "huge-data-size.wav",
        Loads(
            0.5,
            16_000,
            1,
            Some("does not give the length of its audio"),
        ),
    ),
    (
        "streamed.wav",
        Loads(
            0.5,
            16_000,
            1,
            Some("does not give the length of its audio"),
        ),
    ),
    (
        "unfinished.wav",
        Loads(
            0.5,
            16_000,
            1,
            Some("does not give the length of its audio"),
        ),
    ),
    (
        "odd-data-size.wav",
        Loads(0.5, 16_000, 1, Some("not a whole number of frames")),
    ),
    ("huge-riff-size.wav", Loads(0.5, 16_000, 1, None)),
    (
        "huge-fmt-size.wav",
        Fails(
            "corrupt",
            "its WAV header is damaged (Ill-formed WAVE file: unexpected fmt chunk size)",
        ),
    ),
    (
        "huge-channels.wav",
        Fails(
            "corrupt",
            "its header says it has 65535 channels (at most 64 are read)",
        ),
    ),
    // Rates that made the resampler reserve gigabytes (1 Hz, 3.4 GHz) or
    // stall (546338 Hz: "internal error: the resampler produced no output").
    (
        "rate-1hz.wav",
        Fails(
            "corrupt",
            "sampled at 1 Hz, outside the 4000–768000 Hz of recordings",
        ),
    ),
    (
        "rate-546338.wav",
        Fails(
            "corrupt",
            "sampled at 546338 Hz, an odd rate this program does not convert",
        ),
    ),
    (
        "caf-huge-rate.caf",
        Fails(
            "corrupt",
            "sampled at 3435973836 Hz, outside the 4000–768000 Hz",
        ),
    ),
    // symphonia's PCM decoder reserved the declared packet: 8 GB.
    (
        "caf-huge-packet.caf",
        Fails(
            "corrupt",
            "its header says a packet holds 2147483647 frames",
        ),
    ),
    // NaN and infinity made rubato panic (its FFT returned an error it unwraps).
    (
        "nan-float.wav",
        Loads(
            0.5,
            16_000,
            1,
            Some("3 samples were not numbers or far over full scale"),
        ),
    ),
    // Found by bench/fuzz.sh (a bit flipped in the Vorbis setup header, page
    // checksum rewritten): symphonia's OGG reader panicked on an assertion.
    (
        "fuzz-vorbis-codebook.ogg",
        Fails("corrupt", "its header could not be read (assertion failed"),
    ),
    // Timestamps jumping 599 s a page: hours of silence for a 3 KB file.
    (
        "timestamps-jump.opus",
        Fails(
            "corrupt",
            "1198.0 s of it are damaged or missing, and only 0.1 s could be read",
        ),
    ),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/damaged")
}

/// Loads `path` under the fuzzing bounds.
fn load(path: &Path, keep: bool) -> Result<Audio, AudioError> {
    let owned = path.to_path_buf();
    let label = path.display().to_string();
    let outcome = bounded(TIME_LIMIT, label, move || {
        AudioLoader::new().keep_channels(keep).load(&owned)
    });
    match outcome {
        Outcome::Done { value, peak } => {
            let returned = value.as_ref().map_or(0, |a| {
                a.samples.len() * 2 + a.channels.iter().map(|c| c.len() * 2).sum::<usize>()
            });
            assert!(
                peak <= BASE_MEMORY + PER_OUTPUT_BYTE * returned,
                "{}: {peak} bytes at once",
                path.display()
            );
            value
        }
        Outcome::Panicked(message) => panic!("{}: panicked: {message}", path.display()),
        Outcome::TimedOut(limit) => panic!("{}: still loading after {limit:?}", path.display()),
    }
}

fn rms(samples: &[i16]) -> f32 {
    (samples
        .iter()
        .map(|&s| kaigiroku::types::sample_f32(s).powi(2))
        .sum::<f32>()
        / samples.len().max(1) as f32)
        .sqrt()
}

#[test]
fn every_damaged_or_unusual_file_gives_its_outcome() {
    let dir = corpus();
    let mut listed: Vec<&str> = CORPUS.iter().map(|(name, _)| *name).collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "make.py")
        .collect();
    present.sort();
    assert_eq!(
        present, listed,
        "every file in the corpus has an expectation"
    );

    for (name, expect) in CORPUS {
        let path = dir.join(name);
        // The probe a batch plans from: never refuses a file that loads, and
        // declares at least what loads.
        match (expect, kaigiroku::audio::probe(&path)) {
            (Loads(seconds, rate, channels, _), Ok(probe)) => {
                assert_eq!(
                    (probe.sample_rate, probe.channels),
                    (*rate, *channels),
                    "{name}"
                );
                let declared = probe.duration.unwrap_or(f64::INFINITY);
                assert!(
                    declared >= seconds - 0.02,
                    "{name}: probe says {declared} s"
                );
            }
            (Loads(..), Err(error)) => panic!("{name}: the probe refuses it: {error}"),
            (Fails(..), Ok(_)) => {}
            (Fails(..), Err(error)) => {
                check_error(&error, &path).unwrap_or_else(|e| panic!("{name}: probe: {e}"))
            }
        }
        for keep in [false, true] {
            let result = load(&path, keep);
            match (expect, result) {
                (Loads(seconds, rate, channels, warning), Ok(audio)) => {
                    let expected = (seconds * 16_000.0).round() as usize;
                    assert!(
                        audio.samples.len().abs_diff(expected) <= 16,
                        "{name}: {} s, not {seconds} s",
                        audio.duration()
                    );
                    assert_eq!(audio.source_rate, *rate, "{name}");
                    assert_eq!(audio.source_channels, *channels, "{name}");
                    assert!(rms(&audio.samples) > 0.02, "{name}: silent");
                    let messages: Vec<&str> =
                        audio.warnings.iter().map(|w| w.message.as_str()).collect();
                    match warning {
                        None => assert!(messages.is_empty(), "{name}: {messages:?}"),
                        Some(text) => assert!(
                            messages.len() == 1 && messages[0].contains(text),
                            "{name}: {messages:?}"
                        ),
                    }
                    let kept = if keep && *channels > 1 {
                        usize::from(*channels)
                    } else {
                        0
                    };
                    assert_eq!(audio.channels.len(), kept, "{name}");
                }
                (Fails(expected_kind, says), Err(error)) => {
                    let message = error.to_string();
                    check_error(&error, &path).unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert_eq!(kind(&error), *expected_kind, "{name}: {message}");
                    assert!(message.contains(says), "{name}: {message}");
                }
                (Loads(..), Err(error)) => panic!("{name} should load: {error}"),
                (Fails(..), Ok(audio)) => {
                    panic!("{name} should fail, loaded {} s", audio.duration())
                }
            }
        }
    }
}

/// The six channels of 5.1 stay apart and in order: channel k is a sine of
/// amplitude 0.1 (k + 1).
#[test]
fn six_channels_are_kept_in_order() {
    for name in ["six-channel.wav", "six-channel.flac"] {
        let audio = load(&corpus().join(name), true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(audio.channels.len(), 6, "{name}");
        for (k, channel) in audio.channels.iter().enumerate() {
            assert_eq!(channel.len(), audio.samples.len(), "{name}");
            let level = rms(channel);
            let expected = 0.1 * (k + 1) as f32 / 2f32.sqrt();
            assert!(
                (level - expected).abs() < 0.1 * expected,
                "{name}: channel {k} at {level}, not {expected}"
            );
        }
    }
}
