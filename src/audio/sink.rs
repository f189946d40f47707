//! The streaming end of decoding: takes blocks of planar f32 frames at the
//! source rate, mixes them to mono (and keeps the channels when asked),
//! resamples them to 16 kHz in fixed chunks, and stores only the 16 kHz result,
//! rounded to 16 bits as it is made.
//!
//! Nothing here holds more than one resampler chunk of source-rate audio, so a
//! three-hour recording costs its 16 kHz result (2 bytes a sample: 330 MB)
//! and a few kilobytes.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use crate::types::{sample_i16, Audio};

/// Frames of source audio per resampler call.
const CHUNK: usize = 4096;
/// Largest sample magnitude passed to the resampler (full scale is 1; a
/// float file may go over it a little, and is clipped to full scale when
/// the output is rounded to 16 bits). Beyond it, and for NaN and infinities, a sample is
/// damage: the resampler's FFT would turn it into NaN, and then panic.
const MAX_LEVEL: f32 = 16.0;

/// Sample rates a recording can have (telephone audio is 8 kHz, studio
/// audio at most 768 kHz).
const RATES: std::ops::RangeInclusive<u32> = 4_000..=768_000;
/// Most source frames in the resampler's smallest block, `rate / gcd(rate,
/// 16000)`: 441 for 44.1 kHz, 11127 for the old 11127 Hz; a rate needing
/// more (767999 Hz: one block of 767999 frames, and its FFT, per channel) is
/// a damaged header, not a recording.
const MAX_RATE_BLOCK: u32 = 24_000;

/// Whether audio at `rate` Hz can be converted to 16 kHz in bounded memory;
/// `Err` says why not.
pub(super) fn convertible(rate: u32) -> Result<(), String> {
    if !RATES.contains(&rate) {
        return Err(format!(
            "outside the {}–{} Hz of recordings",
            RATES.start(),
            RATES.end()
        ));
    }
    let (mut a, mut b) = (rate, Audio::SAMPLE_RATE);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    if rate / a > MAX_RATE_BLOCK {
        return Err(
            "an odd rate this program does not convert (if the file plays, \
             convert it first, e.g. `ffmpeg -i IN -ar 16000 OUT.wav`)"
                .into(),
        );
    }
    Ok(())
}

/// What a sink has produced.
pub(super) struct Output {
    /// Mono at 16 kHz, 16-bit ([`Audio::samples`]).
    pub mono: Vec<i16>,
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
    /// Samples that were NaN, infinite or far over full scale, and the
    /// seconds of the first block that had one.
    invalid: u64,
    invalid_at: f64,
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
            invalid: 0,
            invalid_at: 0.0,
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

    /// Channels kept apart besides the mono mix (0 when they are not).
    pub fn kept_channels(&self) -> usize {
        self.out.channels.len()
    }

    /// Source rate now in effect.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Samples that were not numbers or far over full scale: replaced by
    /// silence, or clipped.
    pub fn invalid(&self) -> Option<(u64, f64)> {
        (self.invalid > 0).then_some((self.invalid, self.invalid_at))
    }

    /// Seconds of source audio pushed so far.
    pub fn seconds(&self) -> f64 {
        self.seconds_before_segment + self.segment_in as f64 / f64::from(self.rate)
    }

    fn start_segment(&mut self, rate: u32) -> Result<(), String> {
        if let Err(why) = convertible(rate) {
            return Err(format!("cannot convert {rate} Hz: {why}"));
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
    /// the last channel. A sample that is NaN or infinite becomes 0, one far
    /// over full scale is clipped (see [`Sink::invalid`]).
    pub fn push(&mut self, planes: &[&[f32]], frames: usize) -> Result<(), String> {
        if planes.is_empty() || frames == 0 {
            return Ok(());
        }
        let (invalid_before, at) = (self.invalid, self.seconds());
        let invalid = &mut self.invalid;
        let mut clean = |x: f32| {
            if x.is_finite() && x.abs() <= MAX_LEVEL {
                x
            } else {
                *invalid += 1;
                if x.is_finite() {
                    x.clamp(-MAX_LEVEL, MAX_LEVEL)
                } else {
                    0.0
                }
            }
        };
        if self.lanes == 1 {
            let scale = 1.0 / planes.len() as f32;
            let target = &mut self.pending[0];
            if planes.len() == 1 {
                target.extend(planes[0][..frames].iter().map(|&x| clean(x)));
            } else {
                target.extend(
                    (0..frames).map(|i| planes.iter().map(|p| clean(p[i])).sum::<f32>() * scale),
                );
            }
        } else {
            for (lane, target) in self.pending.iter_mut().enumerate() {
                let plane = &planes[lane.min(planes.len() - 1)][..frames];
                target.extend(plane.iter().map(|&x| clean(x)));
            }
        }
        if invalid_before == 0 && self.invalid > 0 {
            self.invalid_at = at;
        }
        self.segment_in += frames as u64;
        self.drain(false)
    }

    /// Adds `frames` frames of silence (in place of a packet that did not decode).
    pub fn push_silence(&mut self, frames: usize) -> Result<(), String> {
        // A chunk at a time: minutes of silence at 48 kHz would otherwise
        // sit at the source rate, per channel, before resampling.
        let mut left = frames;
        while left > 0 {
            let piece = left.min(CHUNK);
            for target in &mut self.pending {
                target.resize(target.len() + piece, 0.0);
            }
            self.segment_in += piece as u64;
            self.drain(false)?;
            left -= piece;
        }
        Ok(())
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
        let mut idle = 0;
        while self.resampler.is_some() && self.taken + self.out.mono.len() < expected {
            let before = (self.out.mono.len(), self.to_trim);
            self.drain(true)?;
            idle = if (self.out.mono.len(), self.to_trim) == before {
                idle + 1
            } else {
                0
            };
            // The resampler gathers a whole block (up to MAX_RATE_BLOCK
            // frames) before it gives anything.
            if idle > (MAX_RATE_BLOCK as usize).div_ceil(CHUNK) + 2 {
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
    pub fn take_mono(&mut self) -> Vec<i16> {
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
        out.mono
            .extend(lanes[0][from..to].iter().map(|&s| sample_i16(s)));
        return;
    }
    let scale = 1.0 / lanes.len() as f32;
    out.mono
        .extend((from..to).map(|i| sample_i16(lanes.iter().map(|l| l[i]).sum::<f32>() * scale)));
    for (track, lane) in out.channels.iter_mut().zip(lanes) {
        track.extend(lane[from..to].iter().map(|&s| sample_i16(s)));
    }
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
    fn odd_rates_have_exact_lengths_too() {
        for rate in [
            4_000, 11_127, 22_254, 44_056, 47_952, 47_998, 352_800, 705_600, 768_000,
        ] {
            convertible(rate).unwrap();
            let signal = sine(rate, 440.0, rate as usize / 3 + 5);
            let mut sink = Sink::new(rate, 1, false, None).unwrap();
            sink.push(&[&signal], signal.len()).unwrap();
            let out = sink.finish().unwrap_or_else(|e| panic!("{rate} Hz: {e}"));
            let expected = (signal.len() as u64 * 16_000).div_ceil(u64::from(rate)) as usize;
            assert_eq!(out.mono.len(), expected, "{rate} Hz");
        }
        for rate in [0, 1, 3_999, 24_001, 546_338, 767_999, 768_001, u32::MAX] {
            assert!(convertible(rate).is_err(), "{rate} Hz");
            assert!(Sink::new(rate, 1, false, None).is_err(), "{rate} Hz");
        }
    }

    #[test]
    fn samples_that_are_not_numbers_become_silence() {
        let mut signal = sine(48_000, 440.0, 48_000);
        signal[100] = f32::NAN;
        signal[20_000] = f32::INFINITY;
        signal[30_000] = 1e30;
        let mut sink = Sink::new(48_000, 1, false, None).unwrap();
        sink.push(&[&signal], signal.len()).unwrap();
        let (count, _) = sink.invalid().unwrap();
        assert_eq!(count, 3);
        let out = sink.finish().unwrap();
        assert_eq!(out.mono.len(), 16_000);
        // Clipped to full scale by the rounding to 16 bits.
        assert!(out.mono.iter().any(|&s| s == i16::MAX || s == i16::MIN));
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
            .map(|(&a, b)| (crate::types::sample_f32(a) - b).abs())
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
        assert!((i32::from(out.mono[8000]) - 4_096).abs() < 40);
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
