use std::path::Path;

use super::*;

#[test]
fn malformed_json_names_the_file_and_line() {
    let err = Draft::parse(
        Path::new("/tmp/d/draft.json"),
        "{\n \"version\": 1,\n \"x\": }",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("/tmp/d/draft.json:3:"), "{err}");
}

#[test]
fn other_versions_are_refused() {
    let err = Draft::parse(Path::new("d.json"), "{\"version\": 9}").unwrap_err();
    assert!(matches!(err, DraftError::Version { found: 9, .. }));
}

use crate::meeting::Role;
use crate::minutes::Drafter;
use crate::types::{Correction, CorrectionRule, Turn};

const MEETING: &str = r#"
name = "第1回推進本部"
secretariat = "情報管理課"
date = 2023-05-31
start = "10:00"
[[attendees]]
title = "副区長"
role = "本部長"
[[attendees]]
title = "情報管理課長"
role = "事務局"
[[agenda]]
kind = "議案"
number = 1
title = "仮想デスクトップシステムの更改について"
presenter = "事務局"
[[agenda]]
kind = "報告事項"
number = 1
title = "管理職携帯の入れ替えについて"
presenter = "事務局"
"#;

fn turn(start: f64, end: f64, speaker: u32, role: Role, text: &str) -> Turn {
    Turn {
        start,
        end,
        speaker: SpeakerId(speaker),
        role,
        role_confidence: 0.9,
        text: text.into(),
        segments: vec![speaker as usize * 10, speaker as usize * 10 + 1],
    }
}

/// A draft as the minutes stage makes it: an opening, a 議案 with a
/// presentation, 要旨 and decision, a 報告事項 with questions, a closing.
pub(crate) fn draft() -> Draft {
    let meeting = Meeting::parse(Path::new("meeting.toml"), MEETING).unwrap();
    let (chair, sec, member) = (Role::Chair, Role::Secretariat, Role::Member);
    let turns = vec![
        turn(1.0, 5.0, 1, chair.clone(), "ただいまより推進本部を開催します。"),
        turn(6.0, 12.0, 1, chair.clone(), "それでは、議案（1）仮想デスクトップシステムの更改について、説明をお願いします。"),
        turn(13.0, 40.0, 2, sec.clone(), "資料1をご覧ください。えー、平成28年度から導入している仮想デスクトップシステムは、令和5年度で7年を迎えます。そのため、令和6年度に機器の更改を実施いたしたいと考えております。説明は以上です。"),
        turn(46.0, 50.0, 1, chair.clone(), "それでは、議案（1）は案のとおり承認といたします。"),
        turn(52.0, 58.0, 1, chair.clone(), "次に、報告事項（1）管理職携帯の入れ替えについて、説明をお願いします。"),
        turn(59.0, 80.0, 2, sec.clone(), "現行の管理職用携帯電話は、導入後7年が経過しております。スマートフォン端末への入れ替えを実施いたします。報告は以上です。"),
        turn(81.0, 85.0, 3, member.clone(), "えー、導入はいつからになりますか。重さはどのくらいでしょうか。"),
        turn(86.0, 90.0, 2, sec.clone(), "えっと、来年度の夏ごろになる見通しです。"),
        turn(91.0, 96.0, 3, member, "わかりました。"),
        turn(100.0, 106.0, 1, chair, "本日の議題は以上です。以上で本日の推進本部を終了します。"),
    ];
    let mut d = Drafter::builder(&meeting)
        .build()
        .draft(&turns, &[])
        .unwrap();
    d.turns[2].corrections.push(Correction {
        from: "例は".into(),
        to: "令和".into(),
        rule: CorrectionRule::Era,
        at: 40,
    });
    d.validate().unwrap();
    d
}

fn id(n: u32) -> TurnId {
    TurnId(n)
}

/// Equal as documents (the header is not compared field by field: the
/// meeting file's types have no equality).
fn assert_same(a: &Draft, b: &Draft) {
    assert_eq!(a.speakers, b.speakers);
    assert_eq!(a.turns, b.turns);
    assert_eq!(a.opening, b.opening);
    assert_eq!(a.items, b.items);
    assert_eq!(a.closing, b.closing);
    assert_eq!(a.flags, b.flags);
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
}

/// Applies `edit`, checks the result is valid and differs, undoes it and
/// checks the draft is as before; returns the edited draft.
fn round_trip(before: &Draft, edit: DraftEdit) -> Draft {
    let mut d = before.clone();
    let inverse = d
        .apply(edit.clone())
        .unwrap_or_else(|e| panic!("{edit:?}: {e}"));
    if let Err(problems) = d.validate() {
        panic!("{edit:?} left an invalid draft: {problems:?}");
    }
    let edited = d.clone();
    assert_ne!(
        edited.to_json().unwrap(),
        before.to_json().unwrap(),
        "{edit:?} changed nothing"
    );
    let again = d.apply(inverse.clone()).unwrap();
    d.validate().unwrap();
    assert_same(&d, before);
    // Redo: the inverse of the inverse does the edit again.
    d.apply(again).unwrap();
    assert_same(&d, &edited);
    // Edits survive draft.json.
    let json: DraftEdit = serde_json::from_str(&serde_json::to_string(&inverse).unwrap()).unwrap();
    assert_eq!(json, inverse);
    edited
}

#[test]
fn the_fixture_is_what_the_edits_expect() {
    let d = draft();
    let roles: Vec<String> = d
        .turns
        .iter()
        .map(|t| format!("{} {}", t.id, d.role_of(t.id).unwrap()))
        .collect();
    assert_eq!(roles[0], "T1 本部長");
    assert_eq!(roles[2], "T3 事務局");
    assert_eq!(d.items[0].presentation, vec![id(3)]);
    assert_eq!(d.items[0].outcome.as_ref().unwrap().turn, Some(id(4)));
    assert_eq!(d.items[1].turns, vec![id(5), id(6), id(7), id(8), id(9)]);
    let questions: Vec<TurnId> = d.items[1].questions.iter().map(|s| s.turn).collect();
    assert_eq!(questions, vec![id(7), id(8), id(9)]);
    assert!(d.items[0].summary.len() >= 2);
    assert_eq!(d.closing.turns, vec![id(10)]);
}

#[test]
fn every_edit_is_undone_by_its_inverse() {
    let d = draft();
    let edited = round_trip(
        &d,
        DraftEdit::SetRole {
            speaker: SpeakerId(3),
            role: Role::ViceChair,
            confirmed: true,
        },
    );
    assert_eq!(edited.role_of(id(7)), Some(&Role::ViceChair));
    round_trip(
        &d,
        DraftEdit::SetTitle {
            speaker: SpeakerId(2),
            title: Some("情報管理課長".into()),
        },
    );
    let edited = round_trip(
        &d,
        DraftEdit::MoveTurn {
            turn: id(8),
            to: SpeakerId(1),
        },
    );
    assert_eq!(edited.role_of(id(8)), Some(&Role::Chair));
    let edited = round_trip(
        &d,
        DraftEdit::SetText {
            turn: id(7),
            text: "導入の時期を教えてください。".into(),
            statement: None,
        },
    );
    assert_eq!(
        edited.items[1].questions[0].text,
        "導入の時期を教えてください。"
    );
    round_trip(
        &d,
        DraftEdit::SetText {
            turn: id(6),
            text: "（発表）".into(),
            statement: Some("使われない".into()),
        },
    );
    round_trip(
        &d,
        DraftEdit::SetSummary {
            item: 0,
            sentence: 1,
            text: "修正した要旨。".into(),
        },
    );
    round_trip(
        &d,
        DraftEdit::SetDecision {
            item: 0,
            decision: Decision::Other,
            text: "継続審議".into(),
        },
    );
    round_trip(
        &d,
        DraftEdit::CheckItem {
            item: 1,
            checked: true,
        },
    );
    round_trip(
        &d,
        DraftEdit::CheckTurn {
            turn: id(3),
            checked: true,
        },
    );
}

#[test]
fn splits_and_merges_are_undone_exactly() {
    let d = draft();
    // A question turn with a statement, cut between its two questions.
    let at = "導入はいつからになりますか。".chars().count();
    let edited = round_trip(
        &d,
        DraftEdit::SplitTurn {
            turn: id(7),
            at,
            restore: None,
        },
    );
    let new = id(11);
    assert_eq!(edited.turns[6].text, "導入はいつからになりますか。");
    assert_eq!(edited.turns[7].id, new);
    assert_eq!(edited.turns[7].text, "重さはどのくらいでしょうか。");
    assert_eq!(
        edited.turns[6].verbatim,
        "えー、導入はいつからになりますか。"
    );
    assert_eq!(edited.turns[6].end, edited.turns[7].start);
    assert_eq!(edited.turns[6].segments, vec![SegmentId(30)]);
    assert_eq!(edited.turns[7].segments, vec![SegmentId(31)]);
    assert_eq!(edited.items[1].turns[3], new);
    let q: Vec<(TurnId, &str)> = edited.items[1]
        .questions
        .iter()
        .map(|s| (s.turn, s.text.as_str()))
        .collect();
    assert_eq!(q[0], (id(7), "導入はいつからになりますか。"));
    assert_eq!(q[1], (new, "重さはどのくらいでしょうか。"));
    // The presentation, with its 要旨 and a correction, cut in the middle.
    let text = &d.turns[2].text;
    let at = text.chars().count() / 2;
    let edited = round_trip(
        &d,
        DraftEdit::SplitTurn {
            turn: id(3),
            at,
            restore: None,
        },
    );
    assert_eq!(edited.items[0].presentation, vec![id(3), new]);
    assert!(edited.items[0].summary.iter().any(|s| s.turn == new));
    assert_eq!(
        edited.turns[2].corrections.len() + edited.turns[3].corrections.len(),
        1
    );

    // Merging two question turns of different speakers, both with statements.
    let edited = round_trip(
        &d,
        DraftEdit::MergeTurns {
            first: id(7),
            second: id(8),
        },
    );
    assert_eq!(edited.turns.len(), d.turns.len() - 1);
    assert_eq!(edited.turns[6].end, 90.0);
    assert_eq!(edited.items[1].questions.len(), 2);
    assert!(edited.items[1].questions[0]
        .text
        .ends_with("来年度の夏ごろになる見通しです。"));
    // The announcement into the presentation: the presentation, its 要旨
    // and the merged turn's corrections follow.
    let edited = round_trip(
        &d,
        DraftEdit::MergeTurns {
            first: id(2),
            second: id(3),
        },
    );
    assert_eq!(edited.items[0].presentation, vec![id(2)]);
    assert!(edited.items[0].summary.iter().all(|s| s.turn == id(2)));
    let shift = d.turns[1].verbatim.chars().count();
    assert_eq!(edited.turns[1].corrections[0].at, 40 + shift);
    // Into the turn the decision was heard in.
    let edited = round_trip(
        &d,
        DraftEdit::MergeTurns {
            first: id(3),
            second: id(4),
        },
    );
    assert_eq!(edited.items[0].outcome.as_ref().unwrap().turn, Some(id(3)));
}

#[test]
fn edits_that_do_not_fit_name_what_is_wrong() {
    let mut d = draft();
    let before = d.to_json().unwrap();
    let err = |d: &mut Draft, e: DraftEdit| d.apply(e).unwrap_err().to_string();
    assert_eq!(
        err(
            &mut d,
            DraftEdit::CheckTurn {
                turn: id(99),
                checked: true
            }
        ),
        "turn T99 does not exist"
    );
    assert_eq!(
        err(
            &mut d,
            DraftEdit::MoveTurn {
                turn: id(1),
                to: SpeakerId(9)
            }
        ),
        "speaker S9 does not exist"
    );
    assert_eq!(
        err(
            &mut d,
            DraftEdit::SetSummary {
                item: 5,
                sentence: 0,
                text: String::new()
            }
        ),
        "items[5] does not exist (the draft has 2 items)"
    );
    assert_eq!(
        err(
            &mut d,
            DraftEdit::SetSummary {
                item: 0,
                sentence: 40,
                text: String::new()
            }
        ),
        "items[0].summary[40] does not exist"
    );
    assert!(err(
        &mut d,
        DraftEdit::SetDecision {
            item: 1,
            decision: Decision::Approved,
            text: String::new()
        }
    )
    .contains("has no decision line"));
    assert!(err(
        &mut d,
        DraftEdit::SplitTurn {
            turn: id(1),
            at: 0,
            restore: None
        }
    )
    .starts_with("turn T1 cannot be split before character 0"));
    assert_eq!(
        err(
            &mut d,
            DraftEdit::MergeTurns {
                first: id(7),
                second: id(9)
            }
        ),
        "turn T9 does not directly follow turn T7"
    );
    assert_eq!(
        err(
            &mut d,
            DraftEdit::MergeTurns {
                first: id(4),
                second: id(5)
            }
        ),
        "turns T4 and T5 are not in the same section"
    );
    assert_eq!(d.to_json().unwrap(), before);
}

#[test]
fn a_loaded_draft_is_validated_and_problems_name_the_field() {
    let d = draft();
    let path = Path::new("/d/draft.json");
    let reloaded = Draft::parse(path, &d.to_json().unwrap()).unwrap();
    assert_same(&reloaded, &d);

    let mut bad = d.clone();
    bad.items[0].presentation[0] = id(45);
    bad.turns[4].speaker = SpeakerId(8);
    bad.turns[5].start = 1.0;
    bad.items[1].questions[1].turn = id(7);
    let err = Draft::parse(path, &bad.to_json().unwrap())
        .unwrap_err()
        .to_string();
    for problem in [
        "items[0].presentation[0]: turn T45 does not exist",
        "turns[4].speaker: speaker S8 does not exist",
        "turns[5].start: 1 s is before turns[4].start 52 s",
        "items[1].questions[1].turn: turn T7 already has a statement, items[1].questions[0]",
    ] {
        assert!(err.contains(problem), "{problem} not in {err}");
    }
    assert!(
        err.starts_with("/d/draft.json: not a valid draft: "),
        "{err}"
    );

    let mut bad = d;
    bad.turns[2].end = 3.0;
    bad.closing.turns.push(id(1));
    bad.items[0].summary[0].turn = id(1);
    let problems = bad.validate().unwrap_err();
    let problems: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert!(
        problems.contains(&"turns[2]: start 13 s is after end 3 s".to_string()),
        "{problems:?}"
    );
    assert!(
        problems.contains(&"closing.turns[1]: turn T1 is also opening.turns[0]".to_string()),
        "{problems:?}"
    );
    assert!(
        problems
            .contains(&"items[0].summary[0].turn: turn T1 is not in items[0].turns".to_string()),
        "{problems:?}"
    );
}

/// A version 1 draft.json as kaigiroku wrote it, trimmed: indices for
/// turns, roles copied into turns and statements.
const V1: &str = r#"{
  "version": 1,
  "meeting": { "name": "会議", "secretariat": "課", "date": "2023-05-31", "start": "10:00",
               "end": null, "place": null },
  "speakers": [ { "id": "S2", "role": "事務局", "title": "情報管理課長", "confidence": 0.8, "confirmed": true } ],
  "turns": [
    { "start": 1.0, "end": 5.0, "speaker": "S1", "role": "本部長", "role_confidence": 0.9,
      "verbatim": "開会します。", "text": "開会します。", "segments": [0] },
    { "start": 6.0, "end": 9.0, "speaker": "S2", "role": "部員", "role_confidence": 0.5,
      "verbatim": "えー、説明します。", "text": "説明します。", "segments": [1, 2],
      "corrections": [ { "from": "例は", "to": "令和", "rule": "era", "at": 3 } ] },
    { "start": 10.0, "end": 12.0, "speaker": "S1", "role": "本部長", "role_confidence": 0.9,
      "verbatim": "承認します。", "text": "承認します。", "segments": [3] }
  ],
  "opening": { "turns": [0], "statements": [ { "turn": 0, "role": "本部長", "text": "開会します。", "start": 1.0, "end": 5.0 } ] },
  "items": [ { "kind": "議案", "number": 1, "title": "件名", "found": "announcement", "start": 6.0, "end": 12.0,
               "turns": [1, 2], "presenter": "事務局", "presentation": [1],
               "summary": [ { "text": "説明する。", "turn": 1, "start": 6.0, "end": 9.0 } ],
               "questions": [], "outcome": { "decision": "approved", "text": "議題について案のとおり承認", "turn": 2 },
               "flags": [] } ],
  "closing": { "turns": [], "statements": [], "end_time": "10:01" },
  "flags": []
}"#;

#[test]
fn version_1_is_read_with_ids_and_roles_from_speakers() {
    let d = Draft::parse(Path::new("v1.json"), V1).unwrap();
    assert_eq!(d.version, Draft::VERSION);
    let ids: Vec<TurnId> = d.turns.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![id(1), id(2), id(3)]);
    assert_eq!(d.opening.turns, vec![id(1)]);
    assert_eq!(d.opening.statements[0].turn, id(1));
    assert_eq!(d.items[0].turns, vec![id(2), id(3)]);
    assert_eq!(d.items[0].presentation, vec![id(2)]);
    assert_eq!(d.items[0].summary[0].turn, id(2));
    assert_eq!(d.items[0].outcome.as_ref().unwrap().turn, Some(id(3)));
    assert_eq!(d.turns[1].segments, vec![SegmentId(1), SegmentId(2)]);
    assert_eq!(d.turns[1].corrections[0].at, 3);
    // S2 is listed: its role wins over the copy in the turn. S1 is not:
    // it is made from its first turn's role.
    assert_eq!(d.role_of(id(2)), Some(&Role::Secretariat));
    assert_eq!(
        d.speaker(SpeakerId(2)).unwrap().title.as_deref(),
        Some("情報管理課長")
    );
    assert_eq!(d.role_of(id(1)), Some(&Role::Chair));
    assert_eq!(d.speaker(SpeakerId(1)).unwrap().confidence, 0.9);
    // Written back as version 2, without copied roles.
    let json = d.to_json().unwrap();
    assert!(json.contains("\"version\": 2"));
    assert!(json.contains("\"id\": \"T2\""));
    assert!(!json.contains("role_confidence"));
    let again = Draft::parse(Path::new("v2.json"), &json).unwrap();
    assert_same(&again, &d);
    // A version 1 index past the end is reported as the turn it names.
    let err = Draft::parse(
        Path::new("v1.json"),
        &V1.replace("\"presentation\": [1]", "\"presentation\": [7]"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("items[0].presentation[0]: turn T8 does not exist"),
        "{err}"
    );
}

#[test]
fn ids_read_and_write_as_short_strings() {
    assert_eq!(serde_json::to_string(&id(12)).unwrap(), "\"T12\"");
    assert_eq!(serde_json::from_str::<TurnId>("\"T7\"").unwrap(), id(7));
    assert!(serde_json::from_str::<TurnId>("\"S7\"").is_err());
    assert_eq!(serde_json::to_string(&SegmentId(3)).unwrap(), "3");
}
