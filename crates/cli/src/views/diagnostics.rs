//! Diagnostics as people read them: miette's report with the source line, a
//! caret under the problem, the code and the hint.

use std::fmt;

use budgetctl_spec::{Diagnostic, Severity};

use super::escape::{escape_text, is_unsafe_char};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

/// A spec diagnostic dressed for miette: every text in it escaped (a file
/// may hold control or bidirectional characters, and diagnostics echo keys
/// and values), the source masked the same way.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    message: String,
    help: Option<String>,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    notes: Option<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The source with each unsafe character replaced by as many `?` as it has
/// bytes: byte offsets (and so every span) stay valid, and nothing in the
/// quoted line can drive the terminal.
fn masked(text: &str) -> String {
    // Line ends (`\n`, `\r\n`) and tabs are the file's layout, not a threat.
    let mut chars = text.chars().peekable();
    let mut out = String::with_capacity(text.len());
    while let Some(c) = chars.next() {
        let layout = c == '\n' || c == '\t' || (c == '\r' && chars.peek() == Some(&'\n'));
        if !layout && is_unsafe_char(c) {
            out.push_str(&"?".repeat(c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        match (&self.help, &self.notes) {
            (Some(h), Some(n)) => Some(Box::new(format!("{h}\n{n}"))),
            (Some(h), None) => Some(Box::new(h)),
            (None, Some(n)) => Some(Box::new(n)),
            (None, None) => None,
        }
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

fn source_span(text: &str, pos: &budgetctl_spec::diagnostic::Pos) -> SourceSpan {
    if pos.len == 0 && pos.offset == 0 && pos.line > 1 {
        // No byte range was recorded: point at the line and column instead.
        let offset = text
            .split_inclusive('\n')
            .take(pos.line as usize - 1)
            .map(str::len)
            .sum::<usize>()
            + pos.column.saturating_sub(1) as usize;
        return SourceSpan::new(offset.min(text.len()).into(), 0);
    }
    SourceSpan::new(pos.offset.into(), pos.len)
}

/// Source lines longer than this are not quoted: a caret under column
/// 70,000 helps no one, and miette's renderer cannot place one past column
/// 65,535 (it panics).
const MAX_QUOTED_LINE: usize = 1_000;

/// The length of the line around byte `offset` of `text`.
fn line_len_at(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    end - start
}

/// The diagnostic as text: `file:line:col`, the message, the source line with
/// a caret, and the hint. Where a line to quote is very long, the location
/// and message alone.
pub fn render(d: &Diagnostic, color: bool) -> String {
    let file = &d.span.file;
    // Nothing to quote (no file was read): the message and its help.
    if file.text.is_empty() && d.related.is_empty() {
        let (word, style) = match d.severity {
            budgetctl_spec::Severity::Error => {
                ("error", anstyle::AnsiColor::Red.on_default().bold())
            }
            budgetctl_spec::Severity::Warning => {
                ("warning", anstyle::AnsiColor::Yellow.on_default().bold())
            }
        };
        let word = if color {
            format!("{style}{word}{style:#}")
        } else {
            word.to_owned()
        };
        let mut out = format!("{word}[{}]: {}\n", d.code.as_str(), escape_text(&d.message));
        if let Some(help) = &d.help {
            out.push_str(&format!("  help: {}\n", escape_text(help)));
        }
        return out;
    }
    let spans = std::iter::once(&d.span)
        .chain(d.related.iter().map(|(s, _)| s))
        .filter(|s| std::sync::Arc::ptr_eq(&s.file, file));
    let longest = spans
        .map(|s| line_len_at(&file.text, source_span(&file.text, &s.pos).offset()))
        .max()
        .unwrap_or(0);
    if longest > MAX_QUOTED_LINE {
        let mut out = format!("{}\n", escape_text(&d.to_string()));
        for (span, label) in &d.related {
            out.push_str(&format!("  {}\n", escape_text(&format!("{label}: {span}"))));
        }
        out.push_str(&format!(
            "  (the line is {longest} characters long and is not quoted)\n"
        ));
        return out;
    }
    // miette appends line:column to the name itself.
    let name = escape_text(&file.path.display().to_string()).into_owned();
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some("here".to_owned()),
        source_span(&file.text, &d.span.pos),
    )];
    let mut notes = Vec::new();
    for (span, label) in &d.related {
        if std::sync::Arc::ptr_eq(&span.file, file) {
            labels.push(LabeledSpan::new_with_span(
                Some(escape_text(label).into_owned()),
                source_span(&file.text, &span.pos),
            ));
        } else {
            notes.push(escape_text(&format!("{label}: {span}")).into_owned());
        }
    }
    let report = Report {
        diagnostic: d,
        message: escape_text(&d.message).into_owned(),
        help: d.help.as_deref().map(|h| escape_text(h).into_owned()),
        source: NamedSource::new(name, masked(&file.text)),
        labels,
        notes: (!notes.is_empty()).then(|| notes.join("\n")),
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme).with_context_lines(1);
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}\n", escape_text(&d.to_string()));
    }
    out
}

/// `text` as the data of a GitHub workflow command: `%`, `\r` and `\n`
/// escaped as the runner decodes them, every other unsafe character as for
/// a terminal.
fn github_data(text: &str) -> String {
    super::escape::escape_lines(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `text` as a property of a GitHub workflow command: its data escapes,
/// and `:` and `,`, which end a property.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Where an annotation points: a file, a line and column, and where the
/// problem ends.
#[derive(Debug, Clone)]
pub struct Place {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Place {
    fn of(span: &budgetctl_spec::diagnostic::Span) -> Place {
        let (end_line, end_column) = span.end();
        Place {
            file: span.file.path.display().to_string(),
            line: span.pos.line,
            column: span.pos.column,
            end_line,
            end_column: end_column.max(span.pos.column),
        }
    }

    /// A place known only by its start (a budget's origin).
    pub fn at(origin: &budgetctl_spec::Origin) -> Place {
        Place {
            file: origin.file.clone(),
            line: origin.line,
            column: origin.column,
            end_line: origin.line,
            end_column: origin.column,
        }
    }
}

/// One problem as GitHub and code scanning take it, from validate's
/// diagnostics and lint's findings alike: one renderer for both.
#[derive(Debug, Clone)]
pub struct Annotation {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub help: Option<String>,
    /// Where it is, when it is in a file.
    pub at: Option<Place>,
    pub related: Vec<(Place, String)>,
}

impl Annotation {
    pub fn of(d: &Diagnostic) -> Annotation {
        Annotation {
            severity: d.severity,
            code: d.code.as_str().to_owned(),
            message: d.message.clone(),
            help: d.help.clone(),
            at: Some(Place::of(&d.span)),
            related: d
                .related
                .iter()
                .map(|(span, label)| (Place::of(span), label.clone()))
                .collect(),
        }
    }
}

/// The annotation as a GitHub workflow command (`::error file=…,line=…::…`),
/// so that a job's log puts it on the line of the pull request's diff.
pub fn github(a: &Annotation) -> String {
    let level = match a.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut message = a.message.clone();
    if let Some(help) = &a.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    for (place, label) in &a.related {
        message.push_str(&format!(
            "\n{label}: {}:{}:{}",
            place.file, place.line, place.column
        ));
    }
    let location = match &a.at {
        Some(p) => format!(
            "file={},line={},col={},endLine={},endColumn={},",
            github_property(&p.file),
            p.line,
            p.column,
            p.end_line,
            p.end_column
        ),
        None => String::new(),
    };
    format!(
        "::{level} {location}title={}::{}\n",
        github_property(&format!("budgetctl {}", a.code)),
        github_data(&message)
    )
}

/// An error that is on no line of a file, as a GitHub workflow command.
pub fn github_error(title: &str, message: &str) -> String {
    format!(
        "::error title={}::{}\n",
        github_property(title),
        github_data(message)
    )
}

fn location(place: &Place) -> serde_json::Value {
    serde_json::json!({
        "physicalLocation": {
            "artifactLocation": { "uri": place.file.replace('\\', "/") },
            "region": {
                "startLine": place.line,
                "startColumn": place.column,
                "endLine": place.end_line,
                "endColumn": place.end_column,
            },
        }
    })
}

/// The annotations as one SARIF 2.1.0 log, for code scanning: a rule per
/// code found (its id the code, its help the first hint given for it), a
/// result per annotation with its location (where it has one) and related
/// places.
pub fn sarif(diagnostics: &[Annotation]) -> serde_json::Value {
    let level = |s: Severity| match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    for d in diagnostics {
        if ids.contains(&d.code.as_str()) {
            continue;
        }
        ids.push(d.code.as_str());
        let help = diagnostics
            .iter()
            .filter(|x| x.code == d.code)
            .find_map(|x| x.help.clone())
            .unwrap_or_else(|| "See the message for what would be right.".to_owned());
        rules.push(serde_json::json!({
            "id": d.code,
            "name": d.code,
            "shortDescription": { "text": format!("budgetctl {}", d.code) },
            "help": { "text": help },
            "defaultConfiguration": { "level": level(d.severity) },
        }));
    }
    let results: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str(&format!(" (help: {help})"));
            }
            let mut result = serde_json::json!({
                "ruleId": d.code,
                "ruleIndex": ids.iter().position(|id| *id == d.code.as_str()).unwrap_or(0),
                "level": level(d.severity),
                "message": { "text": text },
            });
            if let Some(at) = &d.at {
                result["locations"] = serde_json::json!([location(at)]);
            }
            if !d.related.is_empty() {
                result["relatedLocations"] = d
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, (place, label))| {
                        let mut l = location(place);
                        l["id"] = serde_json::json!(i);
                        l["message"] = serde_json::json!({ "text": label });
                        l
                    })
                    .collect();
            }
            result
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "budgetctl",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/budgetctl/budgetctl",
                    "rules": rules,
                }
            },
            "results": results,
        }]
    })
}
