//! The fast path of [`super::parse`]: the located tree built straight from
//! granit-parser's events (the parser serde-saphyr itself runs on), without
//! serde's per-node `Spanned` and `Location` round trips, which cost about
//! three times the parsing itself.
//!
//! It handles only what it can build exactly as the serde-saphyr path would:
//! one document of mappings, sequences and untagged scalars. Everything else
//! (a syntax error, anchors and aliases, tags, merge keys, duplicate keys,
//! non-scalar keys, scalars whose type needs serde-saphyr's full resolution,
//! input beyond the limits) returns `None`, and the caller parses the text
//! again with serde-saphyr, which gives the same tree or the located error.
//! A property test holds the two paths to the same tree.

use granit_parser::{Event, Marker, Parser, ScalarStyle, Span as ParserSpan};

use super::{Node, Value};
use crate::diagnostic::Pos;

/// Deepest nesting accepted, as serde-saphyr's `max_depth`.
const MAX_DEPTH: usize = 64;
/// Most parser events accepted, as serde-saphyr's `max_events`.
const MAX_EVENTS: usize = 20_000_000;

/// A collection being built.
enum Open {
    Seq(Pos, Vec<Node>),
    /// A mapping and, between a key and its value, that key.
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

/// The tree of `text`, or `None` when serde-saphyr must decide.
pub(super) fn compose(text: &str) -> Option<Node> {
    // serde-saphyr's parser settings, less the comments neither path keeps.
    let options = granit_parser::options! { emit_comments: false };
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    let mut events = 0usize;

    while let Some(next) = parser.next_event() {
        let (event, span) = next.ok()?;
        events += 1;
        if events > MAX_EVENTS {
            return None;
        }
        let node = match event {
            Event::StreamStart | Event::DocumentEnd | Event::StreamEnd => continue,
            Event::DocumentStart(_, version) => {
                documents += 1;
                if documents > 1 || version.is_some() {
                    return None;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let pos = pos(text, &span);
                if let Some(Open::Map(_, entries, key @ None)) = stack.last_mut() {
                    // Keys are strings (serde-saphyr reads them as `String`).
                    let text = key_text(value.as_ref(), style)?;
                    if entries.iter().any(|(k, _)| k.scalar_text() == Some(text)) {
                        return None;
                    }
                    *key = Some(Node {
                        pos,
                        value: Value::String(text.to_owned()),
                    });
                    continue;
                }
                Node {
                    pos,
                    value: resolve(value.into_owned(), style)?,
                }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || stack.len() >= MAX_DEPTH {
                    return None;
                }
                if matches!(stack.last(), Some(Open::Map(_, _, None))) {
                    return None; // a collection as a key
                }
                let pos = pos(text, &span);
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(pos, Vec::new())
                } else {
                    Open::Map(pos, Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop()? {
                Open::Seq(pos, items) => Node {
                    pos,
                    value: Value::Seq(items),
                },
                Open::Map(pos, entries, None) => Node {
                    pos,
                    value: Value::Map(entries),
                },
                Open::Map(_, _, Some(_)) => return None,
            },
            // Aliases, anchors, comments and whatever later parsers add.
            _ => return None,
        };
        match stack.last_mut() {
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, key)) => entries.push((key.take()?, node)),
            None if root.is_none() => root = Some(node),
            None => return None,
        }
    }
    if !stack.is_empty() {
        return None;
    }
    root
}

/// Where a node starts and how many bytes it spans.
fn pos(text: &str, span: &ParserSpan) -> Pos {
    let offset = byte_offset(text, span.start);
    let end = byte_offset(text, span.end).max(offset);
    Pos {
        line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
        column: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        offset,
        len: end - offset,
    }
}

fn byte_offset(text: &str, marker: Marker) -> usize {
    marker
        .byte_offset()
        .filter(|&o| o <= text.len())
        .unwrap_or(0)
}

/// A key's text, or `None` for a key serde-saphyr would not read as a plain
/// string (null, a boolean, or a merge key).
fn key_text(value: &str, style: ScalarStyle) -> Option<&str> {
    if style != ScalarStyle::Plain {
        return Some(value);
    }
    match plain_kind(value) {
        Kind::String | Kind::Number if value != "<<" => Some(value),
        _ => None,
    }
}

/// A scalar's value as serde-saphyr's untyped resolution would give it.
fn resolve(value: String, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::String(value));
    }
    Some(match plain_kind(&value) {
        Kind::Null => Value::Null,
        Kind::Bool(b) => Value::Bool(b),
        Kind::Number => Value::Number(value),
        Kind::String => Value::String(value),
        Kind::Unsure => return None,
    })
}

#[derive(Debug, PartialEq)]
enum Kind {
    Null,
    Bool(bool),
    Number,
    String,
    /// Possibly a number in a spelling this path does not resolve (`0x1F`,
    /// `1_000`, `.inf`, `+5`, `1.`): left to serde-saphyr.
    Unsure,
}

/// The YAML 1.2 core schema type of a plain scalar, with YAML 1.2 booleans
/// only (`no` is a string), as serde-saphyr resolves it for budgetctl.
fn plain_kind(s: &str) -> Kind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        _ => {}
    }
    if is_decimal(s) {
        // Long digit strings and large exponents can overflow a float, which
        // serde-saphyr refuses; leave those to it.
        return if s.len() <= 64 && !has_long_exponent(s) {
            Kind::Number
        } else {
            Kind::Unsure
        };
    }
    let bytes = s.as_bytes();
    let numeral_start = matches!(bytes[0], b'0'..=b'9' | b'+' | b'-' | b'.');
    let numeral_chars = bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_'));
    // A sign inside the text, other than an exponent's, rules out every
    // numeric spelling: `2026-11`, `2026-Q1` and dates are strings.
    let inner_sign = bytes
        .windows(2)
        .any(|w| matches!(w[1], b'+' | b'-') && !matches!(w[0], b'e' | b'E'));
    if numeral_start && numeral_chars && !inner_sign {
        Kind::Unsure
    } else {
        Kind::String
    }
}

/// `-?digits(.digits)?([eE][+-]?digits)?`: a number in every reading.
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let digits = |t: &str| -> usize { t.bytes().take_while(u8::is_ascii_digit).count() };
    let int = digits(s);
    if int == 0 {
        return false;
    }
    let mut rest = &s[int..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        return n > 0 && n == exponent.len();
    }
    rest.is_empty()
}

/// An exponent of three or more digits (`1e400`), which may overflow.
fn has_long_exponent(s: &str) -> bool {
    s.find(['e', 'E'])
        .is_some_and(|at| s[at + 1..].trim_start_matches(['+', '-']).len() > 2)
}
