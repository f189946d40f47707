//! Loading recordings into [`Audio`]: WAV files (hound), mixed to mono.
//!
//! Invariant: only this module decodes audio files (and, later, touches cpal).

use std::path::{Path, PathBuf};

use crate::types::Audio;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a readable WAV file: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{}: contains no audio samples", path.display())]
    Empty { path: PathBuf },
    #[error("{}: sample rate is {rate} Hz; this version reads 16000 Hz WAV only (convert with `ffmpeg -i IN -ar 16000 OUT.wav`)", path.display())]
    SampleRate { path: PathBuf, rate: u32 },
}

/// Reads a WAV file (integer PCM of 8–32 bits or 32-bit float, any channel count).
pub fn load_wav(path: &Path) -> Result<Audio, AudioError> {
    let corrupt = |e: hound::Error| match e {
        hound::Error::IoError(source) if source.kind() != std::io::ErrorKind::UnexpectedEof => {
            AudioError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
        other => AudioError::Corrupt {
            path: path.to_path_buf(),
            reason: match other {
                hound::Error::IoError(_) => "the file is truncated".into(),
                other => other.to_string(),
            },
        },
    };
    if !path.exists() {
        return Err(AudioError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let mut reader = hound::WavReader::open(path).map_err(corrupt)?;
    let spec = reader.spec();
    if spec.sample_rate != Audio::SAMPLE_RATE {
        return Err(AudioError::SampleRate {
            path: path.to_path_buf(),
            rate: spec.sample_rate,
        });
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
        }
    }
    .map_err(corrupt)?;
    let channels = spec.channels.max(1) as usize;
    let samples: Vec<f32> = interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    if samples.is_empty() {
        return Err(AudioError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(Audio {
        samples,
        source_channels: spec.channels,
        source_rate: spec.sample_rate,
    })
}
