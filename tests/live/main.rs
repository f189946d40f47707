//! Recording in real time with the real models: `kaigiroku record --live`
//! through a private PulseAudio server. A binary of its own, so that cargo
//! runs it after `tests/model` and nothing else decodes while it records:
//! `cargo test --release --test live`.

#[path = "../model/models.rs"]
mod models;
#[path = "../fast/record_support.rs"]
mod record_support;

mod record_live;
