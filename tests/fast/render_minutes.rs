//! The renders of a fixed draft: Markdown and text snapshots, the Word
//! package, draft.json round trips and `export`.

use std::path::Path;

use kaigiroku::draft::{Draft, DraftEdit};
use kaigiroku::meeting::{Meeting, Role};
use kaigiroku::minutes::Drafter;
use kaigiroku::render::{self, Format};
use kaigiroku::types::{SpeakerId, Turn};

const MEETING: &str = r#"
name = "令和5年度 第1回豊島区行政情報化推進本部"
secretariat = "政策経営部情報管理課"
date = 2023-05-31
start = "10:00"
place = "庁議室（本庁舎5階）"
glossary = ["仮想デスクトップシステム"]
[disclosure]
meeting = "非公開"
minutes = "一部非公開"
reason = "行政機関における政策意思決定過程途上に位置付けられる会議であるため"
[[attendees]]
title = "副区長"
role = "本部長"
[[attendees]]
title = "政策経営部長"
role = "副本部長"
[[attendees]]
title = "教育部長"
role = "部員"
note = "代理"
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
title = "管理職携帯の入れ替え（スマホ化）について"
presenter = "事務局"
[[materials]]
label = "資料1"
title = "仮想デスクトップシステムの更改について"
[[materials]]
label = "資料2"
title = "管理職携帯の入れ替えについて"
"#;

fn turn(start: f64, end: f64, speaker: u32, role: Role, text: &str) -> Turn {
    Turn {
        start,
        end,
        speaker: SpeakerId(speaker),
        role,
        role_confidence: 0.9,
        text: text.into(),
        segments: vec![],
    }
}

fn fixed_draft() -> Draft {
    let meeting = Meeting::parse(Path::new("meeting.toml"), MEETING).unwrap();
    let (chair, sec, member) = (Role::Chair, Role::Secretariat, Role::Member);
    let turns = vec![
        turn(1.0, 5.0, 1, chair.clone(), "ただいまより第1回行政情報化推進本部を開催します。"),
        turn(6.0, 12.0, 1, chair.clone(), "それでは、議案（1）仮想デスクトップシステムの更改について、説明をお願いします。"),
        turn(13.0, 40.0, 2, sec.clone(), "資料1をご覧ください。えー、平成28年度から導入している仮想デスクトップシステムは、令和5年度で7年を迎えます。そのため、令和6年度に機器の更改を実施いたしたいと考えております。契約金額は4000万円以上となる見込みです。説明は以上です。"),
        turn(41.0, 44.0, 1, chair.clone(), "ただいまの説明について、ご質問はございますか。"),
        turn(46.0, 50.0, 1, chair.clone(), "それでは、議案（1）は案のとおり承認といたします。"),
        turn(52.0, 58.0, 1, chair.clone(), "次に、報告事項（1）管理職携帯の入れ替えについて、説明をお願いします。"),
        turn(59.0, 80.0, 2, sec.clone(), "現行の管理職用携帯電話は、導入後7年が経過しております。そのため、スマートフォン端末への入れ替えを実施いたします。報告は以上です。"),
        turn(81.0, 85.0, 1, chair.clone(), "えー、この、この件について、導入はいつからになりますか。"),
        turn(86.0, 90.0, 2, sec.clone(), "えっと、来年度の夏ごろになる見通しです。"),
        turn(91.0, 96.0, 3, member, "あのー、重さはどのくらいでしょうか。"),
        turn(97.0, 99.0, 2, sec, "150グラム程度です。"),
        turn(100.0, 106.0, 1, chair, "本日の議題は以上です。以上で本日の行政情報化推進本部を終了します。"),
    ];
    Drafter::builder(&meeting)
        .build()
        .draft(&turns, &[])
        .unwrap()
}

/// The snapshots stay in tests/snapshots/ under the names they had when
/// this file was its own test binary.
macro_rules! snapshot {
    ($name:literal, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

#[test]
fn markdown_snapshot() {
    snapshot!(
        "render_minutes__markdown_snapshot",
        render::minutes::markdown(&fixed_draft())
    );
}

#[test]
fn text_snapshot() {
    snapshot!(
        "render_minutes__text_snapshot",
        render::minutes::text(&fixed_draft())
    );
}

#[test]
fn write_draft_writes_four_files_and_export_rerenders_an_edited_draft() {
    let dir = tempfile::tempdir().unwrap();
    let written = render::write_draft(dir.path(), &fixed_draft()).unwrap();
    let names: Vec<_> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["draft.json", "minutes.md", "minutes.txt", "minutes.docx"]
    );

    // The schema: turns (start, end, speaker, text) and items (kind, number, title, summary, outcome).
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("draft.json")).unwrap()).unwrap();
    assert_eq!(json["version"], 2);
    // Roles live on speakers: turn 7's role is its speaker's.
    let speaker = &json["turns"][7]["speaker"];
    let role = json["speakers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| &s["id"] == speaker)
        .map(|s| &s["role"]);
    assert_eq!(role, Some(&serde_json::json!("本部長")));
    assert_eq!(
        json["turns"][7]["text"],
        "この件について、導入はいつからになりますか。"
    );
    assert_eq!(
        json["turns"][7]["verbatim"],
        "えー、この、この件について、導入はいつからになりますか。"
    );
    assert_eq!(json["turns"][7]["start"], 81.0);
    assert_eq!(json["items"][0]["kind"], "議案");
    assert_eq!(json["items"][0]["outcome"]["decision"], "approved");
    assert_eq!(
        json["items"][1]["title"],
        "管理職携帯の入れ替え（スマホ化）について"
    );
    assert!(json["items"][0]["summary"][0]["start"].as_f64().unwrap() >= 13.0);

    // A clerk edits the draft; export renders the edit.
    let mut draft = Draft::load(&dir.path().join("draft.json")).unwrap();
    draft.items[0].summary[0].text = "修正された要旨。".into();
    std::fs::write(dir.path().join("draft.json"), draft.to_json().unwrap()).unwrap();
    for format in ["md", "txt", "docx", "srt", "vtt", "json"] {
        let out = dir.path().join(format!("export.{format}"));
        render::export(
            &dir.path().join("draft.json"),
            format.parse().unwrap(),
            &out,
        )
        .unwrap();
        assert!(std::fs::metadata(&out).unwrap().len() > 100, "{format}");
    }
    let md = std::fs::read_to_string(dir.path().join("export.md")).unwrap();
    assert!(md.contains("修正された要旨。"));
    let srt = std::fs::read_to_string(dir.path().join("export.srt")).unwrap();
    assert!(srt.contains("00:01:21,000 --> 00:01:25,000\n本部長：この件について"));
    assert!("pdf".parse::<Format>().is_err());
}

#[test]
fn a_malformed_draft_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("draft.json");
    std::fs::write(&path, "{\"version\": 1, \"turns\": [}").unwrap();
    let err = render::export(&path, Format::Markdown, &dir.path().join("m.md")).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("draft.json:1:"), "{message}");
    assert!(!dir.path().join("m.md").exists());
}

#[test]
fn the_word_file_is_a_package_with_the_cover_table() {
    let bytes = render::render(&fixed_draft(), Format::Docx).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    assert!(xml.contains("<w:tbl>"));
    assert!(xml.contains("令和5年5月31日(水) 10:00～10:01"));
    assert!(xml.contains(r#"<w:vMerge w:val="restart"/>"#));
    assert!(xml.contains("—議題について案のとおり承認—"));
    assert!(zip.by_name("[Content_Types].xml").is_ok());
    // Deterministic.
    assert_eq!(
        render::render(&fixed_draft(), Format::Docx).unwrap(),
        render::render(&fixed_draft(), Format::Docx).unwrap()
    );
}

/// The text of a Word file's paragraphs, one a line.
fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    let mut text = String::new();
    let mut rest = xml.as_str();
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let close = open + rest[open..].find('>').unwrap();
        if &rest[open..=close] == "</w:p>" {
            text.push('\n');
        }
        rest = &rest[close + 1..];
    }
    text
}

#[test]
fn a_role_set_on_a_speaker_shows_in_every_render_for_all_its_turns_and_is_undone() {
    let mut draft = fixed_draft();
    let formats = [
        Format::Markdown,
        Format::Text,
        Format::Docx,
        Format::Srt,
        Format::Vtt,
    ];
    let before: Vec<Vec<u8>> = formats
        .iter()
        .map(|&f| render::render(&draft, f).unwrap())
        .collect();
    // The secretariat's voice: every line of the minutes it said.
    let sec = draft
        .turns
        .iter()
        .find(|t| t.text.starts_with("来年度"))
        .unwrap()
        .speaker;
    let of_sec = |d: &Draft| -> Vec<String> {
        d.items
            .iter()
            .flat_map(|i| &i.questions)
            .chain(&d.opening.statements)
            .chain(&d.closing.statements)
            .filter(|s| d.turn(s.turn).unwrap().speaker == sec)
            .map(|s| s.text.clone())
            .collect()
    };
    let said = of_sec(&draft);
    assert_eq!(said.len(), 2, "{said:?}");
    let turns: Vec<String> = draft
        .turns
        .iter()
        .filter(|t| t.speaker == sec)
        .map(|t| t.text.clone())
        .collect();
    assert_eq!(turns.len(), 4);

    let undo = draft
        .apply(DraftEdit::SetRole {
            speaker: sec,
            role: Role::Title("情報管理課長".into()),
            confirmed: true,
        })
        .unwrap();
    let md = render::minutes::markdown(&draft);
    let txt = render::minutes::text(&draft);
    let docx = docx_text(&render::render(&draft, Format::Docx).unwrap());
    for (name, out) in [("md", &md), ("txt", &txt), ("docx", &docx)] {
        for line in &said {
            assert!(
                out.contains(&format!("情報管理課長：{line}")),
                "{name}: {line}"
            );
            assert!(!out.contains(&format!("事務局：{line}")), "{name}: {line}");
        }
        // The other speakers keep theirs.
        assert!(out.contains("部員：重さはどのくらいでしょうか。"), "{name}");
        assert!(out.contains("本部長：この件について"), "{name}");
    }
    for format in [Format::Srt, Format::Vtt] {
        let cues = String::from_utf8(render::render(&draft, format).unwrap()).unwrap();
        for text in &turns {
            assert!(
                cues.contains(&format!("情報管理課長：{text}")),
                "{format:?}: {text}"
            );
        }
        assert!(!cues.contains("事務局："), "{format:?}");
    }
    // The edit survives draft.json.
    let reloaded = Draft::parse(Path::new("draft.json"), &draft.to_json().unwrap()).unwrap();
    assert_eq!(render::minutes::text(&reloaded), txt);

    // Undo: every render as it was, byte for byte.
    draft.apply(undo).unwrap();
    let after: Vec<Vec<u8>> = formats
        .iter()
        .map(|&f| render::render(&draft, f).unwrap())
        .collect();
    assert!(before == after, "undo did not restore the renders");
    assert_eq!(
        render::minutes::markdown(&draft),
        render::minutes::markdown(&fixed_draft())
    );
}

#[test]
fn a_version_1_draft_is_still_exported() {
    // draft.json as version 1 wrote it: indices for turns, roles in turns.
    let draft = fixed_draft();
    let mut v1: serde_json::Value = serde_json::from_str(&draft.to_json().unwrap()).unwrap();
    let index = |id: &serde_json::Value| {
        draft
            .turns
            .iter()
            .position(|t| serde_json::json!(t.id) == *id)
            .unwrap()
    };
    let role_of = |turn: &serde_json::Value| {
        let speaker = &turn["speaker"];
        v1_role(&draft, speaker)
    };
    let roles: Vec<String> = v1["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(role_of)
        .collect();
    v1["version"] = 1.into();
    v1.as_object_mut().unwrap().remove("speakers");
    for (t, role) in v1["turns"].as_array_mut().unwrap().iter_mut().zip(&roles) {
        let t = t.as_object_mut().unwrap();
        t.remove("id");
        t.remove("checked");
        t.insert("role".into(), role.clone().into());
    }
    let fix = |list: &mut serde_json::Value| {
        for x in list.as_array_mut().unwrap() {
            *x = index(x).into();
        }
    };
    for part in ["opening", "closing"] {
        fix(&mut v1[part]["turns"]);
        for s in v1[part]["statements"].as_array_mut().unwrap() {
            let i = index(&s["turn"]);
            s["turn"] = i.into();
            s["role"] = roles[i].clone().into();
        }
    }
    for item in v1["items"].as_array_mut().unwrap() {
        fix(&mut item["turns"]);
        fix(&mut item["presentation"]);
        for s in item["summary"].as_array_mut().unwrap() {
            s["turn"] = index(&s["turn"]).into();
        }
        for s in item["questions"].as_array_mut().unwrap() {
            let i = index(&s["turn"]);
            s["turn"] = i.into();
            s["role"] = roles[i].clone().into();
        }
        if let Some(turn) = item["outcome"]
            .get("turn")
            .filter(|t| !t.is_null())
            .cloned()
        {
            item["outcome"]["turn"] = index(&turn).into();
        }
        item.as_object_mut().unwrap().remove("checked");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("draft.json");
    std::fs::write(&path, serde_json::to_string_pretty(&v1).unwrap()).unwrap();
    let out = dir.path().join("minutes.txt");
    render::export(&path, Format::Text, &out).unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        render::minutes::text(&draft)
    );
}

fn v1_role(draft: &Draft, speaker: &serde_json::Value) -> String {
    draft
        .speakers
        .iter()
        .find(|s| serde_json::json!(s.id) == *speaker)
        .unwrap()
        .role
        .to_string()
}
