//! The set phrases of a committee meeting — the chair's requests and
//! formulas, 「ないようですので」, decisions, a presenter's framing — with
//! the ways Whisper mishears them, as data (`assets/phrases.txt`). Roles,
//! sections and 要旨 all match through [`contains`], so a mishearing added
//! there is understood everywhere.

use std::sync::OnceLock;

/// The data file, built in.
const DATA: &str = include_str!("../../assets/phrases.txt");

/// Phrases this long (characters) or longer also match with one character
/// wrong (「内容ですので」 is listed; 「ないようですのて」 is found by this).
const FUZZY_MIN_CHARS: usize = 6;

/// What a set phrase says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The chair asks for a presentation: 「…について説明をお願いします」.
    Request,
    /// The chair moves on: 「次に進みます」.
    Proceed,
    /// Nobody has questions: 「ないようですので」.
    NoQuestions,
    /// 「…を開催します」.
    Opening,
    /// 「…を終了します」.
    Closing,
    /// A decision word: 承認, 了承, 原案のとおり.
    Approve,
    /// A presenter's last words: 「説明は以上です」.
    EndOfPresentation,
    /// A presenter's framing with no substance: 「…についてご説明いたします」.
    Framing,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        Some(match name {
            "request" => Kind::Request,
            "proceed" => Kind::Proceed,
            "none" => Kind::NoQuestions,
            "opening" => Kind::Opening,
            "closing" => Kind::Closing,
            "approve" => Kind::Approve,
            "ended" => Kind::EndOfPresentation,
            "framing" => Kind::Framing,
            _ => return None,
        })
    }
}

/// One phrase and its known mishearings.
#[derive(Debug, Clone)]
struct Phrase {
    kind: Kind,
    /// The phrase first, then its mishearings; each as characters.
    forms: Vec<Vec<char>>,
}

fn table() -> &'static [Phrase] {
    static TABLE: OnceLock<Vec<Phrase>> = OnceLock::new();
    TABLE.get_or_init(|| parse(DATA))
}

/// Reads the format of `assets/phrases.txt`; lines it cannot read are
/// skipped (the built-in file is checked by a test).
fn parse(text: &str) -> Vec<Phrase> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .filter_map(|line| {
            let (kind, rest) = line.split_once(':')?;
            let kind = Kind::parse(kind.trim())?;
            let (phrase, heard) = rest.split_once('=').unwrap_or((rest, ""));
            let forms = std::iter::once(phrase)
                .chain(heard.split(','))
                .map(|f| f.trim().chars().collect::<Vec<char>>())
                .filter(|f| !f.is_empty())
                .collect::<Vec<_>>();
            (!forms.is_empty()).then_some(Phrase { kind, forms })
        })
        .collect()
}

/// Whether `text` holds a phrase of `kind`, as said or as misheard.
pub fn contains(kind: Kind, text: &str) -> bool {
    find(kind, text).is_some()
}

/// Where `text` holds a phrase of `kind`: the byte range of the first match.
pub fn find(kind: Kind, text: &str) -> Option<(usize, usize)> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte = |i: usize| chars.get(i).map_or(text.len(), |c| c.0);
    let mut best: Option<(usize, usize)> = None;
    for phrase in table().iter().filter(|p| p.kind == kind) {
        for (k, form) in phrase.forms.iter().enumerate() {
            let n = form.len();
            if n > chars.len() {
                continue;
            }
            let fuzzy = k == 0 && n >= FUZZY_MIN_CHARS;
            let hit = (0..=chars.len() - n).find(|&i| {
                let wrong = chars[i..i + n]
                    .iter()
                    .zip(form)
                    .filter(|((_, a), b)| a != *b)
                    .count();
                wrong == 0 || (fuzzy && wrong == 1 && chars[i].1 == form[0])
            });
            if let Some(i) = hit {
                if best.is_none_or(|(s, _)| byte(i) < s) {
                    best = Some((byte(i), byte(i + n)));
                }
            }
        }
    }
    best
}

/// Nothing but a connective and an item's name, 「それでは、議案。」: the
/// head of an announcement or decision that recognition cut off from the
/// rest.
pub fn is_item_call(sentence: &str) -> bool {
    let mut rest = sentence.to_string();
    for word in [
        "それでは",
        "では",
        "次に",
        "続きまして",
        "最後に",
        "議案",
        "報告事項",
        "ギアン",
        "ぎあん",
    ] {
        rest = rest.replace(word, "");
    }
    rest.len() < sentence.len()
        && rest
            .chars()
            .all(|c| "、。，．,.（）() ".contains(c) || c.is_numeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_data_file_is_read() {
        let lines = DATA
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .count();
        assert_eq!(table().len(), lines);
    }

    #[test]
    fn set_phrases_are_found_as_misheard() {
        assert!(contains(Kind::NoQuestions, "内容ですので、次に進みます。"));
        assert!(contains(Kind::NoQuestions, "ないようですので次に進みます"));
        // One character wrong in a long phrase.
        assert!(contains(Kind::NoQuestions, "ないようですのて、"));
        assert!(contains(Kind::Approve, "案のとおり商人といたします"));
        assert!(contains(Kind::Request, "所管課から説明お願いします"));
        assert!(contains(Kind::EndOfPresentation, "説明は異常です。"));
        assert!(!contains(Kind::NoQuestions, "この内容で進めます"));
        assert!(!contains(Kind::Request, "説明を受けました"));
    }

    #[test]
    fn an_item_called_by_name_alone() {
        assert!(is_item_call("それでは、議案。"));
        assert!(is_item_call("ギアン、2。"));
        assert!(!is_item_call("では、議案の件で一点。"));
    }

    #[test]
    fn find_gives_the_byte_range() {
        let text = "それでは、議案1についてご説明いたします。";
        let (s, e) = find(Kind::Framing, text).unwrap();
        assert_eq!(&text[s..e], "についてご説明いたします");
    }
}
