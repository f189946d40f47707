//! Loading recordings into [`Audio`]: 16 kHz mono for recognition, and on
//! request the separate channels at 16 kHz, all as 16-bit samples.
//!
//! WAV is read with hound; MP3, M4A/AAC, FLAC, OGG Vorbis, Opus (and ALAC,
//! AIFF, CAF, MKV/WebM audio, µ-law/ADPCM WAV) with symphonia. Any sample rate
//! is resampled with rubato's FFT resampler. Decoding is streamed: packets are
//! decoded, mixed and resampled a chunk at a time and only the 16 kHz result is
//! kept, rounded to 16 bits, so a three-hour 48 kHz recording never sits in
//! memory at 48 kHz, nor as f32 (its 16 kHz mono result is 330 MB).
//!
//! A packet that does not decode, or data the demuxer skipped (noticed from
//! the timestamps), is replaced by silence of its length so that later times
//! stay right, and reported in [`Audio::warnings`]; so is a file that ends
//! early. A file is refused only when nothing decodes, more than half of it is
//! lost, or less than half of its declared length could be read.
//!
//! ```no_run
//! # use std::path::Path;
//! use kaigiroku::audio::{self, AudioLoader};
//! let audio = audio::load(Path::new("meeting.mp3"))?;
//! let with_channels = AudioLoader::new().keep_channels(true).load(Path::new("meeting.wav"))?;
//! # Ok::<(), kaigiroku::audio::AudioError>(())
//! ```
//!
//! Invariant: only this module decodes audio files (live capture with cpal
//! is `record`'s).

mod media;
mod probe;
mod sink;
mod stream;
mod wav;
mod wav_header;

pub use probe::{probe, Probe};
pub use stream::Stream16k;

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::types::Audio;

/// The formats named in errors.
const FORMATS: &str = "WAV, MP3, M4A/AAC, FLAC, OGG Vorbis or Opus";

/// Most channels read: a header with more is taken for damaged (each kept
/// channel costs memory however short the file is).
const MAX_CHANNELS: usize = 64;
/// Output samples reserved at most per byte of the file: no speech codec
/// packs 16 kHz audio into less than 500 bytes a second (4 kbit/s). A header
/// declaring more is not trusted for the reservation (the output still grows
/// as far as the audio really goes).
const MAX_SAMPLES_PER_BYTE: u64 = 32;

/// A part of a file that could not be read as it should; the rest was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecodeWarning {
    /// Seconds from the start of the recording.
    pub at: f64,
    pub message: String,
}

impl std::fmt::Display for DecodeWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let total = self.at.max(0.0).round() as u64;
        write!(
            f,
            "at {}:{:02}:{:02}: {}",
            total / 3600,
            total / 60 % 60,
            total % 60,
            self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("{}: no such file", path.display())]
    Missing { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the file is empty (0 bytes)", path.display())]
    Empty { path: PathBuf },
    #[error("{}: the file is truncated: {reason}", path.display())]
    Truncated { path: PathBuf, reason: String },
    #[error("{}: not an audio file this program reads ({FORMATS}): {reason}", path.display())]
    NotAudio { path: PathBuf, reason: String },
    #[error("{}: the audio is damaged: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{}: the audio is {codec}, which this program does not decode ({detail}); convert it, e.g. `ffmpeg -i IN -ar 16000 OUT.wav`", path.display())]
    UnsupportedCodec {
        path: PathBuf,
        codec: String,
        detail: String,
    },
    #[error("{}: the file has no audio track", path.display())]
    NoAudioTrack { path: PathBuf },
    #[error("{}: contains no audio samples", path.display())]
    NoSamples { path: PathBuf },
    #[error("{}: internal error while converting the audio: {reason}", path.display())]
    Internal { path: PathBuf, reason: String },
    #[error("cannot convert {rate} Hz, {channels} channels to 16 kHz mono: {reason}")]
    Stream {
        rate: u32,
        channels: u16,
        reason: String,
    },
}

impl AudioError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            AudioError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            AudioError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    fn internal(path: &Path, reason: String) -> Self {
        AudioError::Internal {
            path: path.to_path_buf(),
            reason,
        }
    }

    /// The file named in the error (none for a [`AudioError::Stream`]).
    pub fn path(&self) -> Option<&Path> {
        Some(match self {
            AudioError::Missing { path }
            | AudioError::Io { path, .. }
            | AudioError::Empty { path }
            | AudioError::Truncated { path, .. }
            | AudioError::NotAudio { path, .. }
            | AudioError::Corrupt { path, .. }
            | AudioError::UnsupportedCodec { path, .. }
            | AudioError::NoAudioTrack { path }
            | AudioError::NoSamples { path }
            | AudioError::Internal { path, .. } => path,
            AudioError::Stream { .. } => return None,
        })
    }
}

/// Warnings collected while decoding; the first [`Warnings::MAX`] are kept
/// one by one, the rest only counted.
#[derive(Default)]
struct Warnings {
    list: Vec<DecodeWarning>,
    dropped: u64,
}

impl Warnings {
    const MAX: usize = 50;

    fn push(&mut self, at: f64, message: String) {
        if self.list.len() < Self::MAX {
            self.list.push(DecodeWarning { at, message });
        } else {
            self.dropped += 1;
        }
    }

    /// Names the samples the sink found damaged, if any.
    fn invalid_samples(&mut self, sink: &sink::Sink) {
        if let Some((count, at)) = sink.invalid() {
            self.push(
                at,
                format!(
                    "{count} samples were not numbers or far over full scale (damaged data); \
                     they were replaced by silence or clipped"
                ),
            );
        }
    }

    /// Adds the count of bad packets, naming how many warnings were left out.
    fn summarise(&mut self, bad: u64, total: u64, lost: f64) {
        let more = if self.dropped > 0 {
            format!("; {} warnings not listed", self.dropped)
        } else {
            String::new()
        };
        let at = self.list.first().map_or(0.0, |w| w.at);
        self.list.push(DecodeWarning {
            at,
            message: format!(
                "{lost:.1} s of damaged audio in all were replaced by silence \
                 ({bad} of {total} packets did not decode{more})"
            ),
        });
    }
}

/// What a decoder hands back to [`AudioLoader::load`].
struct Decoded {
    output: sink::Output,
    source_channels: u16,
    source_rate: u32,
    codec: String,
    warnings: Warnings,
}

/// Loads audio files; see the module documentation.
#[derive(Debug, Clone, Default)]
pub struct AudioLoader {
    keep_channels: bool,
}

impl AudioLoader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Also keep each channel of a multichannel file, at 16 kHz as i16, in
    /// [`Audio::channels`] (2 bytes a sample a channel: about 115 MB an hour
    /// per channel). Off by default; mono files never have channels kept.
    pub fn keep_channels(mut self, keep: bool) -> Self {
        self.keep_channels = keep;
        self
    }

    /// Decodes `path`, whatever its sample rate and channel count. The format
    /// is recognised from the content, not the file name.
    pub fn load(&self, path: &Path) -> Result<Audio, AudioError> {
        let mut head = [0u8; 12];
        let read = {
            let mut file = std::fs::File::open(path).map_err(|e| AudioError::io(path, e))?;
            if file
                .metadata()
                .map_err(|e| AudioError::io(path, e))?
                .is_dir()
            {
                return Err(AudioError::NotAudio {
                    path: path.to_path_buf(),
                    reason: "it is a directory".into(),
                });
            }
            read_up_to(&mut file, &mut head).map_err(|e| AudioError::io(path, e))?
        };
        if read == 0 {
            return Err(AudioError::Empty {
                path: path.to_path_buf(),
            });
        }
        let is_wav = read == 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WAVE";
        let decoded = match is_wav {
            true => match wav::decode(path, self.keep_channels)? {
                wav::Read::Decoded(decoded) => decoded,
                wav::Read::Unsupported => media::decode(path, self.keep_channels)?,
                wav::Read::Damaged(reason) => {
                    media::decode(path, self.keep_channels).map_err(|e| match e {
                        AudioError::NotAudio { .. } | AudioError::Corrupt { .. } => {
                            AudioError::Corrupt {
                                path: path.to_path_buf(),
                                reason: format!("its WAV header is damaged ({reason})"),
                            }
                        }
                        other => other,
                    })?
                }
            },
            false if read < 12 && head[..read].starts_with(b"RIFF") => {
                return Err(AudioError::Truncated {
                    path: path.to_path_buf(),
                    reason: format!("only {read} bytes"),
                })
            }
            false => media::decode(path, self.keep_channels)?,
        };
        if decoded.output.mono.is_empty() {
            return Err(AudioError::NoSamples {
                path: path.to_path_buf(),
            });
        }
        Ok(Audio {
            samples: decoded.output.mono,
            channels: decoded.output.channels,
            source_channels: decoded.source_channels,
            source_rate: decoded.source_rate,
            source_codec: decoded.codec,
            warnings: decoded.warnings.list,
        })
    }
}

/// Refuses a sample rate or channel count that no recording has.
fn check_format(path: &Path, rate: u32, channels: usize) -> Result<(), AudioError> {
    let reason = if let Err(why) = sink::convertible(rate) {
        format!("its header says it was sampled at {rate} Hz, {why}")
    } else if channels == 0 || channels > MAX_CHANNELS {
        format!("its header says it has {channels} channels (at most {MAX_CHANNELS} are read)")
    } else {
        return Ok(());
    };
    Err(AudioError::Corrupt {
        path: path.to_path_buf(),
        reason,
    })
}

/// The source frames a header declares, if the file is large enough to hold
/// them (see [`MAX_SAMPLES_PER_BYTE`]); a reservation is made from this.
fn plausible_frames(declared: Option<u64>, rate: u32, file_bytes: u64) -> Option<u64> {
    let most = file_bytes
        .saturating_mul(MAX_SAMPLES_PER_BYTE)
        .saturating_mul(u64::from(rate))
        / u64::from(Audio::SAMPLE_RATE);
    declared.map(|frames| frames.min(most))
}

/// Loads `path` with the default [`AudioLoader`] (mono only).
pub fn load(path: &Path) -> Result<Audio, AudioError> {
    AudioLoader::new().load(path)
}

/// The format a file's first bytes announce, if any this module knows.
fn sniff(path: &Path) -> Option<&'static str> {
    let mut head = [0u8; 12];
    let read = std::fs::File::open(path)
        .and_then(|mut f| read_up_to(&mut f, &mut head))
        .ok()?;
    let head = &head[..read];
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"RIFF") || at(0, b"RF64") {
        Some("WAV")
    } else if at(0, b"fLaC") {
        Some("FLAC")
    } else if at(0, b"OggS") {
        Some("OGG")
    } else if at(4, b"ftyp") {
        Some("MP4/M4A")
    } else if at(0, b"ID3") || (head.len() >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0) {
        Some("MP3")
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("Matroska/WebM")
    } else if at(0, b"FORM") {
        Some("AIFF")
    } else if at(0, b"caff") {
        Some("CAF")
    } else {
        None
    }
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
pub(crate) fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
