//! WAV through hound: integer PCM of 8–32 bits and 32-bit float, any channel
//! count and sample rate, read block by block into the sink.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::sink::Sink;
use super::{AudioError, Decoded, Warnings};

/// Frames read from the file per block.
const BLOCK: usize = 8192;

/// `Ok(None)`: hound does not read this kind of WAV (µ-law, ADPCM, 64-bit
/// float …); the caller tries symphonia instead.
pub(super) fn decode(path: &Path, keep_channels: bool) -> Result<Option<Decoded>, AudioError> {
    let file = File::open(path).map_err(|e| AudioError::io(path, e))?;
    let mut reader = match hound::WavReader::new(BufReader::with_capacity(1 << 16, file)) {
        Ok(reader) => reader,
        Err(hound::Error::Unsupported) => return Ok(None),
        Err(hound::Error::IoError(e)) if is_eof(&e) => {
            return Err(AudioError::Truncated {
                path: path.to_path_buf(),
                reason: "the file ends inside the WAV header".into(),
            })
        }
        Err(hound::Error::IoError(e)) => return Err(AudioError::io(path, e)),
        Err(e) => {
            return Err(AudioError::NotAudio {
                path: path.to_path_buf(),
                reason: format!("damaged WAV header: {e}"),
            })
        }
    };
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    if channels == 0 || spec.sample_rate == 0 {
        return Err(AudioError::NotAudio {
            path: path.to_path_buf(),
            reason: format!(
                "WAV header says {} channels at {} Hz",
                spec.channels, spec.sample_rate
            ),
        });
    }
    let declared = u64::from(reader.duration());
    let mut sink = Sink::new(spec.sample_rate, channels, keep_channels, Some(declared))
        .map_err(|reason| AudioError::internal(path, reason))?;
    let mut warnings = Warnings::default();
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
    while !ended {
        for plane in &mut planes {
            plane.clear();
        }
        while planes[channels - 1].len() < BLOCK {
            match samples.next() {
                Some(Ok(sample)) => {
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
    let output = sink
        .finish()
        .map_err(|reason| AudioError::internal(path, reason))?;
    Ok(Some(Decoded {
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
