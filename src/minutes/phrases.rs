//! The set phrases of a committee meeting, recognised in (possibly
//! misrecognised) speech: the chair's announcements, calls for questions,
//! decisions, the opening and closing formulas, and a presenter's
//! boilerplate. Everything here works on one sentence at a time.

use crate::draft::Decision;
use crate::ja::phrases::{contains, Kind};

/// The chair asks for a presentation: 「…について、説明をお願いします」.
pub fn is_announcement(sentence: &str) -> bool {
    contains(Kind::Request, sentence)
        || [
            "説明をお願い",
            "説明お願い",
            "報告をお願い",
            "報告お願い",
            "ご説明願い",
        ]
        .iter()
        .any(|p| sentence.contains(p))
}

/// The chair asks for questions: 「ご質問はございますか」「何かございますか」,
/// also as heard with its か lost or set apart (「ご質問はあります ?」) or cut
/// short (「ご意見、ご質問は」).
pub fn is_call_for_questions(sentence: &str) -> bool {
    let s: String = sentence
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '?' | '？' | '。' | '、'))
        .collect();
    let asks = [
        "ございますか",
        "ありますか",
        "ございませんか",
        "ありませんか",
    ]
    .iter()
    .any(|p| s.contains(p))
        || ["質問は", "意見は", "質疑は"].iter().any(|p| {
            s.ends_with(p)
                || s.ends_with(&format!("{p}あります"))
                || s.ends_with(&format!("{p}ございます"))
        });
    let about = ["質問", "質疑", "説問", "意見", "何か", "なにか"]
        .iter()
        .any(|p| s.contains(p));
    asks && about && s.chars().count() <= 30
}

/// Opening and closing formulas: 「…を開催します」「以上で…を終了します」,
/// also cut short where a pause split them (「以上で、」 … 「…本部を終了」).
pub fn is_formula(sentence: &str) -> bool {
    let s = sentence.trim_end_matches(|c: char| c.is_whitespace() || "。、．".contains(c));
    [
        "開催します",
        "開催いたします",
        "開会します",
        "開会いたします",
        "終了します",
        "終了いたします",
        "閉会します",
        "閉会いたします",
        "議題は以上",
        "終わります",
    ]
    .iter()
    .any(|p| s.contains(p))
        || contains(Kind::Opening, s)
        || contains(Kind::Closing, s)
        || (s.starts_with("本日の") && s.contains("は以上です"))
        || s.ends_with("を終了")
        || (s.starts_with("以上で") && s.chars().count() <= 6)
}

/// A cue that the meeting is closing: 「全体を通して」「本日の議題は以上です」.
pub fn is_closing_cue(sentence: &str) -> bool {
    contains(Kind::Closing, sentence)
        || [
            "全体を通して",
            "全体を通じて",
            "議題は以上",
            "終了します",
            "終了いたします",
            "閉会",
        ]
        .iter()
        .any(|p| sentence.contains(p))
}

/// A presenter's framing with no content: 「説明は以上です」「資料1をご覧ください」.
pub fn is_boilerplate(sentence: &str) -> bool {
    let s = sentence.trim_end_matches(['。', '！', '？']);
    if contains(Kind::EndOfPresentation, s) && s.chars().count() <= 16 {
        return true;
    }
    [
        "は以上です",
        "は以上となります",
        "ご覧ください",
        "をご覧下さい",
    ]
    .iter()
    .any(|p| s.ends_with(p))
        || [
            "よろしくお願いします",
            "よろしくお願いいたします",
            "おはようございます",
            "こんにちは",
            "失礼します",
            "失礼いたします",
        ]
        .iter()
        .any(|p| s == *p || s.ends_with(p) && s.chars().count() <= 14)
}

/// A decision taken on a 議案, if `sentence` states one.
pub fn decision(sentence: &str) -> Option<Decision> {
    let decides = contains(Kind::Approve, sentence)
        || [
            "承認",
            "了承",
            "決定",
            "可決",
            "否決",
            "継続審議",
            "保留",
            "見送",
        ]
        .iter()
        .any(|p| sentence.contains(p));
    let declared = [
        "いたします",
        "します",
        "とします",
        "としたい",
        "されました",
        "しました",
    ]
    .iter()
    .any(|p| sentence.contains(p))
        // 「…は継続審議とし、」 cut off by a pause.
        || sentence
            .trim_end_matches(|c: char| c.is_whitespace() || "。、".contains(c))
            .ends_with("とし");
    let asks =
        sentence.contains("お願い") || sentence.ends_with('か') || sentence.ends_with("か。");
    // 承認 is often misrecognised (「…の通り勝人といたします」): a chair's
    // 「…のとおり…といたします」 is still a decision as proposed.
    let as_proposed_heard = ["のとおり", "の通り"].iter().any(|p| sentence.contains(p))
        && ["といたします", "とします"]
            .iter()
            .any(|p| sentence.contains(p));
    if as_proposed_heard && !asks && !decides {
        return Some(Decision::Approved);
    }
    // 「…案のとおり承認」 cut off before its verb (the rest went to the next
    // segment) is still the chair's decision.
    let as_proposed_cut = ["のとおり", "の通り"].iter().any(|p| sentence.contains(p))
        && contains(Kind::Approve, sentence);
    if as_proposed_cut && !asks && !declared {
        return Some(Decision::Approved);
    }
    if !decides || !declared || asks {
        return None;
    }
    let as_proposed = [
        "案のとおり",
        "案の通り",
        "案どおり",
        "案通り",
        "原案のとおり",
    ]
    .iter()
    .any(|p| sentence.contains(p));
    let against = [
        "否決",
        "継続",
        "保留",
        "見送",
        "修正",
        "条件",
        "しない",
        "できない",
    ]
    .iter()
    .any(|p| sentence.contains(p));
    if (as_proposed || contains(Kind::Approve, sentence)) && !against {
        Some(Decision::Approved)
    } else {
        Some(Decision::Other)
    }
}

/// A sentence that the minutes leave out of the 質疑: procedure, not substance.
pub fn is_procedural(sentence: &str) -> bool {
    is_announcement(sentence)
        || contains(Kind::NoQuestions, sentence)
        || contains(Kind::Proceed, sentence)
        || is_call_for_questions(sentence)
        || is_formula(sentence)
        || decision(sentence).is_some()
        || crate::ja::phrases::is_item_call(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        assert_eq!(
            decision("それでは、議案（1）は案のとおり承認といたします。"),
            Some(Decision::Approved)
        );
        assert_eq!(decision("議案2は継続審議とします。"), Some(Decision::Other));
        assert_eq!(decision("議案、1、は継続審議とし、"), Some(Decision::Other));
        assert_eq!(decision("承認の手続きはどうなりますか。"), None);
        assert_eq!(decision("本部の承認をお願いするものです。"), None);
        assert_eq!(decision("ご承認をお願いします。"), None);
        assert_eq!(
            decision("それでは、ギアン、1、わらんの通り勝人といたします。"),
            Some(Decision::Approved)
        );
        assert_eq!(
            decision("それでは、議案1。わらんの通り商人"),
            Some(Decision::Approved)
        );
    }

    #[test]
    fn procedure() {
        assert!(is_procedural(
            "ただいまの説明について、ご質問はございますか。"
        ));
        assert!(is_procedural("ほかに、ご質問はございますか。"));
        assert!(is_procedural(
            "次に、報告事項（2）、管理職パソコンの入れ替えについて、説明をお願いします。"
        ));
        assert!(!is_procedural("入れ替えの時期はいつごろでしょうか。"));
        assert!(is_procedural("内容ですので、次に進みます。"));
        assert!(is_procedural("ご質問はあります か?"));
        assert!(is_procedural("ご質問はあります ?"));
        assert!(is_procedural("ご意見、ご質問は。"));
        assert!(!is_procedural("質問ですが、予算はあります。"));
        assert!(is_procedural("以上で、子"));
        assert!(is_procedural("ども、若者 資策推進本部を終了 。"));
        assert!(!is_procedural(
            "以上で説明した内容について、来月から実施します。"
        ));
        assert!(is_procedural("ご質問はないようですので、次に進みます。"));
        assert!(is_procedural("それでは、議案。"));
        assert!(is_procedural("それでは、議案、1、"));
        assert!(!is_procedural("では、議案の件で一点。"));
        assert!(is_boilerplate("説明は以上です。"));
        assert!(is_boilerplate("資料1をご覧ください。"));
    }
}
