//! 要旨: an extractive summary of a presentation, offline and without a
//! model. Sentences are scored for what a clerk keeps — numbers and dates,
//! system and organisation names, the meeting's glossary, decisions and
//! actions, the item's title — and the best are kept in spoken order within
//! a length budget. Framing is left out (「…についてご説明いたします」,
//! 「資料1をご覧ください」, 「説明は以上です」, a leading 「それでは、」), and
//! each kept sentence is put in the written style of published minutes by
//! [`to_written`] (「実施いたします」→「実施する」, 「～たいと考えております」→
//! 「～たい」), which only deletes and inflects: no word is ever added. Each
//! kept sentence carries the time span of the words it came from.

use crate::draft::{DraftTurn, SummarySentence};

use super::phrases;
use crate::ja::written::to_written;
use crate::ja::{containment, sentences};

/// How the 要旨 is chosen. `Scored` was chosen by measurement against the
/// published minutes (see tests/fast/minutes_summary.rs); the others are kept
/// as baselines and for clerks who prefer them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SummaryMethod {
    /// The best-scoring sentences within a budget, in spoken order.
    #[default]
    Scored,
    /// Every sentence except framing (「説明は以上です」 …).
    Full,
    /// The first sentences within the same budget.
    Lead,
}

/// Share of the presentation's characters the summary aims at. The
/// published 要旨 of 2022-01-26 are 0.63–0.95 (mean 0.79) of their
/// presentations; 0.6 and at most 320 characters cut facts they keep
/// (tests/fast/minutes_summary.rs measures 0.6/320, 0.7/360, 0.8/400, 0.9/450).
const RATIO: f64 = 0.8;
/// Bounds on the summary length, in characters.
const MIN_CHARS: usize = 200;
const MAX_CHARS: usize = 400;

/// Action and decision words that make a sentence worth keeping.
const ACTIONS: &[&str] = &[
    "実施",
    "設置",
    "策定",
    "導入",
    "承認",
    "予定",
    "決定",
    "必須",
    "更改",
    "入れ替え",
    "入替",
    "活用",
    "制限",
    "一体化",
    "選定",
    "継続",
    "確認",
    "見直し",
    "意見照会",
    "廃止",
    "変更",
];

#[derive(Debug, Clone)]
struct Candidate {
    turn: usize,
    text: String,
    /// Character offsets within the turn's text, for the time span.
    from: usize,
    to: usize,
    chars: usize,
    score: f64,
}

/// The 要旨 of the presentation made of `presentation` (indices into `turns`).
pub fn summarize(
    turns: &[DraftTurn],
    presentation: &[usize],
    title: &str,
    glossary: &[String],
    method: SummaryMethod,
) -> Vec<SummarySentence> {
    let mut candidates = Vec::new();
    for &t in presentation {
        let Some(turn) = turns.get(t) else { continue };
        let total = turn.text.chars().count().max(1);
        for s in sentences(&turn.text) {
            if phrases::is_boilerplate(s.text) || is_framing(s.text) || is_question(s.text) {
                continue;
            }
            // The framing words at the start are no part of the span either.
            let lead = s.text.len() - strip_lead(s.text).len();
            let text = compress(s.text);
            if text.chars().count() < 4 {
                continue;
            }
            let from = turn.text[..s.start + lead].chars().count();
            let to = turn.text[..s.end].chars().count();
            candidates.push(Candidate {
                turn: t,
                chars: text.chars().count(),
                score: score(&text, title, glossary, candidates.is_empty()),
                text,
                from: from.min(total),
                to: to.min(total),
            });
        }
    }
    let total: usize = candidates.iter().map(|c| c.chars).sum();
    let budget = ((total as f64 * RATIO) as usize).clamp(MIN_CHARS, MAX_CHARS);
    let keep: Vec<bool> = match method {
        SummaryMethod::Full => vec![true; candidates.len()],
        SummaryMethod::Lead => {
            let mut used = 0;
            candidates
                .iter()
                .map(|c| {
                    let fits = used == 0 || used + c.chars <= budget;
                    if fits {
                        used += c.chars;
                    }
                    fits
                })
                .collect()
        }
        SummaryMethod::Scored => {
            let mut order: Vec<usize> = (0..candidates.len()).collect();
            order.sort_by(|&a, &b| {
                let density = |c: &Candidate| c.score / (1.0 + c.chars as f64 / 120.0);
                density(&candidates[b]).total_cmp(&density(&candidates[a]))
            });
            let mut keep = vec![false; candidates.len()];
            let mut used = 0;
            for i in order {
                if used == 0 || used + candidates[i].chars <= budget {
                    keep[i] = true;
                    used += candidates[i].chars;
                }
            }
            keep
        }
    };
    let follows: Vec<bool> = (0..keep.len()).map(|i| i > 0 && keep[i - 1]).collect();
    candidates
        .into_iter()
        .zip(keep)
        .zip(follows)
        .filter(|((_, k), _)| *k)
        .map(|((mut c, _), follows)| {
            // A connective pointing at a sentence left out would dangle.
            if !follows {
                c.text = drop_connective(&c.text);
            }
            let turn = &turns[c.turn];
            let len = turn.text.chars().count().max(1) as f64;
            let at = |chars: usize| turn.start + (turn.end - turn.start) * chars as f64 / len;
            SummarySentence {
                text: c.text,
                turn: turn.id,
                start: at(c.from),
                end: at(c.to),
            }
        })
        .collect()
}

/// What a sentence is worth in a 要旨.
fn score(text: &str, title: &str, glossary: &[String], first: bool) -> f64 {
    let numbers = runs(text, |c| c.is_ascii_digit() || ('０'..='９').contains(&c)) as f64;
    let latin = runs(text, |c| c.is_ascii_alphabetic() || c == '-').min(3) as f64;
    let katakana = runs_longer(text, 3, |c| ('ァ'..='ヺ').contains(&c) || c == 'ー').min(2) as f64;
    let terms = glossary
        .iter()
        .filter(|g| g.chars().count() >= 2 && text.contains(g.as_str()))
        .count()
        .min(3) as f64;
    let actions = ACTIONS.iter().filter(|a| text.contains(*a)).count().min(2) as f64;
    let mut score = 1.5 * numbers.min(3.0)
        + 1.0 * latin
        + 0.5 * katakana
        + 1.0 * terms
        + 1.0 * actions
        + 1.5 * containment(title, text);
    if first {
        score += 1.0;
    }
    if text.chars().count() < 12 {
        score -= 1.0;
    }
    score
}

fn runs(text: &str, class: impl Fn(char) -> bool) -> usize {
    runs_longer(text, 1, class)
}

/// Number of maximal runs of `class` characters at least `min` long.
fn runs_longer(text: &str, min: usize, class: impl Fn(char) -> bool) -> usize {
    let mut count = 0;
    let mut run = 0;
    for c in text.chars().chain(std::iter::once('\0')) {
        if class(c) {
            run += 1;
        } else {
            if run >= min {
                count += 1;
            }
            run = 0;
        }
    }
    count
}

/// The sentence without a leading 「そのため、」「その結果、」「また、」 ….
fn drop_connective(sentence: &str) -> String {
    for lead in [
        "そのため、",
        "その結果、",
        "そこで、",
        "また、",
        "あわせて、",
        "しかし、",
        "ですので、",
        "その後、",
    ] {
        if let Some(rest) = sentence.strip_prefix(lead) {
            return rest.to_string();
        }
    }
    sentence.to_string()
}

/// Words that only frame what follows, at the start of a sentence:
/// 「はい、」「それでは、」「まず、」. 「また、」「そのため、」 carry meaning and
/// stay (the published 要旨 keep them).
const FRAMING_LEADS: &[&str] = &[
    "はい、",
    "はい。",
    "それでは、",
    "それでは",
    "では、",
    "まず、",
    "まずは、",
    "まず初めに、",
    "まずはじめに、",
    "初めに、",
    "はじめに、",
    "最初に、",
    "続きまして、",
    "続いて、",
];

/// `sentence` without its framing leads (see [`FRAMING_LEADS`]).
fn strip_lead(sentence: &str) -> &str {
    let mut s = sentence.trim_start();
    // 「資料1をご覧ください、…」: the pointer to the handout, then substance.
    for mark in ["ご覧ください、", "ご覧ください ", "ご覧下さい、"] {
        if let Some(at) = s.find(mark).filter(|&at| s[..at].chars().count() <= 12) {
            s = s[at + mark.len()..].trim_start();
        }
    }
    while let Some(rest) = FRAMING_LEADS.iter().find_map(|l| s.strip_prefix(l)) {
        s = rest.trim_start();
    }
    s
}

/// A presenter's framing with no substance, beyond what
/// [`phrases::is_boilerplate`] knows: 「…についてご説明いたします」,
/// 「資料に沿って説明します」, 「ご確認ください」, 「実機を回覧いたします」.
/// 「たたき台をお示しし、概要をご説明いたします」 says what was presented
/// and is kept (the published 要旨 keep it as 「概要を説明する」).
fn is_framing(sentence: &str) -> bool {
    let s = strip_lead(sentence).trim_end_matches(['。', '！', '!']);
    let listed = crate::ja::phrases::find(crate::ja::phrases::Kind::Framing, s);
    if listed.is_some_and(|(_, end)| end == s.len()) {
        return true;
    }
    if s.ends_with("ください") || s.ends_with("下さい") {
        return true;
    }
    if [
        "回覧いたします",
        "回覧します",
        "お配りいたします",
        "お配りします",
        "配布いたします",
    ]
    .iter()
    .any(|e| s.ends_with(e))
    {
        return true;
    }
    let Some(before) = [
        "ご説明させていただきます",
        "説明させていただきます",
        "ご説明いたします",
        "ご説明します",
        "説明いたします",
        "説明します",
        "ご報告させていただきます",
        "ご報告いたします",
        "ご報告します",
        "報告いたします",
        "報告します",
    ]
    .iter()
    .find_map(|e| s.strip_suffix(e)) else {
        return false;
    };
    let before = before.trim_end_matches(['、', ' ']);
    before.chars().count() <= 8
        || [
            "について",
            "につきまして",
            "に沿って",
            "に基づき",
            "を用いて",
            "の概要を",
        ]
        .iter()
        .any(|t| before.ends_with(t))
}

/// A question is no part of a presentation's 要旨.
fn is_question(sentence: &str) -> bool {
    let s = sentence.trim_end();
    s.ends_with(['？', '?']) || s.ends_with("か。") || s.ends_with('か')
}

/// The sentence in written style: framing leads dropped, then
/// [`to_written`] (「実施いたしたいと考えております」 → 「実施いたしたい」).
fn compress(sentence: &str) -> String {
    crate::ja::punctuate(&to_written(strip_lead(sentence)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_writes_without_adding() {
        assert_eq!(
            compress("令和4年度に機器の更改を実施いたしたいと考えております。"),
            "令和4年度に機器の更改を実施いたしたい。"
        );
        assert_eq!(compress("はい、約3週間です。"), "約3週間である。");
        assert_eq!(compress("更改といたします。"), "更改とする。");
        assert_eq!(
            compress("それでは、まず、部会を設置いたします。"),
            "部会を設置する。"
        );
        assert_eq!(
            compress("また、BPRの実施も必須です。"),
            "また、BPRの実施も必須である。"
        );
    }

    #[test]
    fn framing_is_recognised() {
        for s in [
            "それでは、議案（1）についてご説明いたします。",
            "資料1に沿って説明します。",
            "続きまして、概要をご説明いたします。",
            "本日は実機をお持ちしましたので、回覧いたします。",
            "詳細は別紙をご確認ください。",
        ] {
            assert!(is_framing(s), "{s}");
        }
        for s in [
            "本日は、素案の前段階のたたき台をお示しし、概要をご説明いたします。",
            "関係各課の代表者による部会を設置いたします。",
            "令和4年度に機器の更改を実施いたしたいと考えております。",
        ] {
            assert!(!is_framing(s), "{s}");
        }
    }

    #[test]
    fn spans_start_after_the_framing_lead() {
        use crate::draft::TurnId;
        use crate::types::SpeakerId;
        let text = "それでは、部会を設置いたします。説明は以上です。";
        let turn = DraftTurn {
            id: TurnId(1),
            start: 10.0,
            end: 10.0 + text.chars().count() as f64,
            speaker: SpeakerId(1),
            verbatim: text.into(),
            text: text.into(),
            segments: vec![],
            corrections: vec![],
            checked: false,
        };
        let s = summarize(&[turn], &[0], "", &[], SummaryMethod::Full);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].text, "部会を設置する。");
        // One second per character: 「それでは、」 is 5, the sentence 16.
        assert_eq!((s[0].start, s[0].end), (15.0, 26.0));
    }

    #[test]
    fn numbers_and_names_score_higher() {
        let plain = score("皆様のご意見を伺いながら進めます。", "", &[], false);
        let rich = score(
            "令和4年度から3グループごとに部会を設置いたします。",
            "",
            &[],
            false,
        );
        assert!(rich > plain + 2.0, "{rich} vs {plain}");
    }
}
