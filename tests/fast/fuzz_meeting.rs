//! Fuzzing the meeting file (`meeting.toml`): random text, TOML-like token
//! soup, the sample meeting files with values swapped for wrong ones, and
//! their bytes damaged (also into invalid UTF-8). Each must give a
//! `Meeting` or a `MeetingError` naming the file (and, for a parse error, a
//! line and column inside it) — never a panic, never longer than
//! [`TIME_LIMIT`], never more memory than [`BASE_MEMORY`] plus a few hundred
//! bytes per byte of input.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kaigiroku::meeting::{Meeting, MeetingError};
use proptest::prelude::*;

use crate::fuzz_mutate::{apply, mutations, Mutation};
use crate::fuzz_support::{bounded, fuzz, tally, Outcome};

const TIME_LIMIT: Duration = Duration::from_secs(5);
const BASE_MEMORY: usize = 8 << 20;
const PER_INPUT_BYTE: usize = 512;
const CASES: u32 = 1000;

/// The sample meeting files (valid, with every field).
fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut dirs = vec![root.join("kaigi-2022-01"), root.join("kaigi-2022-01-full")];
    for entry in std::fs::read_dir(root.join("corpus")).expect("samples/corpus") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if !name.ends_with("-noisy") && path.join("meeting.toml").exists() {
            dirs.push(path);
        }
    }
    dirs.sort();
    dirs.into_iter()
        .map(|d| {
            let bytes = std::fs::read(d.join("meeting.toml")).expect("meeting.toml");
            (d.display().to_string(), bytes)
        })
        .collect()
}

/// Checks what `Meeting::load` makes of `bytes`, written as a meeting file.
fn check_bytes(bytes: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("第1回 会議").join("meeting.toml");
    std::fs::create_dir_all(path.parent().unwrap_or(dir.path())).map_err(|e| e.to_string())?;
    std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
    let owned = path.clone();
    let outcome = bounded(
        TIME_LIMIT,
        format!("{} bytes of meeting file", bytes.len()),
        move || Meeting::load(&owned),
    );
    judge(
        outcome,
        &path,
        bytes.len(),
        String::from_utf8_lossy(bytes).lines().count(),
    )
}

/// Checks what `Meeting::parse` makes of `text`.
fn check_text(text: &str) -> Result<(), String> {
    let path = PathBuf::from("会議/meeting.toml");
    let (owned, input) = (path.clone(), text.to_string());
    let outcome = bounded(
        TIME_LIMIT,
        format!("{} bytes of meeting text", text.len()),
        move || Meeting::parse(&owned, &input),
    );
    judge(outcome, &path, text.len(), text.lines().count())
}

fn judge(
    outcome: Outcome<Result<Meeting, MeetingError>>,
    path: &Path,
    len: usize,
    lines: usize,
) -> Result<(), String> {
    let (result, peak) = match outcome {
        Outcome::Done { value, peak } => (value, peak),
        Outcome::Panicked(message) => return Err(format!("panicked: {message}")),
        Outcome::TimedOut(limit) => return Err(format!("still parsing after {limit:?}")),
    };
    if peak > BASE_MEMORY + PER_INPUT_BYTE * len {
        return Err(format!("{peak} bytes at once for {len} bytes of input"));
    }
    let error = match result {
        Ok(_) => {
            tally("ok");
            return Ok(());
        }
        Err(error) => error,
    };
    let message = error.to_string();
    if !message.starts_with(&format!("{}:", path.display())) {
        return Err(format!("error does not start with the file: {message}"));
    }
    match &error {
        MeetingError::Invalid { line, column, .. } => {
            tally("invalid");
            if *line == 0 || *line > lines + 1 || *column == 0 {
                return Err(format!(
                    "line {line}, column {column} of {lines} lines: {message}"
                ));
            }
        }
        // The file is there and readable: an I/O error is a misreport.
        other => return Err(format!("{}: {message}", kind(other))),
    }
    Ok(())
}

fn kind(error: &MeetingError) -> &'static str {
    match error {
        MeetingError::Io { .. } => "io",
        MeetingError::Invalid { .. } => "invalid",
        MeetingError::TooLarge { .. } => "too_large",
    }
}

/// Pieces of TOML and of meeting files, good and bad.
const TOKENS: &[&str] = &[
    "name",
    "secretariat",
    "date",
    "start",
    "end",
    "place",
    "glossary",
    "disclosure",
    "attendees",
    "agenda",
    "materials",
    "title",
    "role",
    "note",
    "kind",
    "number",
    "presenter",
    "label",
    "meeting",
    "minutes",
    "reason",
    "unknown",
    " = ",
    "=",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    ".",
    "\n",
    "\r\n",
    " ",
    "\t",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "#",
    "\\",
    "2023-05-31",
    "2023-02-30",
    "0000-00-00",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "\"13:00\"",
    "\"25:61\"",
    "\"1:5\"",
    "0",
    "-1",
    "4294967296",
    "99999999999999999999",
    "1e999",
    "nan",
    "-inf",
    "0x7f",
    "true",
    "\"本部長\"",
    "\"副本部長\"",
    "\"部員\"",
    "\"事務局\"",
    "\"議案\"",
    "\"報告事項\"",
    "\"公開\"",
    "\"非公開\"",
    "\"一部非公開\"",
    "\"\\u0000\"",
    "\"\\uD800\"",
    "\"\\U0010FFFF\"",
    "\"\\U00110000\"",
    "\"\"",
    "\"  \"",
    "令和5年度",
    "第1回",
    "\u{feff}",
    "\u{0}",
    "\u{2028}",
    "🎌",
    "ｱ",
    "[disclosure]",
    "[[attendees]]",
    "[[agenda]]",
    "[[materials]]",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|t| t.concat())
}

#[test]
fn fuzz_meeting_random_text() {
    let strategy = prop::collection::vec(any::<char>(), 0..600).prop_map(String::from_iter);
    fuzz("meeting-random", CASES, strategy, |text| check_text(text));
}

#[test]
fn fuzz_meeting_token_soup() {
    fuzz("meeting-tokens", CASES, token_soup(), |text| {
        check_text(text)
    });
}

/// A sample meeting file with values of some lines replaced by tokens
/// (wrong types, impossible dates and times, unknown roles …).
#[test]
fn fuzz_meeting_swapped_values() {
    let seeds = seeds();
    let strategy = (
        0..seeds.len(),
        prop::collection::vec(
            (
                any::<usize>(),
                prop::collection::vec(prop::sample::select(TOKENS), 1..4),
            ),
            1..4,
        ),
    );
    fuzz("meeting-values", CASES, strategy, |(seed, swaps)| {
        let text = String::from_utf8_lossy(&seeds[*seed].1).into_owned();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for (line, tokens) in swaps {
            let at = line % lines.len().max(1);
            if let Some(l) = lines.get_mut(at) {
                let key = l.split('=').next().unwrap_or("").to_string();
                *l = format!("{key}= {}", tokens.concat());
            }
        }
        check_text(&lines.join("\n"))
    });
}

/// A sample meeting file with its bytes damaged, read from disk (so also
/// invalid UTF-8).
#[test]
fn fuzz_meeting_damaged_bytes() {
    let seeds = seeds();
    let strategy = (0..seeds.len(), mutations(6));
    fuzz(
        "meeting-bytes",
        CASES,
        strategy,
        |(seed, muts): &(usize, Vec<Mutation>)| check_bytes(&apply(&seeds[*seed].1, &[], muts)),
    );
}

/// The seeds are valid, so the fuzzing starts from files that parse.
#[test]
fn fuzz_meeting_seeds_parse() {
    let seeds = seeds();
    assert!(seeds.len() >= 10, "{} seeds", seeds.len());
    for (name, bytes) in seeds {
        let text = String::from_utf8(bytes).expect("UTF-8");
        Meeting::parse(Path::new(&name), &text).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Text that is not UTF-8 (Japanese saved as Shift_JIS by an old editor)
/// is named with where it starts and what to do; it was "stream did not
/// contain valid UTF-8".
#[test]
fn a_meeting_file_in_shift_jis_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meeting.toml");
    // name = "会議" with 会議 in Shift_JIS (0x89EF 0x8B63), on line 2.
    let mut bytes = b"# x\nname = \"".to_vec();
    bytes.extend_from_slice(&[0x89, 0xEF, 0x8B, 0x63]);
    bytes.extend_from_slice(b"\"\n");
    std::fs::write(&path, &bytes).unwrap();
    let message = Meeting::load(&path).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}:2:9: the file is not UTF-8 text (Shift_JIS?); save it as UTF-8",
            path.display()
        )
    );
}

/// A large file (a recording given as the meeting file) is refused before
/// it is read: it was read whole into memory first.
#[test]
fn a_huge_meeting_file_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meeting.toml");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(4 << 30).unwrap(); // sparse: 4 GiB of zeros
    let owned = path.clone();
    let outcome = bounded(TIME_LIMIT, "4 GiB meeting file".into(), move || {
        Meeting::load(&owned)
    });
    let Outcome::Done { value, peak } = outcome else {
        panic!("panicked or hung");
    };
    let error = value.unwrap_err();
    assert!(matches!(error, MeetingError::TooLarge { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}: over 1024 KiB", path.display())),
        "{error}"
    );
    assert!(peak < 4 << 20, "{peak} bytes");
}

/// Deep nesting stops at the parser's recursion limit, with a position.
#[test]
fn deeply_nested_values_are_an_error_not_a_stack_overflow() {
    for text in [
        format!("name = {}", "[".repeat(100_000)),
        format!("name = {}", "{a=".repeat(100_000)),
        format!("{} = 1", vec!["a"; 100_000].join(".")),
    ] {
        check_text(&text).unwrap_or_else(|e| panic!("{e}"));
    }
}
