//! From a located YAML tree to the typed model, checking every rule on the way.
//!
//! The decoder never stops at the first problem: it records a diagnostic, skips
//! the offending value and goes on, so one run reports everything wrong with a
//! file. A budget with any error is left out of the result.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use regex::Regex;
use rust_decimal::Decimal;

use crate::amount::{AmountError, parse_amount};
use crate::diagnostic::{Code, Diagnostic, Pos, SourceFile, Span, did_you_mean};
use crate::model::{
    AccountId, AccountSettings, AutoAdjust, Budget, BudgetLimit, BudgetType, ComparisonOperator,
    CostTypes, Dimension, DimensionValues, Expression, KeyValues, MatchOption, Metric,
    Notification, NotificationKey, NotificationType, Origin, Spend, Subscriber, ThresholdType,
    TimeUnit,
};
use crate::node::{Node, Value};
use crate::planned::PlannedSchedule;
use crate::rules::{self, Problem};

/// The latest end date AWS accepts for a budget (TimePeriod end).
pub fn max_end_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2087, 6, 15).expect("valid date")
}

pub(crate) const TOP_KEYS: &[&str] = &["version", "defaults", "accounts", "budgets"];
pub(crate) const DEFAULTS_KEYS: &[&str] = &["account", "unit"];
pub(crate) const ACCOUNT_KEYS: &[&str] = &["role", "prune", "ignore"];
pub(crate) const BUDGET_KEYS: &[&str] = &[
    "name",
    "account",
    "type",
    "period",
    "limit",
    "planned",
    "auto_adjust",
    "start",
    "end",
    "cost_types",
    "filters",
    "filter_expression",
    "metrics",
    "billing_view_arn",
    "notifications",
    "tags",
];
const LIMIT_KEYS: &[&str] = &["amount", "unit"];
/// The keys that make `planned:` a schedule rather than a map of periods.
const SCHEDULE_KEYS: &[&str] = &["every", "grow", "from"];
const AUTO_ADJUST_KEYS: &[&str] = &["historical", "forecast"];
const COMPACT_NOTIFICATION_KEYS: &[&str] = &["on", "to"];
const STRUCTURED_NOTIFICATION_KEYS: &[&str] = &[
    "type",
    "comparison",
    "threshold",
    "threshold_type",
    "subscribers",
];
const SUBSCRIBER_KEYS: &[&str] = &["email", "sns"];
const EXPRESSION_KEYS: &[&str] = &["and", "or", "not", "dimensions", "tags", "cost_categories"];
const DIMENSION_KEYS: &[&str] = &["key", "values", "match_options"];

/// A budget decoded from a file, with the places later checks point at.
pub(crate) struct DecodedBudget {
    pub account: AccountId,
    pub budget: Budget,
    pub origin: Origin,
    pub name_span: Span,
}

/// An `accounts:` entry with the place it was declared.
pub(crate) struct DecodedAccount {
    pub id: AccountId,
    pub settings: AccountSettings,
    pub span: Span,
}

#[derive(Default)]
pub(crate) struct DecodedFile {
    pub accounts: Vec<DecodedAccount>,
    pub budgets: Vec<DecodedBudget>,
    /// Account, name and place of budgets left out for errors, so that a
    /// duplicate name is still reported alongside them.
    pub invalid_budget_names: Vec<(AccountId, String, Span)>,
}

/// A slice's budgets, the names of its budgets left out, its diagnostics.
type SliceResult = (
    Vec<DecodedBudget>,
    Vec<(AccountId, String, Span)>,
    Vec<Diagnostic>,
);

#[derive(Default)]
struct FileDefaults {
    account: Option<AccountId>,
    unit: Option<String>,
}

/// A mapping's known entries, after unknown keys were reported. Mappings
/// here have a handful of keys, so a linear scan beats hashing.
struct Fields<'n> {
    node: &'n Node,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn entry(&self, key: &str) -> Option<&(&'n str, &'n Node, &'n Node)> {
        self.entries.iter().find(|(k, _, _)| *k == key)
    }

    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entry(key).map(|(_, _, v)| *v)
    }

    fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entry(key).map(|(_, k, _)| k.pos)
    }

    fn has(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }
}

pub(crate) struct Decoder<'a> {
    file: &'a Arc<SourceFile>,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// Errors recorded so far; a budget whose decoding added any is dropped.
    errors: usize,
    invalid_budget_names: Vec<(AccountId, String, Span)>,
}

impl<'a> Decoder<'a> {
    pub fn new(file: &'a Arc<SourceFile>, diagnostics: &'a mut Vec<Diagnostic>) -> Self {
        Decoder {
            file,
            diagnostics,
            errors: 0,
            invalid_budget_names: Vec::new(),
        }
    }

    fn span(&self, pos: Pos) -> Span {
        Span::new(self.file, pos)
    }

    fn push(&mut self, d: Diagnostic) {
        if d.is_error() {
            self.errors += 1;
        }
        self.diagnostics.push(d);
    }

    fn error_help(
        &mut self,
        code: Code,
        pos: Pos,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = Diagnostic::error(code, self.span(pos), message).with_help(help);
        self.push(d);
    }

    fn problem(&mut self, pos: Pos, p: Problem) {
        let mut d = Diagnostic::error(p.code, self.span(pos), p.message);
        if let Some(help) = p.help {
            d = d.with_help(help);
        }
        self.push(d);
    }

    fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.error_help(
            Code::WrongType,
            node.pos,
            format!("{what} must be {expected}, found {}", node.kind()),
            format!("write {what} as {expected}"),
        );
    }

    /// Check that `node` is a mapping whose keys are all in `known`.
    fn fields<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, what, "a mapping");
            return None;
        };
        let mut map = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("");
            if known.contains(&key) {
                map.push((key, k, v));
                continue;
            }
            let mut d = Diagnostic::error(
                Code::UnknownKey,
                self.span(k.pos),
                format!("unknown key `{key}` in {what}"),
            );
            d = match did_you_mean(key, known.iter().copied()) {
                Some(near) => d.with_help(format!("did you mean `{near}`?")),
                None => d.with_help(format!("{what} takes: {}", known.join(", "))),
            };
            self.push(d);
        }
        Some(Fields { node, entries: map })
    }

    fn require<'n>(&mut self, fields: &Fields<'n>, key: &str, what: &str) -> Option<&'n Node> {
        let found = fields.get(key);
        if found.is_none() {
            self.error_help(
                Code::MissingKey,
                fields.node.pos,
                format!("{what} is missing `{key}`"),
                format!("add `{key}:`"),
            );
        }
        found
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::String(s) | Value::Number(s) => Some(s.to_string()),
            _ => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, what, "true or false");
                None
            }
        }
    }

    fn enum_value<E: Copy>(
        &mut self,
        node: &Node,
        what: &str,
        parse: fn(&str) -> Option<E>,
        choices: &[E],
        name: fn(E) -> &'static str,
    ) -> Option<E> {
        let text = self.string(node, what)?;
        if let Some(v) = parse(&text) {
            return Some(v);
        }
        let names: Vec<&str> = choices.iter().map(|c| name(*c)).collect();
        let help = match did_you_mean(&text, names.iter().copied()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("use one of: {}", names.join(", ")),
        };
        self.error_help(
            Code::InvalidEnum,
            node.pos,
            format!("`{text}` is not a valid {what}"),
            help,
        );
        None
    }

    fn amount(&mut self, node: &Node, what: &str) -> Option<Decimal> {
        let Some(text) = node.scalar_text() else {
            self.wrong_type(node, what, "a number");
            return None;
        };
        match parse_amount(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let help = match e {
                    AmountError::Negative(_) => "amounts are zero or more",
                    _ => "write a decimal number such as 1000 or 1000.50",
                };
                self.error_help(Code::Amount, node.pos, format!("{what}: {e}"), help);
                None
            }
        }
    }

    fn date(&mut self, node: &Node, what: &str) -> Option<NaiveDate> {
        let text = self.string(node, what)?;
        match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.error_help(
                    Code::Date,
                    node.pos,
                    format!("{what} `{text}` is not a date"),
                    "write the date as YYYY-MM-DD, e.g. 2026-01-01",
                );
                None
            }
        }
    }

    fn account_id(&mut self, node: &Node, what: &str) -> Option<AccountId> {
        let text = self.string(node, what)?;
        let id = AccountId::parse(&text);
        if id.is_none() {
            self.error_help(
                Code::AccountId,
                node.pos,
                format!("{what} `{text}` is not an AWS account id"),
                "an account id is exactly 12 digits; quote it (\"011122223333\") to keep leading zeros",
            );
        }
        id
    }

    /// A list of strings, or a single string standing for a list of one.
    fn string_list(&mut self, node: &Node, what: &str) -> Option<Vec<(String, Pos)>> {
        match &node.value {
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match self.string(item, what) {
                        Some(s) => out.push((s, item.pos)),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }
            Value::String(s) | Value::Number(s) => Some(vec![(s.to_string(), node.pos)]),
            _ => {
                self.wrong_type(node, what, "a list of strings");
                None
            }
        }
    }

    pub fn file(&mut self, root: &Node) -> DecodedFile {
        let mut out = DecodedFile::default();
        if matches!(root.value, Value::Null) {
            self.error_help(
                Code::MissingKey,
                root.pos,
                "the file is empty",
                "start the file with `version: 1` and a `budgets:` list",
            );
            return out;
        }
        let Some(top) = self.fields(root, "the file", TOP_KEYS) else {
            return out;
        };

        match top.get("version") {
            None => self.error_help(
                Code::Version,
                root.pos,
                "the file has no `version`",
                "add `version: 1` at the top of the file",
            ),
            Some(v) if v.scalar_text().and_then(crate::amount::parse_whole) == Some(1) => {}
            Some(v) => self.error_help(
                Code::Version,
                v.pos,
                format!(
                    "unsupported version `{}`",
                    v.scalar_text().unwrap_or(v.kind())
                ),
                "this budgetctl reads `version: 1`",
            ),
        }

        let defaults = top
            .get("defaults")
            .map(|d| self.defaults(d))
            .unwrap_or_default();

        if let Some(accounts) = top.get("accounts") {
            out.accounts = self.accounts(accounts);
        }

        match top.get("budgets") {
            None
            | Some(Node {
                value: Value::Null, ..
            }) => {}
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => {
                self.budgets(items, &defaults, &mut out);
            }
            Some(other) => self.wrong_type(other, "`budgets`", "a list of budgets"),
        }
        out.invalid_budget_names = std::mem::take(&mut self.invalid_budget_names);
        out
    }

    /// Decode one slice of budgets with a decoder of its own.
    fn decode_slice(
        file: &Arc<SourceFile>,
        items: &[Node],
        defaults: &FileDefaults,
    ) -> SliceResult {
        let mut diagnostics = Vec::new();
        let mut decoder = Decoder::new(file, &mut diagnostics);
        let budgets: Vec<DecodedBudget> = items
            .iter()
            .filter_map(|item| decoder.budget(item, defaults))
            .collect();
        let invalid = std::mem::take(&mut decoder.invalid_budget_names);
        (budgets, invalid, diagnostics)
    }

    /// Add slices' results, in file order.
    fn join(&mut self, slices: Vec<SliceResult>, out: &mut DecodedFile) {
        for (budgets, invalid, diagnostics) in slices {
            out.budgets.extend(budgets);
            self.invalid_budget_names.extend(invalid);
            for d in diagnostics {
                self.push(d);
            }
        }
    }

    /// Decode a file's budgets, in parallel slices for long lists: each slice
    /// has its own decoder, and the results join in file order.
    fn budgets(&mut self, items: &[Node], defaults: &FileDefaults, out: &mut DecodedFile) {
        /// Budgets per slice: enough work to outweigh handing it to a thread.
        const SLICE: usize = 256;
        let file = self.file;
        let slices: Vec<SliceResult> = items
            .par_chunks(SLICE)
            .map(|slice| Decoder::decode_slice(file, slice, defaults))
            .collect();
        self.join(slices, out);
    }

    fn defaults(&mut self, node: &Node) -> FileDefaults {
        let mut d = FileDefaults::default();
        let Some(f) = self.fields(node, "`defaults`", DEFAULTS_KEYS) else {
            return d;
        };
        if let Some(a) = f.get("account") {
            d.account = self.account_id(a, "defaults.account");
        }
        if let Some(u) = f.get("unit") {
            d.unit = self.unit(u);
        }
        d
    }

    fn unit(&mut self, node: &Node) -> Option<String> {
        let unit = self.string(node, "unit")?;
        if unit.is_empty() || unit.chars().any(char::is_whitespace) {
            self.error_help(
                Code::Unit,
                node.pos,
                format!("unit `{unit}` is not a unit"),
                "write a unit such as USD, GB or Hrs",
            );
            return None;
        }
        Some(unit)
    }

    fn accounts(&mut self, node: &Node) -> Vec<DecodedAccount> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "`accounts`", "a mapping of account ids to settings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(id) = self.account_id(k, "account") else {
                continue;
            };
            let mut settings = AccountSettings::default();
            if !matches!(v.value, Value::Null) {
                let Some(f) = self.fields(v, "an account", ACCOUNT_KEYS) else {
                    continue;
                };
                if let Some(r) = f.get("role")
                    && let Some(role) = self.string(r, "role")
                {
                    match rules::role_arn(&role) {
                        Ok(()) => settings.role = Some(role),
                        Err(p) => self.problem(r.pos, p),
                    }
                }
                if let Some(p) = f.get("prune") {
                    settings.prune = self.boolean(p, "prune").unwrap_or(false);
                }
                if let Some(i) = f.get("ignore")
                    && let Some(globs) = self.string_list(i, "ignore")
                {
                    for (glob, pos) in globs {
                        match globset::Glob::new(&glob) {
                            Ok(_) => settings.ignore.push(glob),
                            Err(e) => self.error_help(
                                Code::IgnoreGlob,
                                pos,
                                format!("`{glob}` is not a valid glob: {}", e.kind()),
                                "use `*` for any run of characters and `?` for one, e.g. legacy-*",
                            ),
                        }
                    }
                }
            }
            out.push(DecodedAccount {
                id,
                settings,
                span: self.span(k.pos),
            });
        }
        out
    }

    fn budget(&mut self, node: &Node, defaults: &FileDefaults) -> Option<DecodedBudget> {
        let errors_before = self.errors;
        let f = self.fields(node, "a budget", BUDGET_KEYS)?;

        let name_node = self.require(&f, "name", "a budget");
        let name = name_node.and_then(|n| {
            let name = self.string(n, "name")?;
            match rules::budget_name(&name) {
                Ok(()) => Some(name),
                Err(p) => {
                    self.problem(n.pos, p);
                    None
                }
            }
        });

        let account = match f.get("account") {
            Some(a) => self.account_id(a, "account"),
            None => match &defaults.account {
                Some(a) => Some(a.clone()),
                None => {
                    self.error_help(
                        Code::MissingAccount,
                        node.pos,
                        "the budget has no account",
                        "set `account:` on the budget, or `defaults.account` for the file",
                    );
                    None
                }
            },
        };

        let budget_type = match f.get("type") {
            Some(t) => self.enum_value(
                t,
                "budget type",
                BudgetType::parse,
                BudgetType::ALL,
                BudgetType::as_str,
            ),
            None => Some(BudgetType::Cost),
        };
        let time_unit = match f.get("period") {
            Some(p) => self.enum_value(
                p,
                "period",
                TimeUnit::parse,
                TimeUnit::ALL,
                TimeUnit::as_str,
            ),
            None => Some(TimeUnit::Monthly),
        };

        let start = f.get("start").and_then(|n| self.date(n, "start"));
        let end = f.get("end").and_then(|n| self.date(n, "end"));
        self.period_dates(&f, time_unit, start, end);

        let limit = match (budget_type, time_unit) {
            (Some(bt), Some(tu)) => self.limit(&f, bt, tu, defaults),
            _ => None,
        };

        // Undeclared cost types are AWS's defaults: neither sent nor compared.
        let cost_types = match (budget_type, f.get("cost_types")) {
            (Some(BudgetType::Cost), Some(n)) => self.cost_types(n),
            (Some(bt), Some(_)) => {
                self.error_help(
                    Code::CostTypesNotCost,
                    f.key_pos("cost_types").unwrap_or(node.pos),
                    format!("cost_types apply only to cost budgets, and this is a {bt} budget"),
                    "remove `cost_types`, or make the budget `type: cost`",
                );
                None
            }
            (_, _) => None,
        };

        let cost_filters = f
            .get("filters")
            .map(|n| self.cost_filters(n))
            .unwrap_or_default();
        let filter_expression = f.get("filter_expression").and_then(|n| self.expression(n));
        let metrics = f
            .get("metrics")
            .map(|n| self.metrics(n))
            .unwrap_or_default();
        self.filter_forms(
            &f,
            node,
            filter_expression.is_some(),
            metrics.is_empty(),
            budget_type,
        );
        let billing_view_arn = f.get("billing_view_arn").and_then(|n| {
            let arn = self.string(n, "billing_view_arn")?;
            match rules::billing_view_arn(&arn) {
                Ok(()) => Some(arn),
                Err(p) => {
                    self.problem(n.pos, p);
                    None
                }
            }
        });

        let limit_unit = match &limit {
            Some(BudgetLimit::Fixed(s)) => Some(s.unit.clone()),
            Some(BudgetLimit::Planned(p)) => p.values().next().map(|s| s.unit.clone()),
            Some(BudgetLimit::Schedule(s)) => Some(s.every.unit.clone()),
            _ => defaults.unit.clone(),
        };
        let notifications = f
            .get("notifications")
            .map(|n| self.notifications(n, limit_unit.as_deref()))
            .unwrap_or_default();
        let tags = f.get("tags").map(|n| self.tags(n));

        let name_node = name_node?;
        if self.errors > errors_before {
            if let (Some(account), Some(name)) = (account, name) {
                let span = self.span(name_node.pos);
                self.invalid_budget_names.push((account, name, span));
            }
            return None;
        }
        Some(DecodedBudget {
            account: account?,
            budget: Budget {
                name: name?,
                budget_type: budget_type?,
                time_unit: time_unit?,
                limit: limit?,
                start,
                end,
                cost_types,
                cost_filters,
                filter_expression,
                metrics,
                billing_view_arn,
                notifications,
                tags,
            },
            origin: Origin {
                file: self.file.path.display().to_string(),
                line: node.pos.line,
                column: node.pos.column,
            },
            name_span: self.span(name_node.pos),
        })
    }

    /// AWS takes FilterExpression + Metrics or CostFilters + CostTypes, never
    /// both; the latter pair is deprecated (2025-04-18), and a
    /// FilterExpression without Metrics makes a budget whose console chart
    /// fails ("Selected metrics cannot be null").
    fn filter_forms(
        &mut self,
        f: &Fields<'_>,
        node: &Node,
        has_expression: bool,
        no_metrics: bool,
        budget_type: Option<BudgetType>,
    ) {
        let legacy: Vec<&str> = ["filters", "cost_types"]
            .into_iter()
            .filter(|k| f.has(k))
            .collect();
        if has_expression {
            for key in &legacy {
                self.error_help(
                    Code::FilterExpressionWithCostFilters,
                    f.key_pos(key).unwrap_or(node.pos),
                    format!("`{key}` beside `filter_expression`: AWS takes a filter expression with metrics, or filters with cost types, never both"),
                    "move the filters into `filter_expression` and the cost types into `metrics`, then remove this key",
                );
            }
            if no_metrics {
                self.error_help(
                    Code::FilterExpressionWithoutMetrics,
                    f.key_pos("filter_expression").unwrap_or(node.pos),
                    "filter_expression without metrics: AWS stores the budget, but its console chart fails (\"Selected metrics cannot be null\")",
                    "add `metrics: [unblended-cost]` (or amortized-cost, blended-cost, … : the metric the budget tracks)",
                );
            }
            return;
        }
        // RI and Savings Plans budgets have no documented expression form.
        if matches!(budget_type, Some(bt) if bt.is_ri_or_sp()) {
            return;
        }
        if let Some(filters) = f.get("filters") {
            let equivalent = self.expression_equivalent(filters);
            let d = Diagnostic::warning(
                Code::DeprecatedCostFilters,
                self.span(f.key_pos("filters").unwrap_or(node.pos)),
                "`filters` (CostFilters) are deprecated by AWS since 2025-04-18 and lack newer dimensions",
            )
            .with_help(match equivalent {
                Some(e) => format!("write `filter_expression: {e}` with `metrics: [unblended-cost]` instead"),
                None => "write the filters as a `filter_expression` with `metrics` instead".to_owned(),
            });
            self.push(d);
        }
        if let (Some(BudgetType::Cost), Some(n)) = (budget_type, f.get("cost_types")) {
            let amortized = self.flag_set(n, &["amortized", "UseAmortized"]);
            let blended = self.flag_set(n, &["blended", "UseBlended"]);
            let metric = if amortized {
                "amortized-cost"
            } else if blended {
                "blended-cost"
            } else {
                "unblended-cost"
            };
            let d = Diagnostic::warning(
                Code::DeprecatedCostFilters,
                self.span(f.key_pos("cost_types").unwrap_or(node.pos)),
                "`cost_types` (CostTypes) are deprecated by AWS since 2025-04-18",
            )
            .with_help(format!(
                "write `metrics: [{metric}]` instead, and exclude charges such as tax with `filter_expression: {{not: {{dimensions: {{key: record-type, values: [Tax]}}}}}}`"
            ));
            self.push(d);
        }
    }

    /// Whether a cost_types mapping sets one of `names` to true.
    fn flag_set(&self, node: &Node, names: &[&str]) -> bool {
        let Value::Map(entries) = &node.value else {
            return false;
        };
        entries.iter().any(|(k, v)| {
            k.scalar_text().is_some_and(|k| names.contains(&k))
                && matches!(v.value, Value::Bool(true))
        })
    }

    /// The `filter_expression` that says what legacy `filters` say, in flow
    /// YAML, where every key has one.
    fn expression_equivalent(&self, node: &Node) -> Option<String> {
        let Value::Map(entries) = &node.value else {
            return None;
        };
        let mut parts = Vec::new();
        for (k, v) in entries {
            let key = k.scalar_text()?;
            let dimension = rules::cost_filter_keys()
                .iter()
                .find(|(name, _)| name == key)
                .and_then(|(_, d)| *d)?;
            let values: Vec<String> = match &v.value {
                Value::Seq(items) => items
                    .iter()
                    .map(|i| i.scalar_text().map(|t| format!("\"{t}\"")))
                    .collect::<Option<_>>()?,
                _ => vec![format!("\"{}\"", v.scalar_text()?)],
            };
            parts.push(format!(
                "{{dimensions: {{key: {}, values: [{}]}}}}",
                dimension.as_str(),
                values.join(", ")
            ));
        }
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(format!("{{and: [{}]}}", parts.join(", "))),
        }
    }

    fn period_dates(
        &mut self,
        f: &Fields<'_>,
        time_unit: Option<TimeUnit>,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) {
        let end_pos = f.get("end").map(|n| n.pos).unwrap_or(f.node.pos);
        if let Some(e) = end
            && e > max_end_date()
        {
            self.error_help(
                Code::DateMax,
                end_pos,
                format!("end {e} is after 2087-06-15, the latest end AWS accepts"),
                "use an end on or before 2087-06-15, or leave `end` out for no end",
            );
        }
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            self.error_help(
                Code::DateOrder,
                end_pos,
                format!("end {e} is not after start {s}"),
                "the start must come before the end",
            );
        }
        if time_unit == Some(TimeUnit::Custom) && (!f.has("start") || !f.has("end")) {
            self.error_help(
                Code::CustomPeriodDates,
                f.key_pos("period").unwrap_or(f.node.pos),
                "a custom period needs both `start` and `end`",
                "add `start: YYYY-MM-DD` and `end: YYYY-MM-DD`",
            );
        }
    }

    fn limit(
        &mut self,
        f: &Fields<'_>,
        budget_type: BudgetType,
        time_unit: TimeUnit,
        defaults: &FileDefaults,
    ) -> Option<BudgetLimit> {
        let given: Vec<&str> = ["limit", "planned", "auto_adjust"]
            .into_iter()
            .filter(|k| f.has(k))
            .collect();
        if given.len() > 1 {
            let pos = f.key_pos(given[1]).unwrap_or(f.node.pos);
            self.error_help(
                Code::LimitChoice,
                pos,
                format!(
                    "a budget takes exactly one of limit, planned and auto_adjust, and this one has {}",
                    given.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and ")
                ),
                "keep one of them",
            );
            return None;
        }

        if budget_type.is_ri_or_sp() {
            return self.ri_limit(f, budget_type);
        }

        let default_unit = match budget_type {
            BudgetType::Cost => Some(defaults.unit.clone().unwrap_or_else(|| "USD".to_owned())),
            _ => defaults.unit.clone(),
        };
        match given.first().copied() {
            Some("limit") => {
                let node = f.get("limit")?;
                self.spend(node, "limit", default_unit.as_deref())
                    .map(BudgetLimit::Fixed)
            }
            Some("planned") => {
                let node = f.get("planned")?;
                self.planned(node, time_unit, default_unit.as_deref())
            }
            Some(_) => {
                let node = f.get("auto_adjust")?;
                self.auto_adjust(node, time_unit)
                    .map(BudgetLimit::AutoAdjust)
            }
            None => {
                self.error_help(
                    Code::LimitRequired,
                    f.node.pos,
                    format!("a {budget_type} budget needs a limit"),
                    "add `limit: 1000`, a `planned:` schedule, or `auto_adjust: { historical: 6 }`",
                );
                None
            }
        }
    }

    /// Reservation and Savings Plans budgets: the limit is 100 (percent) or left out.
    fn ri_limit(&mut self, f: &Fields<'_>, budget_type: BudgetType) -> Option<BudgetLimit> {
        let hundred = Spend::new(Decimal::ONE_HUNDRED, "PERCENTAGE");
        for key in ["planned", "auto_adjust"] {
            if let Some(pos) = f.key_pos(key) {
                self.error_help(
                    Code::RiLimit,
                    pos,
                    format!("a {budget_type} budget cannot have `{key}`; its limit is always 100%"),
                    format!("remove `{key}`"),
                );
                return None;
            }
        }
        let Some(node) = f.get("limit") else {
            return Some(BudgetLimit::Fixed(hundred));
        };
        let spend = self.spend(node, "limit", Some("PERCENTAGE"))?;
        let unit_ok = spend.unit == "PERCENTAGE" || spend.unit == "%";
        if spend.amount != Decimal::ONE_HUNDRED || !unit_ok {
            self.error_help(
                Code::RiLimit,
                node.pos,
                format!(
                    "a {budget_type} budget's limit must be 100 (percent), not {}",
                    if unit_ok { crate::amount::to_aws_string(spend.amount) } else { spend.to_string() }
                ),
                "write `limit: 100` or leave `limit` out; set the target with a notification threshold",
            );
            return None;
        }
        Some(BudgetLimit::Fixed(hundred))
    }

    /// `1000`, `"1000 USD"` or `{amount: 1000, unit: USD}`.
    fn spend(&mut self, node: &Node, what: &str, default_unit: Option<&str>) -> Option<Spend> {
        let (amount, unit) = match &node.value {
            Value::Number(_) => (self.amount(node, what)?, None),
            Value::String(s) => {
                let mut parts = s.split_whitespace();
                let amount_text = parts.next().unwrap_or("");
                let unit = parts.next().map(str::to_owned);
                if parts.next().is_some() {
                    self.error_help(
                        Code::Amount,
                        node.pos,
                        format!("{what} `{s}` is not an amount with a unit"),
                        "write an amount and a unit, such as \"1000 USD\"",
                    );
                    return None;
                }
                let amount = match parse_amount(amount_text) {
                    Ok(a) => a,
                    Err(e) => {
                        self.error_help(
                            Code::Amount,
                            node.pos,
                            format!("{what}: {e}"),
                            "write an amount such as 1000, \"1000 USD\" or {amount: 1000, unit: USD}",
                        );
                        return None;
                    }
                };
                (amount, unit)
            }
            Value::Map(_) => {
                let f = self.fields(node, what, LIMIT_KEYS)?;
                let amount_node = self.require(&f, "amount", what)?;
                let amount = self.amount(amount_node, what)?;
                let unit = match f.get("unit") {
                    Some(u) => Some(self.unit(u)?),
                    None => None,
                };
                (amount, unit)
            }
            _ => {
                self.wrong_type(node, what, "an amount such as 1000 or \"1000 USD\"");
                return None;
            }
        };
        let unit = match unit.or_else(|| default_unit.map(str::to_owned)) {
            Some(u) => u,
            None => {
                self.error_help(
                    Code::Unit,
                    node.pos,
                    format!("{what} has no unit"),
                    "usage budgets count in their own unit: write it, e.g. \"500 GB\", or set defaults.unit",
                );
                return None;
            }
        };
        Some(Spend::new(amount, unit))
    }

    fn planned(
        &mut self,
        node: &Node,
        time_unit: TimeUnit,
        default_unit: Option<&str>,
    ) -> Option<BudgetLimit> {
        let (max, step) = match time_unit {
            TimeUnit::Monthly => (12, 1),
            TimeUnit::Quarterly => (4, 3),
            other => {
                self.error_help(
                    Code::PlannedPeriod,
                    node.pos,
                    format!("planned limits need a monthly or quarterly period, not {other}"),
                    "set `period: monthly` or `period: quarterly`, or use `limit:`",
                );
                return None;
            }
        };
        let Value::Map(entries) = &node.value else {
            self.wrong_type(
                node,
                "`planned`",
                "a mapping of periods to amounts, e.g. {2026-12: 1000}",
            );
            return None;
        };
        if entries
            .iter()
            .any(|(k, _)| SCHEDULE_KEYS.contains(&k.scalar_text().unwrap_or("")))
        {
            return self
                .schedule(entries, time_unit, default_unit)
                .map(BudgetLimit::Schedule);
        }
        if entries.is_empty() {
            self.error_help(
                Code::PlannedCount,
                node.pos,
                "planned has no periods",
                "add at least the current period, e.g. `2026-12: 1000`",
            );
            return None;
        }
        let mut out = BTreeMap::new();
        let mut positions = BTreeMap::new();
        let mut ok = true;
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("");
            let Some(start) = period_key(key, time_unit) else {
                let help = if time_unit == TimeUnit::Monthly {
                    "key monthly planned limits by month, e.g. 2026-12".to_owned()
                } else {
                    "key quarterly planned limits by quarter, e.g. 2027-Q1, or by the month a quarter starts (01, 04, 07, 10)".to_owned()
                };
                self.error_help(
                    Code::PlannedKey,
                    k.pos,
                    format!("`{key}` is not the start of a {time_unit} period"),
                    help,
                );
                ok = false;
                continue;
            };
            let Some(spend) = self.spend(v, "planned limit", default_unit) else {
                ok = false;
                continue;
            };
            positions.insert(start, k.pos);
            out.insert(start, spend);
        }
        if !ok {
            return None;
        }
        if out.len() > max {
            let (_, pos) = positions.iter().nth(max).expect("more than max entries");
            let unit = if step == 1 { "months" } else { "quarters" };
            self.error_help(
                Code::PlannedCount,
                *pos,
                format!(
                    "planned limits cover {} {unit}; AWS takes at most {max}",
                    out.len()
                ),
                format!("keep the current period and the next {}", max - 1),
            );
            return None;
        }
        let mut previous: Option<NaiveDate> = None;
        for (date, pos) in &positions {
            if let Some(p) = previous {
                let expected = p.checked_add_months(chrono::Months::new(step)).unwrap_or(p);
                if *date != expected {
                    self.error_help(
                        Code::PlannedGap,
                        *pos,
                        format!(
                            "planned limits skip from {} to {}; AWS needs consecutive periods",
                            format_period(p, time_unit),
                            format_period(*date, time_unit)
                        ),
                        format!("add {}", format_period(expected, time_unit)),
                    );
                    return None;
                }
            }
            previous = Some(*date);
        }
        let mut units = out.values().map(|s| s.unit.as_str());
        let first = units.next().unwrap_or("");
        if let Some(other) = units.find(|u| *u != first) {
            self.error_help(
                Code::Unit,
                node.pos,
                format!("planned limits mix units `{first}` and `{other}`"),
                "use one unit for every period",
            );
            return None;
        }
        Some(BudgetLimit::Planned(out))
    }

    /// `planned: { every: 1000, grow: 2%, from: 2026-01, 2027-06: 1500 }`.
    fn schedule(
        &mut self,
        entries: &[(Node, Node)],
        time_unit: TimeUnit,
        default_unit: Option<&str>,
    ) -> Option<PlannedSchedule> {
        let mut every = None;
        let mut grow = None;
        let mut from = None;
        let mut grow_pos = None;
        let mut overrides = BTreeMap::new();
        let mut ok = true;
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("");
            match key {
                "every" => {
                    every = self.spend(v, "planned amount", default_unit);
                    ok &= every.is_some();
                }
                "grow" => {
                    grow_pos = Some(k.pos);
                    grow = self.growth(v);
                    ok &= grow.is_some();
                }
                "from" => {
                    let text = v.scalar_text().unwrap_or("");
                    from = period_key(text, time_unit);
                    if from.is_none() {
                        self.error_help(
                            Code::PlannedKey,
                            v.pos,
                            format!("`from: {text}` is not the start of a {time_unit} period"),
                            "write the period growth counts from, e.g. `from: 2026-01`",
                        );
                        ok = false;
                    }
                }
                _ => {
                    let Some(start) = period_key(key, time_unit) else {
                        self.error_help(
                            Code::PlannedKey,
                            k.pos,
                            format!(
                                "`{key}` is neither a schedule key (every, grow, from) nor the start of a {time_unit} period"
                            ),
                            "override one period with e.g. `2027-06: 1500`",
                        );
                        ok = false;
                        continue;
                    };
                    match self.spend(v, "planned limit", default_unit) {
                        Some(spend) => {
                            overrides.insert(start, spend);
                        }
                        None => ok = false,
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        let Some(every) = every else {
            self.error_help(
                Code::PlannedSchedule,
                entries.first().map_or(Pos::default(), |(k, _)| k.pos),
                "a planned schedule needs `every:`, the amount of each period",
                "add e.g. `every: 1000`, or key every period by month (`2026-12: 1000`)",
            );
            return None;
        };
        if grow.is_some() != from.is_some() {
            let pos = grow_pos.unwrap_or(entries[0].0.pos);
            self.error_help(
                Code::PlannedSchedule,
                pos,
                "`grow` and `from` go together: growth counts periods from `from`",
                "write both, e.g. `grow: 2%, from: 2026-01`, or neither",
            );
            return None;
        }
        if let Some(other) = overrides
            .values()
            .map(|s: &Spend| s.unit.as_str())
            .find(|u| *u != every.unit)
        {
            self.error_help(
                Code::Unit,
                entries[0].0.pos,
                format!("planned limits mix units `{}` and `{other}`", every.unit),
                "use one unit for every period",
            );
            return None;
        }
        Some(PlannedSchedule {
            every,
            grow,
            from,
            overrides,
        })
    }

    /// `2%`, `-1.5%`: growth per period, above -100%.
    fn growth(&mut self, v: &Node) -> Option<Decimal> {
        let text = v.scalar_text().unwrap_or("").trim();
        let value = text
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<Decimal>().ok());
        match value {
            Some(p)
                if p > Decimal::NEGATIVE_ONE * Decimal::ONE_HUNDRED
                    && p <= Decimal::ONE_HUNDRED =>
            {
                Some(p)
            }
            _ => {
                self.error_help(
                    Code::PlannedSchedule,
                    v.pos,
                    format!("`grow: {text}` is not a growth per period"),
                    "write a percentage between -100% and 100%, e.g. `grow: 2%`",
                );
                None
            }
        }
    }

    fn auto_adjust(&mut self, node: &Node, time_unit: TimeUnit) -> Option<AutoAdjust> {
        let f = self.fields(node, "`auto_adjust`", AUTO_ADJUST_KEYS)?;
        let Some(max) = time_unit.max_auto_adjust_periods() else {
            self.error_help(
                Code::AutoAdjustNotAllowed,
                node.pos,
                "auto-adjusting budgets cannot have a custom period",
                "use a daily, monthly, quarterly or annually period",
            );
            return None;
        };
        match (f.get("historical"), f.get("forecast")) {
            (Some(_), Some(_)) | (None, None) => {
                self.error_help(
                    Code::AutoAdjustPeriod,
                    node.pos,
                    "auto_adjust takes exactly one of `historical` and `forecast`",
                    "write `auto_adjust: { historical: 6 }` or `auto_adjust: { forecast: true }`",
                );
                None
            }
            (Some(h), None) => {
                let periods = h.scalar_text().and_then(crate::amount::parse_whole);
                match periods {
                    Some(p) if (1..=max).contains(&p) => {
                        Some(AutoAdjust::Historical { periods: p })
                    }
                    _ => {
                        self.error_help(
                            Code::AutoAdjustPeriod,
                            h.pos,
                            format!(
                                "with a {time_unit} period, auto_adjust looks back 1 to {max} periods, not {}",
                                h.scalar_text().unwrap_or(h.kind())
                            ),
                            format!("use a whole number from 1 to {max}"),
                        );
                        None
                    }
                }
            }
            (None, Some(fc)) => match self.boolean(fc, "forecast")? {
                true => Some(AutoAdjust::Forecast),
                false => {
                    self.error_help(
                        Code::AutoAdjustPeriod,
                        fc.pos,
                        "`forecast: false` does not say how the budget adjusts",
                        "write `forecast: true`, or use `historical: N`",
                    );
                    None
                }
            },
        }
    }

    fn cost_types(&mut self, node: &Node) -> Option<CostTypes> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(
                node,
                "`cost_types`",
                "a mapping of flags, e.g. { tax: false }",
            );
            return None;
        };
        let mut ct = CostTypes::default();
        let mut ok = true;
        let mut seen: Vec<(&str, &str)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("");
            let Some(value) = self.boolean(v, &format!("cost_types.{key}")) else {
                ok = false;
                continue;
            };
            if let Some(flag) = ct.set(key, value) {
                if let Some((_, first)) = seen.iter().find(|(f, _)| *f == flag) {
                    self.error_help(
                        Code::CostTypesDuplicate,
                        k.pos,
                        format!("cost_types sets `{flag}` twice, as `{first}` and as `{key}`"),
                        format!("keep one of `{first}` and `{key}`"),
                    );
                    ok = false;
                }
                seen.push((flag, key));
            } else {
                let help = match did_you_mean(key, CostTypes::KEYS.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("cost_types takes: {}", CostTypes::KEYS.join(", ")),
                };
                self.error_help(
                    Code::UnknownKey,
                    k.pos,
                    format!("unknown key `{key}` in cost_types"),
                    help,
                );
                ok = false;
            }
        }
        if ct.use_amortized && ct.use_blended {
            self.error_help(
                Code::CostTypesBlendedAmortized,
                node.pos,
                "cost_types sets both `amortized` and `blended`; AWS allows one rate",
                "set at most one of `amortized: true` and `blended: true`",
            );
            ok = false;
        }
        ok.then_some(ct)
    }

    fn cost_filters(&mut self, node: &Node) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "`filters`", "a mapping of filter names to values");
            return out;
        };
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("").to_owned();
            if key.is_empty() {
                self.error_help(
                    Code::Filter,
                    k.pos,
                    "a filter name is empty",
                    "name the filter, e.g. Service",
                );
                continue;
            }
            if !rules::cost_filter_keys()
                .iter()
                .any(|(name, _)| *name == key)
            {
                let names = rules::cost_filter_keys().iter().map(|(n, _)| n.as_str());
                let help = match did_you_mean(&key, names.clone()) {
                    Some(close) => format!(
                        "did you mean `{close}`? Filter names are AWS's, e.g. Service, Region, LinkedAccount, TagKeyValue"
                    ),
                    None => format!("filter names are: {}", names.collect::<Vec<_>>().join(", ")),
                };
                self.error_help(Code::Filter, k.pos, format!("unknown filter `{key}`"), help);
                continue;
            }
            let Some(values) = self.string_list(v, &format!("filter `{key}`")) else {
                continue;
            };
            if values.is_empty() {
                self.error_help(
                    Code::Filter,
                    v.pos,
                    format!("filter `{key}` has no values"),
                    "list at least one value, or remove the filter",
                );
                continue;
            }
            out.insert(key, values.into_iter().map(|(s, _)| s).collect());
        }
        out
    }

    fn expression(&mut self, node: &Node) -> Option<Expression> {
        let f = self.fields(node, "a filter expression", EXPRESSION_KEYS)?;
        let present: Vec<&str> = EXPRESSION_KEYS
            .iter()
            .copied()
            .filter(|k| f.has(k))
            .collect();
        if present.len() != 1 {
            self.error_help(
                Code::FilterExpression,
                node.pos,
                format!(
                    "a filter expression takes exactly one of {}, and this one has {}",
                    EXPRESSION_KEYS.join(", "),
                    if present.is_empty() {
                        "none".to_owned()
                    } else {
                        present.join(" and ")
                    }
                ),
                "nest combinations: { and: [ {dimensions: …}, {tags: …} ] }",
            );
            return None;
        }
        let key = present[0];
        let inner = f.get(key)?;
        match key {
            "and" | "or" => {
                let Value::Seq(items) = &inner.value else {
                    self.wrong_type(inner, &format!("`{key}`"), "a list of expressions");
                    return None;
                };
                if items.len() < 2 {
                    self.error_help(
                        Code::FilterExpression,
                        inner.pos,
                        format!(
                            "`{key}` needs at least two expressions, found {}",
                            items.len()
                        ),
                        "use the single expression directly instead of wrapping it",
                    );
                    return None;
                }
                let parts: Vec<Option<Expression>> =
                    items.iter().map(|i| self.expression(i)).collect();
                let parts: Option<Vec<Expression>> = parts.into_iter().collect();
                let parts = parts?;
                Some(if key == "and" {
                    Expression::And(parts)
                } else {
                    Expression::Or(parts)
                })
            }
            "not" => self.expression(inner).map(|e| Expression::Not(Box::new(e))),
            "dimensions" => {
                let d = self.fields(inner, "`dimensions`", DIMENSION_KEYS)?;
                let key_node = self.require(&d, "key", "`dimensions`");
                let values_node = self.require(&d, "values", "`dimensions`");
                let key = key_node.and_then(|n| {
                    self.enum_value(
                        n,
                        "dimension",
                        Dimension::parse,
                        Dimension::ALL,
                        Dimension::as_str,
                    )
                });
                let values = values_node.and_then(|n| self.filter_values(n, true));
                let match_options = self.match_options(&d)?;
                Some(Expression::Dimensions(DimensionValues {
                    key: key?,
                    values: values?,
                    match_options,
                }))
            }
            _ => {
                let what = if key == "tags" {
                    "`tags`"
                } else {
                    "`cost_categories`"
                };
                let d = self.fields(inner, what, DIMENSION_KEYS)?;
                let k = match d.get("key") {
                    Some(n) => {
                        let k = self.string(n, "key")?;
                        if k.chars().count() > rules::MAX_FILTER_VALUE_CHARS {
                            self.error_help(
                                Code::FilterExpression,
                                n.pos,
                                "key is longer than 1024 characters",
                                "shorten the key to at most 1024 characters",
                            );
                            return None;
                        }
                        Some(k)
                    }
                    None => None,
                };
                let match_options = self.match_options(&d)?;
                let values = match d.get("values") {
                    Some(n) => self.filter_values(n, true)?,
                    None if match_options.contains(&MatchOption::Absent) => Vec::new(),
                    None => {
                        self.require(&d, "values", what);
                        return None;
                    }
                };
                let kv = KeyValues {
                    key: k,
                    values,
                    match_options,
                };
                Some(if key == "tags" {
                    Expression::Tags(kv)
                } else {
                    Expression::CostCategories(kv)
                })
            }
        }
    }

    fn filter_values(&mut self, node: &Node, non_empty: bool) -> Option<Vec<String>> {
        let values = self.string_list(node, "values")?;
        if non_empty && values.is_empty() {
            self.error_help(
                Code::FilterExpression,
                node.pos,
                "values is empty",
                "list at least one value",
            );
            return None;
        }
        let mut out = Vec::with_capacity(values.len());
        for (v, pos) in values {
            if v.chars().count() > rules::MAX_FILTER_VALUE_CHARS {
                self.error_help(
                    Code::FilterExpression,
                    pos,
                    "a value is longer than 1024 characters",
                    "shorten the value to at most 1024 characters",
                );
                return None;
            }
            out.push(v);
        }
        Some(out)
    }

    fn match_options(&mut self, f: &Fields<'_>) -> Option<Vec<MatchOption>> {
        let Some(node) = f.get("match_options") else {
            return Some(Vec::new());
        };
        let items = self.string_list(node, "match_options")?;
        let mut out = Vec::new();
        for (text, pos) in items {
            let n = Node {
                pos,
                value: Value::String(text.into()),
            };
            out.push(self.enum_value(
                &n,
                "match option",
                MatchOption::parse,
                MatchOption::ALL,
                MatchOption::as_str,
            )?);
        }
        Some(out)
    }

    fn metrics(&mut self, node: &Node) -> Vec<Metric> {
        let Some(items) = self.string_list(node, "metrics") else {
            return Vec::new();
        };
        if items.len() > 1 {
            self.error_help(
                Code::Metrics,
                items[1].1,
                format!("a budget tracks one metric, and {} are listed", items.len()),
                "keep one metric",
            );
            return Vec::new();
        }
        items
            .into_iter()
            .filter_map(|(text, pos)| {
                let n = Node {
                    pos,
                    value: Value::String(text.into()),
                };
                self.enum_value(&n, "metric", Metric::parse, Metric::ALL, Metric::as_str)
            })
            .collect()
    }

    fn notifications(&mut self, node: &Node, unit: Option<&str>) -> Vec<Notification> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "`notifications`", "a list of notifications");
            return Vec::new();
        };
        if items.len() > rules::MAX_NOTIFICATIONS {
            self.error_help(
                Code::NotificationCount,
                items[rules::MAX_NOTIFICATIONS].pos,
                format!(
                    "the budget has {} notifications; AWS allows at most 10",
                    items.len()
                ),
                "merge alerts that share a threshold, or split the budget",
            );
        }
        let mut out: Vec<Notification> = Vec::with_capacity(items.len());
        let mut positions: Vec<Pos> = Vec::with_capacity(items.len());
        for item in items {
            let Some(n) = self.notification(item, unit) else {
                continue;
            };
            if let Some(first) = out
                .iter()
                .position(|o| o.key == n.key)
                .map(|i| positions[i])
            {
                let d = Diagnostic::error(
                    Code::DuplicateNotification,
                    self.span(item.pos),
                    format!("the budget already has a notification `{}`", n.key),
                )
                .with_help("AWS identifies a notification by type, comparison, threshold and threshold type: merge the two, moving the subscribers into one")
                .with_related(self.span(first), "first declared here");
                self.push(d);
                continue;
            }
            positions.push(item.pos);
            out.push(n);
        }
        out
    }

    fn notification(&mut self, node: &Node, unit: Option<&str>) -> Option<Notification> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "a notification", "a mapping");
            return None;
        };
        let compact = entries
            .iter()
            .any(|(k, _)| matches!(k.scalar_text(), Some("on" | "to")));
        let structured = entries.iter().any(|(k, _)| {
            k.scalar_text()
                .is_some_and(|k| STRUCTURED_NOTIFICATION_KEYS.contains(&k))
        });
        if compact && structured {
            self.error_help(
                Code::NotificationForm,
                node.pos,
                "a notification mixes the compact form (on/to) with the structured form (type/comparison/threshold/subscribers)",
                "write either `on: actual > 80%` with `to: [...]`, or the structured keys, not both",
            );
            return None;
        }
        if compact {
            let f = self.fields(node, "a notification", COMPACT_NOTIFICATION_KEYS)?;
            let on = self.require(&f, "on", "a notification");
            let to = self.require(&f, "to", "a notification");
            let key = on.and_then(|n| self.compact_on(n, unit));
            let subscribers = to.and_then(|n| self.subscribers(n));
            Some(Notification {
                key: key?,
                subscribers: subscribers?,
            })
        } else {
            let f = self.fields(node, "a notification", STRUCTURED_NOTIFICATION_KEYS)?;
            let t = self.require(&f, "type", "a notification");
            let c = self.require(&f, "comparison", "a notification");
            let th = self.require(&f, "threshold", "a notification");
            let s = self.require(&f, "subscribers", "a notification");
            let notification_type = t.and_then(|n| {
                self.enum_value(
                    n,
                    "notification type",
                    NotificationType::parse,
                    NotificationType::ALL,
                    NotificationType::as_str,
                )
            });
            let comparison = c.and_then(|n| {
                self.enum_value(
                    n,
                    "comparison",
                    ComparisonOperator::parse,
                    ComparisonOperator::ALL,
                    ComparisonOperator::as_str,
                )
            });
            let threshold_type = match f.get("threshold_type") {
                Some(n) => self.enum_value(
                    n,
                    "threshold type",
                    ThresholdType::parse,
                    ThresholdType::ALL,
                    ThresholdType::as_str,
                ),
                None => Some(ThresholdType::Percentage),
            };
            let threshold = th.and_then(|n| {
                let v = self.amount(n, "threshold")?;
                match rules::threshold(v) {
                    Ok(()) => Some(v),
                    Err(p) => {
                        self.problem(n.pos, p);
                        None
                    }
                }
            });
            let subscribers = s.and_then(|n| self.subscribers(n));
            Some(Notification {
                key: NotificationKey {
                    notification_type: notification_type?,
                    comparison: comparison?,
                    threshold: threshold?,
                    threshold_type: threshold_type?,
                },
                subscribers: subscribers?,
            })
        }
    }

    /// `actual > 80%`, `forecasted > 500 USD`.
    fn compact_on(&mut self, node: &Node, unit: Option<&str>) -> Option<NotificationKey> {
        static ON: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^\s*([A-Za-z_-]+)\s*(>=|<=|=>|=<|==|!=|<>|≥|≤|>|<|=)\s*([0-9][0-9._]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+)\s*(%|[A-Za-z][A-Za-z0-9-]*)?\s*$")
                .expect("valid regex")
        });
        let text = self.string(node, "`on`")?;
        let form_help = "write `on: actual > 80%` (percent of the limit) or `on: forecasted > 500 USD` (an amount)";
        let Some(caps) = ON.captures(&text) else {
            self.error_help(
                Code::NotificationForm,
                node.pos,
                format!("`{text}` is not an alert condition"),
                form_help,
            );
            return None;
        };
        let word = &caps[1];
        let Some(notification_type) = NotificationType::parse(word) else {
            self.error_help(
                Code::InvalidEnum,
                node.pos,
                format!("`{word}` is not a notification type"),
                "use `actual` or `forecasted`",
            );
            return None;
        };
        let comparison = match &caps[2] {
            ">" => ComparisonOperator::GreaterThan,
            "<" => ComparisonOperator::LessThan,
            "=" | "==" => ComparisonOperator::EqualTo,
            op => {
                self.error_help(
                    Code::NotificationOperator,
                    node.pos,
                    format!(
                        "AWS Budgets has no `{op}` comparison; it compares with >, < and = only"
                    ),
                    "use `>` (greater than), `<` (less than) or `=` (equal to)",
                );
                return None;
            }
        };
        let threshold = match parse_amount(&caps[3]) {
            Ok(v) => v,
            Err(e) => {
                self.error_help(Code::Threshold, node.pos, e.to_string(), form_help);
                return None;
            }
        };
        if let Err(p) = rules::threshold(threshold) {
            self.problem(node.pos, p);
            return None;
        }
        let threshold_type = match caps.get(4).map(|m| m.as_str()) {
            Some("%") => ThresholdType::Percentage,
            Some(u) => {
                if let Some(budget_unit) = unit
                    && !u.eq_ignore_ascii_case(budget_unit)
                {
                    self.error_help(
                        Code::Unit,
                        node.pos,
                        format!("the alert is in {u} but the budget's limit is in {budget_unit}"),
                        format!("write the threshold in {budget_unit}, or as a percentage"),
                    );
                    return None;
                }
                ThresholdType::AbsoluteValue
            }
            None => {
                self.error_help(
                    Code::NotificationForm,
                    node.pos,
                    format!(
                        "`{text}` does not say whether {} is a percentage or an amount",
                        &caps[3]
                    ),
                    format!(
                        "write `{}%` for a percentage of the limit, or `{} {}` for an amount",
                        &caps[3],
                        &caps[3],
                        unit.unwrap_or("USD")
                    ),
                );
                return None;
            }
        };
        Some(NotificationKey {
            notification_type,
            comparison,
            threshold,
            threshold_type,
        })
    }

    fn subscribers(&mut self, node: &Node) -> Option<Vec<Subscriber>> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::String(_) | Value::Map(_) => vec![node],
            _ => {
                self.wrong_type(
                    node,
                    "subscribers",
                    "a list of email addresses and SNS topic ARNs",
                );
                return None;
            }
        };
        let mut out: Vec<Subscriber> = Vec::new();
        let mut ok = true;
        for item in &items {
            let subscriber = match &item.value {
                Value::String(s) => Some(Subscriber::from_address(s)),
                Value::Map(_) => self.subscriber_map(item),
                _ => {
                    self.wrong_type(item, "a subscriber", "an email address or SNS topic ARN");
                    None
                }
            };
            let Some(subscriber) = subscriber else {
                ok = false;
                continue;
            };
            let checked = match &subscriber {
                Subscriber::Email(a) => rules::email(a),
                Subscriber::Sns(a) => rules::sns_arn(a),
            };
            if let Err(p) = checked {
                self.problem(item.pos, p);
                ok = false;
                continue;
            }
            if out.contains(&subscriber) {
                self.error_help(
                    Code::DuplicateSubscriber,
                    item.pos,
                    format!("`{}` is listed twice", subscriber.address()),
                    "list each subscriber once",
                );
                ok = false;
                continue;
            }
            out.push(subscriber);
        }
        if !ok {
            return None;
        }
        let sns = out
            .iter()
            .filter(|s| matches!(s, Subscriber::Sns(_)))
            .count();
        let emails = out.len() - sns;
        let problem = if out.is_empty() {
            Some("a notification needs at least one subscriber".to_owned())
        } else if sns > rules::MAX_SNS_SUBSCRIBERS {
            Some(format!(
                "a notification may have one SNS topic, and this one has {sns}"
            ))
        } else if emails > rules::MAX_EMAIL_SUBSCRIBERS {
            Some(format!(
                "a notification may have at most 10 email subscribers, and this one has {emails}"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            self.error_help(
                Code::SubscriberCount,
                node.pos,
                message,
                "AWS allows 1 to 11 subscribers: up to 10 email addresses and one SNS topic (fan out with the topic)",
            );
            return None;
        }
        Some(out)
    }

    fn subscriber_map(&mut self, node: &Node) -> Option<Subscriber> {
        let f = self.fields(node, "a subscriber", SUBSCRIBER_KEYS)?;
        match (f.get("email"), f.get("sns")) {
            (Some(e), None) => self.string(e, "email").map(Subscriber::Email),
            (None, Some(s)) => self.string(s, "sns").map(Subscriber::Sns),
            _ => {
                self.error_help(
                    Code::NotificationForm,
                    node.pos,
                    "a subscriber takes exactly one of `email` and `sns`",
                    "write { email: finops@example.com } or { sns: arn:aws:sns:… }",
                );
                None
            }
        }
    }

    fn tags(&mut self, node: &Node) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return out,
            _ => {
                self.wrong_type(node, "`tags`", "a mapping of tag keys to values");
                return out;
            }
        };
        if entries.len() > rules::MAX_TAGS {
            self.error_help(
                Code::TagCount,
                entries[rules::MAX_TAGS].0.pos,
                format!(
                    "the budget has {} tags; AWS allows at most 200",
                    entries.len()
                ),
                "remove tags",
            );
        }
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("").to_owned();
            if let Err(p) = rules::tag_key(&key) {
                self.problem(k.pos, p);
                continue;
            }
            let value = match &v.value {
                Value::String(s) | Value::Number(s) => s.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                _ => {
                    self.wrong_type(v, &format!("tag `{key}`"), "a string");
                    continue;
                }
            };
            if let Err(p) = rules::tag_value(&key, &value) {
                self.problem(v.pos, p);
                continue;
            }
            out.insert(key, value);
        }
        out
    }
}

/// The first day of the period a planned-limit key names, when it names one.
fn period_key(key: &str, time_unit: TimeUnit) -> Option<NaiveDate> {
    let (year, rest) = key.split_once('-')?;
    if year.len() != 4 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let month: u32 = if let Some(q) = rest.strip_prefix(['Q', 'q']) {
        if time_unit != TimeUnit::Quarterly || q.len() != 1 {
            return None;
        }
        match q {
            "1" => 1,
            "2" => 4,
            "3" => 7,
            "4" => 10,
            _ => return None,
        }
    } else {
        if rest.len() != 2 {
            return None;
        }
        rest.parse().ok()?
    };
    let date = NaiveDate::from_ymd_opt(year, month, 1)?;
    if time_unit == TimeUnit::Quarterly && !(month - 1).is_multiple_of(3) {
        return None;
    }
    Some(date)
}

/// How a period start is written in budget files: `2026-12`, or `2027-Q1` for quarters.
pub fn format_period(date: NaiveDate, time_unit: TimeUnit) -> String {
    if time_unit == TimeUnit::Quarterly {
        format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)
    } else {
        format!("{}-{:02}", date.year(), date.month())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_keys_name_period_starts() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        assert_eq!(period_key("2026-12", TimeUnit::Monthly), Some(d(2026, 12)));
        assert_eq!(period_key("2027-Q2", TimeUnit::Quarterly), Some(d(2027, 4)));
        assert_eq!(period_key("2027-07", TimeUnit::Quarterly), Some(d(2027, 7)));
        assert_eq!(period_key("2027-08", TimeUnit::Quarterly), None);
        assert_eq!(period_key("2027-Q1", TimeUnit::Monthly), None);
        assert_eq!(period_key("2027-13", TimeUnit::Monthly), None);
        assert_eq!(period_key("27-01", TimeUnit::Monthly), None);
        assert_eq!(format_period(d(2027, 4), TimeUnit::Quarterly), "2027-Q2");
        assert_eq!(format_period(d(2027, 4), TimeUnit::Monthly), "2027-04");
    }
}
