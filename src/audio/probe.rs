//! What a file holds, from its header alone: the format and, where the
//! container says, the length. Planning a batch of thousands of recordings
//! probes each one; decoding them all would take as long as the batch.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::TrackType;
use symphonia::core::io::MediaSourceStream;

use super::{media, wav_header, AudioError};

/// A file's format and declared length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// `WAV`, or the container symphonia found (`MP3`, `FLAC`, `OGG` …).
    pub format: String,
    /// Seconds, as the header declares them (a WAV's data chunk cut to
    /// the bytes the file really has); `None` when the container does not
    /// say (an OGG stream, an MP3 without a length header).
    pub duration: Option<f64>,
    pub sample_rate: u32,
    pub channels: u16,
}

/// Reads `path`'s header; see [`Probe`]. The same errors as [`super::load`]
/// for a file that is missing, empty, not audio or has no audio track.
pub fn probe(path: &Path) -> Result<Probe, AudioError> {
    let file = File::open(path).map_err(|e| AudioError::io(path, e))?;
    let meta = file.metadata().map_err(|e| AudioError::io(path, e))?;
    if meta.is_dir() {
        return Err(AudioError::NotAudio {
            path: path.to_path_buf(),
            reason: "it is a directory".into(),
        });
    }
    if meta.len() == 0 {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    if super::sniff(path) == Some("WAV") {
        // As `load` reads it: a placeholder or broken data size patched.
        let mut file = file;
        let patch = wav_header::inspect(&mut file, meta.len())
            .and_then(|patch| file.seek(SeekFrom::Start(0)).map(|_| patch))
            .map_err(|e| AudioError::io(path, e))?;
        let input = wav_header::Patched::new(file, patch);
        if let Ok(reader) = hound::WavReader::new(BufReader::new(input)) {
            let spec = reader.spec();
            super::check_format(path, spec.sample_rate, usize::from(spec.channels))?;
            return Ok(wav(&reader, meta.len()));
        }
    }
    container(path)
}

/// A WAV hound reads: the declared frames, but no more than the file holds.
fn wav<R: std::io::Read>(reader: &hound::WavReader<R>, file_bytes: u64) -> Probe {
    let spec = reader.spec();
    let frame_bytes = u64::from(spec.channels) * u64::from(spec.bits_per_sample.div_ceil(8));
    let present = file_bytes / frame_bytes.max(1);
    let frames = u64::from(reader.duration()).min(present);
    Probe {
        format: "WAV".into(),
        duration: (spec.sample_rate > 0).then(|| frames as f64 / f64::from(spec.sample_rate)),
        sample_rate: spec.sample_rate,
        channels: spec.channels,
    }
}

/// Anything symphonia opens.
fn container(path: &Path) -> Result<Probe, AudioError> {
    let file = File::open(path).map_err(|e| AudioError::io(path, e))?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let format = media::open(path, &hint, stream)?;
    let no_track = || AudioError::NoAudioTrack {
        path: path.to_path_buf(),
    };
    let track = format
        .default_track(TrackType::Audio)
        .or_else(|| format.first_track(TrackType::Audio))
        .ok_or_else(no_track)?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(no_track)?;
    media::check_params(path, params)?;
    let sample_rate = params.sample_rate.unwrap_or(0);
    let duration = track
        .num_frames
        .filter(|_| sample_rate > 0)
        .map(|frames| frames as f64 / f64::from(sample_rate));
    Ok(Probe {
        format: format.format_info().short_name.to_uppercase(),
        duration,
        sample_rate,
        channels: params
            .channels
            .as_ref()
            .map_or(0, |c| u16::try_from(c.count()).unwrap_or(u16::MAX)),
    })
}
