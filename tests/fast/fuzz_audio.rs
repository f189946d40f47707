//! Fuzzing the audio loader: random bytes, random bytes behind each format's
//! magic, and every seed in `tests/fixtures/seeds/` (one tiny valid file per
//! decoder path, see its `make.sh`) damaged by [`fuzz_mutate`]. Each input is
//! loaded mono and with its channels kept, and probed (`audio::probe`), and
//! must give `Ok` with sane audio or an `AudioError` naming the file — never
//! a panic, never longer than [`TIME_LIMIT`], never more memory than
//! [`BASE_MEMORY`] plus a few times the audio it returns; the probe never
//! refuses a file that loads.
//!
//! CI runs a few dozen inputs a target; `bench/fuzz.sh` runs thousands.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kaigiroku::audio::{AudioError, AudioLoader};
use kaigiroku::types::Audio;
use proptest::prelude::*;

use crate::fuzz_mutate::{apply, fields, fix_ogg_checksums, mutations, Mutation};
use crate::fuzz_support::{bounded, fuzz, tally, Outcome};

/// Longest one load may take (the seeds decode in milliseconds; this leaves
/// room for a loaded CI machine).
pub const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Memory any load may use besides its result: decoder and resampler state.
pub const BASE_MEMORY: usize = 64 << 20;
/// Allowed memory per byte of the returned audio (a vector that grew by
/// doubling, and the mono mix beside kept channels).
pub const PER_OUTPUT_BYTE: usize = 3;

/// Inputs a target tries in `cargo test` (see `fuzz_support::cases`).
const CASES: u32 = 800;

/// The directory of the seeds.
fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seeds")
}

/// The kind of an error, as the figures and the corpus name it.
pub fn kind(error: &AudioError) -> &'static str {
    match error {
        AudioError::Missing { .. } => "missing",
        AudioError::Io { .. } => "io",
        AudioError::Empty { .. } => "empty",
        AudioError::Truncated { .. } => "truncated",
        AudioError::NotAudio { .. } => "not_audio",
        AudioError::Corrupt { .. } => "corrupt",
        AudioError::UnsupportedCodec { .. } => "codec",
        AudioError::NoAudioTrack { .. } => "no_track",
        AudioError::NoSamples { .. } => "no_samples",
        AudioError::Internal { .. } => "internal",
        AudioError::Stream { .. } => "stream",
    }
}

/// Bytes of the returned audio.
fn output_bytes(audio: &Audio) -> usize {
    audio.samples.len() * 2 + audio.channels.iter().map(|c| c.len() * 2).sum::<usize>()
}

/// What is wrong with a loaded recording, if anything.
fn insane(audio: &Audio) -> Option<String> {
    if audio.samples.is_empty() {
        return Some("Ok with no samples".into());
    }
    if let Some(c) = audio
        .channels
        .iter()
        .position(|c| c.len() != audio.samples.len())
    {
        return Some(format!(
            "channel {c} has {} samples, mono {}",
            audio.channels[c].len(),
            audio.samples.len()
        ));
    }
    if audio.source_rate == 0 || audio.source_channels == 0 {
        return Some(format!(
            "source {} Hz, {} channels",
            audio.source_rate, audio.source_channels
        ));
    }
    audio
        .warnings
        .iter()
        .find(|w| !w.at.is_finite() || w.at < 0.0)
        .map(|w| format!("warning at {}: {}", w.at, w.message))
}

/// Loads `path` both ways and checks the property.
fn check_file(path: &Path, label: &str) -> Result<(), String> {
    let mut loads = false;
    for keep in [false, true] {
        let owned = path.to_path_buf();
        let how = if keep { "keep_channels" } else { "mono" };
        let outcome = bounded(TIME_LIMIT, format!("{label} ({how})"), move || {
            AudioLoader::new().keep_channels(keep).load(&owned)
        });
        let (result, peak) = match outcome {
            Outcome::Done { value, peak, .. } => (value, peak),
            Outcome::Panicked(message) => return Err(format!("{how}: panicked: {message}")),
            Outcome::TimedOut(limit) => {
                return Err(format!("{how}: still decoding after {limit:?}"))
            }
        };
        let returned = result.as_ref().map_or(0, output_bytes);
        if peak > BASE_MEMORY + PER_OUTPUT_BYTE * returned {
            return Err(format!(
                "{how}: {peak} bytes at once for {returned} bytes of result ({:?})",
                result.as_ref().map(|a| a.duration())
            ));
        }
        tally(result.as_ref().map_or_else(kind, |_| "ok"));
        if show_messages() {
            let text = match &result {
                Ok(audio) => audio
                    .warnings
                    .iter()
                    .map(|w| w.message.clone())
                    .collect::<Vec<_>>()
                    .join(" | "),
                Err(e) => e.to_string(),
            };
            println!(
                "fuzz-message: {}",
                text.replace(&path.display().to_string(), "PATH")
            );
        }
        match result {
            Ok(audio) => {
                loads = true;
                if let Some(what) = insane(&audio) {
                    return Err(format!("{how}: {what}"));
                }
            }
            Err(error) => check_error(&error, path).map_err(|e| format!("{how}: {e}"))?,
        }
    }
    check_probe(path, label, loads)
}

/// `audio::probe` on the same file: bounded like a load, an error naming
/// the file, and never refusing a file that loads (a batch plans from it).
fn check_probe(path: &Path, label: &str, loads: bool) -> Result<(), String> {
    let owned = path.to_path_buf();
    let outcome = bounded(TIME_LIMIT, format!("{label} (probe)"), move || {
        kaigiroku::audio::probe(&owned)
    });
    let (result, peak) = match outcome {
        Outcome::Done { value, peak } => (value, peak),
        Outcome::Panicked(message) => return Err(format!("probe: panicked: {message}")),
        Outcome::TimedOut(limit) => return Err(format!("probe: still reading after {limit:?}")),
    };
    if peak > BASE_MEMORY {
        return Err(format!("probe: {peak} bytes at once"));
    }
    match result {
        Ok(probe) => {
            tally("probe_ok");
            if probe.duration.is_some_and(|d| !d.is_finite() || d < 0.0) || probe.format.is_empty()
            {
                return Err(format!("probe: {probe:?}"));
            }
        }
        Err(error) => {
            tally("probe_err");
            if loads {
                return Err(format!("probe refuses a file that loads: {error}"));
            }
            check_error(&error, path).map_err(|e| format!("probe: {e}"))?;
        }
    }
    Ok(())
}

/// `KAIGIROKU_FUZZ_SHOW=1`: print every error and warning (to read what a
/// clerk would be told).
fn show_messages() -> bool {
    std::env::var_os("KAIGIROKU_FUZZ_SHOW").is_some()
}

/// An error must name the file, and say something. The fuzzed files are
/// readable, so an I/O error is damage misreported, and an internal error is
/// a bug.
pub fn check_error(error: &AudioError, path: &Path) -> Result<(), String> {
    let message = error.to_string();
    if matches!(error, AudioError::Io { .. } | AudioError::Internal { .. }) {
        return Err(format!("wrong kind of error: {message}"));
    }
    if !message.contains(&path.display().to_string()) || error.path() != Some(path) {
        return Err(format!("error does not name the file: {message}"));
    }
    if message.len() < path.display().to_string().len() + 10 {
        return Err(format!("error says nothing: {message}"));
    }
    Ok(())
}

/// Writes `bytes` as `name` in a directory of its own (a Japanese name with
/// a space, as archives have), checks it, and keeps a failing input in
/// `target/tmp/fuzz-failures/`.
fn check_bytes(target: &str, name: &str, bytes: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let folder = dir.path().join("令和5年度 会議");
    std::fs::create_dir(&folder).map_err(|e| e.to_string())?;
    let path = folder.join(name);
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    // The input being checked, kept where an abort (memory over the hard
    // limit) leaves it; overwritten by the next.
    let current = keep(&format!("{target}-current-{name}"), bytes);
    check_file(&path, &current).map_err(|why| {
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let kept = keep(&format!("{target}-{hash:016x}-{name}"), bytes);
        format!("{why}\n  saved as {kept}")
    })
}

/// Writes `bytes` as `name` in `target/tmp/fuzz-failures/`; says where.
fn keep(name: &str, bytes: &[u8]) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let path = dir.join(name);
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, bytes)) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(not saved: {e})"),
    }
}

/// File names an input is given: mostly its own extension, sometimes
/// another one or none (the loader must go by the content).
fn name(own: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(format!("recording.{own}")),
        1 => prop::sample::select(vec!["a.wav", "a.mp3", "a.m4a", "a.flac", "a.ogg", "a.txt", "noext"])
            .prop_map(str::to_string),
    ]
}

/// A seed damaged by up to eight mutations.
fn fuzz_seed(file: &'static str) {
    let bytes = std::fs::read(seeds().join(file)).expect("seed");
    let header = fields(&bytes);
    let ext = file.rsplit('.').next().unwrap_or("bin");
    let target = file.replace('.', "-");
    let strategy = (name(ext), mutations(8));
    let ogg = bytes.starts_with(b"OggS");
    fuzz(
        &target,
        CASES,
        strategy,
        |(name, muts): &(String, Vec<Mutation>)| {
            let mut damaged = apply(&bytes, &header, muts);
            if ogg {
                fix_ogg_checksums(&mut damaged);
            }
            check_bytes(&target, name, &damaged)
        },
    );
}

macro_rules! seeds {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                fuzz_seed($file);
            }
        )*

        /// Every seed is fuzzed, and every seed is valid to start with.
        #[test]
        fn fuzz_seeds_cover_the_directory_and_load() {
            let listed = [$($file),*];
            let mut present: Vec<String> = std::fs::read_dir(seeds())
                .expect("seeds")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .filter(|n| n != "make.sh")
                .collect();
            present.sort();
            let mut sorted = listed.to_vec();
            sorted.sort();
            assert_eq!(present, sorted);
            for file in listed {
                let audio = kaigiroku::audio::load(&seeds().join(file))
                    .unwrap_or_else(|e| panic!("{e}"));
                // Uncompressed WAV seeds are 0.05 s, the others 0.25 s.
                let pcm = ["-u8", "-s16", "-s24", "-s32", "-f32", "-f64"];
                let expected = if pcm.iter().any(|p| file.contains(p)) { 0.05 } else { 0.25 };
                assert!((audio.duration() - expected).abs() < 0.03, "{file}: {} s", audio.duration());
                assert!(audio.warnings.is_empty(), "{file}: {:?}", audio.warnings);
            }
        }
    };
}

seeds! {
    fuzz_audio_wav_u8 => "wav-u8.wav",
    fuzz_audio_wav_s16_stereo => "wav-s16-stereo.wav",
    fuzz_audio_wav_s24 => "wav-s24.wav",
    fuzz_audio_wav_s32 => "wav-s32.wav",
    fuzz_audio_wav_f32 => "wav-f32.wav",
    fuzz_audio_wav_f64 => "wav-f64.wav",
    fuzz_audio_wav_ulaw => "wav-ulaw.wav",
    fuzz_audio_wav_adpcm => "wav-adpcm.wav",
    fuzz_audio_wav_adpcm_ms => "wav-adpcm-ms.wav",
    fuzz_audio_mp3 => "mp3.mp3",
    fuzz_audio_flac => "flac.flac",
    fuzz_audio_vorbis => "vorbis.ogg",
    fuzz_audio_opus => "opus.opus",
    fuzz_audio_aac_m4a => "aac.m4a",
    fuzz_audio_aac_adts => "adts.aac",
    fuzz_audio_alac => "alac.m4a",
    fuzz_audio_aiff => "aiff.aiff",
    fuzz_audio_caf => "caf.caf",
    fuzz_audio_mka => "mka.mka",
}

/// Random bytes of any length up to 4 KiB.
#[test]
fn fuzz_audio_random_bytes() {
    let strategy = (name("bin"), prop::collection::vec(any::<u8>(), 0..4096));
    fuzz("random", CASES, strategy, |(name, bytes)| {
        check_bytes("random", name, bytes)
    });
}

/// Random bytes behind a format's magic, so that each demuxer reads them.
#[test]
fn fuzz_audio_random_behind_magic() {
    let magics: Vec<&'static [u8]> = vec![
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"RIFF\xff\xff\xff\xffWAVE",
        b"RF64\xff\xff\xff\xffWAVEds64",
        b"fLaC\x00\x00\x00\x22",
        b"OggS\x00\x02",
        b"ID3\x03\x00\x00",
        b"\xff\xfb\x90\x00",
        b"\xff\xf1\x50\x80",
        b"\x00\x00\x00\x20ftypM4A ",
        b"\x1a\x45\xdf\xa3",
        b"FORM\x00\x00\x10\x00AIFF",
        b"caff\x00\x01\x00\x00",
    ];
    let strategy = (
        name("bin"),
        prop::sample::select(magics),
        prop::collection::vec(any::<u8>(), 0..2048),
    );
    fuzz("magic", CASES, strategy, |(name, magic, tail)| {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(tail);
        check_bytes("magic", name, &bytes)
    });
}
