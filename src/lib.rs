//! kaigiroku: draft minutes (会議録) of Japanese committee meetings from their
//! recordings, entirely offline. See ARCHITECTURE.md for the code map.
//!
//! Stages, each a module with its own error type:
//! `audio` (file → [`types::Audio`]) → `transcribe` (→ [`types::Segment`]s)
//! → `correct` (the meeting's vocabulary, every replacement recorded).
//! `model` installs the weights those stages load; `meeting` reads the
//! clerk's description of the meeting; `metrics` scores text against truth; `render` writes outputs atomically.

pub mod atomic;
pub mod audio;
pub mod batch;
pub mod correct;
pub mod draft;
pub mod ja;
pub mod meeting;
pub mod metrics;
pub mod minutes;
pub mod model;
pub mod pipeline;
#[cfg(feature = "live")]
pub mod record;
pub mod render;
#[cfg(feature = "review")]
pub mod review;
pub mod speakers;
pub mod transcribe;
pub mod types;
