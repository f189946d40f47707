//! ケバ取り: removing fillers (えー, あのー, えっと, まあ …) and false starts
//! (「この、この内容」 → 「この内容」) from a statement for the minutes. The
//! filler list is data: `assets/fillers.txt` is built in, and a clerk's own
//! file in the same format can replace it ([`FillerList::parse`]).

/// The default list, `assets/fillers.txt`.
const DEFAULT: &str = include_str!("../../assets/fillers.txt");

/// What Whisper writes for sounds that are not speech, in 「(音楽)」「（拍手）」
/// or 「[音楽]」 brackets: removed wherever they stand.
const NON_SPEECH: [&str; 8] = ["音楽", "拍手", "笑", "笑い", "咳", "咳払い", "雑音", "無音"];

/// Longest false start (in characters) that is removed when repeated.
const MAX_FALSE_START: usize = 8;

/// Words removed as fillers; see `assets/fillers.txt` for the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillerList {
    /// Longest first, so that えーっと is tried before えー.
    words: Vec<String>,
}

impl Default for FillerList {
    fn default() -> Self {
        FillerList::parse(DEFAULT)
    }
}

impl FillerList {
    /// Reads the list format: one filler per line, `#` starts a comment,
    /// blank lines ignored. An empty list removes no fillers (false starts
    /// are still removed).
    pub fn parse(text: &str) -> FillerList {
        let mut words: Vec<String> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        words.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        words.dedup();
        FillerList { words }
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// `text` without fillers and false starts, with the punctuation they
    /// leave behind tidied. Never adds a character.
    pub fn clean(&self, text: &str) -> String {
        let text = without_non_speech(text);
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while !rest.is_empty() {
            if at_clause_start(&out) {
                if let Some(len) = self.filler_at(rest).or_else(|| false_start_at(rest)) {
                    rest = &rest[len..];
                    continue;
                }
            }
            let Some(c) = rest.chars().next() else { break };
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        tidy(&out)
    }

    /// Bytes to remove if a filler starts `text`: the filler and the 、 or
    /// space after it.
    fn filler_at(&self, text: &str) -> Option<usize> {
        for word in &self.words {
            let Some(after) = text.strip_prefix(word.as_str()) else {
                continue;
            };
            let after_trim = after.trim_start_matches('ー');
            let elongation = after.len() - after_trim.len();
            let next = after_trim.chars().next();
            let standalone = match next {
                None => true,
                Some(c) => is_pause(c) || c == '。',
            };
            let distinct = word.contains('ー') || word.contains('っ');
            if standalone || distinct {
                let pause = next.filter(|&c| is_pause(c)).map_or(0, char::len_utf8);
                return Some(word.len() + elongation + pause);
            }
        }
        None
    }
}

/// 、 , or a space: where a speaker pauses inside a sentence.
/// `text` without Whisper's non-speech annotations (「(音楽)」 …).
fn without_non_speech(text: &str) -> String {
    let mut out = text.to_string();
    for tag in NON_SPEECH {
        for (open, close) in [("(", ")"), ("（", "）"), ("[", "]")] {
            out = out.replace(&format!("{open}{tag}{close}"), "");
        }
    }
    out
}

fn is_pause(c: char) -> bool {
    matches!(c, '、' | '，' | ',') || c.is_whitespace()
}

fn at_clause_start(out: &str) -> bool {
    match out.chars().next_back() {
        None => true,
        Some(c) => is_pause(c) || matches!(c, '。' | '！' | '？' | '!' | '?'),
    }
}

/// Bytes to remove if `text` begins with a false start: a short phrase, a
/// pause, and the same phrase again (「この、この内容」, 「以前の、以前の機種」).
fn false_start_at(text: &str) -> Option<usize> {
    let mut end = 0;
    for (n, c) in text.chars().enumerate() {
        if n >= MAX_FALSE_START || is_pause(c) || matches!(c, '。' | '？' | '！') {
            break;
        }
        end += c.len_utf8();
        let phrase = &text[..end];
        let after = &text[end..];
        let Some(pause) = after.chars().next().filter(|&p| is_pause(p)) else {
            continue;
        };
        let again = after[pause.len_utf8()..].trim_start();
        if again.starts_with(phrase) {
            return Some(text.len() - again.len());
        }
    }
    None
}

/// Removes pauses left at the start, doubled, or before a full stop.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // Spaces after punctuation are artefacts of joined recognised segments.
        if c.is_whitespace()
            && matches!(
                out.chars().next_back(),
                None | Some('、' | '。' | '？' | '！' | '?')
            )
        {
            continue;
        }
        if c == '、' {
            if matches!(
                out.chars().next_back(),
                None | Some('、' | '。' | '？' | '！')
            ) {
                continue;
            }
        } else if matches!(c, '。' | '？' | '！') {
            if out.ends_with('、') {
                out.pop();
            }
            if matches!(out.chars().next_back(), None | Some('。' | '？' | '！')) {
                continue;
            }
        }
        out.push(c);
    }
    let trimmed = out.trim();
    trimmed.trim_end_matches('、').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(text: &str) -> String {
        FillerList::default().clean(text)
    }

    #[test]
    fn non_speech_annotations_go_but_brackets_of_content_stay() {
        let list = FillerList::default();
        assert_eq!(
            list.clean("実現させる必要がある (音楽) そのための財源と、（仮称）DX推進計画。"),
            "実現させる必要がある  そのための財源と、（仮称）DX推進計画。"
        );
    }

    #[test]
    fn removes_fillers_and_false_starts() {
        assert_eq!(
            clean("えー、この、この内容については、関係各課長には説明済みですか。"),
            "この内容については、関係各課長には説明済みですか。"
        );
        assert_eq!(clean("えっと、250グラムです。"), "250グラムです。");
        assert_eq!(
            clean("あのー、候補機種Bを使わせていただいておりますが、以前の、以前の機種と比較して"),
            "候補機種Bを使わせていただいておりますが、以前の機種と比較して"
        );
        assert_eq!(
            clean("福祉系部会の代表課ですが、まあ、福祉総務課では"),
            "福祉系部会の代表課ですが、福祉総務課では"
        );
        assert_eq!(clean("えー議案（1）について"), "議案（1）について");
        assert_eq!(clean("えー。"), "");
    }

    #[test]
    fn keeps_words_that_only_look_like_fillers() {
        for text in [
            "あの件については了承しました。",
            "その結果、現行ベンダーを継続します。",
            "まあまあの評価です。",
            "いろいろ皆様からご意見をいただきまして",
        ] {
            assert_eq!(clean(text), text);
        }
    }

    #[test]
    fn a_clerks_list_replaces_the_default() {
        let list = FillerList::parse("# mine\nほら\n\n");
        assert_eq!(list.words(), ["ほら"]);
        assert_eq!(list.clean("ほら、えー、資料です"), "えー、資料です");
    }
}
