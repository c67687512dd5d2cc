//! What a user or AWS wrote, made inert for where it is shown: terminals
//! (control, bidirectional and invisible characters escaped) and markdown.

use std::fmt::Write as _;

/// Make user text inert in markdown and HTML: no markup, no mentions, no
/// table breaks, no code spans.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '@' => out.push_str("&#64;"),
            '*' => out.push_str("&#42;"),
            '_' => out.push_str("&#95;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '\\' => out.push_str("&#92;"),
            '#' => out.push_str("&#35;"),
            '~' => out.push_str("&#126;"),
            '!' => out.push_str("&#33;"),
            '\n' | '\r' => out.push(' '),
            c if is_unsafe_char(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Make user text inert in an html page: text and attribute values alike;
/// control and invisible characters escaped as for a terminal.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_unsafe_char(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// One of budgetctl's messages (a warning, a plan error) for markdown: the
/// code spans it writes between backticks become `<code>` elements, the
/// rest is text, and every part is escaped as [`escape_markdown`] escapes
/// it, so a value inside a span can neither close it nor inject anything.
/// A backtick with no partner is text.
pub fn markdown_message(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        let in_code = i % 2 == 1;
        if in_code && i + 1 < parts.len() {
            out.push_str("<code>");
            out.push_str(&escape_markdown(part));
            out.push_str("</code>");
        } else {
            if in_code {
                out.push_str("&#96;");
            }
            out.push_str(&escape_markdown(part));
        }
    }
    out
}

/// Whether `c` must not reach a terminal or a review as it is: control
/// characters (they retitle terminals, move the cursor, forge lines), and
/// the bidirectional and invisible characters that make text read as other
/// text (`ev\u{202e}latot-dorp` shows as "evprod-total").
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || budgetctl_spec::rules::is_invisible(c)
}

/// `text` with every unsafe character written as its escape (`\u{1b}`,
/// `\u{202e}`), so that what a user or AWS wrote can neither drive the
/// terminal nor pass for other text: the library's one escaping path.
pub fn escape_text(text: &str) -> std::borrow::Cow<'_, str> {
    budgetctl_spec::rules::inert(text)
}

/// `c` as the escape people read it in: `\u{1b}`, `\u{202e}`.
fn push_escape(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// `escape_text` line by line: the line breaks a message was written with
/// stay, everything else unsafe is escaped.
pub fn escape_lines(text: &str) -> String {
    text.split('\n')
        .map(|line| escape_text(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `1 budget`, `2 budgets`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_in_a_message_read_as_code_and_inject_nothing() {
        assert_eq!(
            markdown_message("the next `budgetctl respond` will run"),
            "the next <code>budgetctl respond</code> will run"
        );
        assert_eq!(
            markdown_message("name `</code><img src=x>` and *this*"),
            "name <code>&lt;/code&gt;&lt;img src=x&gt;</code> and &#42;this&#42;"
        );
        assert_eq!(markdown_message("odd ` one"), "odd &#96; one");
    }
}
