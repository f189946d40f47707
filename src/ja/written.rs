//! Spoken polite Japanese (です・ます調) to the plain written style of
//! published minutes (である調), one sentence at a time.
//!
//! The rules only delete or inflect: polite auxiliaries become plain ones
//! (「いたします」→「する」, 「しております」→「している」, 「です」→「である」),
//! a verb before 「ます」 takes its dictionary, past or negative form, and
//! a spoken hedge after a wish is deleted (「実施いたしたいと考えております」→
//! 「実施いたしたい」, as the published 要旨 write it). No content word is
//! ever added; numbers, dates and names are never touched, because every
//! rule matches only polite endings and auxiliaries.
//!
//! The fixed rules are one table, [`RULES`]; verbs before 「ます」 are
//! inflected by their last kana ([`inflect`]).

/// Where a fixed rule may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Anywhere in the sentence.
    Any,
    /// Only at the end of the sentence (before a final 。).
    End,
}

/// The fixed rules, applied in this order, each to every match.
const RULES: &[(&str, &str, At)] = &[
    // A hedge after a wish is spoken framing: the minutes keep the wish.
    ("たいと考えております", "たい", At::End),
    ("たいと考えています", "たい", At::End),
    ("たいと思っております", "たい", At::End),
    ("たいと思っています", "たい", At::End),
    ("たいと思います", "たい", At::End),
    ("たいと存じます", "たい", At::End),
    // Humble 「させていただく」 for one's own action.
    ("をさせていただきました", "をした", At::Any),
    ("をさせていただきます", "をする", At::Any),
    // 「おる」 as the humble 「いる」.
    ("ておりませんでした", "ていなかった", At::Any),
    ("でおりませんでした", "でいなかった", At::Any),
    ("ておりました", "ていた", At::Any),
    ("でおりました", "でいた", At::Any),
    ("ておりません", "ていない", At::Any),
    ("でおりません", "でいない", At::Any),
    ("ておりまして", "ており", At::Any),
    ("でおりまして", "でおり", At::Any),
    ("ております", "ている", At::Any),
    ("でおります", "でいる", At::Any),
    ("ていませんでした", "ていなかった", At::Any),
    ("ていました", "ていた", At::Any),
    ("でいました", "でいた", At::Any),
    ("ていません", "ていない", At::Any),
    ("でいません", "でいない", At::Any),
    ("ています", "ている", At::Any),
    ("でいます", "でいる", At::Any),
    // 「まいる」 as the humble 「いく」「くる」.
    ("てまいりました", "てきた", At::Any),
    ("でまいりました", "できた", At::Any),
    ("てまいります", "ていく", At::Any),
    ("でまいります", "でいく", At::Any),
    ("てまいりたい", "ていきたい", At::Any),
    ("でまいりたい", "でいきたい", At::Any),
    // 「いたす」 as the humble 「する」 (「いたしたい」 stays: the minutes write it).
    ("いたしませんでした", "しなかった", At::Any),
    ("いたしました", "した", At::Any),
    ("いたしません", "しない", At::Any),
    ("いたしまして", "し", At::Any),
    ("いたします", "する", At::Any),
    // 「ございます」 as 「ある」, 「でございます」 as 「である」.
    ("でございました", "であった", At::Any),
    ("でございまして", "であり", At::Any),
    ("でございます", "である", At::Any),
    ("ございませんでした", "なかった", At::Any),
    ("ございました", "あった", At::Any),
    ("ございません", "ない", At::Any),
    ("ございまして", "あり", At::Any),
    ("ございます", "ある", At::Any),
    // 「です」.
    ("ではありませんでした", "ではなかった", At::Any),
    ("ではありません", "ではない", At::Any),
    ("でしたので", "であったため", At::Any),
    ("でした", "であった", At::Any),
    ("ですので", "であるため", At::Any),
    ("ですが", "であるが", At::Any),
    ("ですし", "であり", At::Any),
    ("でして", "であり", At::Any),
    // An adjective needs no copula: 「高いです」→「高い」.
    ("いです", "い", At::End),
    ("です", "である", At::End),
    ("です、", "であり、", At::Any),
];

/// Verbs ending in an i-row kana that are ichidan (stem + る), not godan.
const ICHIDAN_I: &[&str] = &[
    "でき", "起き", "生き", "尽き", "過ぎ", "用い", "率い", "報い", "借り", "足り", "落ち", "浴び",
    "延び", "伸び", "信じ", "感じ", "閉じ", "生じ", "応じ", "通じ", "論じ", "案じ", "講じ",
];

/// Godan verbs in す: 「示します」→「示す」, while 「実施します」→「実施する」.
/// Matched at the end of the stem, with no kanji before them.
const GODAN_SU: &[&str] = &[
    "示",
    "出",
    "話",
    "目指",
    "通",
    "戻",
    "果た",
    "生か",
    "活か",
    "促",
    "渡",
    "表",
    "残",
    "増",
    "直",
    "回",
    "探",
    "外",
    "返",
    "移",
    "流",
    "貸",
    "起こ",
    "及ぼ",
    "押",
    "指",
    "差",
    "申",
    "越",
    "超",
    "過ご",
    "消",
    "隠",
    "試",
    "満た",
    "記",
    "著",
    "伸ば",
    "延ば",
    "減ら",
    "見直",
    "見出",
    "打ち出",
    "引き出",
    "生み出",
    "作り出",
];

/// The written form of one spoken sentence (see the module's notes).
/// Questions and sentences already written pass through unchanged except
/// for their polite auxiliaries.
pub fn to_written(sentence: &str) -> String {
    let trimmed = sentence.trim();
    let (body, stop) = split_stop(trimmed);
    let mut s = drop_honorific_go(body);
    for &(from, to, at) in RULES {
        match at {
            At::Any => s = replace(&s, from, to),
            At::End => {
                if let Some(stem) = s.strip_suffix(from) {
                    s = format!("{stem}{to}");
                }
            }
        }
    }
    s = inflect(&s);
    s.push_str(stop);
    s
}

/// Every `from` replaced by `to`, except right after 「ません」, whose
/// 「でした」 belongs to the negative past (「ありませんでした」).
fn replace(s: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(from) {
        out.push_str(&rest[..at]);
        out.push_str(if out.ends_with("ません") { from } else { to });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Whether `sentence` ends in a spoken polite form: です, ます, ございます
/// and their past, negative and question forms.
pub fn is_spoken_ending(sentence: &str) -> bool {
    let s = sentence
        .trim()
        .trim_end_matches(['。', '！', '？', '!', '?', '」', '）', ')', ' ', '、']);
    let s = s
        .strip_suffix('か')
        .or_else(|| s.strip_suffix('ね'))
        .or_else(|| s.strip_suffix('よ'))
        .unwrap_or(s);
    [
        "です",
        "でした",
        "でしょう",
        "ます",
        "ました",
        "ません",
        "ませんでした",
        "ましょう",
        "ございます",
    ]
    .iter()
    .any(|e| s.ends_with(e))
}

/// The sentence without its final mark, and the mark.
fn split_stop(s: &str) -> (&str, &str) {
    match s.char_indices().last() {
        Some((i, '。' | '！' | '？' | '!' | '?')) => (&s[..i], &s[i..]),
        _ => (s, ""),
    }
}

fn is_kanji(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '々'
}

/// 「ご説明いたします」→「説明いたします」: the honorific ご of a humble
/// 「ご～する」 goes with the humble form (「ご要望」「ご意見」 stay).
fn drop_honorific_go(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == 'ご' && (i == 0 || !is_kanji(chars[i - 1])) {
            let run = chars[i + 1..].iter().take_while(|c| is_kanji(**c)).count();
            let after: String = chars[i + 1 + run..].iter().take(4).collect();
            if run >= 2
                && (after.starts_with("いたしま")
                    || after.starts_with("しま")
                    || after.starts_with("させていただきま"))
            {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// The plain form of every 「～ます」「～ました」「～ません」「～まして」
/// left after the fixed rules, from the kana before it.
fn inflect(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    // Longest first: each suffix and the plain form it asks for.
    const FORMS: &[(&str, Form)] = &[
        ("ませんでした", Form::NegativePast),
        ("ましたので", Form::PastBecause),
        ("ますので", Form::PresentBecause),
        ("ました", Form::Past),
        ("ません", Form::Negative),
        ("まして", Form::Continuative),
        ("ます", Form::Present),
    ];
    while let Some(at) = rest.find('ま') {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let found = FORMS.iter().find(|(suffix, _)| tail.starts_with(suffix));
        let stem_ok = out.chars().last().is_some_and(is_stem_end);
        match found {
            // A question keeps its polite form (it is not 要旨 material).
            Some((suffix, form)) if stem_ok && !tail[suffix.len()..].starts_with(['か', 'ょ']) => {
                let stem = std::mem::take(&mut out);
                out = plain(&stem, *form);
                rest = &tail[suffix.len()..];
            }
            _ => {
                out.push('ま');
                rest = &tail['ま'.len_utf8()..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Clone, Copy)]
enum Form {
    Present,
    Past,
    Negative,
    NegativePast,
    Continuative,
    PresentBecause,
    PastBecause,
}

/// A verb stem (連用形) ends in an i- or e-row kana, or in a kanji (見, 来).
fn is_stem_end(c: char) -> bool {
    "いきぎしじちぢにひびぴみりえけげせぜてでねへべぺめれ".contains(c) || is_kanji(c)
}

/// How the verb whose stem ends `stem` conjugates.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Ichidan,
    /// 「する」 (the stem is its 「し」).
    Suru,
    /// Godan, with the stem's last kana.
    Godan(char),
}

fn class(stem: &str) -> Class {
    let Some(last) = stem.chars().last() else {
        return Class::Ichidan;
    };
    if is_kanji(last) || "えけげせぜてでねへべぺめれ".contains(last) {
        return Class::Ichidan;
    }
    if ICHIDAN_I.iter().any(|v| stem.ends_with(v)) {
        return Class::Ichidan;
    }
    if last == 'し' {
        let verb = &stem[..stem.len() - 'し'.len_utf8()];
        let godan = GODAN_SU.iter().any(|v| {
            verb.strip_suffix(v)
                .is_some_and(|before| !before.chars().last().is_some_and(is_kanji))
        });
        return if godan {
            Class::Godan('し')
        } else {
            Class::Suru
        };
    }
    // 「います」 after て／で is 「いる」.
    if last == 'い' {
        let before = stem[..stem.len() - 'い'.len_utf8()].chars().last();
        if before.is_none() || matches!(before, Some('て' | 'で')) {
            return Class::Ichidan;
        }
    }
    Class::Godan(last)
}

/// The i-row kana → its u-, a-row kana and its past ending.
fn godan_row(k: char) -> (char, char, &'static str) {
    match k {
        'い' => ('う', 'わ', "った"),
        'き' => ('く', 'か', "いた"),
        'ぎ' => ('ぐ', 'が', "いだ"),
        'し' => ('す', 'さ', "した"),
        'ち' => ('つ', 'た', "った"),
        'に' => ('ぬ', 'な', "んだ"),
        'び' => ('ぶ', 'ば', "んだ"),
        'み' => ('む', 'ま', "んだ"),
        'り' => ('る', 'ら', "った"),
        _ => (k, k, "た"),
    }
}

fn plain(stem: &str, form: Form) -> String {
    let class = class(stem);
    let (base, last) = match class {
        Class::Godan(k) => (&stem[..stem.len() - k.len_utf8()], k),
        Class::Suru => (&stem[..stem.len() - 'し'.len_utf8()], 'し'),
        Class::Ichidan => (stem, ' '),
    };
    let present = || match class {
        Class::Ichidan => format!("{base}る"),
        Class::Suru => format!("{base}する"),
        Class::Godan(_) => format!("{base}{}", godan_row(last).0),
    };
    let past = || match class {
        Class::Ichidan => format!("{base}た"),
        Class::Suru => format!("{base}した"),
        // 「行く」 is the one exception: 行った.
        Class::Godan('き') if base.ends_with('行') => format!("{base}った"),
        Class::Godan(_) => format!("{base}{}", godan_row(last).2),
    };
    let negative = || match class {
        Class::Ichidan => format!("{base}な"),
        Class::Suru => format!("{base}しな"),
        // 「あります」 has no 「あらない」: 「ない」.
        Class::Godan('り') if base.ends_with('あ') => {
            base[..base.len() - 'あ'.len_utf8()].to_string() + "な"
        }
        Class::Godan(_) => format!("{base}{}な", godan_row(last).1),
    };
    match form {
        Form::Present => present(),
        Form::Past => past(),
        Form::Negative => negative() + "い",
        Form::NegativePast => negative() + "かった",
        Form::Continuative => stem.to_string(),
        Form::PresentBecause => present() + "ため",
        Form::PastBecause => past() + "ため",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sentences of the presentations of 2022-01-26 and the written form
    /// the published 要旨 gives them.
    #[test]
    fn presentations_become_the_published_style() {
        for (spoken, written) in [
            (
                "平成28年度から導入しております基幹系の仮想デスクトップシステムについて、令和4年度で導入開始から7年を迎えます。",
                "平成28年度から導入している基幹系の仮想デスクトップシステムについて、令和4年度で導入開始から7年を迎える。",
            ),
            (
                "そのため、令和4年度に機器の更改を実施いたしたいと考えております。",
                "そのため、令和4年度に機器の更改を実施いたしたい。",
            ),
            (
                "その結果、現行ベンダーを継続しての更改といたしたいと考えております。",
                "その結果、現行ベンダーを継続しての更改といたしたい。",
            ),
            (
                "また、標準仕様書に準拠したシステムの導入を前提とした業務の見直し、いわゆるBPRの実施も必須です。",
                "また、標準仕様書に準拠したシステムの導入を前提とした業務の見直し、いわゆるBPRの実施も必須である。",
            ),
            (
                "短期間に大規模なシステム移行を実現させる必要があります。",
                "短期間に大規模なシステム移行を実現させる必要がある。",
            ),
            (
                "関係各課の代表者による部会を設置いたします。",
                "関係各課の代表者による部会を設置する。",
            ),
            (
                "豊島区DX推進計画として策定することといたしました。",
                "豊島区DX推進計画として策定することとした。",
            ),
            (
                "本日は、素案の前段階のたたき台をお示しし、概要をご説明いたします。",
                "本日は、素案の前段階のたたき台をお示しし、概要を説明する。",
            ),
            (
                "パブリックコメントに向けての案を固めます。",
                "パブリックコメントに向けての案を固める。",
            ),
            (
                "令和4年4月末をめどに策定を完了する想定です。",
                "令和4年4月末をめどに策定を完了する想定である。",
            ),
            (
                "候補機種Cを次期管理職用端末として導入するのがよいのではないかと考えております。",
                "候補機種Cを次期管理職用端末として導入するのがよいのではないかと考えている。",
            ),
            (
                "現行の管理職用携帯電話は、導入後7年が経過し、かなり老朽化が進んでおります。",
                "現行の管理職用携帯電話は、導入後7年が経過し、かなり老朽化が進んでいる。",
            ),
            (
                "本年度第2回のデジタルガバメント検討PTに提案したところ、いくつかご要望をいただきました。",
                "本年度第2回のデジタルガバメント検討PTに提案したところ、いくつかご要望をいただいた。",
            ),
            (
                "それらの要望内容について実現の目途が立ちましたので、スマートフォン端末への入れ替えを実施いたします。",
                "それらの要望内容について実現の目途が立ったため、スマートフォン端末への入れ替えを実施する。",
            ),
            (
                "LGWAN-ASPサービスについては、これまで、セキュリティ確保の観点から導入を制限しておりました。",
                "LGWAN-ASPサービスについては、これまで、セキュリティ確保の観点から導入を制限していた。",
            ),
            (
                "利便性とセキュリティ確保のバランスを考慮しつつ、積極的に活用していくことといたします。",
                "利便性とセキュリティ確保のバランスを考慮しつつ、積極的に活用していくこととする。",
            ),
            (
                "その方針の中で示した、仮称、DX推進計画の策定について、検討を進めてまいりました。",
                "その方針の中で示した、仮称、DX推進計画の策定について、検討を進めてきた。",
            ),
        ] {
            assert_eq!(to_written(spoken), written, "{spoken}");
            assert!(!is_spoken_ending(&to_written(spoken)), "{spoken}");
        }
    }

    #[test]
    fn verbs_inflect_by_their_class() {
        for (spoken, written) in [
            ("説明します。", "説明する。"),
            ("方針を示します。", "方針を示す。"),
            ("方針を示しました。", "方針を示した。"),
            ("夏ごろになります。", "夏ごろになる。"),
            ("点検を行います。", "点検を行う。"),
            ("点検を行いました。", "点検を行った。"),
            ("適切と思います。", "適切と思う。"),
            ("確認しています。", "確認している。"),
            ("体制を考えています。", "体制を考えている。"),
            ("実施予定です。", "実施予定である。"),
            ("課題がございます。", "課題がある。"),
            ("担当課でございます。", "担当課である。"),
            ("移行できます。", "移行できる。"),
            ("資料を用います。", "資料を用いる。"),
            ("意見をいただきます。", "意見をいただく。"),
            ("会場へ行きました。", "会場へ行った。"),
            ("実務は所管しておりません。", "実務は所管していない。"),
            ("問題はありません。", "問題はない。"),
            ("差はありませんでした。", "差はなかった。"),
            ("画面が大きいです。", "画面が大きい。"),
            ("検討を進めました。", "検討を進めた。"),
            ("老朽化が進みました。", "老朽化が進んだ。"),
            (
                "委員会に諮りまして、決定します。",
                "委員会に諮り、決定する。",
            ),
            (
                "見込みですので、お願いするものです。",
                "見込みであるため、お願いするものである。",
            ),
        ] {
            assert_eq!(to_written(spoken), written, "{spoken}");
        }
    }

    #[test]
    fn numbers_names_and_questions_are_left_alone() {
        let s = "令和4年1月26日に4000万円以上のLGWAN-ASPを導入しますか。";
        assert_eq!(to_written(s), s);
        assert_eq!(
            to_written("開催はいつでしょうか。"),
            "開催はいつでしょうか。"
        );
        // 「ます」 inside a word is no auxiliary.
        assert_eq!(to_written("ますます重要である。"), "ますます重要である。");
        // Nothing is added: the written form is never longer than the spoken
        // one by more than an inflection.
        let s = "事前に情報管理課へご確認をいただきます。";
        assert_eq!(to_written(s), "事前に情報管理課へご確認をいただく。");
    }

    #[test]
    fn spoken_endings_are_recognised() {
        for s in [
            "説明は以上です。",
            "実施いたします。",
            "承認をお願いするものです。",
            "課題がございます。",
            "開催する予定でしょうか。",
            "選定いたしました。",
            "所管しておりません。",
            "いかがですか？",
        ] {
            assert!(is_spoken_ending(s), "{s}");
        }
        for s in [
            "実施する。",
            "必須である。",
            "策定することとした。",
            "考えている。",
            "いたしたい。",
        ] {
            assert!(!is_spoken_ending(s), "{s}");
        }
    }
}
