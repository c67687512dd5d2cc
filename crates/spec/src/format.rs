//! `budgetctl fmt`: a budget file in one canonical style, its comments kept.
//!
//! pretty_yaml lays the text out (indentation, spacing, quotes, one space
//! before a trailing comment) on yaml_parser's lossless syntax tree. Before
//! it, three edits of budgetctl's own on that tree, each of which leaves
//! what the file means unchanged:
//!
//! - account ids are quoted (`"111122223333"`), as the YAML reference asks;
//! - a short list of scalars under a key is written on one line
//!   (`metrics: [amortized-cost]`), as `import` writes it;
//! - a budget's keys are put in the documented order ([`BUDGET_KEY_ORDER`]),
//!   each taking along the comment lines above it and the comment beside it.

use std::ops::Range;

use yaml_parser::{SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};

use crate::diagnostic::Code;

/// The order of a budget's keys: the YAML reference's, and `import`'s
/// (the decoder's list of budget keys is kept in it).
/// Keys not listed (a typo `validate` reports) keep their place after these.
pub const BUDGET_KEY_ORDER: &[&str] = crate::decode::BUDGET_KEYS;

/// A list goes on one line when that line is at most this wide.
const INLINE_LIST_WIDTH: usize = 80;

/// Why a file is not formatted: YAML budgetctl's reader refuses, nesting
/// too deep to lay out, or a layout that would not settle or would change
/// what the file means (left as it is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct FormatError {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

/// `text` in the canonical style. Formatting formatted text changes
/// nothing, and what the text means never changes: the result is decoded
/// as budgetctl reads files and compared with the original (a file that
/// does not validate keeps its diagnostics), and where either check fails
/// the text is refused, not rewritten.
pub fn format(text: &str) -> Result<String, FormatError> {
    let before = crate::load_str("budgets.yaml", text);
    // What budgetctl's own reader refuses (broken YAML, a duplicate key,
    // nesting or aliases past its bounds) is not handed to a formatter
    // without those bounds.
    if let Some(d) = before
        .diagnostics
        .iter()
        .find(|d| matches!(d.code, Code::Syntax | Code::InputTooLarge))
    {
        let message = match d.code {
            Code::Syntax => format!("the YAML does not parse: {}", d.message),
            _ => d.message.clone(),
        };
        return Err(FormatError {
            line: d.span.pos.line as usize,
            column: d.span.pos.column as usize,
            message,
        });
    }
    // pretty_yaml settles in one pass on every file we know; laying the
    // result out again proves it, so that `fmt --check` passes right after
    // `fmt`.
    let mut formatted = layout(text)?;
    let mut settled = false;
    for _ in 0..3 {
        let again = layout(&formatted)?;
        settled = again == formatted;
        formatted = again;
        if settled {
            break;
        }
    }
    if !settled {
        return Err(unchanged("its layout does not settle"));
    }
    if meaning(&before) != meaning(&crate::load_str("budgets.yaml", &formatted)) {
        return Err(unchanged("formatting would change what it means"));
    }
    Ok(formatted)
}

/// The refusal of a text budgetctl cannot format without changing it.
fn unchanged(why: &str) -> FormatError {
    FormatError {
        line: 1,
        column: 1,
        message: format!("{why}, so it is left as it is (please report it)"),
    }
}

/// What a loaded file means: its configuration without the places things
/// were declared at (formatting moves lines), or for a file that does not
/// validate, the codes of its diagnostics.
fn meaning(loaded: &crate::Loaded) -> serde_json::Value {
    if loaded.has_errors() {
        let mut codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code.as_str()).collect();
        codes.sort_unstable();
        return serde_json::json!({ "errors": codes });
    }
    let mut config = serde_json::to_value(&loaded.config).unwrap_or_default();
    strip_origins(&mut config);
    config
}

/// Without `{file, line, column}` objects.
fn strip_origins(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| {
                !v.as_object().is_some_and(|o| {
                    o.len() == 3
                        && ["file", "line", "column"]
                            .iter()
                            .all(|k| o.contains_key(*k))
                })
            });
            map.values_mut().for_each(strip_origins);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_origins),
        _ => {}
    }
}

/// budgetctl's edits, then pretty_yaml's layout.
fn layout(text: &str) -> Result<String, FormatError> {
    let root = parse(text)?;
    let text = apply(text, local_edits(&root));
    let root = parse(&text)?;
    let text = apply(&text, reorder_edits(&root, &text));
    if let Some(e) = too_deep(&text) {
        return Err(e);
    }
    pretty_yaml::format_text(&text, &options()).map_err(|e| FormatError {
        line: 1,
        column: 1,
        message: format!(
            "formatting broke the YAML, please report it: {}",
            e.message()
        ),
    })
}

fn options() -> pretty_yaml::config::FormatOptions {
    let mut options = pretty_yaml::config::FormatOptions::default();
    options.layout.print_width = 120;
    options.layout.indent_width = 2;
    options.language.trailing_comma = false;
    options.language.prefer_single_line = true;
    // `{a: b}`, as import writes it.
    options.language.brace_spacing = false;
    options
}

/// Nodes yaml_parser can place: it tracks indentation in a 64-bit mask,
/// and a node at column 64 or beyond overflows it.
const MAX_COLUMN: usize = 60;

/// The first line whose content (after indentation and the `-`, `?` and
/// `:` of block collections) starts at [`MAX_COLUMN`] or beyond.
fn too_deep(text: &str) -> Option<FormatError> {
    text.lines().enumerate().find_map(|(i, line)| {
        let column = line
            .chars()
            .take_while(|c| matches!(c, ' ' | '\t' | '-' | '?' | ':'))
            .count();
        (column >= MAX_COLUMN).then(|| FormatError {
            line: i + 1,
            column: column + 1,
            message: format!(
                "nested {MAX_COLUMN} columns deep or more, which budgetctl fmt does not lay out; the file was left as it is"
            ),
        })
    })
}

fn parse(text: &str) -> Result<SyntaxNode, FormatError> {
    if let Some(e) = too_deep(text) {
        return Err(e);
    }
    yaml_parser::parse(text).map_err(|e| {
        let at = e.offset().min(text.len());
        let before = text.get(..at).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        FormatError {
            line,
            column,
            message: format!("the YAML does not parse: {}", e.message()),
        }
    })
}

/// `text` with each range replaced; ranges do not overlap.
fn apply(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

fn range(element: &SyntaxElement) -> Range<usize> {
    let r = element.text_range();
    usize::from(r.start())..usize::from(r.end())
}

fn node_range(node: &SyntaxNode) -> Range<usize> {
    let r = node.text_range();
    usize::from(r.start())..usize::from(r.end())
}

/// Whether a node is a mapping entry, block or flow.
fn is_entry(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::BLOCK_MAP_ENTRY | SyntaxKind::FLOW_MAP_ENTRY
    )
}

/// The key of a mapping entry, unquoted.
fn entry_key(entry: &SyntaxNode) -> Option<String> {
    let key = entry.children().find(|c| {
        matches!(
            c.kind(),
            SyntaxKind::BLOCK_MAP_KEY | SyntaxKind::FLOW_MAP_KEY
        )
    })?;
    let token = key
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| is_scalar(t.kind()))?;
    Some(scalar_value(&token))
}

fn is_scalar(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::PLAIN_SCALAR
            | SyntaxKind::DOUBLE_QUOTED_SCALAR
            | SyntaxKind::SINGLE_QUOTED_SCALAR
    )
}

/// A scalar token's text without its quotes (escapes left as written:
/// enough to compare keys).
fn scalar_value(token: &SyntaxToken) -> String {
    let text = token.text();
    match token.kind() {
        SyntaxKind::DOUBLE_QUOTED_SCALAR | SyntaxKind::SINGLE_QUOTED_SCALAR if text.len() >= 2 => {
            text[1..text.len() - 1].to_owned()
        }
        _ => text.to_owned(),
    }
}

/// The keys of the entries enclosing `node`, nearest first.
fn enclosing_keys(node: &SyntaxNode) -> Vec<String> {
    node.ancestors()
        .filter(|n| is_entry(n.kind()))
        .filter_map(|n| entry_key(&n))
        .collect()
}

/// Whether a plain scalar is an account id YAML would read as a number:
/// twelve digits where an account id is written (a key of `accounts:`,
/// the value of `account:`, an item of `accounts:` or of a group).
fn is_unquoted_account_id(token: &SyntaxToken) -> bool {
    let text = token.text();
    if token.kind() != SyntaxKind::PLAIN_SCALAR
        || text.len() != 12
        || !text.bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    let Some(holder) = token.parent().and_then(|flow| flow.parent()) else {
        return false;
    };
    match holder.kind() {
        SyntaxKind::BLOCK_MAP_KEY | SyntaxKind::FLOW_MAP_KEY => {
            // A key: of the mapping under `accounts:` (its entry, then the
            // entry holding the mapping).
            let keys = holder.parent().map(|entry| enclosing_keys(&entry));
            keys.as_ref().and_then(|k| k.get(1)).map(String::as_str) == Some("accounts")
        }
        _ => {
            let keys = enclosing_keys(&holder);
            match keys.first().map(String::as_str) {
                Some("account" | "accounts") => true,
                // An item of a group: `account_groups: {name: [ids]}`.
                Some(_) => keys.get(1).map(String::as_str) == Some("account_groups"),
                None => false,
            }
        }
    }
}

/// Account ids quoted, and short lists of scalars put on one line.
fn local_edits(root: &SyntaxNode) -> Vec<(Range<usize>, String)> {
    let mut edits = Vec::new();
    let mut inlined: Vec<Range<usize>> = Vec::new();
    for entry in root
        .descendants()
        .filter(|n| n.kind() == SyntaxKind::BLOCK_MAP_ENTRY)
    {
        if let Some((range, text)) = inline_list(&entry) {
            inlined.push(range.clone());
            edits.push((range, text));
        }
    }
    for token in root
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(is_unquoted_account_id)
    {
        let at = range(&SyntaxElement::Token(token.clone()));
        if !inlined
            .iter()
            .any(|r| r.start <= at.start && at.end <= r.end)
        {
            edits.push((at, format!("\"{}\"", token.text())));
        }
    }
    edits
}

/// A block list of scalars under a key, as one flow list, where it has no
/// comment, anchor or tag and fits on a line: the range from after the
/// colon to the list's end, and what replaces it.
fn inline_list(entry: &SyntaxNode) -> Option<(Range<usize>, String)> {
    let colon = entry
        .children_with_tokens()
        .find(|e| e.kind() == SyntaxKind::COLON)?;
    let value = entry
        .children()
        .find(|c| c.kind() == SyntaxKind::BLOCK_MAP_VALUE)?;
    let seq = value
        .children()
        .find(|c| c.kind() == SyntaxKind::BLOCK)?
        .children()
        .find(|c| c.kind() == SyntaxKind::BLOCK_SEQ)?;
    // Nothing but whitespace between the colon and the list.
    let between = colon.text_range().end()..value.text_range().start();
    let gap = entry
        .children_with_tokens()
        .filter(|e| between.contains(&e.text_range().start()));
    if gap.into_iter().any(|e| e.kind() != SyntaxKind::WHITESPACE) {
        return None;
    }
    let mut items = Vec::new();
    for element in seq.children_with_tokens() {
        match element.kind() {
            SyntaxKind::WHITESPACE => {}
            SyntaxKind::BLOCK_SEQ_ENTRY => {
                let node = element.into_node()?;
                items.push(flow_item(&node)?);
            }
            _ => return None,
        }
    }
    let column = column_of(entry);
    let line = column
        + entry_key_text(entry)?.len()
        + 2
        + 2
        + items.iter().map(|i| i.len() + 2).sum::<usize>();
    if items.is_empty() || line > INLINE_LIST_WIDTH {
        return None;
    }
    let start = usize::from(colon.text_range().end());
    Some((
        start..node_range(&value).end,
        format!(" [{}]", items.join(", ")),
    ))
}

/// The key of an entry as written.
fn entry_key_text(entry: &SyntaxNode) -> Option<String> {
    entry
        .children()
        .find(|c| c.kind() == SyntaxKind::BLOCK_MAP_KEY)
        .map(|k| k.text().to_string())
}

/// A list item as written in a flow list: a single-line scalar, quoted
/// where a plain one would read differently there (flow indicators,
/// comments), and account ids quoted.
fn flow_item(item: &SyntaxNode) -> Option<String> {
    let mut scalar = None;
    for element in item.descendants_with_tokens() {
        match element.kind() {
            SyntaxKind::MINUS | SyntaxKind::WHITESPACE => {}
            SyntaxKind::FLOW | SyntaxKind::BLOCK_SEQ_ENTRY => {}
            k if is_scalar(k) && scalar.is_none() => scalar = element.into_token(),
            _ => return None,
        }
    }
    let token = scalar?;
    let text = token.text();
    if text.contains('\n') {
        return None;
    }
    if token.kind() != SyntaxKind::PLAIN_SCALAR {
        return Some(text.to_owned());
    }
    let unsafe_in_flow =
        text.contains([',', '[', ']', '{', '}', '#']) || text.contains(": ") || text.ends_with(':');
    Some(if is_unquoted_account_id(&token) || unsafe_in_flow {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text.to_owned()
    })
}

/// The column (0-based, in bytes) a node starts at.
fn column_of(node: &SyntaxNode) -> usize {
    let start = usize::from(node.text_range().start());
    let root = node.ancestors().last().unwrap_or_else(|| node.clone());
    let text = root.text().to_string();
    let before = text.get(..start).unwrap_or("");
    before.len() - before.rfind('\n').map_or(0, |i| i + 1)
}

/// Each budget's keys in [`BUDGET_KEY_ORDER`].
fn reorder_edits(root: &SyntaxNode, text: &str) -> Vec<(Range<usize>, String)> {
    let top = root
        .descendants()
        .find(|n| n.kind() == SyntaxKind::BLOCK_MAP);
    let Some(top) = top else {
        return Vec::new();
    };
    let budgets = top
        .children()
        .filter(|c| c.kind() == SyntaxKind::BLOCK_MAP_ENTRY)
        .find(|e| entry_key(e).as_deref() == Some("budgets"));
    let Some(seq) =
        budgets.and_then(|b| b.descendants().find(|n| n.kind() == SyntaxKind::BLOCK_SEQ))
    else {
        return Vec::new();
    };
    seq.children()
        .filter(|c| c.kind() == SyntaxKind::BLOCK_SEQ_ENTRY)
        .filter_map(|item| {
            item.children()
                .find(|c| c.kind() == SyntaxKind::BLOCK)?
                .children()
                .find(|c| c.kind() == SyntaxKind::BLOCK_MAP)
        })
        .filter_map(|map| reorder(&map, text))
        .collect()
}

/// One key of a budget and the comments that go with it.
struct Part {
    rank: usize,
    /// The comment lines above it.
    above: Vec<String>,
    entry: String,
    /// The comment on its last line.
    beside: Option<String>,
}

/// A budget mapping's entries in order, comments kept with their entries;
/// `None` where the order is right already.
fn reorder(map: &SyntaxNode, text: &str) -> Option<(Range<usize>, String)> {
    let mut parts: Vec<Part> = Vec::new();
    let mut above: Vec<String> = Vec::new();
    // Whether the last thing seen is an entry with no line break since.
    let mut same_line = false;
    for element in map.children_with_tokens() {
        match element.kind() {
            SyntaxKind::WHITESPACE => {
                if element.to_string().contains('\n') {
                    same_line = false;
                }
            }
            SyntaxKind::COMMENT => {
                let text = element.to_string();
                match parts.last_mut() {
                    Some(last) if same_line && last.beside.is_none() => last.beside = Some(text),
                    _ => above.push(text),
                }
            }
            SyntaxKind::BLOCK_MAP_ENTRY => {
                let node = element.as_node()?;
                let key = entry_key(node)?;
                let rank = BUDGET_KEY_ORDER
                    .iter()
                    .position(|k| *k == key)
                    .unwrap_or(BUDGET_KEY_ORDER.len());
                parts.push(Part {
                    rank,
                    above: std::mem::take(&mut above),
                    entry: element.to_string(),
                    beside: None,
                });
                same_line = true;
            }
            // Anything else (a stray token): leave the budget as written.
            _ => return None,
        }
    }
    if parts.windows(2).all(|w| w[0].rank <= w[1].rank) {
        return None;
    }
    let mut range = node_range(map);
    // The comment beside the last entry, when the mapping ends there, is
    // the parent's token: it goes with its entry all the same.
    if above.is_empty() {
        let rest = &text[range.end..];
        let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
        if line.trim_start().starts_with('#')
            && let Some(last) = parts.last_mut().filter(|p| p.beside.is_none())
        {
            last.beside = Some(line.trim().to_owned());
            range.end += line.len();
        }
    }
    // The first entry's comments above sit before the mapping, not in it.
    let trailing = above;
    parts.sort_by_key(|p| p.rank);
    let indent = " ".repeat(column_of(map));
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        lines.extend(part.above);
        lines.push(match part.beside {
            Some(comment) => format!("{} {comment}", part.entry),
            None => part.entry,
        });
    }
    lines.extend(trailing);
    Some((range, lines.join(&format!("\n{indent}"))))
}
