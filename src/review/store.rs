//! The draft under review and its history, on disk in the draft's folder:
//!
//! - `draft.original.json`: the draft as `draft` wrote it, copied there the
//!   first time the folder is reviewed and never written again;
//! - `history.jsonl`: one [`Entry`] a line, append-only: every change
//!   (an edit group, an undo, a redo) with the edits it applied;
//! - `draft.json`: the draft with every change applied, rewritten
//!   atomically after each one (so renders and `export` see the edits).
//!
//! Invariants: a change is acknowledged only once its history line is
//! fsync'd; replaying the history over the original gives the draft, so
//! a server killed at any point loses nothing it acknowledged, and undo and
//! redo work across restarts. A change that does not fit the draft, or is
//! made on an older revision than the store's, writes nothing.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::correct;
use crate::draft::{Draft, DraftEdit, DraftError, EditError};

pub const DRAFT: &str = "draft.json";
pub const ORIGINAL: &str = "draft.original.json";
pub const HISTORY: &str = "history.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Draft(#[from] DraftError),
    #[error("{}:{line}: not a history entry ({message}); move the file aside to review from draft.json as it is", path.display())]
    History {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: edit {index} no longer fits the draft ({source}); move the history aside to review from draft.json as it is", path.display())]
    Replay {
        path: PathBuf,
        line: usize,
        index: usize,
        source: EditError,
    },
    #[error("the draft was changed meanwhile (revision {current}, this change was made on {expected}): reload")]
    Conflict { expected: u64, current: u64 },
    #[error("edit {index}: {source}")]
    Edit { index: usize, source: EditError },
    #[error("no edits in the change")]
    NoEdits,
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("nothing to redo")]
    NothingToRedo,
    #[error("{}: {message}", path.display())]
    Corrections { path: PathBuf, message: String },
}

impl StoreError {
    /// True when the request, not the store, was at fault (a bad edit, a
    /// stale revision …): nothing was written.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::Conflict { .. }
                | StoreError::Edit { .. }
                | StoreError::NoEdits
                | StoreError::NothingToUndo
                | StoreError::NothingToRedo
                | StoreError::Corrections { .. }
        )
    }
}

/// What a line of history.jsonl did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Edit,
    Undo,
    Redo,
}

/// One line of history.jsonl: the change that made `revision`, with the
/// edits it applied (for an undo, the inverse of what it undid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub revision: u64,
    pub action: Action,
    pub edits: Vec<DraftEdit>,
    /// Seconds since 1970 (UTC).
    pub at: u64,
}

/// A change asked of the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Edit(Vec<DraftEdit>),
    Undo,
    Redo,
}

/// An edit group and what undoes it (applied in this order).
#[derive(Debug, Clone)]
struct Group {
    forward: Vec<DraftEdit>,
    inverse: Vec<DraftEdit>,
}

/// How [`Store::open`] found the folder.
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    /// First review: the original was kept as draft.original.json.
    Fresh,
    /// The history was replayed; draft.json matched it.
    Resumed { revision: u64 },
    /// The last acknowledged change had not reached draft.json (the server
    /// was killed in between): draft.json was rewritten from the history.
    Recovered { revision: u64 },
    /// draft.json had been replaced (a new `draft`, or edited by hand) since
    /// the last review: that review's original and history were moved aside
    /// with this suffix, and the review starts from draft.json as it is.
    Rebased { suffix: String },
}

/// The store's answer to a change.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    pub revision: u64,
    pub can_undo: bool,
    pub can_redo: bool,
    pub draft: Draft,
    /// Set when the change is kept in the history but draft.json could not
    /// be rewritten (it will be on the next change or restart).
    pub warning: Option<String>,
}

pub struct Store {
    dir: PathBuf,
    draft: Draft,
    revision: u64,
    undo: Vec<Group>,
    redo: Vec<Group>,
    history: File,
}

impl Store {
    /// Opens the draft in `dir` for review: keeps the original, replays the
    /// history, and repairs what a kill left (a torn last history line, a
    /// draft.json one change behind).
    pub fn open(dir: &Path) -> Result<(Store, Opened), StoreError> {
        let draft_path = dir.join(DRAFT);
        let current_text = read(&draft_path)?;
        let current = Draft::parse(&draft_path, &current_text)?;
        let original_path = dir.join(ORIGINAL);
        let history_path = dir.join(HISTORY);

        let mut opened = Opened::Fresh;
        if original_path.exists() {
            let original = Draft::load(&original_path)?;
            let replay = replay(original, &history_path)?;
            let now = to_json(&replay.draft);
            let target = to_json(&current);
            if now == target {
                opened = Opened::Resumed {
                    revision: replay.revision,
                };
            } else if replay.before_last.as_ref().map(to_json).as_ref() == Some(&target) {
                write_draft(dir, &replay.draft)?;
                opened = Opened::Recovered {
                    revision: replay.revision,
                };
            } else {
                let suffix = format!("before-{}", now_secs());
                for name in [ORIGINAL, HISTORY] {
                    let from = dir.join(name);
                    if from.exists() {
                        let to = dir.join(aside(name, &suffix));
                        std::fs::rename(&from, &to).map_err(io_at(&from))?;
                    }
                }
                opened = Opened::Rebased { suffix };
            }
            if !matches!(opened, Opened::Rebased { .. }) {
                let history = open_history(&history_path)?;
                return Ok((
                    Store {
                        dir: dir.to_path_buf(),
                        draft: replay.draft,
                        revision: replay.revision,
                        undo: replay.undo,
                        redo: replay.redo,
                        history,
                    },
                    opened,
                ));
            }
        }
        crate::atomic::write_file(&original_path, |w| w.write_all(current_text.as_bytes()))
            .map_err(io_at(&original_path))?;
        if history_path.exists() {
            // A history without its original cannot be replayed: keep it aside.
            let to = dir.join(aside(HISTORY, &format!("orphan-{}", now_secs())));
            std::fs::rename(&history_path, &to).map_err(io_at(&history_path))?;
        }
        let history = open_history(&history_path)?;
        Ok((
            Store {
                dir: dir.to_path_buf(),
                draft: current,
                revision: 0,
                undo: Vec::new(),
                redo: Vec::new(),
                history,
            },
            opened,
        ))
    }

    pub fn draft(&self) -> &Draft {
        &self.draft
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Applies `change`, made by a client on revision `on`; durable when
    /// this returns Ok.
    pub fn change(&mut self, on: u64, change: Change) -> Result<Saved, StoreError> {
        if on != self.revision {
            return Err(StoreError::Conflict {
                expected: on,
                current: self.revision,
            });
        }
        let (action, edits) = match change {
            Change::Edit(edits) if edits.is_empty() => return Err(StoreError::NoEdits),
            Change::Edit(edits) => (Action::Edit, edits),
            Change::Undo => (
                Action::Undo,
                self.undo
                    .last()
                    .ok_or(StoreError::NothingToUndo)?
                    .inverse
                    .clone(),
            ),
            Change::Redo => (
                Action::Redo,
                self.redo
                    .last()
                    .ok_or(StoreError::NothingToRedo)?
                    .forward
                    .clone(),
            ),
        };
        let mut draft = self.draft.clone();
        let inverse = apply_all(&mut draft, &edits)?;
        let entry = Entry {
            revision: self.revision + 1,
            action,
            edits,
            at: now_secs(),
        };
        self.append(&entry)?;
        // Committed: the history holds it.
        self.draft = draft;
        self.revision = entry.revision;
        step(&mut self.undo, &mut self.redo, action, entry.edits, inverse);
        let warning = write_draft(&self.dir, &self.draft)
            .err()
            .map(|e| format!("{e}; the change is kept in {HISTORY}"));
        Ok(self.saved(warning))
    }

    /// The store's state as an answer.
    pub fn saved(&self, warning: Option<String>) -> Saved {
        Saved {
            revision: self.revision,
            can_undo: self.can_undo(),
            can_redo: self.can_redo(),
            draft: self.draft.clone(),
            warning,
        }
    }

    fn append(&mut self, entry: &Entry) -> Result<(), StoreError> {
        let path = self.dir.join(HISTORY);
        let mut line = serde_json::to_string(entry).map_err(|e| StoreError::Io {
            path: path.clone(),
            source: e.into(),
        })?;
        line.push('\n');
        let len = self.history.metadata().map_err(io_at(&path))?.len();
        let written = self
            .history
            .write_all(line.as_bytes())
            .and_then(|()| self.history.sync_data());
        if let Err(source) = written {
            // Leave no torn line behind for the next append.
            let _ = self.history.set_len(len);
            return Err(StoreError::Io { path, source });
        }
        Ok(())
    }
}

/// Applies `edits` in order; returns what undoes them, in the order to
/// apply it. On error, `draft` may be half changed: callers pass a copy.
fn apply_all(draft: &mut Draft, edits: &[DraftEdit]) -> Result<Vec<DraftEdit>, StoreError> {
    let mut inverse = Vec::with_capacity(edits.len());
    for (index, edit) in edits.iter().enumerate() {
        let undo = draft
            .apply(edit.clone())
            .map_err(|source| StoreError::Edit { index, source })?;
        inverse.push(undo);
    }
    inverse.reverse();
    Ok(inverse)
}

/// Moves the undo/redo stacks after a change that applied `applied`,
/// undone by `inverse`.
fn step(
    undo: &mut Vec<Group>,
    redo: &mut Vec<Group>,
    action: Action,
    applied: Vec<DraftEdit>,
    inverse: Vec<DraftEdit>,
) {
    match action {
        Action::Edit => {
            redo.clear();
            undo.push(Group {
                forward: applied,
                inverse,
            });
        }
        // What redoes an undo is the inverse of the undo as applied (a
        // merge undone by a split that restores the turns exactly).
        Action::Undo => {
            undo.pop();
            redo.push(Group {
                forward: inverse,
                inverse: applied,
            });
        }
        Action::Redo => {
            redo.pop();
            undo.push(Group {
                forward: applied,
                inverse,
            });
        }
    }
}

struct Replay {
    draft: Draft,
    /// The draft before the last entry, when there is one.
    before_last: Option<Draft>,
    revision: u64,
    undo: Vec<Group>,
    redo: Vec<Group>,
}

/// Replays history.jsonl over `original`. A torn last line (the server
/// killed in the middle of writing it: never acknowledged) is cut off.
fn replay(original: Draft, path: &Path) -> Result<Replay, StoreError> {
    let mut out = Replay {
        draft: original,
        before_last: None,
        revision: 0,
        undo: Vec::new(),
        redo: Vec::new(),
    };
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut offset = 0;
    let mut line_no = 0;
    while offset < text.len() {
        line_no += 1;
        let end = text[offset..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| offset + p);
        let raw = &text[offset..end.unwrap_or(text.len())];
        let last = end.is_none_or(|e| e + 1 >= text.len());
        let entry = std::str::from_utf8(raw)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str::<Entry>(s).map_err(|e| e.to_string()))
            .and_then(|e| {
                if e.revision == out.revision + 1 {
                    Ok(e)
                } else {
                    Err(format!(
                        "revision {} follows revision {}",
                        e.revision, out.revision
                    ))
                }
            });
        let entry = match entry {
            Ok(entry) => entry,
            Err(_) if last => {
                truncate(path, offset as u64)?;
                break;
            }
            Err(message) => {
                return Err(StoreError::History {
                    path: path.to_path_buf(),
                    line: line_no,
                    message,
                })
            }
        };
        let before = out.draft.clone();
        let inverse = apply_all(&mut out.draft, &entry.edits).map_err(|e| match e {
            StoreError::Edit { index, source } => StoreError::Replay {
                path: path.to_path_buf(),
                line: line_no,
                index,
                source,
            },
            other => other,
        })?;
        let stack_ok = match entry.action {
            Action::Edit => true,
            Action::Undo => !out.undo.is_empty(),
            Action::Redo => !out.redo.is_empty(),
        };
        if !stack_ok {
            return Err(StoreError::History {
                path: path.to_path_buf(),
                line: line_no,
                message: format!("{:?} with nothing to {:?}", entry.action, entry.action),
            });
        }
        step(
            &mut out.undo,
            &mut out.redo,
            entry.action,
            entry.edits,
            inverse,
        );
        out.before_last = Some(before);
        out.revision = entry.revision;
        offset = end.map_or(text.len(), |e| e + 1);
    }
    Ok(out)
}

fn truncate(path: &Path, len: u64) -> Result<(), StoreError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_at(path))?;
    file.set_len(len)
        .and_then(|()| file.sync_all())
        .map_err(io_at(path))
}

fn open_history(path: &Path) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_at(path))?;
    // Make the file's existence durable too.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(file)
}

fn write_draft(dir: &Path, draft: &Draft) -> Result<(), StoreError> {
    let path = dir.join(DRAFT);
    let text = draft.to_json().map_err(|e| StoreError::Io {
        path: path.clone(),
        source: e.into(),
    })?;
    crate::atomic::write_file(&path, |w| w.write_all(text.as_bytes())).map_err(io_at(&path))
}

/// The edits that replace `find` by `with` in every written text of the
/// draft: turns' cleaned text and statements, 要旨 sentences, decision
/// lines. Whisper's verbatim is left as heard.
pub fn replacements(draft: &Draft, find: &str, with: &str) -> Vec<DraftEdit> {
    if find.is_empty() || find == with {
        return Vec::new();
    }
    let mut edits = Vec::new();
    for turn in &draft.turns {
        let statement = draft.statement_of(turn.id).and_then(|(section, k)| {
            draft
                .sections()
                .into_iter()
                .find(|(s, _, _)| *s == section)
                .and_then(|(_, _, statements)| statements.get(k))
                .map(|s| s.text.clone())
        });
        let in_statement = statement.as_ref().is_some_and(|s| s.contains(find));
        if turn.text.contains(find) || in_statement {
            edits.push(DraftEdit::SetText {
                turn: turn.id,
                text: turn.text.replace(find, with),
                statement: statement.map(|s| s.replace(find, with)),
            });
        }
    }
    for (item, it) in draft.items.iter().enumerate() {
        for (sentence, s) in it.summary.iter().enumerate() {
            if s.text.contains(find) {
                edits.push(DraftEdit::SetSummary {
                    item,
                    sentence,
                    text: s.text.replace(find, with),
                });
            }
        }
        if let Some(outcome) = it.outcome.as_ref().filter(|o| o.text.contains(find)) {
            edits.push(DraftEdit::SetDecision {
                item,
                decision: outcome.decision,
                text: outcome.text.replace(find, with),
            });
        }
    }
    edits
}

/// Adds `wrong → right` to the confusion list at `path` (a copy of the
/// built-in list when it does not exist yet, so that passing it with
/// `--corrections` keeps the built-in entries). Returns the line added.
pub fn add_correction(path: &Path, wrong: &str, right: &str) -> Result<String, StoreError> {
    let refuse = |message: String| StoreError::Corrections {
        path: path.to_path_buf(),
        message,
    };
    let (wrong, right) = (wrong.trim(), right.trim());
    if [wrong, right]
        .iter()
        .any(|w| w.contains(['→', '#', '\n']) || w.contains("->"))
    {
        return Err(refuse(format!(
            "`{wrong} → {right}`: a correction cannot hold →, ->, # or a line break"
        )));
    }
    let mut text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => correct::DEFAULT_CONFUSIONS.to_string(),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let line = format!("{wrong} → {right}");
    if !text.ends_with('\n') && !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&line);
    text.push('\n');
    correct::parse_confusions(path, &text).map_err(|e| refuse(e.to_string()))?;
    crate::atomic::write_file(path, |w| w.write_all(text.as_bytes())).map_err(io_at(path))?;
    Ok(line)
}

fn read(path: &Path) -> Result<String, StoreError> {
    std::fs::read_to_string(path).map_err(io_at(path))
}

fn to_json(draft: &Draft) -> String {
    draft.to_json().unwrap_or_default()
}

fn aside(name: &str, suffix: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{suffix}.{ext}"),
        None => format!("{name}.{suffix}"),
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn io_at(path: &Path) -> impl Fn(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
