//! Japanese text handling, in one place for every stage: width folding,
//! sentence splitting that does not trust Whisper's punctuation (a space
//! between two Japanese characters ends a sentence too), character bigrams
//! for fuzzy matching, kanji numbers, and agenda references such as
//! 「議案（1）」.

pub mod phrases;
pub mod written;

use std::collections::HashSet;

use crate::meeting::AgendaKind;

/// Full-width ASCII (Ａ, １, （) to half-width, ideographic space to a
/// space; everything else unchanged. Used for matching, never for output.
pub fn normalize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Characters that carry no content for matching.
fn is_noise(c: char) -> bool {
    c.is_whitespace() || "、。，．,.・「」『』()（）[]【】〔〕！？!?ー-―—:：;；\"'".contains(c)
}

/// The set of adjacent character pairs of `text` after normalisation,
/// ignoring punctuation and spaces.
pub fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = normalize(text).chars().filter(|&c| !is_noise(c)).collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Share (0–1) of `needle`'s bigrams that occur in `haystack`.
pub fn containment(needle: &str, haystack: &str) -> f64 {
    let n = bigrams(needle);
    if n.is_empty() {
        return 0.0;
    }
    let h = bigrams(haystack);
    n.iter().filter(|b| h.contains(b)).count() as f64 / n.len() as f64
}

/// A sentence of a longer text, with its byte range in that text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

/// Whether `c` ends a sentence: 。！？!?
pub fn is_sentence_mark(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?')
}

/// Whether the space at byte `at` of `text` separates two sentences, as
/// Whisper writes them when it leaves out 。: a space (or several) between
/// two Japanese characters. A space next to Latin letters or digits
/// (「DX 推進」) is not one.
fn is_sentence_space(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end().chars().last();
    let after = text[at..].trim_start().chars().next();
    matches!((before, after), (Some(b), Some(a))
        if !b.is_ascii() && !a.is_ascii() && !is_sentence_mark(b) && b != '、' && a != '、')
}

/// Splits after 。！？!? (keeping the mark with its sentence) and at a
/// space between two Japanese characters; trims spaces.
pub fn sentences(text: &str) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    let mut begin = 0;
    for (i, c) in text.char_indices() {
        if is_sentence_mark(c) {
            push_sentence(text, begin, i + c.len_utf8(), &mut out);
            begin = i + c.len_utf8();
        } else if (c == ' ' || c == '\u{3000}') && i > begin && is_sentence_space(text, i) {
            push_sentence(text, begin, i, &mut out);
            begin = i + c.len_utf8();
        }
    }
    push_sentence(text, begin, text.len(), &mut out);
    out
}

/// `text` with a 。 at every sentence boundary Whisper marked only with a
/// space (and at the end), for written output: 「承認といたします 続きまして」 →
/// 「承認といたします。続きまして」. Text with its own punctuation is unchanged
/// but for a final 。 after a sentence that has none.
pub fn punctuate(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for s in sentences(text) {
        out.push_str(s.text);
        if !s.text.ends_with(is_sentence_mark) {
            out.push('。');
        }
    }
    out
}

fn push_sentence<'a>(text: &'a str, start: usize, end: usize, out: &mut Vec<Sentence<'a>>) {
    let raw = &text[start..end];
    let trimmed = raw.trim_start_matches(|c: char| c.is_whitespace() || c == '、');
    let start = start + (raw.len() - trimmed.len());
    let trimmed = trimmed.trim_end();
    if !trimmed.is_empty() {
        out.push(Sentence {
            text: trimmed,
            start,
            end: start + trimmed.len(),
        });
    }
}

/// A reference to an agenda item found in speech: kind, number when one was
/// said, and the byte offset just after the reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgendaRef {
    pub kind: AgendaKind,
    pub number: Option<u32>,
    pub start: usize,
    pub end: usize,
}

/// Every 「議案（1）」「報告事項2」「議案第一号」 … in `text` (already normalised).
pub fn agenda_refs(text: &str) -> Vec<AgendaRef> {
    let mut out = Vec::new();
    let mut from = 0;
    while from < text.len() {
        let rest = &text[from..];
        let found = [
            ("報告事項", AgendaKind::Report),
            ("報告", AgendaKind::Report),
            ("ほうこくじこう", AgendaKind::Report),
            ("議案", AgendaKind::Proposal),
            ("議題", AgendaKind::Proposal),
            // Whisper often writes 議案 by its sound.
            ("ギアン", AgendaKind::Proposal),
            ("ぎあん", AgendaKind::Proposal),
            ("ギアニ", AgendaKind::Proposal),
            // … or mishears it in noise; counted only with a number.
            ("遺案", AgendaKind::Proposal),
            ("いあん", AgendaKind::Proposal),
            ("医院", AgendaKind::Proposal),
            // 報告事項 misheard (高刻事項, 放送事項): 「事項」 and a number.
            ("事項", AgendaKind::Report),
        ]
        .iter()
        .filter_map(|&(word, kind)| rest.find(word).map(|at| (at, word, kind)))
        .min_by_key(|&(at, word, _)| (at, std::cmp::Reverse(word.len())));
        let Some((at, word, kind)) = found else { break };
        let start = from + at;
        let after = start + word.len();
        let (number, end) = if word == "ギアニ" {
            (Some(2), after)
        } else {
            parse_number(text, after)
        };
        // 「報告」「事項」 alone are common words, and so are the mishearings;
        // only count them with a number.
        if !["報告", "事項", "遺案", "いあん", "医院"].contains(&word) || number.is_some()
        {
            out.push(AgendaRef {
                kind,
                number,
                start,
                end,
            });
        }
        from = end.max(after);
    }
    out
}

/// Reads `（1）`, `(1)`, `第1号`, `一`, `の1` … at `at`; returns the number
/// and the offset after it (or `at` when there is none).
fn parse_number(text: &str, at: usize) -> (Option<u32>, usize) {
    let mut pos = at;
    let skip = |pos: &mut usize, set: &[char]| {
        while let Some(c) = text[*pos..].chars().next() {
            if set.contains(&c) {
                *pos += c.len_utf8();
            } else {
                break;
            }
        }
    };
    // 「報告事項を1」: a particle heard in place of the pause.
    skip(&mut pos, &[' ', '(', '（', '第', 'の', '、', 'を']);
    let digits: String = text[pos..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || kanji_digit(*c).is_some())
        .collect();
    if digits.is_empty() || digits.chars().count() > 3 {
        return (None, at);
    }
    let number = if digits.chars().all(|c| c.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        kanji_number(&digits)
    };
    pos += digits.len();
    // 「報告事項一件」「議案が2件」: a count of items, not an item's number.
    if text[pos..].starts_with(['件', 'つ']) {
        return (None, at);
    }
    skip(&mut pos, &[' ', ')', '）', '号']);
    match number {
        Some(n) if n > 0 => (Some(n), pos),
        _ => (None, at),
    }
}

fn kanji_digit(c: char) -> Option<u32> {
    "〇一二三四五六七八九十"
        .chars()
        .position(|k| k == c)
        .map(|p| p as u32)
}

fn kanji_number(text: &str) -> Option<u32> {
    let digits: Vec<u32> = text.chars().map(kanji_digit).collect::<Option<_>>()?;
    match digits.as_slice() {
        [d] => Some(*d),
        [10, d] => Some(10 + d),
        [d, 10] => Some(d * 10),
        [d, 10, e] => Some(d * 10 + e),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agenda_refs_read_many_spellings() {
        let refs = agenda_refs(&normalize(
            "それでは、議案（１）について。次に報告事項2、議案第三号",
        ));
        let got: Vec<_> = refs.iter().map(|r| (r.kind, r.number)).collect();
        assert_eq!(
            got,
            vec![
                (AgendaKind::Proposal, Some(1)),
                (AgendaKind::Report, Some(2)),
                (AgendaKind::Proposal, Some(3))
            ]
        );
        assert!(agenda_refs("報告は以上です").is_empty());
        let misheard = agenda_refs("高刻事項1。令和4年度の");
        assert_eq!(misheard[0].kind, AgendaKind::Report);
        assert_eq!(misheard[0].number, Some(1));
        let counted = agenda_refs("本日は、医院2件と報告事項一件をお図りします 医院 1、個人情報の");
        let got: Vec<_> = counted
            .iter()
            .filter(|r| r.number.is_some())
            .map(|r| (r.kind, r.number))
            .collect();
        assert_eq!(got, vec![(AgendaKind::Proposal, Some(1))]);
        assert!(agenda_refs("医院で受診した").is_empty());
    }

    #[test]
    fn sentences_keep_offsets() {
        let text = "はい。説明済みです。以上";
        let s = sentences(text);
        assert_eq!(s.len(), 3);
        assert_eq!(&text[s[1].start..s[1].end], "説明済みです。");
    }

    #[test]
    fn sentences_split_at_spaces_between_japanese_sentences() {
        let text = "議案1は承認といたします 続きまして、議案2 DX推進について";
        let s: Vec<&str> = sentences(text).iter().map(|s| s.text).collect();
        assert_eq!(
            s,
            [
                "議案1は承認といたします",
                "続きまして、議案2 DX推進について"
            ]
        );
        assert_eq!(
            punctuate(text),
            "議案1は承認といたします。続きまして、議案2 DX推進について。"
        );
        assert_eq!(punctuate("はい。説明済みです。"), "はい。説明済みです。");
    }

    #[test]
    fn containment_is_fuzzy() {
        let c = containment(
            "情報システム契約案件（4000万円以上）の本部承認について",
            "議案1情報システム契約案件の本部承認について説明をお願いします",
        );
        assert!(c > 0.6, "{c}");
    }
}
