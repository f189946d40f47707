//! The recording the review page plays. A WAV file a browser plays (8–24
//! bit PCM or 32-bit float, one or two channels) is served as it is; any
//! other source (MP3, M4A, a 6-channel WAV …) is decoded once to
//! `DIR/audio.wav`, 16 kHz mono 16-bit, reused while it is newer than its
//! source.

use std::path::{Path, PathBuf};

use crate::audio::AudioError;
use crate::types::Audio;

/// The copy a non-WAV source is decoded to, in the draft's folder.
pub const DECODED: &str = "audio.wav";

#[derive(Debug, thiserror::Error)]
pub enum AudioFileError {
    #[error("the recording {} (named by {}) is not there; pass the recording with --audio FILE", named.display(), transcript.display())]
    Missing { named: PathBuf, transcript: PathBuf },
    #[error(transparent)]
    Decode(#[from] AudioError),
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where the recording is: `given` (from `--audio`) or the path
/// transcript.json names, as written (relative to the current folder, as
/// `draft` was run) or relative to the draft's folder.
pub fn locate(
    dir: &Path,
    transcript: &Path,
    named: &str,
    given: Option<&Path>,
) -> Result<PathBuf, AudioFileError> {
    if let Some(given) = given {
        return Ok(given.to_path_buf());
    }
    let named = PathBuf::from(named);
    [named.clone(), dir.join(&named)]
        .into_iter()
        .find(|p| p.is_file())
        .ok_or(AudioFileError::Missing {
            named,
            transcript: transcript.to_path_buf(),
        })
}

/// The file to serve for `source`: itself when a browser plays it, else
/// its decoded copy in `dir` (made now when missing or older than `source`).
pub fn playable(source: &Path, dir: &Path) -> Result<PathBuf, AudioFileError> {
    if browser_plays(source) {
        return Ok(source.to_path_buf());
    }
    let copy = dir.join(DECODED);
    let fresh = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(copy_time), Some(source_time)) = (fresh(&copy), fresh(source)) {
        if copy_time >= source_time && browser_plays(&copy) {
            return Ok(copy);
        }
    }
    let audio = crate::audio::load(source)?;
    write_wav(&copy, &audio).map_err(|source| AudioFileError::Write {
        path: copy.clone(),
        source,
    })?;
    Ok(copy)
}

fn browser_plays(path: &Path) -> bool {
    let is_wav = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    let Ok(reader) = is_wav.then(|| hound::WavReader::open(path)).transpose() else {
        return false;
    };
    reader.is_some_and(|r| {
        let spec = r.spec();
        let format_ok = match spec.sample_format {
            hound::SampleFormat::Int => matches!(spec.bits_per_sample, 8 | 16 | 24),
            hound::SampleFormat::Float => spec.bits_per_sample == 32,
        };
        format_ok && (1..=2).contains(&spec.channels) && r.len() > 0
    })
}

/// 16 kHz mono 16-bit PCM, written atomically.
fn write_wav(path: &Path, audio: &Audio) -> std::io::Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: Audio::SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    crate::atomic::write_file(path, |w| {
        let mut wav = hound::WavWriter::new(w, spec).map_err(std::io::Error::other)?;
        for &s in &audio.samples {
            wav.write_sample(s).map_err(std::io::Error::other)?;
        }
        wav.finalize().map_err(std::io::Error::other)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wav_is_served_as_it_is_and_anything_else_decoded_once() {
        let dir = tempfile::tempdir().unwrap();
        let wav = dir.path().join("m.wav");
        let audio = Audio::from_mono((0..16_000).map(|i| (i % 200 * 50) as i16).collect());
        write_wav(&wav, &audio).unwrap();
        assert_eq!(playable(&wav, dir.path()).unwrap(), wav);

        // A WAV under another name is not taken for one by its extension.
        let odd = dir.path().join("m.bin");
        std::fs::copy(&wav, &odd).unwrap();
        let copy = playable(&odd, dir.path()).unwrap();
        assert_eq!(copy, dir.path().join(DECODED));
        let decoded = crate::audio::load(&copy).unwrap();
        assert_eq!(decoded.samples, audio.samples);
    }

    #[test]
    fn a_missing_recording_says_how_to_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = locate(
            dir.path(),
            &dir.path().join("transcript.json"),
            "nowhere/meeting.wav",
            None,
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("nowhere/meeting.wav") && message.contains("--audio"),
            "{message}"
        );
    }
}
