//! Audio arriving as it is recorded (interleaved 16-bit frames at a
//! device's rate), turned into 16 kHz mono as it comes: what a live
//! transcription reads while the recorder writes the file.

use super::sink::Sink;
use super::AudioError;
use crate::types::sample_f32;

/// Interleaved i16 frames at `rate` → 16 kHz mono i16, chunk by chunk.
pub struct Stream16k {
    sink: Sink,
    rate: u32,
    channels: u16,
    planes: Vec<Vec<f32>>,
}

impl Stream16k {
    pub fn new(rate: u32, channels: u16) -> Result<Stream16k, AudioError> {
        let sink = Sink::new(rate, usize::from(channels.max(1)), false, None)
            .map_err(|reason| stream_error(rate, channels, reason))?;
        Ok(Stream16k {
            sink,
            rate,
            channels,
            planes: vec![Vec::new(); usize::from(channels.max(1))],
        })
    }

    /// Adds interleaved frames; returns the 16 kHz mono samples they
    /// completed (the resampler works in chunks, so some come later).
    pub fn push(&mut self, interleaved: &[i16]) -> Result<Vec<i16>, AudioError> {
        let lanes = self.planes.len();
        for plane in &mut self.planes {
            plane.clear();
        }
        for frame in interleaved.chunks_exact(lanes) {
            for (plane, &s) in self.planes.iter_mut().zip(frame) {
                plane.push(sample_f32(s));
            }
        }
        let frames = self.planes[0].len();
        let planes: Vec<&[f32]> = self.planes.iter().map(Vec::as_slice).collect();
        self.sink
            .push(&planes, frames)
            .map_err(|reason| stream_error(self.rate, self.channels, reason))?;
        Ok(self.sink.take_mono())
    }

    /// The rest of the stream, once the recording has ended.
    pub fn finish(self) -> Result<Vec<i16>, AudioError> {
        let (rate, channels) = (self.rate, self.channels);
        self.sink
            .finish()
            .map(|out| out.mono)
            .map_err(|reason| stream_error(rate, channels, reason))
    }
}

fn stream_error(rate: u32, channels: u16, reason: String) -> AudioError {
    AudioError::Stream {
        rate,
        channels,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_read_in_pieces_is_the_whole_at_16_khz() {
        // 3 s of a 440 Hz tone, 48 kHz stereo, pushed in uneven pieces.
        let frames: Vec<i16> = (0..48_000 * 3)
            .flat_map(|i| {
                let v =
                    ((i as f32 * 440.0 * std::f32::consts::TAU / 48_000.0).sin() * 8000.0) as i16;
                [v, v]
            })
            .collect();
        let mut stream = Stream16k::new(48_000, 2).unwrap();
        let mut out = Vec::new();
        for piece in frames.chunks(2 * 777) {
            out.extend(stream.push(piece).unwrap());
        }
        out.extend(stream.finish().unwrap());
        assert_eq!(out.len(), 16_000 * 3);
        let rms = (out[8000..40_000]
            .iter()
            .map(|&x| sample_f32(x).powi(2))
            .sum::<f32>()
            / 32_000.0)
            .sqrt();
        assert!(
            (rms - 8000.0 / 32768.0 / 2f32.sqrt()).abs() < 0.01,
            "rms {rms}"
        );
    }
}
