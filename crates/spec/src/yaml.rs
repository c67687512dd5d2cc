//! The YAML document as a tree of located nodes.
//!
//! serde-saphyr parses the text (panic-free, with input limits against alias
//! bombs and huge documents) into this tree; `decode` then walks it to build
//! the typed model, so that every error can point at the exact key or value and
//! all errors of a file are found in one pass instead of stopping at the first.

use std::fmt;
use std::sync::Arc;

use compact_str::CompactString;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diagnostic::{Code, Diagnostic, Pos, SourceFile, Span};

/// Largest budget file accepted, in bytes. Ten thousand budgets with alerts
/// take about 4 MB, and validating takes about 20 bytes of memory per byte
/// of YAML (`cargo bench -p budgetctl-spec`: 4 MB, 80 MB peak): 16 MiB keeps
/// one file under about 350 MB. More budgets go in more files of a directory.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// A YAML value with the position it was written at.
#[derive(Debug, Clone)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    /// A plain scalar that YAML reads as a number, kept as written so that
    /// amounts and account ids never pass through a float.
    Number(CompactString),
    String(CompactString),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// What kind of value this is, in words for error messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Free a file's tree on all threads: ten thousand budgets are hundreds
    /// of thousands of nodes, slow to free on one. Long lists under the top
    /// mapping (the budgets) are freed item by item in parallel.
    pub fn drop_in_parallel(self) {
        use rayon::prelude::*;
        let Value::Map(entries) = self.value else {
            return;
        };
        for (_, value) in entries {
            if let Value::Seq(items) = value.value {
                items.into_par_iter().with_min_len(64).for_each(drop);
            }
        }
    }

    /// The text of a scalar (string or number), or `None` for other kinds.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) | Value::Number(s) => Some(s),
            _ => None,
        }
    }
}

thread_local! {
    /// The text being parsed, so that nodes can take positions and number
    /// digits from it while serde-saphyr deserializes (see [`parse`]).
    static SOURCE: std::cell::RefCell<Option<Arc<SourceFile>>> = const { std::cell::RefCell::new(None) };
}

thread_local! {
    /// The first scalar of the parse written with a YAML tag (`!!binary`,
    /// `!!int`, `!custom`): where, and the tag.
    static TAGGED: std::cell::RefCell<Option<(Pos, String)>> = const { std::cell::RefCell::new(None) };
}

/// The tag written before a scalar defined at `at`, if any: the token just
/// before it (`!!binary` in `name: !!binary aGVsbG8=`), or the scalar's own
/// first token when its span starts with `!`.
fn tag_before(text: &str, at: &Pos) -> Option<String> {
    let written = text.get(at.offset..at.offset + at.len).unwrap_or("");
    if written.starts_with('!') {
        return written.split_whitespace().next().map(str::to_owned);
    }
    let before = text.get(..at.offset)?.trim_end_matches([' ', '\t']);
    let start = before
        .rfind([' ', '\t', '\n', '[', '{', ','])
        .map_or(0, |i| i + 1);
    let token = &before[start..];
    // A tag is `!`, `!!` or `!name!` and URI characters; a `!` inside a
    // quoted key (`" !": x`) or a key itself (`a!:`) is none.
    let is_tag = token.starts_with('!')
        && !token.ends_with(':')
        && token[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.!~*()[]#;/?:@&=+$,%".contains(c));
    is_tag.then(|| token.to_owned())
}

/// Sets [`SOURCE`] for the duration of one parse.
struct SourceGuard;

impl SourceGuard {
    fn set(file: &Arc<SourceFile>) -> Self {
        SOURCE.with(|s| *s.borrow_mut() = Some(Arc::clone(file)));
        SourceGuard
    }
}

impl Drop for SourceGuard {
    fn drop(&mut self) {
        SOURCE.with(|s| *s.borrow_mut() = None);
        TAGGED.with(|t| *t.borrow_mut() = None);
    }
}

fn with_source<R>(f: impl FnOnce(&str) -> R) -> R {
    SOURCE.with(|s| {
        f(s.borrow()
            .as_ref()
            .map(|file| file.text.as_str())
            .unwrap_or(""))
    })
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Spanned {
            value,
            referenced,
            defined,
        } = Spanned::<Value>::deserialize(d)?;
        with_source(|text| {
            let pos = pos_of(&referenced, text);
            if matches!(
                value,
                Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_)
            ) {
                let at = pos_of(&defined, text);
                if let Some(tag) = tag_before(text, &at) {
                    TAGGED.with(|t| {
                        t.borrow_mut().get_or_insert((pos, tag));
                    });
                }
            }
            let value = match value {
                // The digits as written ("1000.10", "012345678901"), from where
                // the scalar is defined (an alias points elsewhere).
                Value::Number(rendered) => {
                    let at = pos_of(&defined, text);
                    let written = text.get(at.offset..at.offset + at.len).unwrap_or("");
                    if !written.is_empty() && !written.starts_with(['*', '&', '!']) {
                        Value::Number(written.trim().into())
                    } else {
                        Value::Number(rendered)
                    }
                }
                other => other,
            };
            Ok(Node { pos, value })
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ValueVisitor;

        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_none<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            // Numbers keep their digits; `Node::deserialize` replaces this
            // rendering with the text as written.
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Number(v.to_string().into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::Number(v.to_string().into()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
                Ok(Value::Number(v.to_string().into()))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
                Ok(Value::Number(v.to_string().into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Number(v.to_string().into()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::String(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::String(v.into()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<Node>()? {
                    items.push(item);
                }
                Ok(Value::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
                    let value = map.next_value::<Node>()?;
                    let pos = with_source(|text| pos_of(&key.referenced, text));
                    let key = Node {
                        pos,
                        value: Value::String(key.value.0.into()),
                    };
                    entries.push((key, value));
                }
                Ok(Value::Map(entries))
            }
        }

        d.deserialize_any(ValueVisitor)
    }
}

/// A mapping key as written: a string, or the text of another scalar (`~`
/// for null, `true`, `12`), so that the decoder can name any key it does not
/// know rather than the parser failing on a key that is not a string.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyText, E> {
                Ok(KeyText(v))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("~".to_owned()))
            }
            fn visit_none<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("~".to_owned()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // `1e400` reaches the decoder as written, which refuses it as an
        // amount (with the amount's own message), not as a parser failure.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        // YAML 1.2 booleans only: `no` is a string, never false (the Norway problem).
        strict_booleans: true,
        // Aliases replay events: cap the replay so an alias bomb stops early.
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_replay_stack_depth: 16,
            max_alias_expansions_per_anchor: 1_000,
        },
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(MAX_FILE_BYTES),
            max_events: 20_000_000,
            max_aliases: 10_000,
            max_anchors: 10_000,
            // A budget file nests about 15 levels at most (a filter
            // expression a few operators deep). Each level is a frame of the
            // recursive deserializer: 32 keeps a 2 MiB thread stack (rayon's,
            // a test's) safe even in debug builds, where 64 overflowed it
            // (found by the mutation fuzzer, tests/fuzz.rs).
            max_depth: 32,
            max_documents: 1,
            max_nodes: 10_000_000,
            max_total_scalar_bytes: MAX_FILE_BYTES,
        },
    }
}

fn pos_of(loc: &serde_saphyr::Location, text: &str) -> Pos {
    let span = loc.span();
    let (offset, len) = match (span.byte_offset(), span.byte_len()) {
        (Some(o), Some(l)) => (o as usize, l as usize),
        _ => (0, 0),
    };
    let (offset, len) = if offset.saturating_add(len) <= text.len() {
        (offset, len)
    } else {
        (0, 0)
    };
    Pos {
        line: u32::try_from(loc.line()).unwrap_or(u32::MAX),
        column: u32::try_from(loc.column()).unwrap_or(u32::MAX),
        offset,
        len,
    }
}

/// Parse one file's text into a located tree, or a diagnostic saying why not.
pub fn parse(file: &Arc<SourceFile>) -> Result<Node, Diagnostic> {
    let text = file.text.as_str();
    if text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            Code::InputTooLarge,
            Span::file_start(file),
            format!(
                "file is {} bytes; budget files may be at most {} bytes",
                text.len(),
                MAX_FILE_BYTES
            ),
        )
        .with_help(
            "split the budgets over several files in a directory and pass the directory with -f",
        ));
    }
    if text.trim().is_empty() {
        return Ok(Node {
            pos: Pos {
                line: 1,
                column: 1,
                offset: 0,
                len: 0,
            },
            value: Value::Null,
        });
    }
    let _source = SourceGuard::set(file);
    let node = serde_saphyr::from_str_with_options::<Node>(&file.text, options())
        .map_err(|err| syntax_diagnostic(file, &err))?;
    // serde-saphyr applies tags (`!!binary` decodes base64) or drops them
    // (`!custom`): a budget file has no use for either, so none is allowed.
    if let Some((pos, tag)) = TAGGED.with(|t| t.borrow_mut().take()) {
        return Err(Diagnostic::error(
            Code::YamlTag,
            Span::new(file, pos),
            format!("the YAML tag `{tag}` is not used in budget files: it would change or be dropped from the value"),
        )
        .with_help(format!("remove `{tag}` and write the value plainly")));
    }
    Ok(node)
}

fn syntax_diagnostic(file: &Arc<SourceFile>, err: &serde_saphyr::Error) -> Diagnostic {
    let pos = err
        .location()
        .map(|loc| pos_of(&loc, &file.text))
        .unwrap_or(Pos {
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
        });
    // serde-saphyr renders its own snippet; keep only the sentence.
    let full = err.to_string();
    let first = full.lines().next().unwrap_or("invalid YAML");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let message = match first.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with("line ") => rest,
        _ => first,
    };
    use serde_saphyr::budget::BudgetBreach;
    // The error itself, under the wrappers that add a snippet or the
    // places an alias was used.
    let mut original = err;
    while let serde_saphyr::Error::WithSnippet { error, .. }
    | serde_saphyr::Error::AliasError { error, .. } = original
    {
        original = error;
    }
    let typed = match original {
        serde_saphyr::Error::MultipleDocuments { .. }
        | serde_saphyr::Error::Budget {
            breach: BudgetBreach::Documents { .. },
            ..
        } => Some((
            Code::Syntax,
            "the file holds a second YAML document (after `---`); a budget file is one document"
                .to_owned(),
            "remove the `---` line and merge the documents, or put the second one in a file of its own",
        )),
        serde_saphyr::Error::Budget { breach, .. } => {
            let what = match breach {
                BudgetBreach::Depth { .. } => "is nested more than 32 levels deep".to_owned(),
                BudgetBreach::Aliases { .. } | BudgetBreach::Anchors { .. } => {
                    "uses more than 10,000 anchors or aliases".to_owned()
                }
                BudgetBreach::Events { .. } | BudgetBreach::Nodes { .. } => {
                    "holds more YAML values than budgetctl reads from one file".to_owned()
                }
                _ => "is larger than budgetctl reads from one file".to_owned(),
            };
            Some((
                Code::InputTooLarge,
                format!("the YAML {what}"),
                "split the budgets over several files in a directory, and check for runaway anchors and aliases",
            ))
        }
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => Some((
            Code::InputTooLarge,
            "the YAML expands its aliases further than budgetctl reads from one file".to_owned(),
            "check for runaway anchors and aliases (an alias of an alias of a list…), or write the values out",
        )),
        _ => None,
    };
    if let Some((code, message, help)) = typed {
        return Diagnostic::error(code, Span::new(file, pos), message).with_help(help);
    }
    let (code, message, help) = if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
        let key = key.split(',').next().unwrap_or(key);
        (
            Code::Syntax,
            format!("key `{key}` appears twice in the same mapping"),
            Some("remove one of them; YAML keeps only one value per key".to_owned()),
        )
    } else {
        (
            Code::Syntax,
            format!("invalid YAML: {message}"),
            Some("check indentation, quoting and brackets around this place".to_owned()),
        )
    };
    let mut d = Diagnostic::error(code, Span::new(file, pos), message);
    if let Some(help) = help {
        d = d.with_help(help);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            path: "t.yaml".into(),
            text: text.to_owned(),
        })
    }

    #[test]
    fn numbers_keep_their_written_digits() {
        let node = parse(&source("a: 1000.10\nb: 012345678901\nc: 1.0E+2\n")).unwrap();
        let Value::Map(entries) = node.value else {
            panic!("expected a map")
        };
        let texts: Vec<_> = entries
            .iter()
            .map(|(_, v)| v.scalar_text().unwrap().to_owned())
            .collect();
        assert_eq!(texts, ["1000.10", "012345678901", "1.0E+2"]);
    }

    #[test]
    fn norway_is_a_string() {
        let node = parse(&source("a: no\n")).unwrap();
        let Value::Map(entries) = node.value else {
            panic!("expected a map")
        };
        assert!(matches!(&entries[0].1.value, Value::String(s) if s == "no"));
    }

    #[test]
    fn duplicate_keys_are_located() {
        let err = parse(&source("a: 1\na: 2\n")).unwrap_err();
        assert_eq!((err.span.pos.line, err.span.pos.column), (2, 1));
        assert!(err.message.contains("`a` appears twice"), "{}", err.message);
    }

    #[test]
    fn yaml_tags_on_scalars_are_refused_and_a_bang_in_text_is_not_a_tag() {
        for (text, tag) in [
            ("name: !!binary aGVsbG8=\n", "!!binary"),
            ("limit: !!int 5\n", "!!int"),
            ("a: [x, !custom monthly]\n", "!custom"),
        ] {
            let err = parse(&source(text)).unwrap_err();
            assert_eq!(err.code, Code::YamlTag, "{text}");
            assert!(err.message.contains(tag), "{text}: {}", err.message);
        }
        for text in [
            "\" !\": \"\"\n",
            "a!: b\n",
            "msg: \"wow !x\"\n",
            "msg: wow!\n",
            "k: {\"a !b\" : c}\n",
        ] {
            assert!(parse(&source(text)).is_ok(), "{text}");
        }
    }

    /// Found by the mutation fuzzer: 141 nested flow lists overflowed a
    /// 2 MiB stack in a debug build before the depth limit refused them.
    #[test]
    fn deep_nesting_is_refused_before_the_stack_runs_out() {
        let text = format!("budgets: {}1{}\n", "[".repeat(141), "]".repeat(141));
        let err = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || parse(&source(&text)).unwrap_err())
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(err.code, Code::InputTooLarge);
        assert!(
            err.message.contains("nested more than 32 levels"),
            "{}",
            err.message
        );
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&source(&text)).unwrap_err();
        assert_eq!(err.code, Code::InputTooLarge, "{}", err.message);
    }
}
