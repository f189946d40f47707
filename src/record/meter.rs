//! Levels of the audio being recorded: peak and RMS over the last block,
//! the running peak, clipped samples and the length of the current silence.

/// A sample at or beyond this (of full scale) counts as clipped.
const CLIP: i32 = 32_700;
/// Below this peak (about −50 dBFS) a block counts as silence.
const SILENCE: i32 = 100;

/// Levels measured so far; fed by the writer thread, block by block.
#[derive(Debug, Clone, Default)]
pub struct Meter {
    channels: usize,
    sample_rate: u32,
    /// Peak of the last block, 0–1 of full scale.
    pub peak: f32,
    /// RMS of the last block, 0–1 of full scale.
    pub rms: f32,
    /// The highest peak since the start, 0–1.
    pub max_peak: f32,
    /// Samples at full scale since the start.
    pub clipped: u64,
    /// Frames since the signal last rose above silence (all of them when it never did).
    silent_frames: u64,
}

impl Meter {
    pub fn new(channels: u16, sample_rate: u32) -> Meter {
        Meter {
            channels: usize::from(channels.max(1)),
            sample_rate: sample_rate.max(1),
            ..Meter::default()
        }
    }

    /// Measures one block of interleaved samples.
    pub fn feed(&mut self, samples: &[i16]) {
        if samples.is_empty() {
            return;
        }
        let mut peak = 0i32;
        let mut sum = 0f64;
        for &s in samples {
            let a = i32::from(s).abs();
            peak = peak.max(a);
            if a >= CLIP {
                self.clipped += 1;
            }
            sum += f64::from(s) * f64::from(s);
        }
        self.peak = peak as f32 / 32768.0;
        self.rms = ((sum / samples.len() as f64).sqrt() / 32768.0) as f32;
        self.max_peak = self.max_peak.max(self.peak);
        let frames = (samples.len() / self.channels) as u64;
        if peak < SILENCE {
            self.silent_frames += frames;
        } else {
            self.silent_frames = 0;
        }
    }

    /// Seconds since the signal was last above silence.
    pub fn silence_seconds(&self) -> f64 {
        self.silent_frames as f64 / f64::from(self.sample_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_clipping_and_silence_are_measured() {
        let mut m = Meter::new(2, 1000);
        m.feed(&vec![0i16; 2000]);
        assert!((m.silence_seconds() - 1.0).abs() < 1e-9);
        m.feed(&[16384, -16384, 32767, 0]);
        assert!((m.peak - 32767.0 / 32768.0).abs() < 1e-6);
        assert_eq!(m.clipped, 1);
        assert_eq!(m.silence_seconds(), 0.0);
        m.feed(&[10, -10]);
        assert!(m.peak < 0.001);
        assert!(m.max_peak > 0.99);
    }
}
