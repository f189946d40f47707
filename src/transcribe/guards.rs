//! Guards against text Whisper invents: repetition loops, the phrases it
//! produces over silence, and low-confidence stretches. Pure functions over
//! segments and the VAD's speech spans; every removal is recorded.

use crate::types::{Dropped, Flag, Segment, Span};

/// Phrases Whisper emits over silence or noise (learnt from subtitled video).
pub const SILENCE_PHRASES: &[&str] = &[
    "ご視聴ありがとうございました",
    "ご視聴ありがとうございます",
    "最後までご視聴",
    "チャンネル登録",
    "高評価",
    "おやすみなさい",
    "字幕",
    "次回もお楽しみに",
];

/// Segments whose mean token probability is below this are flagged.
const MIN_CONFIDENCE: f32 = 0.5;
/// A silence phrase is dropped when less than this share of it is speech.
const MIN_SPEECH_SHARE: f64 = 0.5;

/// Cleans the next `segment` (segments come in time order) and adds it to
/// `kept`, or records why it went to `dropped`; an empty one just goes.
/// `speech` is the VAD's speech spans around it; when it is `None` (no
/// VAD) silence phrases are flagged, never dropped.
pub fn guard_one(
    mut segment: Segment,
    speech: Option<&[Span]>,
    kept: &mut Vec<Segment>,
    dropped: &mut Vec<Dropped>,
) {
    let mut drop = |s: Segment, reason: &str| {
        dropped.push(Dropped {
            start: s.start,
            end: s.end,
            text: s.text,
            reason: reason.into(),
        })
    };
    if let Some(cut) = cut_repetitions(&segment.text) {
        segment.text = cut;
        segment.flags.push(Flag::RepetitionCut);
    }
    if segment.text.trim().is_empty() {
        return;
    }
    if let Some(previous) = kept.last() {
        if previous.text == segment.text && segment.start - previous.end < 2.0 {
            drop(
                segment,
                "the same text as the segment before (decoding loop)",
            );
            return;
        }
    }
    if is_silence_phrase(&segment.text) {
        let share = speech.map(|spans| speech_share(&segment.span(), spans));
        match share {
            Some(share) if share < MIN_SPEECH_SHARE => {
                drop(
                    segment,
                    "a phrase Whisper invents over silence, and the audio here is not speech",
                );
                return;
            }
            _ => segment.flags.push(Flag::SilencePhrase),
        }
    }
    if segment.confidence < MIN_CONFIDENCE {
        segment.flags.push(Flag::LowConfidence);
    }
    kept.push(segment);
}

/// Whether `text` is (mostly) one of [`SILENCE_PHRASES`].
pub fn is_silence_phrase(text: &str) -> bool {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !"、。！？!?.,・「」".contains(*c))
        .collect();
    SILENCE_PHRASES
        .iter()
        .any(|p| text.contains(p) && text.chars().count() <= p.chars().count() + 6)
}

/// Share of `span` covered by `speech`.
pub fn speech_share(span: &Span, speech: &[Span]) -> f64 {
    if span.duration() <= 0.0 {
        return speech
            .iter()
            .any(|s| s.start <= span.start && span.start <= s.end) as u8 as f64;
    }
    speech.iter().map(|s| s.overlap(span)).sum::<f64>() / span.duration()
}

/// Collapses a run of the same phrase (1–30 characters, repeated at least 4
/// times and covering at least 8 characters) to one occurrence. `None` when
/// nothing repeats.
pub fn cut_repetitions(text: &str) -> Option<String> {
    let mut chars: Vec<char> = text.chars().collect();
    let mut changed = false;
    'search: loop {
        for unit in 1..=30.min(chars.len() / 4) {
            for start in 0..chars.len() {
                let mut count = 1;
                while start + (count + 1) * unit <= chars.len()
                    && chars[start..start + unit]
                        == chars[start + count * unit..start + (count + 1) * unit]
                {
                    count += 1;
                }
                if count >= 4 && count * unit >= 8 {
                    chars.drain(start + unit..start + count * unit);
                    changed = true;
                    continue 'search;
                }
            }
        }
        break;
    }
    changed.then(|| chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All of `segments` through [`guard_one`].
    fn guard(segments: Vec<Segment>, speech: Option<&[Span]>) -> (Vec<Segment>, Vec<Dropped>) {
        let (mut kept, mut dropped) = (Vec::new(), Vec::new());
        for segment in segments {
            guard_one(segment, speech, &mut kept, &mut dropped);
        }
        (kept, dropped)
    }

    fn segment(start: f64, end: f64, text: &str, confidence: f32) -> Segment {
        Segment {
            start,
            end,
            text: text.into(),
            confidence,
            flags: vec![],
            verbatim: None,
            corrections: Vec::new(),
        }
    }

    #[test]
    fn repetition_loops_are_cut_to_one_occurrence() {
        let looped = format!("説明は以上です。{}", "よろしくお願いします。".repeat(12));
        assert_eq!(
            cut_repetitions(&looped).as_deref(),
            Some("説明は以上です。よろしくお願いします。")
        );
        assert_eq!(cut_repetitions("ははははははははは").as_deref(), Some("は"));
        assert_eq!(cut_repetitions("はい、はい。承知しました。"), None);
        assert_eq!(cut_repetitions("3333万円"), None, "short runs are real");
    }

    #[test]
    fn silence_phrase_over_silence_is_dropped_and_recorded() {
        let speech = [Span {
            start: 0.0,
            end: 10.0,
        }];
        let segments = vec![
            segment(0.0, 9.0, "説明は以上です。", 0.9),
            segment(30.0, 33.0, "ご視聴ありがとうございました", 0.6),
        ];
        let (kept, dropped) = guard(segments, Some(&speech));
        assert_eq!(kept.len(), 1);
        assert_eq!(dropped.len(), 1);
        assert!(dropped[0].text.contains("ご視聴"));
    }

    #[test]
    fn silence_phrase_over_speech_is_kept_but_flagged() {
        let speech = [Span {
            start: 0.0,
            end: 10.0,
        }];
        let segments = vec![segment(2.0, 5.0, "ご視聴ありがとうございました。", 0.9)];
        let (kept, dropped) = guard(segments, Some(&speech));
        assert!(dropped.is_empty());
        assert_eq!(kept[0].flags, vec![Flag::SilencePhrase]);
    }

    #[test]
    fn a_sentence_merely_containing_a_phrase_is_not_one() {
        assert!(!is_silence_phrase(
            "字幕付きの動画を庁内で配信する予定であります"
        ));
        assert!(is_silence_phrase("ご視聴ありがとうございました!"));
    }

    #[test]
    fn low_confidence_is_flagged_not_dropped() {
        let (kept, dropped) = guard(vec![segment(0.0, 2.0, "機関系", 0.3)], None);
        assert!(dropped.is_empty());
        assert_eq!(kept[0].flags, vec![Flag::LowConfidence]);
    }

    #[test]
    fn a_segment_repeated_back_to_back_is_dropped() {
        let segments = vec![
            segment(0.0, 3.0, "はい、説明済みです。", 0.9),
            segment(3.0, 6.0, "はい、説明済みです。", 0.9),
        ];
        let (kept, dropped) = guard(segments, None);
        assert_eq!((kept.len(), dropped.len()), (1, 1));
    }
}
