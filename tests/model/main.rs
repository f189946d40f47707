//! Tests with the real models installed in `models/` (or
//! `$KAIGIROKU_MODELS`): Whisper base, the Silero VAD and CAM++. Each test
//! first asks [`models::installed`], which fails saying how to install them.
//! `cargo test --release --test model` (a module alone: `… --test model
//! draft_e2e`; the corpus table: `bench/corpus.sh`).

mod corpus_support;
mod models;

mod batch;
mod corpus;
mod draft_e2e;
mod live;
mod quantized;
mod real_model;
mod speakers;
mod vad;
