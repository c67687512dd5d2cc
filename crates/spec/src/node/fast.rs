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

/// Budgets per parallel slice of a long `budgets:` list.
pub const SLICE: usize = 512;

/// [`compose`], parsing a long top-level `budgets:` block list in parallel
/// slices of `slice` items (see [`Sliced`]). Any doubt falls back to
/// [`compose`] of the whole text, so the result is always the tree
/// [`compose`] would build. Production slices through
/// [`Sliced::slice`] while decoding; this whole-tree form is what the tests
/// hold against [`compose`].
#[cfg(test)]
pub(super) fn compose_parallel(text: &str, slice: usize) -> Option<Node> {
    let Some(sliced) = Sliced::new(text, slice) else {
        return compose(text);
    };
    sliced.into_tree().or_else(|| compose(text))
}

/// A file whose top-level `budgets:` block list is cut into slices that
/// parse on their own, so that each can be parsed (and decoded, and freed)
/// on any thread. YAML cannot be parsed from the middle in general, so the
/// list is cut only where a line starts a new item at the list's
/// indentation, and the rest of the file, the skeleton, is parsed apart
/// with positions as in the file. Anything that makes a cut unsafe (a
/// document marker or directive, a tab) gives no `Sliced`; a slice that
/// does not parse as a list of exactly its items gives `None` from
/// [`Sliced::slice`], and the caller then parses the whole text instead.
pub struct Sliced<'t> {
    text: &'t str,
    /// The file without the list; its `budgets` is null.
    pub skeleton: Node,
    /// Each slice's byte range, the line before it, and its item count.
    ranges: Vec<(usize, usize, u32, usize)>,
}

impl<'t> Sliced<'t> {
    /// Cut `text`'s budgets list into slices of `slice` items, or `None`
    /// when it has no list longer than one slice or cannot be cut safely.
    pub fn new(text: &'t str, slice: usize) -> Option<Self> {
        let slice = slice.max(1);
        let region = budgets_region(text).filter(|r| r.items.len() > slice)?;
        let cuts: Vec<(usize, u32)> = region.items.iter().step_by(slice).copied().collect();
        let ranges = cuts
            .iter()
            .enumerate()
            .map(|(i, &(start, line))| {
                let end = cuts.get(i + 1).map_or(region.end, |&(next, _)| next);
                // Up to the next line's first non-space, as a block scalar at
                // the end of a slice ends there in the whole file too.
                let end = end + text[end..].bytes().take_while(|&b| b == b' ').count();
                let items = slice.min(region.items.len() - i * slice);
                (start, end, line - 1, items)
            })
            .collect();

        let mut skeleton = String::with_capacity(text.len() - (region.end - region.start));
        skeleton.push_str(&text[..region.start]);
        skeleton.push_str(&text[region.end..]);
        let mut root = compose(&skeleton)?;
        let newlines =
            memchr::memchr_iter(b'\n', &text.as_bytes()[region.start..region.end]).count();
        let lines = u32::try_from(newlines).ok()?;
        shift(&mut root, region.start, region.end - region.start, lines);
        let Value::Map(entries) = &root.value else {
            return None;
        };
        let (_, list) = entries
            .iter()
            .find(|(k, _)| k.scalar_text() == Some("budgets"))?;
        if !matches!(list.value, Value::Null) {
            return None;
        }
        Some(Sliced {
            text,
            skeleton: root,
            ranges,
        })
    }

    /// How many slices there are.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Parse slice `i`: the list's position as this slice sees it, and its
    /// items, or `None` when the slice is not a list of exactly its items.
    pub fn slice(&self, i: usize) -> Option<(Pos, Vec<Node>)> {
        let &(start, end, lines, count) = self.ranges.get(i)?;
        let base = Base {
            lines,
            offset: start,
        };
        match compose_at(&self.text[start..end], base)? {
            Node {
                pos,
                value: Value::Seq(items),
            } if items.len() == count => Some((pos, items)),
            _ => None,
        }
    }

    /// The whole tree: every slice parsed in parallel, in the skeleton.
    #[cfg(test)]
    fn into_tree(self) -> Option<Node> {
        use rayon::prelude::*;
        let slices: Vec<Option<(Pos, Vec<Node>)>> = (0..self.len())
            .into_par_iter()
            .map(|i| self.slice(i))
            .collect();
        let mut items = Vec::with_capacity(self.ranges.iter().map(|r| r.3).sum());
        let mut list_pos = None;
        for slice in slices {
            let (pos, nodes) = slice?;
            // The first slice's list position is the list's own.
            list_pos.get_or_insert(pos);
            items.extend(nodes);
        }
        let mut root = self.skeleton;
        let Value::Map(entries) = &mut root.value else {
            return None;
        };
        let (_, list) = entries
            .iter_mut()
            .find(|(k, _)| k.scalar_text() == Some("budgets"))?;
        *list = Node {
            pos: list_pos?,
            value: Value::Seq(items),
        };
        Some(root)
    }
}

/// Move nodes at or after `from` in the skeleton to where they are in the file.
fn shift(node: &mut Node, from: usize, bytes: usize, lines: u32) {
    if node.pos.offset >= from {
        node.pos.offset += bytes;
        node.pos.line = node.pos.line.saturating_add(lines);
    }
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, from, bytes, lines)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            shift(k, from, bytes, lines);
            shift(v, from, bytes, lines);
        }),
        _ => {}
    }
}

/// The items of a top-level `budgets:` block list.
struct Region {
    /// Where the list's first line starts, and where the line after it does.
    start: usize,
    end: usize,
    /// Byte offset and line number of each line starting an item.
    items: Vec<(usize, u32)>,
}

/// Find the top-level `budgets:` block list by its lines, or `None` when
/// the text holds anything that makes cutting it at item lines unsafe.
fn budgets_region(text: &str) -> Option<Region> {
    enum State {
        Before,
        /// After `budgets:`, before its first item.
        Open,
        Items(usize),
        After,
    }
    let mut state = State::Before;
    let (mut start, mut end) = (0, text.len());
    let mut items = Vec::new();
    let mut offset = 0;
    let mut line = 0u32;
    while offset < text.len() {
        line += 1;
        let next = memchr::memchr(b'\n', &text.as_bytes()[offset..])
            .map_or(text.len(), |at| offset + at + 1);
        let raw = &text[offset..next];
        let content = raw.trim_end_matches(['\n', '\r']);
        let trimmed = content.trim_start_matches(' ');
        let indent = content.len() - trimmed.len();
        if content.starts_with("---")
            || content.starts_with("...")
            || content.starts_with('%')
            || trimmed.starts_with('\t')
        {
            return None;
        }
        let blank = trimmed.is_empty() || trimmed.starts_with('#');
        let item = trimmed == "-" || trimmed.starts_with("- ");
        match state {
            State::Before => {
                if is_budgets_key(content) {
                    state = State::Open;
                    start = offset + raw.len();
                }
            }
            State::Open if blank => {}
            State::Open if item => {
                state = State::Items(indent);
                items.push((offset, line));
            }
            State::Open => return None,
            State::Items(_) if blank => {}
            State::Items(at) if indent == at && item => items.push((offset, line)),
            State::Items(at) if indent > at => {}
            State::Items(_) => {
                end = offset;
                state = State::After;
            }
            State::After => break,
        }
        offset = next;
    }
    if items.is_empty() {
        return None;
    }
    let start = items[0].0.max(start);
    Some(Region { start, end, items })
}

/// `budgets:` at the start of a line, with nothing after it but a comment.
fn is_budgets_key(line: &str) -> bool {
    line.strip_prefix("budgets:").is_some_and(|rest| {
        rest.trim_start_matches(' ').is_empty()
            || (rest.starts_with(' ') && rest.trim_start_matches(' ').starts_with('#'))
    })
}

/// A collection being built.
enum Open {
    Seq(Pos, Vec<Node>),
    /// A mapping and, between a key and its value, that key.
    Map(Pos, Vec<(Node, Node)>, Option<Node>),
}

/// The tree of `text`, or `None` when serde-saphyr must decide.
pub(super) fn compose(text: &str) -> Option<Node> {
    compose_at(text, Base::default())
}

/// Where a piece of text sits in its file: the line before its first line,
/// and its byte offset.
#[derive(Clone, Copy, Default)]
struct Base {
    lines: u32,
    offset: usize,
}

/// [`compose`] of a piece of a file, with positions in the whole file.
fn compose_at(text: &str, base: Base) -> Option<Node> {
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
                let pos = pos(text, &span, base);
                if let Some(Open::Map(_, entries, key @ None)) = stack.last_mut() {
                    // Keys are strings (serde-saphyr reads them as `String`).
                    let text = key_text(value.as_ref(), style)?;
                    if entries.iter().any(|(k, _)| k.scalar_text() == Some(text)) {
                        return None;
                    }
                    *key = Some(Node {
                        pos,
                        value: Value::String(text.into()),
                    });
                    continue;
                }
                Node {
                    pos,
                    value: resolve(&value, style)?,
                }
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || stack.len() >= MAX_DEPTH {
                    return None;
                }
                if matches!(stack.last(), Some(Open::Map(_, _, None))) {
                    return None; // a collection as a key
                }
                let pos = pos(text, &span, base);
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
fn pos(text: &str, span: &ParserSpan, base: Base) -> Pos {
    let offset = byte_offset(text, span.start);
    let end = byte_offset(text, span.end).max(offset);
    Pos {
        line: u32::try_from(span.start.line())
            .unwrap_or(u32::MAX)
            .saturating_add(base.lines),
        column: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        offset: offset + base.offset,
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
fn resolve(value: &str, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::String(value.into()));
    }
    Some(match plain_kind(value) {
        Kind::Null => Value::Null,
        Kind::Bool(b) => Value::Bool(b),
        Kind::Number => Value::Number(value.into()),
        Kind::String => Value::String(value.into()),
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
    // Every numeric spelling starts with a digit, a sign or a dot: most
    // scalars, words, are strings at the first byte.
    if !matches!(s.as_bytes()[0], b'0'..=b'9' | b'+' | b'-' | b'.') {
        return Kind::String;
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
    let numeral_chars = bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_'));
    // A sign inside the text, other than an exponent's, rules out every
    // numeric spelling: `2026-11`, `2026-Q1` and dates are strings.
    let inner_sign = bytes
        .windows(2)
        .any(|w| matches!(w[1], b'+' | b'-') && !matches!(w[0], b'e' | b'E'));
    if numeral_chars && !inner_sign {
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
