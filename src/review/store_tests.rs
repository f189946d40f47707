use super::*;
use crate::draft::tests::draft as fixture;
use crate::draft::TurnId;
use crate::meeting::Role;
use crate::types::SpeakerId;

fn folder() -> (tempfile::TempDir, Draft) {
    let dir = tempfile::tempdir().unwrap();
    let draft = fixture();
    std::fs::write(dir.path().join(DRAFT), draft.to_json().unwrap()).unwrap();
    (dir, draft)
}

fn set_text(turn: u32, text: &str) -> Change {
    Change::Edit(vec![DraftEdit::SetText {
        turn: TurnId(turn),
        text: text.into(),
        statement: None,
    }])
}

fn on_disk(dir: &Path) -> Draft {
    Draft::load(&dir.join(DRAFT)).unwrap()
}

#[test]
fn edits_reach_draft_json_and_the_original_stays() {
    let (dir, original) = folder();
    let (mut store, opened) = Store::open(dir.path()).unwrap();
    assert_eq!(opened, Opened::Fresh);
    let saved = store
        .change(0, set_text(3, "資料1をご覧ください。"))
        .unwrap();
    assert_eq!(
        (saved.revision, saved.can_undo, saved.can_redo),
        (1, true, false)
    );
    assert_eq!(
        on_disk(dir.path()).turn(TurnId(3)).unwrap().text,
        "資料1をご覧ください。"
    );
    let kept = Draft::load(&dir.path().join(ORIGINAL)).unwrap();
    assert_eq!(kept.to_json().unwrap(), original.to_json().unwrap());
}

#[test]
fn a_stale_revision_or_a_bad_edit_writes_nothing() {
    let (dir, _) = folder();
    let (mut store, _) = Store::open(dir.path()).unwrap();
    store.change(0, set_text(3, "一")).unwrap();
    let history = std::fs::read(dir.path().join(HISTORY)).unwrap();
    let draft = std::fs::read(dir.path().join(DRAFT)).unwrap();

    let stale = store.change(0, set_text(3, "二")).unwrap_err();
    assert!(
        matches!(
            stale,
            StoreError::Conflict {
                expected: 0,
                current: 1
            }
        ),
        "{stale}"
    );
    // The second edit of the group does not fit: the first is not kept either.
    let bad = Change::Edit(vec![
        DraftEdit::CheckTurn {
            turn: TurnId(1),
            checked: true,
        },
        DraftEdit::MoveTurn {
            turn: TurnId(1),
            to: SpeakerId(99),
        },
    ]);
    let refused = store.change(1, bad).unwrap_err();
    assert!(
        matches!(refused, StoreError::Edit { index: 1, .. }),
        "{refused}"
    );
    assert!(refused.is_refusal());
    assert!(!store.draft().turn(TurnId(1)).unwrap().checked);
    assert_eq!(std::fs::read(dir.path().join(HISTORY)).unwrap(), history);
    assert_eq!(std::fs::read(dir.path().join(DRAFT)).unwrap(), draft);
    assert_eq!(store.revision(), 1);
}

#[test]
fn undo_and_redo_survive_a_restart() {
    let (dir, original) = folder();
    let split = Change::Edit(vec![DraftEdit::SplitTurn {
        turn: TurnId(3),
        at: 10,
        restore: None,
    }]);
    let role = Change::Edit(vec![DraftEdit::SetRole {
        speaker: SpeakerId(3),
        role: Role::Title("情報管理課長".into()),
        confirmed: true,
    }]);
    let after_split = {
        let (mut store, _) = Store::open(dir.path()).unwrap();
        store.change(0, split).unwrap();
        let after_split = store.draft().to_json().unwrap();
        store.change(1, role).unwrap();
        store.change(2, Change::Undo).unwrap();
        after_split
    };
    let (mut store, opened) = Store::open(dir.path()).unwrap();
    assert_eq!(opened, Opened::Resumed { revision: 3 });
    assert_eq!(store.draft().to_json().unwrap(), after_split);
    assert!(store.can_redo());
    let redone = store.change(3, Change::Redo).unwrap();
    assert_eq!(
        redone.draft.speaker(SpeakerId(3)).unwrap().role,
        Role::Title("情報管理課長".into())
    );
    store.change(4, Change::Undo).unwrap();
    store.change(5, Change::Undo).unwrap();
    assert_eq!(
        store.draft().to_json().unwrap(),
        original.to_json().unwrap()
    );
    assert!(matches!(
        store.change(6, Change::Undo),
        Err(StoreError::NothingToUndo)
    ));
    // Redo of the split after a restart gives the same ids again.
    drop(store);
    let (mut store, _) = Store::open(dir.path()).unwrap();
    store.change(6, Change::Redo).unwrap();
    assert_eq!(store.draft().to_json().unwrap(), after_split);
}

#[test]
fn a_kill_between_history_and_draft_json_is_recovered() {
    let (dir, _) = folder();
    let before = {
        let (mut store, _) = Store::open(dir.path()).unwrap();
        store.change(0, set_text(3, "一")).unwrap();
        let before = std::fs::read(dir.path().join(DRAFT)).unwrap();
        store.change(1, set_text(3, "二")).unwrap();
        before
    };
    // As if killed after the history line was synced, before draft.json.
    std::fs::write(dir.path().join(DRAFT), before).unwrap();
    let (store, opened) = Store::open(dir.path()).unwrap();
    assert_eq!(opened, Opened::Recovered { revision: 2 });
    assert_eq!(store.draft().turn(TurnId(3)).unwrap().text, "二");
    assert_eq!(on_disk(dir.path()).turn(TurnId(3)).unwrap().text, "二");
}

#[test]
fn a_torn_last_history_line_is_cut_off() {
    let (dir, _) = folder();
    {
        let (mut store, _) = Store::open(dir.path()).unwrap();
        store.change(0, set_text(3, "一")).unwrap();
    }
    let history = dir.path().join(HISTORY);
    let mut f = OpenOptions::new().append(true).open(&history).unwrap();
    f.write_all(br#"{"revision":2,"action":"edit","edi"#)
        .unwrap();
    drop(f);
    let (mut store, opened) = Store::open(dir.path()).unwrap();
    assert_eq!(opened, Opened::Resumed { revision: 1 });
    store.change(1, set_text(3, "二")).unwrap();
    drop(store);
    let (store, _) = Store::open(dir.path()).unwrap();
    assert_eq!(store.revision(), 2);
    assert_eq!(store.draft().turn(TurnId(3)).unwrap().text, "二");
}

#[test]
fn a_damaged_history_line_in_the_middle_is_an_error_naming_it() {
    let (dir, _) = folder();
    {
        let (mut store, _) = Store::open(dir.path()).unwrap();
        store.change(0, set_text(3, "一")).unwrap();
        store.change(1, set_text(3, "二")).unwrap();
    }
    let history = dir.path().join(HISTORY);
    let text = std::fs::read_to_string(&history).unwrap();
    std::fs::write(
        &history,
        text.replacen("\"revision\":1", "\"revision\":7", 1),
    )
    .unwrap();
    let message = Store::open(dir.path()).err().unwrap().to_string();
    assert!(
        message.contains("history.jsonl:1") && message.contains("move"),
        "{message}"
    );
}

#[test]
fn a_draft_made_anew_starts_a_new_review_and_keeps_the_old_one() {
    let (dir, _) = folder();
    {
        let (mut store, _) = Store::open(dir.path()).unwrap();
        store.change(0, set_text(3, "一")).unwrap();
    }
    // `kaigiroku draft` wrote the folder again.
    let mut fresh = fixture();
    fresh.turns[0].text = "新しい下書き".into();
    std::fs::write(dir.path().join(DRAFT), fresh.to_json().unwrap()).unwrap();
    let (store, opened) = Store::open(dir.path()).unwrap();
    let Opened::Rebased { suffix } = opened else {
        panic!("{opened:?}")
    };
    assert_eq!(store.revision(), 0);
    assert_eq!(store.draft().turns[0].text, "新しい下書き");
    for kept in [
        format!("draft.original.{suffix}.json"),
        format!("history.{suffix}.jsonl"),
    ] {
        assert!(dir.path().join(&kept).exists(), "{kept} not kept");
    }
}

#[test]
fn replace_reaches_turns_statements_summaries_and_decisions() {
    let mut draft = fixture();
    let edits = replacements(&draft, "令和", "平成");
    assert!(!edits.is_empty());
    for edit in edits {
        draft.apply(edit).unwrap();
    }
    draft.validate().unwrap();
    let json = draft.to_json().unwrap();
    let texts: Vec<&str> = draft.turns.iter().map(|t| t.text.as_str()).collect();
    assert!(texts.iter().all(|t| !t.contains("令和")), "{texts:?}");
    for item in &draft.items {
        assert!(item.summary.iter().all(|s| !s.text.contains("令和")));
        assert!(item.questions.iter().all(|s| !s.text.contains("令和")));
    }
    // Whisper's words stay as heard.
    assert!(json.contains("令和"));
    assert!(replacements(&draft, "", "x").is_empty());
    assert!(replacements(&draft, "存在しない語", "x").is_empty());
}

#[test]
fn a_correction_is_added_to_a_copy_of_the_built_in_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrections.txt");
    let line = add_correction(&path, "じょうほう管理課", "情報管理課").unwrap();
    assert_eq!(line, "じょうほう管理課 → 情報管理課");
    let text = std::fs::read_to_string(&path).unwrap();
    let list = correct::parse_confusions(&path, &text).unwrap();
    let built_in = correct::parse_confusions(&path, correct::DEFAULT_CONFUSIONS).unwrap();
    assert_eq!(list.len(), built_in.len() + 1);
    assert!(add_correction(&path, "同じ", "同じ").is_err());
    assert!(add_correction(&path, "a → b", "c").is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}
