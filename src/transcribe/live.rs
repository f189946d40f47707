//! Transcription of a recording as it grows (`kaigiroku record --live`):
//! 16 kHz mono samples are pushed as they come, the VAD runs over the audio
//! not yet settled, and each window is decoded as soon as it is closed —
//! when a pause longer than [`SPLIT_PAUSE_SECONDS`] follows it, or the next
//! speech could not join it — exactly the windows [`vad::windows`] makes of
//! the whole recording. So when the recording stops, only the last window
//! is left to decode.
//!
//! Speech is settled once it ends [`SETTLE_SECONDS`] before the newest
//! sample: the VAD (Silero, stateful) is rerun from a point in silence over
//! what is not settled, so a span cut by the end of the audio so far is
//! found whole later.

use super::{
    padded_window, vad, Session, TranscribeError, Transcription, Vad, SPLIT_PAUSE_SECONDS,
    WINDOW_SECONDS,
};
use crate::types::{Audio, Span};

/// Speech ending this long before the newest sample is final.
const SETTLE_SECONDS: f64 = 2.5;
/// The VAD runs again once this much new audio has come.
const SCAN_EVERY_SECONDS: f64 = 2.0;

/// One recording decoded while it is made; see the module doc.
pub struct LiveTranscriber {
    session: Session,
    vad: Option<Vad>,
    /// The whole recording so far, 16 kHz mono.
    samples: Vec<i16>,
    /// Settled speech spans, in order.
    speech: Vec<Span>,
    /// Everything before this is settled (speech in `speech`, or silence).
    settled: f64,
    /// Where the last VAD run ended.
    scanned: f64,
    /// `speech[decoded..]` is not wholly in decoded windows yet.
    decoded: usize,
    /// The end of the last decoded window (a long span is decoded in
    /// pieces: its rest starts here).
    decoded_until: f64,
}

impl LiveTranscriber {
    pub(super) fn new(session: Session, vad: Option<Vad>) -> LiveTranscriber {
        LiveTranscriber {
            session,
            vad,
            samples: Vec::new(),
            speech: Vec::new(),
            settled: 0.0,
            scanned: 0.0,
            decoded: 0,
            decoded_until: 0.0,
        }
    }

    /// Seconds of audio pushed.
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / Audio::SAMPLE_RATE as f64
    }

    /// Seconds of the recording decoded so far (every window ending before).
    pub fn decoded_seconds(&self) -> f64 {
        self.decoded_until
    }

    /// Adds samples (16 kHz mono) and decodes the windows they close.
    pub fn push(&mut self, samples: &[i16]) -> Result<(), TranscribeError> {
        self.samples.extend_from_slice(samples);
        // Steps at fixed points of the recording, however the samples
        // arrive: the text does not depend on the size of the blocks.
        while self.duration() - self.scanned >= SCAN_EVERY_SECONDS {
            self.step(self.scanned + SCAN_EVERY_SECONDS, false)?;
        }
        Ok(())
    }

    /// Decodes what is left; returns the whole transcription and the audio.
    pub fn finish(mut self) -> Result<(Transcription, Audio), TranscribeError> {
        self.step(self.duration(), true)?;
        let mut transcription = self.session.finish();
        if self.vad.is_some() {
            transcription.speech = self.speech;
        }
        Ok((transcription, Audio::from_mono(self.samples)))
    }

    /// Settles speech and decodes every closed window (all of them at the end).
    /// Settles speech and decodes the windows closed by the audio before
    /// `now` (every window with `end`).
    fn step(&mut self, now: f64, end: bool) -> Result<(), TranscribeError> {
        self.scanned = now;
        if self.vad.is_none() {
            while now - self.decoded_until >= WINDOW_SECONDS || (end && self.decoded_until < now) {
                let to = (self.decoded_until + WINDOW_SECONDS).min(now);
                self.decode(
                    now,
                    Span {
                        start: self.decoded_until,
                        end: to,
                    },
                )?;
                self.decoded_until = to;
            }
            return Ok(());
        }
        self.settle(now, end)?;
        let mut rest = self.speech[self.decoded..].to_vec();
        if let Some(first) = rest.first_mut() {
            first.start = first.start.max(self.decoded_until);
        }
        let pending = vad::windows(&rest, WINDOW_SECONDS, SPLIT_PAUSE_SECONDS);
        for (k, window) in pending.iter().enumerate() {
            let last = k + 1 == pending.len();
            if last && !end && self.settled - window.end <= SPLIT_PAUSE_SECONDS {
                break; // more speech may still join it
            }
            self.decode(now, *window)?;
            self.decoded_until = window.end;
            self.decoded += self.speech[self.decoded..]
                .iter()
                .take_while(|s| s.end <= window.end)
                .count();
        }
        Ok(())
    }

    /// Runs the VAD from the settled point to the newest sample and keeps
    /// the spans that can no longer change.
    fn settle(&mut self, now: f64, end: bool) -> Result<(), TranscribeError> {
        let Some(vad) = self.vad.as_mut() else {
            return Ok(());
        };
        let rate = Audio::SAMPLE_RATE as f64;
        let from = self.settled;
        let last = ((now * rate) as usize).min(self.samples.len());
        let first = ((from * rate) as usize).min(last);
        let found = vad.speech(&self.samples[first..last])?;
        let limit = if end {
            f64::INFINITY
        } else {
            now - SETTLE_SECONDS
        };
        let mut settled = if end { now } else { limit.max(from) };
        for span in found {
            let span = Span {
                start: span.start + from,
                end: span.end + from,
            };
            if span.end <= limit {
                match self.speech.last_mut() {
                    Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                    _ => self.speech.push(span),
                }
            } else {
                settled = settled.min(span.start);
                break;
            }
        }
        self.settled = settled.max(from);
        Ok(())
    }

    fn decode(&mut self, now: f64, window: Span) -> Result<(), TranscribeError> {
        let speech = self.vad.as_ref().map(|_| self.speech.as_slice());
        let (window, to) = padded_window(&self.samples, &window, now, speech);
        self.session.push_until(window, to)?;
        Ok(())
    }
}
