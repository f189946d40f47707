//! Crash-safe file writes, shared by every stage that writes: data goes to a
//! temporary file in the destination's directory, is synced, and is renamed
//! over the destination only when complete. A failure leaves the old file (or
//! nothing) in place and removes the temporary file.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes `path` through `write`; the file appears only if `write` succeeds.
/// The result is readable by all (0644), like any file a user creates.
pub fn write_file<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&File>) -> io::Result<T>,
) -> io::Result<T> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)?;
    let value = {
        let mut w = BufWriter::with_capacity(1 << 20, temp.as_file());
        let value = write(&mut w)?;
        w.flush()?;
        value
    };
    temp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o644))?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_debris() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("draft.json");
        write_file(&path, |w| w.write_all(b"good")).unwrap();
        let failed = write_file(&path, |w| {
            w.write_all(b"half")?;
            Err::<(), _>(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"good");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }
}
