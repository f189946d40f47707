//! A whole recording decoded as a few contiguous *chains* of windows, each
//! in its own thread with its own whisper.cpp state, instead of one chain
//! with all the threads.
//!
//! Why: on the CPU, a decode step of the base model is a small graph whose
//! threads meet at a barrier after every operation, so two threads on one
//! step do far less than twice the work of one. Measured on this 2-core
//! machine, the 12.5-minute sample cut in two halves: one process with 2
//! threads 139.4 s, the two halves at once with 1 thread each 121.8 s.
//!
//! A chain after the first cannot wait for the text before it (the chain
//! before is still decoding it), and started from the vocabulary prompt its
//! first window came out differently: on the 12.5-minute sample a title
//! misheard there (デジタル化追襲人) cost a 66-second speaker its role. So
//! such a chain first decodes the window before its own, for its text alone,
//! and its first window gets a prompt like the one it has in one chain; the
//! cost is one window more per extra chain.
//!
//! Each chain holds a whisper.cpp state: a second one added 330–365 MB to
//! the peak for base (12.5-minute sample: 614 → 979 MB). So there are at
//! most [`MAX_CHAINS`], and a recording longer than [`CHAINS_UP_TO_SECONDS`]
//! is decoded in one chain, which keeps a 3-hour recording under 1 GB.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::{padded_window, Session, TranscribeError, Transcription, Window};
use crate::types::{Audio, Span};

/// Chains per recording at most: each costs a whisper.cpp state in memory.
pub(super) const MAX_CHAINS: usize = 2;
/// Recordings longer than this (seconds) are decoded in one chain: the
/// recording itself then weighs more, and a second state would take the
/// peak over 1 GB.
pub(super) const CHAINS_UP_TO_SECONDS: f64 = 3600.0;

/// How many chains decode `windows` windows of a recording `duration`
/// seconds long with `threads` threads in all: one per thread up to
/// [`MAX_CHAINS`], never more than there are windows; one on a GPU (which
/// runs one decode at a time anyway) and for a recording over
/// [`CHAINS_UP_TO_SECONDS`].
pub(super) fn chain_count(threads: u32, gpu: bool, windows: usize, duration: f64) -> usize {
    if gpu || duration > CHAINS_UP_TO_SECONDS {
        return 1;
    }
    (threads as usize).min(MAX_CHAINS).min(windows).max(1)
}

/// Cuts `windows` (in time order) into `n` contiguous runs (index ranges),
/// each cut at the window boundary nearest an equal share of the speech, so
/// the chains end at about the same time. Every run has at least one window
/// when there are at least `n` windows.
pub(super) fn split(windows: &[Span], n: usize) -> Vec<Range<usize>> {
    let n = n.clamp(1, windows.len().max(1));
    let total: f64 = windows.iter().map(Span::duration).sum();
    // before[i]: speech in windows[..i].
    let mut before = Vec::with_capacity(windows.len() + 1);
    before.push(0.0);
    for w in windows {
        before.push(before.last().copied().unwrap_or(0.0) + w.duration());
    }
    let mut runs = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = total * k as f64 / n as f64;
        // Leave at least one window for this run and each run after it.
        let last_cut = windows.len() - (n - k);
        let cut = (start + 1..=last_cut)
            .min_by(|&a, &b| {
                (before[a] - target)
                    .abs()
                    .total_cmp(&(before[b] - target).abs())
            })
            .unwrap_or(start + 1);
        runs.push(start..cut);
        start = cut;
    }
    runs.push(start..windows.len());
    runs
}

/// What a chain needs besides its session and windows.
pub(super) struct Shared<'a> {
    pub audio: &'a Audio,
    /// The VAD's speech spans of the whole recording, if VAD ran.
    pub speech: Option<&'a [Span]>,
    /// Set when the run is to stop: by the caller, or by a chain that failed.
    pub stop: &'a AtomicBool,
}

/// Decodes `windows` in order with `session`, sending each window's speech
/// seconds on `done` after it. A chain that starts inside the recording is
/// given the window before its first (`before`), decoded first for its text
/// alone, so that its first window is prompted as it would be in one chain.
/// `None` when stopped before the end.
pub(super) fn decode_chain(
    mut session: Session,
    before: Option<&Span>,
    windows: &[Span],
    shared: &Shared<'_>,
    done: mpsc::Sender<f64>,
) -> Result<Option<Transcription>, TranscribeError> {
    let failed = |e| {
        shared.stop.store(true, Ordering::Relaxed);
        e
    };
    if let Some(span) = before {
        let (window, to) = shared.window(span);
        session.warm_up(window, to).map_err(failed)?;
    }
    for span in windows {
        if shared.stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let (window, to) = shared.window(span);
        session.push_until(window, to).map_err(failed)?;
        // The receiver is gone only once the run is over.
        let _ = done.send(span.duration());
    }
    Ok(Some(session.finish()))
}

impl Shared<'_> {
    /// The padded window around the speech of `span`, and its end.
    fn window(&self, span: &Span) -> (Window<'_>, f64) {
        padded_window(
            &self.audio.samples,
            span,
            self.audio.duration(),
            self.speech,
        )
    }
}

/// The chains' transcriptions, in time order, as one.
pub(super) fn join(parts: Vec<Transcription>) -> Transcription {
    let mut whole = Transcription {
        segments: Vec::new(),
        speech: Vec::new(),
        dropped: Vec::new(),
    };
    for part in parts {
        whole.segments.extend(part.segments);
        part.speech
            .into_iter()
            .for_each(|s| super::note_speech(&mut whole.speech, s));
        whole.dropped.extend(part.dropped);
    }
    whole
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(lengths: &[f64]) -> Vec<Span> {
        let mut t = 0.0;
        lengths
            .iter()
            .map(|&l| {
                let w = Span {
                    start: t,
                    end: t + l,
                };
                t += l + 3.0;
                w
            })
            .collect()
    }

    #[test]
    fn two_chains_share_the_speech_about_equally() {
        let w = windows(&[28.0, 28.0, 10.0, 28.0, 5.0, 28.0, 28.0, 20.0]);
        let runs = split(&w, 2);
        assert_eq!(runs, [0..4, 4..8]);
        let speech = |r: &Range<usize>| w[r.clone()].iter().map(Span::duration).sum::<f64>();
        let (a, b) = (speech(&runs[0]), speech(&runs[1]));
        // The cut nearest the half: 94 / 81 of 175 s (the next would be 99 / 76).
        assert_eq!((a, b), (94.0, 81.0));
    }

    #[test]
    fn every_chain_gets_a_window_even_when_one_window_is_most_of_the_speech() {
        let w = windows(&[2.0, 28.0, 28.0, 28.0, 28.0, 1.0]);
        let runs = split(&w, 2);
        assert!(runs.iter().all(|r| !r.is_empty()));
        let w = windows(&[1.0, 1.0, 100.0]);
        assert_eq!(split(&w, 3), [0..1, 1..2, 2..3]);
    }

    #[test]
    fn one_chain_is_all_the_windows() {
        let w = windows(&[10.0, 20.0]);
        assert_eq!(split(&w, 1), vec![0..2]);
        assert_eq!(split(&[], 2), vec![0..0]);
    }

    #[test]
    fn chains_follow_threads_up_to_the_limit_and_the_windows() {
        let hour = CHAINS_UP_TO_SECONDS;
        assert_eq!(chain_count(1, false, 30, 900.0), 1);
        assert_eq!(chain_count(2, false, 30, 900.0), 2);
        assert_eq!(chain_count(16, false, 30, 900.0), MAX_CHAINS);
        assert_eq!(chain_count(2, false, 1, 900.0), 1);
        assert_eq!(chain_count(2, false, 0, 0.0), 1);
        assert_eq!(chain_count(8, true, 30, 900.0), 1);
        assert_eq!(chain_count(2, false, 30, hour), 2);
        assert_eq!(chain_count(2, false, 400, 3.0 * hour), 1);
    }
}
