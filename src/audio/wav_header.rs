//! The data size in a WAV header, checked against the file before hound
//! reads it. Recorders that stream or die before finishing leave a
//! placeholder (0, 0x7FFFFFFF, 0xFFFFFFFF) there, and a size that is not a
//! whole number of frames makes hound refuse the whole file; both are read
//! to the end of the file instead, with a warning.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// Chunks looked at before the data chunk (LIST, bext, iXML, JUNK …).
const MAX_CHUNKS: usize = 64;
/// Sizes recorders write before they know the length.
const PLACEHOLDERS: [u32; 3] = [0, 0x7FFF_FFFF, 0xFFFF_FFFF];

/// A data size to read in place of the header's.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Patch {
    /// Offset of the size field in the file.
    at: u64,
    size: u32,
    pub warning: String,
}

/// The patch the file's data size needs, if any: `None` for a sound size, a
/// file truncated at a frame boundary (hound reads to its end and says so),
/// or a layout hound will judge itself.
pub(super) fn inspect(file: &mut File, file_bytes: u64) -> std::io::Result<Option<Patch>> {
    let mut pos = 12u64;
    let mut block = None;
    for _ in 0..MAX_CHUNKS {
        let mut header = [0u8; 8];
        file.seek(SeekFrom::Start(pos))?;
        if super::read_up_to(file, &mut header)? < 8 {
            return Ok(None);
        }
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        match &header[..4] {
            b"fmt " => {
                let mut fmt = [0u8; 14];
                if super::read_up_to(file, &mut fmt)? < 14 {
                    return Ok(None);
                }
                block = Some(u64::from(u16::from_le_bytes([fmt[12], fmt[13]])).max(1));
            }
            b"data" => {
                let Some(block) = block else { return Ok(None) };
                return Ok(patch(
                    pos + 4,
                    size,
                    block,
                    file_bytes.saturating_sub(pos + 8),
                ));
            }
            _ => {}
        }
        pos += 8 + u64::from(size) + u64::from(size & 1);
        if pos >= file_bytes {
            return Ok(None);
        }
    }
    Ok(None)
}

fn patch(at: u64, declared: u32, block: u64, available: u64) -> Option<Patch> {
    let whole = |bytes: u64| {
        let bytes = bytes.min(u64::from(u32::MAX));
        u32::try_from(bytes - bytes % block).unwrap_or(0)
    };
    let (size, warning) = if PLACEHOLDERS.contains(&declared) {
        let size = whole(available);
        let warning = "the WAV header does not give the length of its audio (a streamed or \
             unfinished recording): read to the end of the file";
        (size, warning)
    } else if u64::from(declared) % block != 0 {
        let size = whole(available.min(u64::from(declared)));
        (size, "the length in the WAV header is not a whole number of frames: the last part frame was left out")
    } else {
        return None;
    };
    (size != declared).then(|| Patch {
        at,
        size,
        warning: warning.to_string(),
    })
}

/// A reader that gives the file with the data size patched.
pub(super) struct Patched<R> {
    inner: R,
    pos: u64,
    patch: Option<Patch>,
}

impl<R: Read> Patched<R> {
    pub fn new(inner: R, patch: Option<Patch>) -> Self {
        Patched {
            inner,
            pos: 0,
            patch,
        }
    }
}

impl<R: Read> Read for Patched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(patch) = &self.patch {
            let bytes = patch.size.to_le_bytes();
            for (k, &b) in bytes.iter().enumerate() {
                let at = patch.at + k as u64;
                if (self.pos..self.pos + n as u64).contains(&at) {
                    buf[(at - self.pos) as usize] = b;
                }
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_read_to_the_end_of_the_file() {
        for placeholder in PLACEHOLDERS {
            let p = patch(40, placeholder, 2, 1001).unwrap();
            assert_eq!(p.size, 1000);
            assert!(
                p.warning.contains("does not give the length"),
                "{}",
                p.warning
            );
        }
    }

    #[test]
    fn sound_sizes_and_plain_truncation_are_left_alone() {
        assert_eq!(patch(40, 1000, 2, 1000), None);
        assert_eq!(patch(40, 1000, 4, 1002), None);
        // Cut short: hound reads what there is and warns.
        assert_eq!(patch(40, 4000, 2, 1000), None);
    }

    #[test]
    fn a_size_that_is_not_whole_frames_is_rounded_down() {
        assert_eq!(patch(40, 1001, 2, 5000).unwrap().size, 1000);
        assert_eq!(patch(40, 4001, 4, 1003).unwrap().size, 1000);
        // More than a WAV can say: as much as it can, in whole frames.
        assert_eq!(patch(40, 0, 6, 1 << 40).unwrap().size, 0xFFFF_FFFC);
    }

    #[test]
    fn the_patch_lands_whatever_the_reads() {
        let data: Vec<u8> = (0..64).collect();
        let p = Patch {
            at: 10,
            size: 0xAABB_CCDD,
            warning: String::new(),
        };
        for step in [1, 3, 7, 64] {
            let mut reader = Patched::new(&data[..], Some(p.clone()));
            let mut out = Vec::new();
            let mut buf = vec![0u8; step];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(&out[10..14], &[0xDD, 0xCC, 0xBB, 0xAA], "step {step}");
            assert_eq!(out[9], 9);
            assert_eq!(out[14], 14);
        }
    }
}
