//! Files the cli writes (saved plans, imported budget files): whole or not
//! at all. Each is written to a temporary file beside its target and renamed
//! over it, so a crash or a full disk leaves the old file or none, never half
//! of one that apply would then read.

use std::io::Write as _;
use std::path::Path;

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

/// JSON for people and machines; a value that cannot be serialised is an
/// error, never an empty document. Bidirectional and invisible characters
/// (a budget name from AWS) are written as `\uXXXX` escapes: the same
/// string to a JSON reader, but never text that reads as other text when a
/// person looks at the file.
pub fn json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Visible::default());
    value
        .serialize(&mut serializer)
        .map_err(|e| format!("cannot render JSON: {e}"))?;
    String::from_utf8(out).map_err(|e| format!("cannot render JSON: {e}"))
}

/// serde_json's pretty printer, escaping the characters
/// `render::is_unsafe_char` names (control characters it escapes already).
#[derive(Default)]
struct Visible(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for Visible {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest
            .char_indices()
            .find(|(_, c)| crate::render::is_unsafe_char(*c))
        {
            writer.write_all(&rest.as_bytes()[..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
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
