//! The meeting file parser: the sample parses into the expected structure,
//! and every kind of bad file is reported with the file, line and field.

use std::path::Path;

use kaigiroku::meeting::{AgendaKind, Meeting, MeetingError, Openness, Role};

const GOOD: &str = r#"
name = "令和5年度 第1回豊島区行政情報化推進本部"
secretariat = "政策経営部情報管理課"
date = 2023-05-31
start = "13:00"
place = "庁議室（本庁舎5階）"
glossary = ["行政情報化推進本部", "LGWAN-ASP"]
[disclosure]
meeting = "非公開"
minutes = "一部非公開"
reason = "審議中の内容を含むため"
[[attendees]]
title = "副区長"
role = "本部長"
[[attendees]]
title = "教育部長"
role = "部員"
note = "代理"
[[attendees]]
title = "デジタル化推進員"
role = "デジタル化推進員"
[[agenda]]
kind = "議案"
number = 1
title = "令和5年度情報セキュリティ監査計画について"
presenter = "事務局"
[[materials]]
label = "資料1"
title = "監査計画"
"#;

fn parse(text: &str) -> Result<Meeting, MeetingError> {
    Meeting::parse(Path::new("meetings/bad.toml"), text)
}

/// The error text for `text`, which must fail to parse.
fn error_of(text: &str) -> String {
    let err = parse(text).expect_err("should not parse");
    let message = err.to_string();
    assert!(
        message.starts_with("meetings/bad.toml:"),
        "no file name: {message}"
    );
    message
}

#[test]
fn parses_every_field() {
    let m = parse(GOOD).unwrap();
    assert_eq!(m.date.to_string(), "2023-05-31");
    assert_eq!(m.start.unwrap().to_string(), "13:00");
    assert!(m.end.is_none());
    assert_eq!(m.disclosure.meeting, Openness::Closed);
    assert_eq!(m.disclosure.minutes, Openness::PartlyClosed);
    assert_eq!(m.attendees[0].role, Role::Chair);
    assert_eq!(m.attendees[1].note.as_deref(), Some("代理"));
    assert_eq!(m.attendees[2].role, Role::Title("デジタル化推進員".into()));
    assert_eq!(m.agenda[0].kind, AgendaKind::Proposal);
    assert_eq!(m.agenda[0].presenter, Some(Role::Secretariat));
    assert_eq!(m.materials[0].label, "資料1");
    let vocabulary = m.vocabulary();
    assert!(vocabulary.contains(&"LGWAN-ASP".to_string()));
    assert!(vocabulary.contains(&"デジタル化推進員".to_string()));
}

#[test]
fn the_sample_meeting_file_parses() {
    let m = Meeting::load(Path::new("samples/kaigi-2022-01/meeting.toml")).unwrap();
    assert_eq!(m.agenda.len(), 3);
    assert!(m.attendees.iter().any(|a| a.role == Role::Chair));
}

#[test]
fn missing_required_field_is_named() {
    let text = GOOD.replace("secretariat = \"政策経営部情報管理課\"\n", "");
    let message = error_of(&text);
    assert!(message.contains("secretariat"), "{message}");
}

#[test]
fn bad_date_names_line_and_field() {
    let text = GOOD.replace("date = 2023-05-31", "date = \"5月31日\"");
    let message = error_of(&text);
    assert!(message.contains(":4:"), "line 4 expected: {message}");
    assert!(message.contains("date"), "{message}");
}

#[test]
fn bad_time_of_day_is_explained() {
    let text = GOOD.replace("start = \"13:00\"", "start = \"1pm\"");
    let message = error_of(&text);
    assert!(
        message.contains(":5:") && message.contains("HH:MM"),
        "{message}"
    );
}

#[test]
fn unknown_agenda_kind_and_disclosure_are_rejected() {
    let message = error_of(&GOOD.replace("kind = \"議案\"", "kind = \"議題\""));
    assert!(
        message.contains("議題") || message.contains("kind"),
        "{message}"
    );
    let message = error_of(&GOOD.replace("meeting = \"非公開\"", "meeting = \"秘密\""));
    assert!(
        message.contains(":9:") && message.contains("秘密"),
        "{message}"
    );
}

#[test]
fn misspelt_key_is_rejected_not_ignored() {
    let message = error_of(&GOOD.replace("place =", "plase ="));
    assert!(message.contains("plase"), "{message}");
}

#[test]
fn broken_toml_and_missing_file_name_the_file() {
    let message = error_of("name = \"unterminated\n");
    assert!(message.contains(":1:"), "{message}");
    let err = Meeting::load(Path::new("no/such/meeting.toml")).unwrap_err();
    assert!(err.to_string().contains("no/such/meeting.toml"));
}
