//! The clerk's review page: `kaigiroku review DIR` serves the draft in DIR
//! (draft.json, transcript.json, turns.json from `draft`) on 127.0.0.1, with
//! the recording, so that a clerk listens where the draft is unsure, fixes
//! words and speakers, and exports the minutes.
//!
//! Three parts:
//! - [`store`]: the draft being edited and its history. Every change is a
//!   group of [`DraftEdit`](crate::draft::DraftEdit)s, appended to
//!   `DIR/history.jsonl` and fsync'd before it is acknowledged; draft.json is
//!   rewritten atomically after it. The draft as `draft` wrote it is kept
//!   as `DIR/draft.original.json`; replaying the history over it gives the
//!   draft, so undo/redo survive reloads, restarts and kill -9.
//! - [`audio`]: the recording the transcript names, served as it is when
//!   it is a WAV file, else decoded once to `DIR/audio.wav` (16 kHz).
//! - [`server`]: the HTTP API and the page (plain HTML/CSS/JS embedded in
//!   the binary, `src/review/page/`).
//!
//! ## HTTP API
//! Every request needs the session: `GET /?token=T` (the one-time token in
//! the URL `kaigiroku review` prints) answers 303 to `/` with an HttpOnly,
//! SameSite=Strict cookie `kaigiroku`, and every other request must carry
//! that cookie. A Host other than 127.0.0.1/localhost at the server's port,
//! a missing or wrong cookie, and a write (POST) whose `Origin` is not the
//! page's own are refused with 403. Errors are `{"error": "…"}`.
//!
//! | request | answer |
//! |---|---|
//! | `GET /`, `/js/*.js`, `/style.css` | the page |
//! | `GET /audio` | the recording (`audio/wav`), with range requests (206) |
//! | `GET /api/state` | [`State`](server::State): revision, undo/redo, draft, transcript segments |
//! | `POST /api/edit` `{"revision": N, "edits": [DraftEdit…]}` | [`Saved`](store::Saved) |
//! | `POST /api/undo`, `/api/redo` `{"revision": N}` | [`Saved`](store::Saved) |
//! | `POST /api/replace` `{"revision": N, "find", "replace", "add_correction": bool}` | [`Replaced`](server::Replaced) |
//! | `GET /api/export/docx` (`md`, `txt`) | the minutes, also written to DIR |
//!
//! A write names the revision it was made on; another tab's change in
//! between answers 409 `{"error", "revision"}` and changes nothing. A body
//! that is not valid JSON, or an edit that does not fit the draft, answers
//! 400 and changes nothing.

pub mod audio;
pub mod server;
pub mod store;

pub use server::{serve, Options, Review, ReviewError};
