//! Speech Whisper skipped. In a window of up to 30 s, Whisper sometimes
//! writes the first sentence, jumps its timestamp over the next ten seconds
//! of talk and goes on after them (more often in noise): the text of an
//! agenda announcement or the start of a presentation is then simply
//! missing. The VAD heard that speech, and none of the window's tokens are
//! timed inside it; such a stretch is a hole, decoded again on its own
//! (`Session::decode_in_context`). Pure functions over times in seconds.

use crate::types::{Segment, Span};

/// A token covers this much audio on each side of its (DTW) time: DTW
/// times wander by up to a second in fluent speech.
const TOKEN_REACH: f64 = 1.0;
/// Uncovered speech pieces closer than this are one hole.
const JOIN_GAP: f64 = 1.0;
/// Speech seconds a hole must hold to be decoded again: a short phrase
/// Whisper left out is not worth a decode, and is often a cough or noise.
const MIN_HOLE_SPEECH: f64 = 3.0;

/// The holes of a window from `from` to `to`: stretches of `speech` (the
/// VAD's spans, recording timeline) that no token time (same timeline)
/// comes within [`TOKEN_REACH`] of, pieces less than [`JOIN_GAP`] apart
/// joined, each holding at least [`MIN_HOLE_SPEECH`] s of speech. In order.
pub fn find(speech: &[Span], from: f64, to: f64, token_times: &[f64]) -> Vec<Span> {
    let mut covered: Vec<(f64, f64)> = token_times
        .iter()
        .map(|&t| (t - TOKEN_REACH, t + TOKEN_REACH))
        .collect();
    covered.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Speech inside the window minus the covered stretches.
    let mut pieces: Vec<Span> = Vec::new();
    for span in speech {
        let (mut start, end) = (span.start.max(from), span.end.min(to));
        for &(a, b) in &covered {
            if b <= start || a >= end {
                continue;
            }
            if a > start {
                pieces.push(Span { start, end: a });
            }
            start = start.max(b);
        }
        if start < end {
            pieces.push(Span { start, end });
        }
    }
    // Pieces close together make one hole; its speech is their sum.
    let mut holes: Vec<(Span, f64)> = Vec::new();
    for piece in pieces {
        match holes.last_mut() {
            Some((hole, speech)) if piece.start - hole.end < JOIN_GAP => {
                hole.end = piece.end;
                *speech += piece.duration();
            }
            _ => holes.push((piece, piece.duration())),
        }
    }
    holes
        .into_iter()
        .filter(|&(_, speech)| speech >= MIN_HOLE_SPEECH)
        .map(|(hole, _)| hole)
        .collect()
}

/// Cuts the window's own segments back to their side of each hole (same
/// timeline): none of their tokens lies in a hole, so one that reaches
/// into it does so only by its timestamps, and would overlap the speech
/// decoded there again.
pub fn clip(segments: &mut [Segment], holes: &[Span]) {
    for segment in segments {
        for hole in holes {
            if segment.start < hole.start && segment.end > hole.start {
                segment.end = hole.start;
            } else if segment.start >= hole.start && segment.start < hole.end {
                segment.start = hole.end.min(segment.end);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: f64, end: f64) -> Span {
        Span { start, end }
    }

    /// Tokens every 0.4 s from `from` to `to`.
    fn tokens(from: f64, to: f64) -> Vec<f64> {
        let mut t = Vec::new();
        let mut x = from;
        while x <= to {
            t.push(x);
            x += 0.4;
        }
        t
    }

    #[test]
    fn speech_with_tokens_all_along_has_no_hole() {
        let speech = [span(10.0, 20.0), span(21.0, 35.0)];
        let times = tokens(10.2, 19.8)
            .into_iter()
            .chain(tokens(21.2, 34.8))
            .collect::<Vec<_>>();
        assert!(find(&speech, 9.8, 35.2, &times).is_empty());
    }

    #[test]
    fn speech_skipped_between_two_sentences_is_a_hole() {
        // One speech span from 40 to 70 s; tokens up to 45.8 s and from 58 s.
        let speech = [span(40.0, 70.0)];
        let times = tokens(40.2, 46.0)
            .into_iter()
            .chain(tokens(58.0, 69.8))
            .collect::<Vec<_>>();
        let holes = find(&speech, 39.8, 70.2, &times);
        assert_eq!(holes.len(), 1);
        assert!((holes[0].start - 46.8).abs() < 0.01, "{holes:?}");
        assert!((holes[0].end - 57.0).abs() < 0.01, "{holes:?}");
    }

    #[test]
    fn pieces_across_short_pauses_join_and_short_holes_are_left() {
        // Two 2 s pieces 0.5 s apart join into one hole of 4 s speech…
        let speech = [span(0.0, 2.0), span(2.5, 4.5), span(10.0, 12.0)];
        let holes = find(&speech, 0.0, 12.0, &[]);
        assert_eq!(holes, vec![span(0.0, 4.5)]);
        // … a lone 2 s piece (10–12 s) is too little speech.
        assert!(find(&[span(10.0, 12.0)], 0.0, 12.0, &[]).is_empty());
    }

    #[test]
    fn segments_reaching_into_a_hole_are_cut_back_to_their_side() {
        let segment = |start: f64, end: f64| Segment {
            start,
            end,
            text: "x".into(),
            confidence: 1.0,
            flags: Vec::new(),
            verbatim: None,
            corrections: Vec::new(),
        };
        let mut segments = vec![
            segment(10.0, 30.0),
            segment(22.0, 40.0),
            segment(41.0, 45.0),
        ];
        clip(&mut segments, &[span(20.0, 35.0)]);
        let times: Vec<(f64, f64)> = segments.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(times, vec![(10.0, 20.0), (35.0, 40.0), (41.0, 45.0)]);
    }

    #[test]
    fn only_speech_inside_the_window_counts() {
        let speech = [span(0.0, 30.0)];
        let holes = find(&speech, 25.0, 35.0, &[]);
        assert_eq!(holes, vec![span(25.0, 30.0)]);
    }
}
