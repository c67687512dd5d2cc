//! Diagnostics as people read them: miette's report with the source line, a
//! caret under the problem, the code and the hint.

use std::fmt;

use budgetctl_spec::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

/// A spec diagnostic dressed for miette.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    notes: Option<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
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
        match (&self.diagnostic.help, &self.notes) {
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
        let mut out = format!("{d}\n");
        for (span, label) in &d.related {
            out.push_str(&format!("  {label}: {span}\n"));
        }
        out.push_str(&format!(
            "  (the line is {longest} characters long and is not quoted)\n"
        ));
        return out;
    }
    // miette appends line:column to the name itself.
    let name = file.path.display().to_string();
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some("here".to_owned()),
        source_span(&file.text, &d.span.pos),
    )];
    let mut notes = Vec::new();
    for (span, label) in &d.related {
        if std::sync::Arc::ptr_eq(&span.file, file) {
            labels.push(LabeledSpan::new_with_span(
                Some(label.clone()),
                source_span(&file.text, &span.pos),
            ));
        } else {
            notes.push(format!("{label}: {span}"));
        }
    }
    let report = Report {
        diagnostic: d,
        source: NamedSource::new(name, file.text.clone()),
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
        out = format!("{d}\n");
    }
    out
}
