//! Files the cli reads besides budget files (plans, with a bound), and the
//! files it writes (saved plans, imported budget files): whole or not at
//! all. Each is written to a temporary file beside its target and renamed
//! over it, so a crash or a full disk leaves the old file or none, never half
//! of one that apply would then read.

use std::io::Write as _;
use std::path::Path;

/// A plan document's text (`apply PLAN`, `plan --merge`), read with the
/// bound plans have: `/dev/zero` is refused once past it, not read whole.
pub fn read_plan(path: &Path) -> Result<String, String> {
    let bytes = budgetctl_spec::read_bounded(path, budgetctl_spec::MAX_PLAN_BYTES, "plans")
        .map_err(|e| format!("cannot read the plan: {e}"))?;
    String::from_utf8(bytes).map_err(|_| format!("the plan {} is not UTF-8 text", path.display()))
}

/// A budget file's text with the bound budget files have.
pub fn read_budget_file(path: &Path) -> Result<String, String> {
    let bytes =
        budgetctl_spec::read_bounded(path, budgetctl_spec::yaml::MAX_FILE_BYTES, "budget files")
            .map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

/// Write `text` to `path` atomically, creating missing parent directories.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let parent = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            parent
        }
        None => Path::new("."),
    };
    let cannot = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let mut file = tempfile::NamedTempFile::new_in(parent).map_err(|e| cannot(&e))?;
    file.write_all(text.as_bytes()).map_err(|e| cannot(&e))?;
    file.as_file().sync_all().map_err(|e| cannot(&e))?;
    file.persist(path).map_err(|e| cannot(&e.error))?;
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
        let err = write_atomically(&path, "new").unwrap_err();
        assert!(err.contains("plan.json"), "{err}");
        assert_eq!(std::fs::read_to_string(path.join("keep")).unwrap(), "kept");
        let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(entries.len(), 1, "no temporary file left: {entries:?}");
    }
}
