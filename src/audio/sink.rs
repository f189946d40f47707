//! The streaming end of decoding: takes blocks of planar f32 frames at the
//! source rate, mixes them to mono (and keeps the channels when asked),
//! resamples them to 16 kHz in fixed chunks, and stores only the 16 kHz result.
//!
//! Nothing here holds more than one resampler chunk of source-rate audio, so a
//! three-hour recording costs its 16 kHz result and a few kilobytes.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use crate::types::Audio;

/// Frames of source audio per resampler call.
const CHUNK: usize = 4096;

/// What a sink has produced.
pub(super) struct Output {
    /// Mono at 16 kHz.
    pub mono: Vec<f32>,
    /// One 16 kHz track per source channel, when kept.
    pub channels: Vec<Vec<i16>>,
}

pub(super) struct Sink {
    /// Keep one track per channel (only for sources with more than one channel).
    keep: bool,
    /// Tracks being resampled: 1 (the mono mix) or one per kept channel.
    lanes: usize,
    rate: u32,
    resampler: Option<Fft<f32>>,
    /// Source-rate frames waiting for a full chunk, one vector per lane.
    pending: Vec<Vec<f32>>,
    /// Resampler output of one call, one vector per lane.
    scratch: Vec<Vec<f32>>,
    /// Output frames still to drop: the resampler's delay.
    to_trim: usize,
    /// Source frames pushed since the current rate took effect.
    segment_in: u64,
    /// Length of the output when the current rate took effect (counting
    /// what [`Sink::take_mono`] took).
    segment_start: usize,
    /// Mono output already taken by [`Sink::take_mono`].
    taken: usize,
    /// Source frames pushed in all, converted to seconds on the way.
    seconds_before_segment: f64,
    out: Output,
}

impl Sink {
    /// A sink for `channels` channels at `rate` Hz; `keep` keeps the channels
    /// apart (ignored for mono sources). `estimated_frames` (source frames, if
    /// the container says) reserves the output once instead of growing it.
    pub fn new(
        rate: u32,
        channels: usize,
        keep: bool,
        estimated_frames: Option<u64>,
    ) -> Result<Self, String> {
        let keep = keep && channels > 1;
        let lanes = if keep { channels } else { 1 };
        let mut sink = Sink {
            keep,
            lanes,
            rate,
            resampler: None,
            pending: vec![Vec::new(); lanes],
            scratch: vec![Vec::new(); lanes],
            to_trim: 0,
            segment_in: 0,
            segment_start: 0,
            taken: 0,
            seconds_before_segment: 0.0,
            out: Output {
                mono: Vec::new(),
                channels: vec![Vec::new(); if keep { channels } else { 0 }],
            },
        };
        sink.start_segment(rate)?;
        if let Some(frames) = estimated_frames {
            // Trust the container up to a day of audio; a wrong header must not
            // make us reserve gigabytes.
            let day = 24 * 3600 * u64::from(Audio::SAMPLE_RATE);
            let out = (frames.saturating_mul(u64::from(Audio::SAMPLE_RATE)) / u64::from(rate))
                .min(day) as usize
                + Audio::SAMPLE_RATE as usize;
            sink.out.mono.reserve_exact(out);
            for track in &mut sink.out.channels {
                track.reserve_exact(out);
            }
        }
        Ok(sink)
    }

    /// Source rate now in effect.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Seconds of source audio pushed so far.
    pub fn seconds(&self) -> f64 {
        self.seconds_before_segment + self.segment_in as f64 / f64::from(self.rate)
    }

    fn start_segment(&mut self, rate: u32) -> Result<(), String> {
        if rate == 0 {
            return Err("the sample rate is 0 Hz".into());
        }
        self.rate = rate;
        self.segment_in = 0;
        self.segment_start = self.taken + self.out.mono.len();
        self.resampler = None;
        self.to_trim = 0;
        if rate != Audio::SAMPLE_RATE {
            let resampler = Fft::<f32>::new(
                rate as usize,
                Audio::SAMPLE_RATE as usize,
                CHUNK,
                self.lanes,
                FixedSync::Input,
            )
            .map_err(|e| format!("cannot resample {rate} Hz to 16000 Hz: {e}"))?;
            self.to_trim = resampler.output_delay();
            let max = resampler.output_frames_max();
            for lane in &mut self.scratch {
                lane.resize(max, 0.0);
            }
            for lane in &mut self.pending {
                lane.clear();
                lane.reserve(2 * CHUNK);
            }
            self.resampler = Some(resampler);
        }
        Ok(())
    }

    /// Switches to another source rate mid-stream (some MP3s change rate):
    /// what came before is finished at the old rate.
    pub fn change_rate(&mut self, rate: u32) -> Result<(), String> {
        self.finish_segment()?;
        self.seconds_before_segment += self.segment_in as f64 / f64::from(self.rate);
        self.start_segment(rate)
    }

    /// Adds `frames` frames given as one slice per channel. The channel count
    /// may differ from the one the sink was made for: mono is the mean of
    /// whatever is given, and a kept track whose channel is missing repeats
    /// the last channel.
    pub fn push(&mut self, planes: &[&[f32]], frames: usize) -> Result<(), String> {
        if planes.is_empty() || frames == 0 {
            return Ok(());
        }
        if self.lanes == 1 {
            let scale = 1.0 / planes.len() as f32;
            let target = &mut self.pending[0];
            if planes.len() == 1 {
                target.extend_from_slice(&planes[0][..frames]);
            } else {
                target
                    .extend((0..frames).map(|i| planes.iter().map(|p| p[i]).sum::<f32>() * scale));
            }
        } else {
            for (lane, target) in self.pending.iter_mut().enumerate() {
                target.extend_from_slice(&planes[lane.min(planes.len() - 1)][..frames]);
            }
        }
        self.segment_in += frames as u64;
        self.drain(false)
    }

    /// Adds `frames` frames of silence (in place of a packet that did not decode).
    pub fn push_silence(&mut self, frames: usize) -> Result<(), String> {
        for target in &mut self.pending {
            target.resize(target.len() + frames, 0.0);
        }
        self.segment_in += frames as u64;
        self.drain(false)
    }

    /// Resamples what is pending: every full chunk, or with `last` everything.
    fn drain(&mut self, last: bool) -> Result<(), String> {
        let Some(resampler) = self.resampler.as_mut() else {
            // Already at 16 kHz.
            let frames = self.pending[0].len();
            emit(&mut self.out, &self.pending, 0, frames, self.keep);
            for lane in &mut self.pending {
                lane.clear();
            }
            return Ok(());
        };
        let available = self.pending[0].len();
        let mut offset = 0;
        loop {
            let next = resampler.input_frames_next();
            let left = available - offset;
            let partial = if left >= next {
                None
            } else if last {
                Some(left)
            } else {
                break;
            };
            let input = SequentialSliceOfVecs::new(&self.pending[..], self.lanes, available)
                .map_err(|e| e.to_string())?;
            let capacity = self.scratch[0].len();
            let mut output =
                SequentialSliceOfVecs::new_mut(&mut self.scratch[..], self.lanes, capacity)
                    .map_err(|e| e.to_string())?;
            let indexing = Indexing {
                input_offset: offset,
                output_offset: 0,
                partial_len: partial,
                active_channels_mask: None,
            };
            let (read, written) = resampler
                .process_into_buffer(&input, &mut output, Some(&indexing))
                .map_err(|e| e.to_string())?;
            offset += partial.unwrap_or(read);
            let skip = self.to_trim.min(written);
            self.to_trim -= skip;
            emit(&mut self.out, &self.scratch, skip, written, self.keep);
            if partial.is_some() {
                break;
            }
        }
        for lane in &mut self.pending {
            lane.drain(..offset);
        }
        Ok(())
    }

    /// Flushes the resampler so that the output holds exactly the current
    /// segment's duration at 16 kHz.
    fn finish_segment(&mut self) -> Result<(), String> {
        let expected = self.segment_start
            + (self.segment_in * u64::from(Audio::SAMPLE_RATE)).div_ceil(u64::from(self.rate))
                as usize;
        self.drain(true)?;
        // Pump silence through until the delayed tail is out.
        let mut guard = 0;
        while self.resampler.is_some() && self.taken + self.out.mono.len() < expected {
            self.drain(true)?;
            guard += 1;
            if guard > 64 {
                return Err("the resampler produced no output".into());
            }
        }
        self.out.mono.truncate(expected.saturating_sub(self.taken));
        for track in &mut self.out.channels {
            track.truncate(expected);
        }
        Ok(())
    }

    /// The mono output made so far, taken out of the sink (a stream read
    /// as it is resampled); [`Sink::finish`] returns the rest.
    pub fn take_mono(&mut self) -> Vec<f32> {
        let taken = std::mem::take(&mut self.out.mono);
        self.taken += taken.len();
        taken
    }

    /// Finishes the stream and returns the 16 kHz result.
    pub fn finish(mut self) -> Result<Output, String> {
        self.finish_segment()?;
        let mut out = self.out;
        shrink(&mut out.mono);
        for track in &mut out.channels {
            shrink(track);
        }
        Ok(out)
    }
}

/// Appends frames `from..to` of `lanes` to the output.
fn emit(out: &mut Output, lanes: &[Vec<f32>], from: usize, to: usize, keep: bool) {
    if from >= to {
        return;
    }
    if !keep {
        out.mono.extend_from_slice(&lanes[0][from..to]);
        return;
    }
    let scale = 1.0 / lanes.len() as f32;
    out.mono
        .extend((from..to).map(|i| lanes.iter().map(|l| l[i]).sum::<f32>() * scale));
    for (track, lane) in out.channels.iter_mut().zip(lanes) {
        track.extend(lane[from..to].iter().map(|&s| to_i16(s)));
    }
}

fn to_i16(sample: f32) -> i16 {
    (sample.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

/// Gives back reserved memory that a too-generous estimate left unused.
fn shrink<T>(v: &mut Vec<T>) {
    if v.capacity() - v.len() > v.len() / 16 + 4096 {
        v.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, frames: usize) -> Vec<f32> {
        (0..frames)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn lengths_are_exact_whatever_the_block_sizes() {
        for rate in [8_000, 16_000, 22_050, 44_100, 48_000, 96_000] {
            let signal = sine(rate, 440.0, rate as usize * 3 + 17);
            let mut sink = Sink::new(rate, 1, false, None).unwrap();
            for block in signal.chunks(1000) {
                sink.push(&[block], block.len()).unwrap();
            }
            let out = sink.finish().unwrap();
            let expected = (signal.len() as u64 * 16_000).div_ceil(u64::from(rate)) as usize;
            assert_eq!(out.mono.len(), expected, "{rate} Hz");
            assert!(out.channels.is_empty());
        }
    }

    #[test]
    fn resampled_sine_keeps_level_and_phase() {
        let signal = sine(48_000, 440.0, 48_000);
        let mut sink = Sink::new(48_000, 1, false, Some(48_000)).unwrap();
        sink.push(&[&signal], signal.len()).unwrap();
        let out = sink.finish().unwrap();
        let reference = sine(16_000, 440.0, 16_000);
        // No delay: the output lines up with a sine made at 16 kHz.
        let worst = out.mono[200..15_800]
            .iter()
            .zip(&reference[200..15_800])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 0.01, "worst difference {worst}");
    }

    #[test]
    fn kept_channels_are_separate_and_mono_is_their_mean() {
        let left = vec![0.5f32; 44_100];
        let right = vec![-0.25f32; 44_100];
        let mut sink = Sink::new(44_100, 2, true, None).unwrap();
        sink.push(&[&left, &right], 44_100).unwrap();
        let out = sink.finish().unwrap();
        assert_eq!(out.channels.len(), 2);
        assert_eq!(out.mono.len(), 16_000);
        assert_eq!(out.channels[0].len(), 16_000);
        assert!((out.mono[8000] - 0.125).abs() < 1e-3);
        assert!((i32::from(out.channels[0][8000]) - 16_384).abs() < 40);
        assert!((i32::from(out.channels[1][8000]) + 8_192).abs() < 40);
    }

    #[test]
    fn a_rate_change_keeps_the_timeline() {
        let mut sink = Sink::new(44_100, 1, false, None).unwrap();
        sink.push(&[&sine(44_100, 440.0, 44_100)], 44_100).unwrap();
        sink.change_rate(22_050).unwrap();
        assert!((sink.seconds() - 1.0).abs() < 1e-9);
        sink.push(&[&sine(22_050, 440.0, 11_025)], 11_025).unwrap();
        sink.push_silence(11_025).unwrap();
        assert!((sink.seconds() - 2.0).abs() < 1e-9);
        assert_eq!(sink.finish().unwrap().mono.len(), 32_000);
    }
}
