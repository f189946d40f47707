//! Tests that need no model: audio decoding and bad input, meeting files,
//! the correction stage on recorded Whisper output, the minutes from truth
//! turns, the renders and draft edits, the review server (and its page in
//! chromium). One test binary, so whisper.cpp is
//! linked once for all of them: `cargo test --release --test fast`
//! (a module alone: `cargo test --release --test fast render_minutes`).

mod minutes_support;

mod audio_formats;
mod audio_input;
mod audio_large;
mod correct;
mod damaged_corpus;
mod fuzz_audio;
mod fuzz_meeting;
mod fuzz_mutate;
mod fuzz_support;
mod meeting_file;
mod minutes_e2e;
mod minutes_sections;
mod minutes_summary;
#[cfg(feature = "live")]
mod record_capture;
#[cfg(feature = "live")]
mod record_support;
mod render_minutes;
#[cfg(feature = "review")]
mod review_browser;
#[cfg(feature = "review")]
mod review_kill;
#[cfg(feature = "review")]
mod review_support;
