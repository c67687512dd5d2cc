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
