//! The model store of the model tests, checked before a test uses it.

use std::path::PathBuf;

use kaigiroku::model::ModelStore;

/// `$KAIGIROKU_MODELS`, else the project's `models/`.
pub fn store() -> ModelStore {
    match std::env::var_os("KAIGIROKU_MODELS") {
        Some(dir) if !dir.is_empty() => ModelStore::new(dir),
        _ => ModelStore::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models")),
    }
}

/// The store, once Whisper base, the VAD and CAM++ are all there; otherwise
/// the test fails and says how to install them.
pub fn installed() -> ModelStore {
    let store = store();
    let missing: Vec<String> = [
        store.whisper_path("base"),
        store.vad_path(),
        store.campplus_path(),
    ]
    .into_iter()
    .filter(|p| !p.is_file())
    .map(|p| p.display().to_string())
    .collect();
    assert!(
        missing.is_empty(),
        "these tests need the real models, and {} is missing: run `scripts/prepare.sh` \
         (installs the system packages, builds, and runs `kaigiroku model install`), or \
         `cargo run --release -- model install` (or `model install --from FILE` without internet)",
        missing.join(", ")
    );
    store
}
