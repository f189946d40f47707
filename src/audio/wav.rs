//! WAV through hound: integer PCM of 8–32 bits and 32-bit float, any channel
//! count and sample rate, read block by block into the sink.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

use super::sink::Sink;
use super::wav_header;
use super::{check_format, plausible_frames, AudioError, Decoded, Warnings};

/// Frames read from the file per block.
const BLOCK: usize = 8192;

/// What hound made of a WAV file.
pub(super) enum Read {
    Decoded(Decoded),
    /// A kind of WAV hound does not read (µ-law, ADPCM, 64-bit float …):
    /// the caller tries symphonia.
    Unsupported,
    /// A header hound finds wrong (some valid files too: IMA ADPCM's byte
    /// rate is not block size × rate): the caller tries symphonia, and
    /// reports this if symphonia cannot read it either.
    Damaged(String),
}

pub(super) fn decode(path: &Path, keep_channels: bool) -> Result<Read, AudioError> {
    let mut file = File::open(path).map_err(|e| AudioError::io(path, e))?;
    let file_bytes = file.metadata().map_err(|e| AudioError::io(path, e))?.len();
    let patch = wav_header::inspect(&mut file, file_bytes)
        .and_then(|patch| file.seek(SeekFrom::Start(0)).map(|_| patch))
        .map_err(|e| AudioError::io(path, e))?;
    let patched_warning = patch.as_ref().map(|p| p.warning.clone());
    let input = wav_header::Patched::new(file, patch);
    let mut reader = match hound::WavReader::new(BufReader::with_capacity(1 << 16, input)) {
        Ok(reader) => reader,
        Err(hound::Error::Unsupported) => return Ok(Read::Unsupported),
        Err(hound::Error::IoError(e)) if is_eof(&e) => {
            return Err(AudioError::Truncated {
                path: path.to_path_buf(),
                reason: "the file ends inside the WAV header".into(),
            })
        }
        Err(hound::Error::IoError(e)) => return Err(AudioError::io(path, e)),
        Err(e) => return Ok(Read::Damaged(e.to_string())),
    };
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    check_format(path, spec.sample_rate, channels)?;
    let declared = u64::from(reader.duration());
    let estimate = plausible_frames(Some(declared), spec.sample_rate, file_bytes);
    let mut sink = Sink::new(spec.sample_rate, channels, keep_channels, estimate)
        .map_err(|reason| AudioError::internal(path, reason))?;
    let mut warnings = Warnings::default();
    if let Some(warning) = patched_warning {
        warnings.push(0.0, warning);
    }
    let mut planes = vec![Vec::with_capacity(BLOCK); channels];
    let scale = match spec.sample_format {
        hound::SampleFormat::Int => 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32,
        hound::SampleFormat::Float => 1.0,
    };
    let mut samples: Box<dyn Iterator<Item = Result<f32, hound::Error>>> = match spec.sample_format
    {
        hound::SampleFormat::Float => Box::new(reader.samples::<f32>()),
        hound::SampleFormat::Int => Box::new(
            reader
                .samples::<i32>()
                .map(move |s| s.map(|v| v as f32 * scale)),
        ),
    };
    let mut channel = 0;
    let mut ended = false;
    let mut first = true;
    while !ended {
        for plane in &mut planes {
            plane.clear();
        }
        while planes[channels - 1].len() < BLOCK {
            match samples.next() {
                Some(Ok(sample)) => {
                    first = false;
                    planes[channel].push(sample);
                    channel = (channel + 1) % channels;
                }
                Some(Err(hound::Error::IoError(e))) if is_eof(&e) => {
                    ended = true;
                    let at = sink.seconds()
                        + planes[channels - 1].len() as f64 / f64::from(spec.sample_rate);
                    warnings.push(
                        at,
                        format!(
                            "the file is truncated: it ends at {at:.1} s, its header says {:.1} s",
                            declared as f64 / f64::from(spec.sample_rate)
                        ),
                    );
                    break;
                }
                Some(Err(hound::Error::IoError(e))) => return Err(AudioError::io(path, e)),
                // A header hound accepts but samples it cannot read (64-bit
                // float, 12 bits in 2 bytes …): symphonia may.
                Some(Err(_)) if first => return Ok(Read::Unsupported),
                Some(Err(e)) => {
                    return Err(AudioError::NotAudio {
                        path: path.to_path_buf(),
                        reason: format!("damaged WAV data: {e}"),
                    })
                }
                None => {
                    ended = true;
                    break;
                }
            }
        }
        // A frame cut short at the end of the file is dropped.
        let frames = planes[channels - 1].len();
        let refs: Vec<&[f32]> = planes.iter().map(|p| &p[..frames]).collect();
        sink.push(&refs, frames)
            .map_err(|reason| AudioError::internal(path, reason))?;
    }
    warnings.invalid_samples(&sink);
    let output = sink
        .finish()
        .map_err(|reason| AudioError::internal(path, reason))?;
    Ok(Read::Decoded(Decoded {
        output,
        source_channels: spec.channels,
        source_rate: spec.sample_rate,
        codec: match spec.sample_format {
            hound::SampleFormat::Int => format!("WAV {}-bit PCM", spec.bits_per_sample),
            hound::SampleFormat::Float => format!("WAV {}-bit float", spec.bits_per_sample),
        },
        warnings,
    }))
}

/// Hound reports a file that ends early as `ErrorKind::Other` with this text
/// (hound 3.5), or as `UnexpectedEof` from the reader below it.
fn is_eof(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::UnexpectedEof
        || error.to_string() == "Failed to read enough bytes."
}
