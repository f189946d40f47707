//! Cutting Whisper's segments into sentence-sized segments without trusting
//! its punctuation. Whisper may return a whole 28 s window as one segment,
//! with 。 or — on another CPU, or after a prompt written that way — with
//! sentences separated only by spaces, or with nothing at all between them.
//! A segment in which Whisper wrote sentence marks is cut after them; one
//! with none at all is cut:
//! - after 。？！ (the mark stays with its sentence);
//! - at a space between two Japanese characters (Whisper's sentence
//!   separator when it writes no 。);
//! - at a pause: a VAD silence of at least [`MIN_VAD_PAUSE`] between two
//!   tokens, or, without VAD silences to go by, a gap of at least
//!   [`MIN_TOKEN_PAUSE`] between their DTW times (which wander inside
//!   fluent speech);
//! - and any piece still longer than [`MAX_SEGMENT`] at its widest token gap,
//!   so a segment stays short enough to be one speaker's.
//!
//! Pieces cut at a VAD silence start and end at that silence's bounds, so
//! segment times are speech bounds.

use crate::types::{Segment, Span};

/// A VAD silence at least this long (centiseconds) between two tokens cuts
/// (longer than the pause at a comma or between one speaker's sentences).
pub const MIN_VAD_PAUSE: i64 = 80;
/// A gap at least this long (centiseconds) between two tokens' DTW times
/// cuts (DTW times wander: only a long gap is surely a pause).
pub const MIN_TOKEN_PAUSE: i64 = 150;
/// A pause cut never leaves a piece with fewer characters than this (a
/// stray 「お願い」 or 「。」 is too short to be told apart by voice).
pub const MIN_PIECE_CHARS: usize = 5;
/// Pieces longer than this (centiseconds) are cut at their widest gap.
pub const MAX_SEGMENT: i64 = 1200;

/// One text token of a decoded segment; times in centiseconds from the
/// window's start.
#[derive(Debug, Clone)]
pub struct DecodedToken {
    pub bytes: Vec<u8>,
    pub probability: f32,
    pub t0: i64,
    pub t1: i64,
    /// DTW time of the token (its middle), −1 when not computed.
    pub t_dtw: i64,
}

impl DecodedToken {
    /// When the token is spoken: its DTW time when there is one, else the
    /// middle of Whisper's own token timestamps.
    pub(super) fn time(&self) -> i64 {
        if self.t_dtw >= 0 {
            self.t_dtw
        } else {
            (self.t0 + self.t1) / 2
        }
    }
}

/// Why a segment was cut after a token (kept for tests and tuning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Punctuation,
    Space,
    /// At a VAD silence: the piece before ends at `.0`, the next starts at `.1`.
    Silence(i64, i64),
    TokenGap,
    TooLong,
}

fn is_sentence_end(text: &str) -> bool {
    text.trim_end()
        .ends_with(['。', '？', '！', '?', '!', '．'])
}

/// Cuts one Whisper segment (`start`..`end`, centiseconds from the window's
/// start) into sentence-sized segments. `silences` are the VAD's pauses in
/// the same timeline. Times in the result are seconds from the window's start.
pub fn split(tokens: &[DecodedToken], start: i64, end: i64, silences: &[Span]) -> Vec<Segment> {
    if tokens.is_empty() {
        return Vec::new();
    }
    // DTW times wander by a second inside fluent speech: they cut only
    // where there is no VAD (no silences at all to go by).
    let dtw_pauses = silences.is_empty();
    let silences: Vec<(i64, i64)> = silences
        .iter()
        .map(|s| {
            (
                (s.start * 100.0).round() as i64,
                (s.end * 100.0).round() as i64,
            )
        })
        .filter(|&(a, b)| b - a >= MIN_VAD_PAUSE)
        .collect();
    // Whisper's punctuation is trusted where it wrote some; a segment with
    // none at all is cut at spaces and pauses instead.
    let all: Vec<u8> = tokens
        .iter()
        .flat_map(|t| t.bytes.iter().copied())
        .collect();
    let punctuated = String::from_utf8_lossy(&all).contains(['。', '？', '！', '?', '!']);
    let mut cuts: Vec<(usize, Cut)> = Vec::new();
    let mut bytes: Vec<u8> = Vec::new();
    for i in 0..tokens.len() - 1 {
        bytes.extend_from_slice(&tokens[i].bytes);
        if punctuated {
            if std::str::from_utf8(&bytes).is_ok_and(is_sentence_end) {
                cuts.push((i, Cut::Punctuation));
                bytes.clear();
            }
            continue;
        }
        if let Some(cut) = cut_between(&bytes, &tokens[i], &tokens[i + 1], &silences, dtw_pauses) {
            let pause = !matches!(cut, Cut::Punctuation | Cut::Space);
            if pause
                && (content_chars(&bytes) < MIN_PIECE_CHARS || !rest_has_content(tokens, i + 1))
            {
                continue;
            }
            cuts.push((i, cut));
            bytes.clear();
        }
    }
    // Pieces still too long are cut at their widest gap between tokens.
    let mut k = 0;
    loop {
        let from = if k == 0 { 0 } else { cuts[k - 1].0 + 1 };
        let to = cuts.get(k).map_or(tokens.len() - 1, |c| c.0);
        let piece_start = if k == 0 { start } else { tokens[from].time() };
        let piece_end = if k == cuts.len() {
            end
        } else {
            tokens[to].time()
        };
        if !punctuated && piece_end - piece_start > MAX_SEGMENT && to > from {
            let widest = (from..to)
                .max_by_key(|&i| tokens[i + 1].time() - tokens[i].time())
                .unwrap_or(from);
            if tokens[widest + 1].time() > tokens[widest].time() {
                cuts.insert(k, (widest, Cut::TooLong));
                continue;
            }
        }
        if k == cuts.len() {
            break;
        }
        k += 1;
    }
    pieces(tokens, &cuts, start, end)
}

/// Characters of `bytes` that are neither punctuation nor space.
fn content_chars(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_whitespace() && !"、。，．？！?!,.「」".contains(*c))
        .count()
}

/// Whether the tokens from `from` on hold at least [`MIN_PIECE_CHARS`]
/// characters before the next sentence mark.
fn rest_has_content(tokens: &[DecodedToken], from: usize) -> bool {
    let mut bytes = Vec::new();
    for t in &tokens[from..] {
        bytes.extend_from_slice(&t.bytes);
        if content_chars(&bytes) >= MIN_PIECE_CHARS {
            return true;
        }
        if std::str::from_utf8(&bytes).is_ok_and(is_sentence_end) {
            return false;
        }
    }
    false
}

/// Whether to cut between `before` (ending the text `so_far`) and `after`.
fn cut_between(
    so_far: &[u8],
    before: &DecodedToken,
    after: &DecodedToken,
    silences: &[(i64, i64)],
    dtw_pauses: bool,
) -> Option<Cut> {
    let text = std::str::from_utf8(so_far).ok();
    if text.is_some_and(is_sentence_end) {
        return Some(Cut::Punctuation);
    }
    let (t, u) = (before.time(), after.time());
    if let Some(&(a, b)) = silences
        .iter()
        .find(|&&(a, b)| (a + b) / 2 > t && (a + b) / 2 <= u)
    {
        return Some(Cut::Silence(a, b));
    }
    if dtw_pauses && u - t >= MIN_TOKEN_PAUSE {
        return Some(Cut::TokenGap);
    }
    let last = text.and_then(|t| t.chars().last());
    let next = std::str::from_utf8(&after.bytes)
        .ok()
        .and_then(|t| t.strip_prefix(' ').and_then(|rest| rest.chars().next()));
    match (last, next) {
        (Some(l), Some(n))
            if !l.is_ascii() && !n.is_ascii() && !is_sentence_end(&l.to_string()) =>
        {
            Some(Cut::Space)
        }
        _ => None,
    }
}

/// The segments between the cuts, timed and kept in order inside `start..end`.
fn pieces(tokens: &[DecodedToken], cuts: &[(usize, Cut)], start: i64, end: i64) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut cursor = start;
    for k in 0..=cuts.len() {
        let from = if k == 0 { 0 } else { cuts[k - 1].0 + 1 };
        let to = cuts.get(k).map_or(tokens.len() - 1, |c| c.0);
        let group = &tokens[from..=to];
        let s = match k.checked_sub(1).map(|j| cuts[j].1) {
            None => start,
            Some(Cut::Silence(_, b)) => b,
            Some(_) => group[0].time(),
        }
        .clamp(cursor, end);
        let e = match cuts.get(k).map(|c| c.1) {
            None => end,
            Some(Cut::Silence(a, _)) => a,
            Some(_) => group[group.len() - 1].time(),
        }
        .clamp(s, end);
        cursor = e;
        let bytes: Vec<u8> = group.iter().flat_map(|t| t.bytes.iter().copied()).collect();
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        if text.is_empty() {
            continue;
        }
        let confidence = group.iter().map(|t| t.probability).sum::<f32>() / group.len() as f32;
        out.push(Segment {
            start: s as f64 / 100.0,
            end: e as f64 / 100.0,
            text,
            confidence,
            flags: Vec::new(),
            verbatim: None,
            corrections: Vec::new(),
        });
    }
    out
}

/// Whether a window's text was decoded without sentence punctuation: long
/// enough to hold a sentence end, and none in it. Its text must not become
/// the next window's prompt as it is, or the style spreads.
pub fn unpunctuated(segments: &[Segment]) -> bool {
    let chars: usize = segments.iter().map(|s| s.text.chars().count()).sum();
    chars >= 30
        && !segments
            .iter()
            .any(|s| s.text.contains(['。', '？', '！', '?', '!']))
}

/// The window's text as it should be read by the next window's prompt: its
/// segments each ended with 。 (Whisper's own text is kept in the segments).
pub fn punctuated_text(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| {
            if is_sentence_end(&s.text) {
                s.text.clone()
            } else {
                format!("{}。", s.text.trim_end_matches('、'))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str, t: i64) -> DecodedToken {
        DecodedToken {
            bytes: text.as_bytes().to_vec(),
            probability: 0.5,
            t0: t,
            t1: t,
            t_dtw: t,
        }
    }

    fn texts(s: &[Segment]) -> Vec<&str> {
        s.iter().map(|x| x.text.as_str()).collect()
    }

    #[test]
    fn cuts_at_punctuation_with_byte_split_characters() {
        let bytes = "説".as_bytes();
        let tokens = vec![
            DecodedToken {
                bytes: bytes[..2].to_vec(),
                ..token("", 100)
            },
            DecodedToken {
                bytes: bytes[2..].to_vec(),
                ..token("", 110)
            },
            token("明は以上です。", 150),
            token("ご質問は", 360),
            token("ございますか？", 420),
            token("ありがとう", 470),
        ];
        let s = split(&tokens, 50, 900, &[]);
        assert_eq!(
            texts(&s),
            ["説明は以上です。", "ご質問はございますか？", "ありがとう"]
        );
        assert_eq!(s[0].start, 0.5);
        assert_eq!(s[2].end, 9.0);
        assert!(s.windows(2).all(|w| w[0].end <= w[1].start));
    }

    #[test]
    fn cuts_at_spaces_between_japanese_sentences() {
        let tokens = vec![
            token("承認といたします", 100),
            token(" 続きまして", 150),
            token("、議案2", 200),
            token(" DX", 250),
            token("推進", 300),
        ];
        let s = split(&tokens, 0, 400, &[]);
        // A space before ASCII (「 DX」) is not a sentence boundary.
        assert_eq!(texts(&s), ["承認といたします", "続きまして、議案2 DX推進"]);
    }

    #[test]
    fn cuts_at_pauses_and_times_pieces_by_the_silence() {
        let tokens = vec![
            token("それでは", 100),
            token("承認といたします", 160),
            token("続きまして", 500),
            token("説明を", 560),
            token("お願いします", 600),
        ];
        let silence = [Span {
            start: 2.5,
            end: 4.6,
        }];
        let s = split(&tokens, 50, 700, &silence);
        assert_eq!(
            texts(&s),
            ["それでは承認といたします", "続きまして説明をお願いします"]
        );
        assert_eq!((s[0].start, s[0].end), (0.5, 2.5));
        assert_eq!((s[1].start, s[1].end), (4.6, 7.0));
        // Without the VAD, the DTW gap alone cuts.
        let s = split(&tokens, 50, 700, &[]);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn a_pause_never_leaves_a_stray_fragment() {
        let tokens = vec![
            token("はい", 100),
            token("説明済みです", 400),
            token("。", 450),
            token("部長クラスには", 800),
        ];
        let s = split(&tokens, 50, 900, &[]);
        assert_eq!(texts(&s), ["はい説明済みです。", "部長クラスには"]);
    }

    #[test]
    fn long_pieces_are_cut_at_the_widest_gap() {
        // Tokens every 40 cs, one gap of 70 cs (too short to cut as a pause).
        let mut tokens: Vec<DecodedToken> = (0..30).map(|i| token("あ", i * 40)).collect();
        for t in tokens.iter_mut().skip(15) {
            t.t_dtw += 30;
        }
        let s = split(&tokens, 0, 1300, &[]);
        assert!(s.len() >= 2, "{s:?}");
        assert_eq!(s[0].text.chars().count(), 15);
        assert!(s.iter().all(|x| x.end - x.start <= 12.0), "{s:?}");
    }

    #[test]
    fn keeps_times_in_order_when_token_times_are_off() {
        let tokens = vec![token("はい。", 300), token("以上です。", 100)];
        let s = split(&tokens, 0, 500, &[]);
        assert_eq!(s.len(), 2);
        assert!(s[0].start <= s[0].end && s[0].end <= s[1].start && s[1].end == 5.0);
    }

    #[test]
    fn unpunctuated_windows_are_detected_and_punctuated_for_the_prompt() {
        let seg = |t: &str| Segment {
            start: 0.0,
            end: 1.0,
            text: t.into(),
            confidence: 1.0,
            flags: Vec::new(),
            verbatim: None,
            corrections: Vec::new(),
        };
        let bare = [
            seg("それでは議案1は案のとおり承認といたします"),
            seg("続きまして議案2について事務局から説明をお願いします"),
        ];
        assert!(unpunctuated(&bare));
        assert_eq!(
            punctuated_text(&bare),
            "それでは議案1は案のとおり承認といたします。続きまして議案2について事務局から説明をお願いします。"
        );
        assert!(!unpunctuated(&[seg(
            "承認といたします。続きまして議案2について事務局から説明を"
        )]));
        assert!(!unpunctuated(&[seg("はい")]));
    }
}
