//! The minutes stage on the samples' truth: sections, decisions, fillers,
//! 要旨, and robustness to recognition errors in the announcements.

use crate::minutes_support;

use kaigiroku::draft::{Decision, Draft, Found};
use kaigiroku::meeting::{AgendaKind, Meeting};
use kaigiroku::minutes::{Drafter, FillerList};
use kaigiroku::types::Turn;
use minutes_support::{meeting, truth, FULL_MEETING};

fn draft(meeting: &Meeting, turns: &[Turn]) -> Draft {
    Drafter::builder(meeting).build().draft(turns, &[]).unwrap()
}

fn short() -> (Meeting, Vec<Turn>) {
    let t = truth("kaigi-2022-01").expect("samples/kaigi-2022-01/truth.json");
    (meeting("kaigi-2022-01", FULL_MEETING), t.turns())
}

fn minutes_text(d: &Draft) -> String {
    kaigiroku::render::minutes::text(d)
}

#[test]
fn the_short_sample_has_its_three_items_in_order_with_decisions() {
    let (m, turns) = short();
    let d = draft(&m, &turns);
    let got: Vec<_> = d
        .items
        .iter()
        .map(|i| (i.kind, i.number, i.found))
        .collect();
    assert_eq!(
        got,
        vec![
            (AgendaKind::Proposal, 1, Found::Announcement),
            (AgendaKind::Proposal, 2, Found::Announcement),
            (AgendaKind::Report, 1, Found::Announcement),
        ]
    );
    assert_eq!(d.opening.turns, vec![d.turns[0].id]);
    assert_eq!(d.closing.turns, vec![d.turns[turns.len() - 1].id]);
    for item in &d.items[..2] {
        let outcome = item.outcome.as_ref().unwrap();
        assert_eq!(outcome.decision, Decision::Approved);
        assert_eq!(outcome.text, "議題について案のとおり承認");
    }
    assert!(d.items[2].outcome.is_none());
    // 議案（1）: nobody asked; the chair's call for questions is not a question.
    assert!(d.items[0].questions.is_empty());
    assert_eq!(d.items[1].questions.len(), 10);
    assert_eq!(d.items[2].questions.len(), 2);
    // The chair's closing remark stays, his decision sentence goes to the decision line.
    let last = d.items[1].questions.last().unwrap();
    assert_eq!(
        last.text,
        "全体会を中心に十分議論して、効率的に進めていただくよう、お願いいたします。"
    );
    assert_eq!(d.closing.end_time.unwrap().to_string(), "11:13");
    let text = minutes_text(&d);
    assert!(text.contains(
        "〔事務局：「議案（1）情報システム契約案件（4000万円以上）の本部承認について」を説明〕"
    ));
    assert!(text.contains("（質疑なし）\n\n—議題について案のとおり承認—"));
    assert!(text.contains("〔11:13 終了〕"));
}

#[test]
fn fillers_are_gone_from_the_minutes_but_kept_verbatim() {
    let (m, turns) = short();
    let d = draft(&m, &turns);
    let text = minutes_text(&d);
    for filler in ["えー", "あのー", "えっと"] {
        assert!(!text.contains(filler), "{filler} left in the minutes");
    }
    assert!(d
        .turns
        .iter()
        .any(|t| t.verbatim.starts_with("えー、") && !t.text.contains("えー")));
    let kumin = d.items[1]
        .questions
        .iter()
        .find(|q| q.text.starts_with("区民部では"))
        .unwrap();
    assert_eq!(
        kumin.text,
        "区民部では各課で検討を始めていますが、まだわからないことも多いです。全体会の場で調整しながら進めていただきたいと思います。"
    );
    // A clerk's list replaces the default.
    let d = Drafter::builder(&m)
        .fillers(FillerList::parse("えっと"))
        .build()
        .draft(&turns, &[])
        .unwrap();
    let text = minutes_text(&d);
    assert!(text.contains("えー、") && !text.contains("えっと"));
}

#[test]
fn summaries_keep_numbers_and_names_and_link_to_the_recording() {
    let (m, turns) = short();
    let d = draft(&m, &turns);
    let s1: String = d.items[0].summary.iter().map(|s| s.text.as_str()).collect();
    for key in [
        "平成28年度",
        "仮想デスクトップシステム",
        "令和4年度",
        "4000万円",
        "現行ベンダー",
    ] {
        assert!(s1.contains(key), "{key} missing from {s1}");
    }
    assert!(!s1.contains("説明は以上です"));
    assert!(s1.contains("実施いたしたい。"), "{s1}");
    for item in &d.items {
        for s in &item.summary {
            let turn = d.turn(s.turn).unwrap();
            assert!(turn.start <= s.start && s.start < s.end && s.end <= turn.end + 1e-9);
            assert!(item.presentation.contains(&s.turn));
        }
    }
}

#[test]
fn misrecognised_announcements_are_still_found() {
    let (m, mut turns) = short();
    // Whisper-like errors: the kind misheard, numbers as words, titles garbled.
    for t in &mut turns {
        t.text = t
            .text
            .replace(
                "議案（1）情報システム契約案件の本部承認について",
                "ぎあん1、情報システム契約の本部承認について",
            )
            .replace("議案（2）", "議案第二号、")
            .replace(
                "報告事項（1）豊島区DX推進計画",
                "報告事項1、豊島区ディーエックス推進計画",
            );
    }
    let d = draft(&m, &turns);
    let starts: Vec<_> = d
        .items
        .iter()
        .map(|i| (i.found, i.turns.first().and_then(|&t| d.position(t))))
        .collect();
    assert_eq!(
        starts,
        vec![
            (Found::Announcement, Some(1)),
            (Found::Announcement, Some(5)),
            (Found::Announcement, Some(17)),
        ]
    );
    // With no agenda reference at all in an announcement, order decides.
    let (_, mut turns) = short();
    turns[5].text = "続きまして、次の件について、説明をお願いします。".into();
    let d = draft(&m, &turns);
    assert_eq!(d.items[1].found, Found::Order);
    assert_eq!(
        d.items[1].turns.first().and_then(|&t| d.position(t)),
        Some(5)
    );
}

#[test]
fn without_an_agenda_items_are_detected_from_speech() {
    let (mut m, turns) = short();
    m.agenda.clear();
    let d = draft(&m, &turns);
    let got: Vec<_> = d
        .items
        .iter()
        .map(|i| (i.kind, i.number, i.title.as_str(), i.found))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                AgendaKind::Proposal,
                1,
                "情報システム契約案件の本部承認について",
                Found::Speech
            ),
            (
                AgendaKind::Proposal,
                2,
                "基幹系業務システムの標準化対応について",
                Found::Speech
            ),
            (
                AgendaKind::Report,
                1,
                "豊島区DX推進計画について",
                Found::Speech
            ),
        ]
    );
    assert_eq!(
        d.items[1].presenter.as_ref().map(|r| r.as_str()),
        Some("事務局")
    );
}

#[test]
fn an_unclear_decision_is_flagged_for_the_clerk() {
    let (m, mut turns) = short();
    turns[4].text = "それでは、次に進みます。".into();
    let d = draft(&m, &turns);
    let outcome = d.items[0].outcome.as_ref().unwrap();
    assert_eq!(outcome.decision, Decision::Unclear);
    assert!(minutes_text(&d).contains("—要確認：決定内容を記入してください—"));
    assert!(!d.items[0].flags.is_empty());
    // Something other than approval as proposed is written as said.
    turns[4].text = "それでは、議案（1）は継続審議といたします。".into();
    let d = draft(&m, &turns);
    let outcome = d.items[0].outcome.as_ref().unwrap();
    assert_eq!(outcome.decision, Decision::Other);
    assert_eq!(outcome.text, "議案（1）は継続審議といたします");
}

#[test]
fn bad_times_are_refused() {
    let (m, mut turns) = short();
    turns[3].end = f64::NAN;
    assert!(Drafter::builder(&m).build().draft(&turns, &[]).is_err());
}

#[test]
fn a_presentation_split_between_two_speaker_clusters_stays_one_presentation() {
    let (m, mut turns) = short();
    let before = draft(&m, &turns);
    let first = before.position(before.items[0].presentation[0]).unwrap();
    // The presenter's voice split into two clusters mid-presentation (as
    // CAM++ did on the short sample): same role, another speaker id.
    let t = turns[first].clone();
    let cut = t.text.find('。').expect("a sentence end") + '。'.len_utf8();
    let middle = (t.start + t.end) / 2.0;
    let mut second = t.clone();
    second.start = middle;
    second.text = t.text[cut..].to_string();
    second.speaker = kaigiroku::types::SpeakerId(99);
    turns[first].end = middle;
    turns[first].text = t.text[..cut].to_string();
    turns.insert(first + 1, second);
    let d = draft(&m, &turns);
    let item = &d.items[0];
    let presentation: Vec<usize> = item
        .presentation
        .iter()
        .map(|&t| d.position(t).unwrap())
        .collect();
    assert_eq!(presentation, vec![first, first + 1]);
    assert!(
        item.questions.is_empty(),
        "presentation leaked into the Q&A: {:?}",
        item.questions.iter().map(|q| &q.text).collect::<Vec<_>>()
    );
    assert_eq!(item.questions.len(), before.items[0].questions.len());
}
