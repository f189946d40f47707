//! Writing results to files a person or another program reads:
//! `transcript.json` now. Every write is atomic (temporary file, then
//! rename), so a crash never leaves a half-written result over a good one.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::types::Transcript;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes `transcript` as pretty JSON to `dir/transcript.json`.
pub fn write_transcript(dir: &Path, transcript: &Transcript) -> Result<PathBuf, RenderError> {
    let path = dir.join("transcript.json");
    let mut json = serde_json::to_vec_pretty(transcript).map_err(|e| RenderError::Io {
        path: path.clone(),
        source: e.into(),
    })?;
    json.push(b'\n');
    write_atomically(&path, &json)?;
    Ok(path)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RenderError> {
    crate::atomic::write_file(path, |w| w.write_all(bytes)).map_err(|source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    })
}
