//! `policy:`: the rules a platform team requires of budgets and accounts
//! (`require`, `limits`, `sns`), the accounts they apply to (`scope`), and
//! the exceptions with their reasons. Each rule keeps where it is written,
//! for the diagnostics that point back at it.

use budgetctl_model::policy::{Level, PolicyRule, RequiredAlert};

use super::*;

pub(crate) const POLICY_KEYS: &[&str] = &["require", "limits", "sns", "scope", "exceptions"];
pub(super) const REQUIRE_KEYS: &[&str] = &["budget_per_account", "alerts", "subscribers", "tags"];
pub(super) const BUDGET_PER_ACCOUNT_KEYS: &[&str] = &["period", "level"];
pub(super) const ALERTS_KEYS: &[&str] = &["required", "level"];
pub(super) const LEVEL_KEYS: &[&str] = &["level"];
pub(super) const TAGS_KEYS: &[&str] = &["keys", "level"];
pub(super) const LIMIT_RULE_KEYS: &[&str] = &["accounts", "max", "level"];
pub(super) const SNS_KEYS: &[&str] = &["rule", "level"];
pub(super) const EXCEPTION_KEYS: &[&str] = &["account", "budget", "rules", "reason"];

/// A limit rule as written: its accounts (ids, groups, `all`), its ceiling.
pub(crate) struct DecodedLimit {
    pub accounts: Vec<(String, Span)>,
    pub max: Spend,
    pub level: Level,
    pub span: Span,
}

/// An exception as written.
pub(crate) struct DecodedException {
    pub account: Option<AccountId>,
    pub budget: Option<String>,
    pub rules: Vec<PolicyRule>,
    pub reason: String,
    pub span: Span,
}

/// A `policy:` as written, each rule with its level and place.
#[derive(Default)]
pub(crate) struct DecodedPolicy {
    pub span: Option<Span>,
    pub budget_per_account: Option<(Option<TimeUnit>, Level, Span)>,
    pub alerts: Option<(Vec<RequiredAlert>, Level, Span)>,
    pub subscribers: Option<(Level, Span)>,
    pub tags: Option<(Vec<String>, Level, Span)>,
    pub limits: Vec<DecodedLimit>,
    pub sns: Option<(Level, Span)>,
    pub scope: Option<Vec<(String, Span)>>,
    pub exceptions: Vec<DecodedException>,
}

impl<'a> Decoder<'a> {
    pub(super) fn policy(&mut self, node: &Node) -> Option<DecodedPolicy> {
        let f = self.fields(node, "`policy`", POLICY_KEYS)?;
        let mut out = DecodedPolicy {
            span: Some(self.span(node.pos)),
            ..DecodedPolicy::default()
        };
        if let Some(r) = f.get("require")
            && let Some(req) = self.fields(r, "`policy.require`", REQUIRE_KEYS)
        {
            if let Some(n) = req.get("budget_per_account") {
                out.budget_per_account = self.budget_per_account(n);
            }
            if let Some(n) = req.get("alerts") {
                out.alerts = self.required_alerts(n);
            }
            if let Some(n) = req.get("subscribers") {
                out.subscribers = self.switch(n, "`require.subscribers`");
            }
            if let Some(n) = req.get("tags") {
                out.tags = self.required_tags(n);
            }
        }
        if let Some(l) = f.get("limits") {
            match &l.value {
                Value::Seq(items) => {
                    out.limits = items.iter().filter_map(|i| self.limit_rule(i)).collect();
                }
                _ => self.wrong_type(l, "`policy.limits`", "a list of `{accounts, max}`"),
            }
        }
        if let Some(s) = f.get("sns") {
            out.sns = self.sns_rule(s);
        }
        if let Some(s) = f.get("scope") {
            out.scope = self.account_targets(s);
        }
        if let Some(e) = f.get("exceptions") {
            match &e.value {
                Value::Seq(items) => {
                    out.exceptions = items.iter().filter_map(|i| self.exception(i)).collect();
                }
                _ => self.wrong_type(e, "`policy.exceptions`", "a list of exceptions"),
            }
        }
        Some(out)
    }

    /// `level: error | warning` of a rule's mapping form (error unless
    /// said); `None` for another word, reported, and the rule left out.
    fn level(&mut self, fields: &Fields<'_>) -> Option<Level> {
        let Some(n) = fields.get("level") else {
            return Some(Level::Error);
        };
        match self.string(n, "`level`")?.as_str() {
            "error" => Some(Level::Error),
            "warning" => Some(Level::Warning),
            other => {
                self.error_help(
                    Code::PolicyForm,
                    n.pos,
                    format!("`{other}` is not a level"),
                    "write `level: error` (the default) or `level: warning`",
                );
                None
            }
        }
    }

    /// `true`, `false` (no rule), or `{level: warning}`.
    fn switch(&mut self, node: &Node, what: &str) -> Option<(Level, Span)> {
        match &node.value {
            Value::Map(_) => {
                let f = self.fields(node, what, LEVEL_KEYS)?;
                Some((self.level(&f)?, self.span(node.pos)))
            }
            _ => self
                .boolean(node, what)?
                .then(|| (Level::Error, self.span(node.pos))),
        }
    }

    /// `true`, or `{period: monthly, level: warning}`.
    fn budget_per_account(&mut self, node: &Node) -> Option<(Option<TimeUnit>, Level, Span)> {
        let what = "`require.budget_per_account`";
        if !matches!(node.value, Value::Map(_)) {
            return self
                .switch(node, what)
                .map(|(level, span)| (None, level, span));
        }
        let f = self.fields(node, what, BUDGET_PER_ACCOUNT_KEYS)?;
        let period = match f.get("period") {
            Some(p) => Some(self.enum_value(
                p,
                "period",
                TimeUnit::parse,
                TimeUnit::ALL,
                TimeUnit::as_str,
            )?),
            None => None,
        };
        Some((period, self.level(&f)?, self.span(node.pos)))
    }

    /// `[actual > 100%, forecasted > 100%]`, or `{required: […], level}`.
    fn required_alerts(&mut self, node: &Node) -> Option<(Vec<RequiredAlert>, Level, Span)> {
        let (list, level) = match &node.value {
            Value::Map(_) => {
                let f = self.fields(node, "`require.alerts`", ALERTS_KEYS)?;
                let level = self.level(&f)?;
                (self.require(&f, "required", "`require.alerts`")?, level)
            }
            _ => (node, Level::Error),
        };
        let Value::Seq(items) = &list.value else {
            self.wrong_type(list, "`require.alerts`", "a list such as [actual > 100%]");
            return None;
        };
        let mut alerts = Vec::new();
        for item in items {
            let key = self.compact_on(item, None, "alerts")?;
            if key.comparison != ComparisonOperator::GreaterThan
                || key.threshold_type != ThresholdType::Percentage
            {
                self.error_help(
                    Code::PolicyForm,
                    item.pos,
                    "a required alert is `>` a percentage of the limit",
                    "write it as `actual > 100%` or `forecasted > 80%`",
                );
                return None;
            }
            alerts.push(RequiredAlert {
                notification_type: key.notification_type,
                threshold: key.threshold,
            });
        }
        Some((alerts, level, self.span(node.pos)))
    }

    /// `[owner, cost-center]`, or `{keys: […], level}`.
    fn required_tags(&mut self, node: &Node) -> Option<(Vec<String>, Level, Span)> {
        let (list, level) = match &node.value {
            Value::Map(_) => {
                let f = self.fields(node, "`require.tags`", TAGS_KEYS)?;
                let level = self.level(&f)?;
                (self.require(&f, "keys", "`require.tags`")?, level)
            }
            _ => (node, Level::Error),
        };
        let keys = self.string_list(list, "`require.tags`")?;
        Some((
            keys.into_iter().map(|(k, _)| k).collect(),
            level,
            self.span(node.pos),
        ))
    }

    /// `{accounts: [sandbox], max: 1000 USD, level}`.
    fn limit_rule(&mut self, node: &Node) -> Option<DecodedLimit> {
        let f = self.fields(node, "a limit rule", LIMIT_RULE_KEYS)?;
        let accounts = self.require(&f, "accounts", "a limit rule")?;
        let accounts = self.account_targets(accounts)?;
        let max_node = self.require(&f, "max", "a limit rule")?;
        let max = self.spend(max_node, "`max`", None)?;
        if max.unit.is_empty() {
            self.error_help(
                Code::PolicyForm,
                max_node.pos,
                "`max` has no unit",
                "write the most a limit may be with its unit, e.g. `max: 1000 USD`",
            );
            return None;
        }
        Some(DecodedLimit {
            accounts,
            max,
            level: self.level(&f)?,
            span: self.span(node.pos),
        })
    }

    /// `same-account`, or `{rule: same-account, level}`.
    fn sns_rule(&mut self, node: &Node) -> Option<(Level, Span)> {
        let (rule, level) = match &node.value {
            Value::Map(_) => {
                let f = self.fields(node, "`policy.sns`", SNS_KEYS)?;
                let level = self.level(&f)?;
                (self.require(&f, "rule", "`policy.sns`")?, level)
            }
            _ => (node, Level::Error),
        };
        match self.string(rule, "`sns`")?.as_str() {
            "same-account" => Some((level, self.span(node.pos))),
            other => {
                self.error_help(
                    Code::PolicyForm,
                    rule.pos,
                    format!("`{other}` is not an SNS rule"),
                    "write `sns: same-account`: alerts go to topics in the budget's own account",
                );
                None
            }
        }
    }

    /// `{account, budget, rules, reason}`: a reason is required.
    fn exception(&mut self, node: &Node) -> Option<DecodedException> {
        let f = self.fields(node, "an exception", EXCEPTION_KEYS)?;
        let account = match f.get("account") {
            Some(a) => Some(self.account_id(a, "account")?),
            None => None,
        };
        let budget = match f.get("budget") {
            Some(b) => {
                let glob = self.string(b, "`budget`")?;
                if let Err(e) = globset::Glob::new(&glob) {
                    self.error_help(
                        Code::IgnoreGlob,
                        b.pos,
                        format!("`{glob}` is not a valid glob: {}", e.kind()),
                        "use `*` for any run of characters and `?` for one, e.g. legacy-*",
                    );
                    return None;
                }
                Some(glob)
            }
            None => None,
        };
        let rules_node = self.require(&f, "rules", "an exception")?;
        let mut rules = Vec::new();
        for (name, pos) in self.string_list(rules_node, "`rules`")? {
            match PolicyRule::parse(&name) {
                Some(r) => rules.push(r),
                None => {
                    let names: Vec<&str> = PolicyRule::ALL.iter().map(|r| r.as_str()).collect();
                    let help = match did_you_mean(&name, names.iter().copied()) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => format!("the rules are: {}", names.join(", ")),
                    };
                    self.error_help(
                        Code::PolicyForm,
                        pos,
                        format!("`{name}` is not a policy rule"),
                        help,
                    );
                    return None;
                }
            }
        }
        let reason = match f.get("reason") {
            Some(r) => self.string(r, "`reason`")?,
            None => String::new(),
        };
        if reason.trim().is_empty() {
            self.error_help(
                Code::PolicyException,
                node.pos,
                "the exception gives no reason",
                "say why the rule does not hold here: `reason: \"owned by finance\"`",
            );
            return None;
        }
        Some(DecodedException {
            account,
            budget,
            rules,
            reason,
            span: self.span(node.pos),
        })
    }
}
