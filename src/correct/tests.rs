use super::*;

const MEETING: &str = r#"
name = "令和3年度 第2回豊島区行政情報化推進本部"
secretariat = "政策経営部情報管理課"
date = 2022-01-26
glossary = ["行政情報化推進本部", "基幹系", "基幹系業務システム", "パブリックコメント",
        "豊島区DX推進計画", "管理職用端末", "候補機種A", "候補機種B", "デジタル化推進員",
        "標準化全体会", "政策経営部"]
[[attendees]]
title = "情報管理課長"
role = "事務局"
[[attendees]]
title = "保健福祉部長"
role = "部員"
[[attendees]]
title = "情報担当係長（デジタル化推進）"
role = "事務局"
[[agenda]]
kind = "議案"
number = 1
title = "情報システム契約案件（4000万円以上）の本部承認について"
"#;

fn meeting() -> Meeting {
    Meeting::parse(Path::new("meeting.toml"), MEETING).unwrap()
}

fn corrector() -> Corrector {
    Corrector::builder(&meeting()).build().unwrap()
}

fn fix(text: &str) -> (String, Vec<(String, String, CorrectionRule)>) {
    let (out, corrections) = corrector().correct_text(text);
    let list = corrections
        .into_iter()
        .map(|c| (c.from, c.to, c.rule))
        .collect();
    (out, list)
}

fn unchanged(text: &str) {
    let (out, list) = fix(text);
    assert_eq!(out, text, "{list:?}");
    assert!(list.is_empty());
}

#[test]
fn era_before_a_year() {
    let (out, list) = fix("そのため、例は4年度に機器の更改を");
    assert_eq!(out, "そのため、令和4年度に機器の更改を");
    assert_eq!(list, [("例は".into(), "令和".into(), CorrectionRule::Era)]);
    assert_eq!(fix("そこで連は3年度から").0, "そこで令和3年度から");
    assert_eq!(
        fix("実施の上、0は4年4月末をめどに").0,
        "実施の上、令和4年4月末をめどに"
    );
    assert_eq!(fix("例話 5年度以降").0, "令和 5年度以降");
    assert_eq!(fix("平静二十八年度から").0, "平成二十八年度から");
    assert_eq!(fix("例は元年度").0, "令和元年度");
}

#[test]
fn era_left_alone_without_a_year() {
    unchanged("例は以下の通りです。");
    unchanged("例は4つあります。");
    unchanged("例は3年前のものです。"); // 年前: a duration, not an era year
    unchanged("条例は4年度に改正"); // 条例 is a word
    unchanged("この例は4年度の事業です。");
    unchanged("10は4年度"); // a number, not 0は
    unchanged("例は40年度"); // 令和40年 is not a year this meeting talks about
    unchanged("令和4年度");
}

#[test]
fn glossary_near_matches_of_long_terms() {
    let (out, list) = fix("ただ今より第2回、動成情報化推進本部を開催します");
    assert_eq!(out, "ただ今より第2回、行政情報化推進本部を開催します");
    assert_eq!(
        list,
        [(
            "動成情報化推進本部".into(),
            "行政情報化推進本部".into(),
            CorrectionRule::Glossary
        )]
    );
    assert_eq!(
        fix("その上で、同性情報化推進本部の許可").0,
        "その上で、行政情報化推進本部の許可"
    );
    assert_eq!(
        fix("タブリックコメントを実施").0,
        "パブリックコメントを実施"
    );
    assert_eq!(
        fix("管理職業端末を進めていく").0,
        "管理職用端末を進めていく"
    );
    assert_eq!(fix("情報管理会長からご説明").0, "情報管理課長からご説明");
    assert_eq!(fix("都島区DX推進計画として").0, "豊島区DX推進計画として");
}

#[test]
fn glossary_leaves_other_words_alone() {
    // The term and a word next to it, not a misheard term.
    unchanged("保健福祉部とも連携して");
    unchanged("情報管理課は");
    unchanged("デジタル化推進の意義");
    unchanged("デジタル化推進法");
    // Another term of the meeting, spelt right.
    unchanged("候補機種Bが軽くて");
    unchanged("候補機種Cが軽くて"); // short terms are never matched loosely
                                    // Too far from any term, or across punctuation.
    unchanged("合成情、報告推進、本部を終了します");
    unchanged("政策系絵部長を本部長とする");
    // Two terms fit: 管理職携帯の入れ替え and 管理職パソコンの入れ替え.
    let m = Meeting::parse(
        Path::new("m.toml"),
        &format!(
            "{MEETING}\n[[agenda]]\nkind = \"報告事項\"\nnumber = 2\ntitle = \"管理職パソコンの入れ替えについて\"\n\
             [[agenda]]\nkind = \"報告事項\"\nnumber = 3\ntitle = \"管理職携帯の入れ替え（スマホ化）について\"\n"
        ),
    )
    .unwrap();
    let c = Corrector::builder(&m).build().unwrap();
    let text = "管理職加速の入れ替えについて";
    assert_eq!(c.correct_text(text).0, text);
    assert_eq!(
        c.correct_text("管理職携帯の入れ換えについて").0,
        "管理職携帯の入れ替えについて"
    );
    // Changes that would remove a particle.
    unchanged("標準化全体で");
}

#[test]
fn confusions_only_towards_this_meetings_vocabulary() {
    let (out, list) = fix("機関系の仮想デスクトップ、本部勝人のお願い、ギアン1");
    assert_eq!(out, "基幹系の仮想デスクトップ、本部承認のお願い、議案1");
    assert!(
        list.iter().all(|c| c.2 == CorrectionRule::Confusion),
        "{list:?}"
    );
    // 標準仕様書 and 事務局 are in this meeting file? 事務局 is (a role); 標準仕様書 is not.
    assert_eq!(fix("じむ曲から").0, "事務局から");
    unchanged("標準使用所に準拠");
    let c = corrector();
    assert!(c
        .unused_confusions()
        .iter()
        .any(|c| c.right == "標準仕様書"));
    assert!(c.confusions().iter().any(|c| c.right == "基幹系"));
}

#[test]
fn a_clerks_list_and_its_errors() {
    let m = meeting();
    let c = Corrector::builder(&m)
        .confusions_text("mine.txt", "# mine\nきかんけい → 基幹系\n")
        .build()
        .unwrap();
    assert_eq!(c.correct_text("きかんけいの").0, "基幹系の");
    // The built-in list is replaced, not extended.
    assert_eq!(c.correct_text("機関系の").0, "機関系の");
    let err = Corrector::builder(&m)
        .confusions_text("mine.txt", "a → b\n\n基幹系 基幹系\n")
        .build()
        .unwrap_err()
        .to_string();
    assert_eq!(err, "mine.txt:3: `基幹系 基幹系` is not `wrong → right`");
    let err = Corrector::builder(&m)
        .confusions_file("/nonexistent/corrections.txt")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("/nonexistent/corrections.txt: "), "{err}");
    for bad in ["→ 基幹系", "機関系 →", "基幹系 → 基幹系", "a → b → c"] {
        assert!(parse_confusions(Path::new("x"), bad).is_err(), "{bad}");
    }
}

#[test]
fn the_built_in_list_parses() {
    let list = parse_confusions(Path::new("assets/corrections.txt"), DEFAULT_CONFUSIONS).unwrap();
    assert!(list.len() > 10);
}

#[test]
fn segments_keep_whisper_text_and_offsets_follow_the_text() {
    let segment = |text: &str| Segment {
        start: 0.0,
        end: 5.0,
        text: text.into(),
        confidence: 0.9,
        flags: vec![],
        verbatim: None,
        corrections: vec![],
    };
    let out = corrector().correct(vec![
        segment("例は4年度、機関系の動成情報化推進本部で"),
        segment("説明は以上です。"),
    ]);
    assert_eq!(out[0].text, "令和4年度、基幹系の行政情報化推進本部で");
    assert_eq!(
        out[0].verbatim.as_deref(),
        Some("例は4年度、機関系の動成情報化推進本部で")
    );
    let text: Vec<char> = out[0].text.chars().collect();
    let rules: Vec<CorrectionRule> = out[0].corrections.iter().map(|c| c.rule).collect();
    assert_eq!(
        rules,
        [
            CorrectionRule::Era,
            CorrectionRule::Confusion,
            CorrectionRule::Glossary
        ]
    );
    for c in &out[0].corrections {
        let at: String = text[c.at..c.at + c.to.chars().count()].iter().collect();
        assert_eq!(at, c.to);
    }
    assert_eq!(out[1], segment("説明は以上です。"));
    // Correcting again changes nothing and keeps Whisper's text.
    let again = corrector().correct(out.clone());
    assert_eq!(again, out);
}

#[test]
fn draft_turns_carry_their_segments_corrections() {
    let segments = corrector().correct(vec![Segment {
        start: 0.0,
        end: 5.0,
        text: "そこで例は4年度から".into(),
        confidence: 0.9,
        flags: vec![],
        verbatim: None,
        corrections: vec![],
    }]);
    let mut turns = vec![DraftTurn {
        id: crate::draft::TurnId(1),
        start: 0.0,
        end: 5.0,
        speaker: crate::types::SpeakerId(1),
        verbatim: "はい。そこで令和4年度から".into(),
        text: String::new(),
        segments: vec![crate::draft::SegmentId(0)],
        corrections: vec![],
        checked: false,
    }];
    attach_to_turns(&mut turns, &segments);
    assert_eq!(turns[0].corrections.len(), 1);
    assert_eq!(turns[0].corrections[0].at, 6);
    assert_eq!(turns[0].corrections[0].from, "例は");
}
