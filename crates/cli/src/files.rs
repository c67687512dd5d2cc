//! Files the cli reads besides budget files (plans, with a bound), and the
//! files it writes (saved plans, imported budget files): whole or not at
//! all. Each is written to a temporary file beside its target and renamed
//! over it, so a crash or a full disk leaves the old file or none, never half
//! of one that apply would then read.

use std::io::Write as _;
use std::path::Path;

/// A file the cli could not read or write.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read the plan: {0}")]
    Plan(budgetctl_spec::BoundedReadError),
    #[error("the plan {} is not UTF-8 text", .0.display())]
    NotText(std::path::PathBuf),
    #[error("cannot create {}: {error}", path.display())]
    Directory {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write {}: {error}", path.display())]
    Write {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

/// A plan document's text (`apply PLAN`, `plan --merge`), read with the
/// bound plans have: `/dev/zero` is refused once past it, not read whole.
pub fn read_plan(path: &Path) -> Result<String, FileError> {
    let bytes = budgetctl_spec::read_bounded(path, budgetctl_spec::MAX_PLAN_BYTES, "plans")
        .map_err(FileError::Plan)?;
    String::from_utf8(bytes).map_err(|_| FileError::NotText(path.to_owned()))
}

/// Write `text` to `path` atomically, creating missing parent directories.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), FileError> {
    let parent = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => {
            std::fs::create_dir_all(parent).map_err(|error| FileError::Directory {
                path: parent.to_owned(),
                error,
            })?;
            parent
        }
        None => Path::new("."),
    };
    let cannot = |error: std::io::Error| FileError::Write {
        path: path.to_owned(),
        error,
    };
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(cannot)?;
    file.write_all(text.as_bytes()).map_err(cannot)?;
    file.as_file().sync_all().map_err(cannot)?;
    file.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_and_no_temporary_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a directory: the rename fails, the old one stays.
        let path = dir.path().join("plan.json");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), "kept").unwrap();
        let err = write_atomically(&path, "new").unwrap_err().to_string();
        assert!(err.contains("plan.json"), "{err}");
        assert_eq!(std::fs::read_to_string(path.join("keep")).unwrap(), "kept");
        let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(entries.len(), 1, "no temporary file left: {entries:?}");
    }
}
