//! budgetctl's budget files: YAML in, a typed and validated model
//! (`budgetctl-model`) out.
//!
//! The spec crate reads one or more budget files, checks every rule AWS Budgets
//! would enforce (and a few it silently gets wrong), and returns the desired
//! state as a [`Config`], together with every [`Diagnostic`] found, each
//! pointing at its file, line and column. It also writes a model back as YAML
//! ([`to_yaml`], for `import`) and describes the format as a JSON Schema
//! ([`json_schema`], for editors). It does no network I/O and never prints.
//!
//! ```
//! let loaded = budgetctl_spec::load_str(
//!     "budgets.yaml",
//!     r#"
//! version: 1
//! defaults: { account: "111122223333" }
//! budgets:
//!   - name: total-monthly
//!     limit: 1000
//!     notifications:
//!       - on: actual > 80%
//!         to: [finops@example.com]
//! "#,
//! );
//! assert!(!loaded.has_errors());
//! let budget = &loaded.config.budgets[0].budget;
//! assert_eq!(budget.name, "total-monthly");
//! assert_eq!(budget.notifications[0].key.to_string(), "actual > 80%");
//! ```

mod decode;
pub mod diagnostic;
pub mod document;
pub mod format;
mod merge;
pub mod rules;
pub mod yaml;

/// The domain model the files are read into (`budgetctl-model`), under
/// the paths this crate has always given it.
pub use budgetctl_model as model;
pub use budgetctl_model::{amount, planned, policy};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

pub use budgetctl_model::max_end_date;
pub use decode::format_period;
pub use diagnostic::{Code, Diagnostic, DiagnosticRecord, Pos, Severity, SourceFile, Span};
pub use document::{
    ActionDoc, BudgetDoc, action_document, action_from_document, budget_document,
    budget_from_document, expression_to_yaml, json_schema, live_budget_from_document, to_yaml,
};
pub use model::*;

/// The result of loading budget files: the model of everything that was valid,
/// and every diagnostic, errors and warnings, in file order.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
    /// The files read, in the order read.
    pub files: Vec<Arc<SourceFile>>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// Expand paths into the budget files they name: a file is itself; a directory
/// is every `*.yaml` and `*.yml` directly in it, sorted by name.
/// A listing error names the directory that could not be listed.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| (path.clone(), e))?;
            let mut found: Vec<PathBuf> = entries
                .map(|entry| entry.map(|e| e.path()).map_err(|e| (path.clone(), e)))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|p| {
                    p.is_file()
                        && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Read, parse and validate budget files and directories (see [`expand_paths`]).
/// Groups from AWS Organizations are left unresolved; [`parse_paths`] and
/// [`Parsed::resolve`] read them in between.
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    parse_paths(paths).resolve(&OrganizationAccounts::new())
}

/// Budget files read and decoded, not yet merged: what a caller needs to
/// know before merging (the groups to read from AWS Organizations), and
/// the rest for [`Parsed::resolve`].
pub struct Parsed {
    /// The files read, and the diagnostics of reading them.
    loaded: Loaded,
    decoded: Vec<decode::DecodedFile>,
    /// Each decoded file's diagnostics.
    diagnostics: Vec<Vec<Diagnostic>>,
}

impl Parsed {
    /// Whether anything is wrong already: no need to read Organizations.
    pub fn has_errors(&self) -> bool {
        self.loaded.has_errors() || self.diagnostics.iter().flatten().any(Diagnostic::is_error)
    }

    /// The files read, in the order read (a file that could not be read
    /// is a diagnostic, not one of these).
    pub fn files(&self) -> &[Arc<SourceFile>] {
        &self.loaded.files
    }

    /// The groups' sources in AWS Organizations, each once.
    pub fn organization_sources(&self) -> Vec<OrganizationSource> {
        let mut sources: Vec<OrganizationSource> = self
            .decoded
            .iter()
            .flat_map(|f| &f.groups)
            .filter_map(|g| match &g.members {
                decode::GroupMembers::Organization(source) => Some(source.clone()),
                decode::GroupMembers::Listed(_) | decode::GroupMembers::Invalid => None,
            })
            .collect();
        sources.sort();
        sources.dedup();
        sources
    }

    /// `organizations.role`, as the first file that has one gives it.
    pub fn organizations_role(&self) -> Option<&str> {
        self.decoded
            .iter()
            .find_map(|f| f.organizations_role.as_ref().map(|(r, _)| r.as_str()))
    }

    /// Merge the files into one configuration, the groups from AWS
    /// Organizations taking their accounts from `organization`.
    pub fn resolve(self, organization: &OrganizationAccounts) -> Loaded {
        let Parsed {
            mut loaded,
            decoded,
            mut diagnostics,
        } = self;
        loaded.config = merge::merge(decoded, &mut diagnostics, organization);
        for mut file_diagnostics in diagnostics {
            file_diagnostics.sort_by_key(|d| (d.span.pos.line, d.span.pos.column));
            loaded.diagnostics.extend(file_diagnostics);
        }
        // A budget file with errors must not half-apply: drop the model's
        // budgets when anything is wrong, an unreadable file too, so that
        // callers cannot act on a partial configuration. Breaking the
        // policy leaves the configuration whole (lint reports on it); every
        // command that acts still refuses files with any error.
        if loaded.errors().any(|d| !d.code.breaks_policy()) {
            loaded.config.budgets.clear();
        }
        loaded
    }
}

/// The files read when none is named: `budgets.yaml`, `budgets.yml` or
/// the directory `budgets/`, the first of them in `dir` that exists.
pub const DEFAULT_FILES: [&str; 3] = ["budgets.yaml", "budgets.yml", "budgets"];

/// Read and decode the default budget files of `dir` ([`DEFAULT_FILES`]).
/// Where there is none, one error says which were looked for and what to
/// do: use the example beside them (`budgets.example.yaml`), or start a
/// file with `budgetctl init`.
pub fn parse_defaults(dir: &Path) -> Parsed {
    if let Some(found) = DEFAULT_FILES
        .iter()
        .map(PathBuf::from)
        .find(|p| dir.join(p).exists())
    {
        return parse_paths(&[found]);
    }
    let file = Arc::new(SourceFile {
        path: PathBuf::from(DEFAULT_FILES[0]),
        text: String::new(),
    });
    let help = if dir.join("budgets.example.yaml").exists() {
        "pass -f budgets.example.yaml to use the example beside them, or start a file of your own with `budgetctl init`"
    } else {
        "start a file with `budgetctl init`, or name one with -f PATH"
    };
    let mut loaded = Loaded::default();
    loaded.diagnostics.push(
        Diagnostic::error(
            Code::NoFiles,
            Span::file_start(&file),
            "no budget file here: looked for budgets.yaml, budgets.yml and budgets/",
        )
        .with_help(help),
    );
    loaded.files.push(file);
    Parsed {
        loaded,
        decoded: Vec::new(),
        diagnostics: Vec::new(),
    }
}

/// Read and decode budget files and directories (see [`expand_paths`]),
/// to be merged by [`Parsed::resolve`].
pub fn parse_paths(paths: &[PathBuf]) -> Parsed {
    let mut loaded = Loaded::default();
    let unread = |loaded| Parsed {
        loaded,
        decoded: Vec::new(),
        diagnostics: Vec::new(),
    };
    let files = match expand_paths(paths) {
        Ok(files) => files,
        Err((dir, e)) => {
            let file = Arc::new(SourceFile {
                path: dir,
                text: String::new(),
            });
            loaded.diagnostics.push(
                Diagnostic::error(
                    Code::Io,
                    Span::file_start(&file),
                    format!("cannot list budget files in {}: {e}", file.path.display()),
                )
                .with_help("check the directory and its permissions"),
            );
            loaded.files.push(file);
            return unread(loaded);
        }
    };
    if files.is_empty() {
        let path = paths.first().cloned().unwrap_or_default();
        let file = Arc::new(SourceFile {
            path: path.clone(),
            text: String::new(),
        });
        loaded.diagnostics.push(
            Diagnostic::error(
                Code::NoFiles,
                Span::file_start(&file),
                format!("no budget files (*.yaml, *.yml) in {}", path.display()),
            )
            .with_help("pass a file or a directory of budget files with -f"),
        );
        return unread(loaded);
    }
    let mut sources = Vec::with_capacity(files.len());
    for path in files {
        match read_source(&path) {
            Ok(text) => sources.push(SourceFile { path, text }),
            Err(problem) => {
                let (file, diagnostic) = problem.diagnostic(path);
                loaded.diagnostics.push(diagnostic);
                loaded.files.push(file);
            }
        }
    }
    let mut parsed = parse_sources(sources);
    parsed.loaded.diagnostics.splice(0..0, loaded.diagnostics);
    parsed.loaded.files.extend(loaded.files);
    parsed
}

/// Why a file could not be read as budget YAML.
enum ReadProblem {
    Io(String),
    TooLarge(String),
    /// Not UTF-8: the text as far as it reads, and where it stops.
    NotUtf8 {
        lossy: String,
        pos: Pos,
        byte: u8,
    },
}

impl ReadProblem {
    /// The file as far as it reads, and the diagnostic that says why not.
    fn diagnostic(self, path: PathBuf) -> (Arc<SourceFile>, Diagnostic) {
        let empty = |path| {
            Arc::new(SourceFile {
                path,
                text: String::new(),
            })
        };
        match self {
            ReadProblem::NotUtf8 { lossy, pos, byte } => {
                let file = Arc::new(SourceFile { path, text: lossy });
                let message = format!(
                    "{} is not UTF-8 text: byte 0x{byte:02X} at line {}, column {} is not UTF-8",
                    file.path.display(),
                    pos.line,
                    pos.column
                );
                let d = Diagnostic::error(Code::Io, Span::new(&file, pos), message).with_help(
                    "save the file as UTF-8 (in most editors: Save with Encoding → UTF-8)",
                );
                (file, d)
            }
            ReadProblem::TooLarge(message) => {
                let file = empty(path);
                let d = Diagnostic::error(Code::InputTooLarge, Span::file_start(&file), message)
                    .with_help("split the budgets over several files in a directory and pass the directory with -f");
                (file, d)
            }
            ReadProblem::Io(message) => {
                let file = empty(path);
                let d = Diagnostic::error(Code::Io, Span::file_start(&file), message)
                    .with_help("check the path and its permissions");
                (file, d)
            }
        }
    }
}

/// The most bytes a plan document (`plan --out`, a shard's plan for
/// `plan --merge`) may hold: a plan of 10,000 budgets, each created with
/// its alerts and actions, is about 30 MB.
pub const MAX_PLAN_BYTES: usize = 64 * 1024 * 1024;

/// Why a file read with a bound was not read.
#[derive(Debug, thiserror::Error)]
pub enum BoundedReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} holds more than {max} bytes; {what} may be at most that large")]
    TooLarge {
        path: String,
        max: usize,
        what: &'static str,
    },
}

/// A file's bytes, reading at most `max` of them whatever the file claims
/// to be (`/dev/zero`, a FIFO and `<(yes)` claim nothing): one more is an
/// error naming `what` the file is meant to be (`budget files`, `plans`).
pub fn read_bounded(
    path: &Path,
    max: usize,
    what: &'static str,
) -> Result<Vec<u8>, BoundedReadError> {
    use std::io::Read as _;
    let io = |source| BoundedReadError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > max {
        return Err(BoundedReadError::TooLarge {
            path: path.display().to_string(),
            max,
            what,
        });
    }
    Ok(bytes)
}

/// A budget file's text. At most `MAX_FILE_BYTES` are read.
fn read_source(path: &Path) -> Result<String, ReadProblem> {
    let bytes = read_bounded(path, yaml::MAX_FILE_BYTES, "budget files").map_err(|e| match e {
        BoundedReadError::Io { .. } => ReadProblem::Io(e.to_string()),
        BoundedReadError::TooLarge { .. } => ReadProblem::TooLarge(e.to_string()),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
        ReadProblem::NotUtf8 {
            pos: Pos {
                line: u32::try_from(valid.matches('\n').count() + 1).unwrap_or(u32::MAX),
                column: u32::try_from(valid[line_start..].chars().count() + 1).unwrap_or(u32::MAX),
                offset: at,
                len: 0,
            },
            byte: bytes[at],
            lossy: String::from_utf8_lossy(&bytes).into_owned(),
        }
    })
}

/// Validate one document given as text, as if read from `path`.
pub fn load_str(path: impl Into<PathBuf>, text: &str) -> Loaded {
    load_sources(vec![SourceFile {
        path: path.into(),
        text: text.to_owned(),
    }])
}

/// Validate documents already in memory, merging them as one configuration.
pub fn load_sources(sources: Vec<SourceFile>) -> Loaded {
    parse_sources(sources).resolve(&OrganizationAccounts::new())
}

/// Parse and decode documents already in memory, to be merged.
pub fn parse_sources(sources: Vec<SourceFile>) -> Parsed {
    let mut loaded = Loaded::default();
    // Files parse and decode independently, in parallel; merging is in order.
    let files: Vec<Arc<SourceFile>> = sources.into_iter().map(Arc::new).collect();
    let decoded_files: Vec<(Result<decode::DecodedFile, Diagnostic>, Vec<Diagnostic>)> = files
        .par_iter()
        .map(|file| {
            let mut diagnostics = Vec::new();
            let decoded = yaml::parse(file).map(|root| {
                let decoded = decode::Decoder::new(file, &mut diagnostics).file(&root);
                root.drop_in_parallel();
                decoded
            });
            (decoded, diagnostics)
        })
        .collect();
    loaded.files.clone_from(&files);

    let mut decoded = Vec::with_capacity(decoded_files.len());
    let mut diagnostics = Vec::with_capacity(decoded_files.len());
    for (file, file_diagnostics) in decoded_files {
        match file {
            Ok(file) => {
                decoded.push(file);
                diagnostics.push(file_diagnostics);
            }
            // A file that does not parse adds its one diagnostic, nothing else.
            Err(d) => loaded.diagnostics.push(d),
        }
    }
    Parsed {
        loaded,
        decoded,
        diagnostics,
    }
}
