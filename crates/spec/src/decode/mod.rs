//! From a located YAML tree to the typed model, checking every rule on the way.
//!
//! The decoder never stops at the first problem: it records a diagnostic, skips
//! the offending value and goes on, so one run reports everything wrong with a
//! file. A budget with any error is left out of the result.
//!
//! This module holds the keys each object accepts, the `Decoder` and its
//! typed readers of scalars, and the file's top level (`version`,
//! `defaults`, the budgets in parallel slices); each part of a budget is
//! decoded in its own module: `budget`, `limit`, `expression`,
//! `notification`, `action`, `response`, and `accounts` for the `accounts:` section.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use chrono::NaiveDate;
use rayon::prelude::*;
use regex::Regex;
use rust_decimal::Decimal;

use crate::amount::{AmountError, parse_amount};
use crate::diagnostic::{Code, Diagnostic, Pos, SourceFile, Span, did_you_mean};
use crate::model::{
    AccountId, AccountSettings, ActionDefinition, ApprovalModel, AutoAdjust, Budget, BudgetAction,
    BudgetLimit, BudgetType, ComparisonOperator, CostTypes, Dimension, DimensionValues, Expression,
    InstanceService, KeyValues, Language, MatchOption, Metric, Notification, NotificationKey,
    NotificationType, OrganizationSource, Origin, Response, ResponseAction, ServiceCatalogAction,
    Spend, Subscriber, ThresholdType, TimeUnit,
};
use crate::planned::PlannedSchedule;
use crate::rules::{self, Problem};
use crate::yaml::{Node, Value};

mod accounts;
mod action;
mod budget;
mod expression;
mod limit;
mod notification;
mod policy;
mod response;

pub(crate) use policy::DecodedPolicy;
pub(crate) use response::ResponseTarget;

pub use budgetctl_model::max_end_date;

pub(crate) const TOP_KEYS: &[&str] = &[
    "version",
    "defaults",
    "accounts",
    "account_groups",
    "organizations",
    "policy",
    "budgets",
];
pub(crate) const ORGANIZATIONS_KEYS: &[&str] = &["role"];
pub(crate) const GROUP_KEYS: &[&str] = &["organizations"];
pub(crate) const ORGANIZATION_SOURCE_KEYS: &[&str] = &["ou", "recursive"];
pub(crate) const DEFAULTS_KEYS: &[&str] = &["account", "unit", "role"];
pub(crate) const ACCOUNT_KEYS: &[&str] = &["role", "prune", "ignore"];
/// In the documented order, which `budgetctl fmt` puts them in.
pub(crate) const BUDGET_KEYS: &[&str] = &[
    "name",
    "account",
    "accounts",
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
    "actions",
    "responses",
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
pub(crate) const ACTION_KEYS: &[&str] = &[
    "name",
    "when",
    "to",
    "type",
    "threshold",
    "threshold_type",
    "subscribers",
    "apply_iam_policy",
    "apply_scp",
    "stop_instances",
    "approval",
    "execution_role",
];
pub(crate) const RESPONSE_KEYS: &[&str] = &[
    "name",
    "when",
    "type",
    "threshold",
    "threshold_type",
    "service_catalog",
    "approve_action",
];
pub(crate) const SERVICE_CATALOG_KEYS: &[&str] = &[
    "region",
    "provisioned_product",
    "action",
    "parameters",
    "language",
];
pub(crate) const IAM_DEFINITION_KEYS: &[&str] = &["policy", "users", "groups", "roles"];
pub(crate) const SCP_DEFINITION_KEYS: &[&str] = &["policy", "targets"];
pub(crate) const SSM_DEFINITION_KEYS: &[&str] = &["service", "region", "instances"];
const EXPRESSION_KEYS: &[&str] = &["and", "or", "not", "dimensions", "tags", "cost_categories"];
const DIMENSION_KEYS: &[&str] = &["key", "values", "match_options"];

/// Which accounts a budget is for.
pub(crate) enum Placement {
    /// One: `account:`, or the file's `defaults.account`.
    Account(AccountId),
    /// A template: `accounts:` ids, group names or `all`, each with its place.
    Accounts(Vec<(String, Span)>),
}

/// A budget decoded from a file, with the places later checks point at.
pub(crate) struct DecodedBudget {
    pub placement: Placement,
    pub budget: Budget,
    pub origin: Origin,
    pub name_span: Span,
    /// Where its Service Catalog responses act.
    pub response_targets: Vec<response::ResponseTarget>,
}

/// An `account_groups:` entry: its accounts, and where it was declared.
pub(crate) struct DecodedGroup {
    pub name: String,
    pub members: GroupMembers,
    pub span: Span,
}

/// A group's accounts: listed, or read from AWS Organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupMembers {
    Listed(Vec<AccountId>),
    Organization(OrganizationSource),
    /// Declared with errors (reported): known by name, with no accounts.
    Invalid,
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
    pub groups: Vec<DecodedGroup>,
    /// `defaults.role`, with `{account}`, and where it was declared.
    pub role_template: Option<(String, Span)>,
    /// `organizations.role`, and where it was declared.
    pub organizations_role: Option<(String, Span)>,
    /// `policy:`, when the file has one.
    pub policy: Option<DecodedPolicy>,
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
        if let Some(groups) = top.get("account_groups") {
            out.groups = self.account_groups(groups);
        }
        if let Some(o) = top.get("organizations") {
            out.organizations_role = self.organizations(o);
        }
        if let Some(p) = top.get("policy") {
            out.policy = self.policy(p);
        }
        out.role_template = top
            .get("defaults")
            .and_then(|d| match &d.value {
                Value::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.scalar_text() == Some("role"))
                    .map(|(_, v)| v),
                _ => None,
            })
            .and_then(|r| {
                let role = self.string(r, "defaults.role")?;
                match rules::role_template(&role) {
                    Ok(()) => Some((role, self.span(r.pos))),
                    Err(p) => {
                        self.problem(r.pos, p);
                        None
                    }
                }
            });

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

pub use budgetctl_model::planned::format_period;

#[cfg(test)]
mod tests;
