//! Guardrails as code: the `policy:` rules a platform team requires of
//! every budget and account, and the pure checks of budgets against them.
//! `validate` checks the declared budgets, `lint` the live ones, `plan` the
//! budgets a change touches, all with [`check_budget`] and
//! [`check_accounts`]; none of them reads anything here.

use super::*;

/// How bad breaking a rule is: an error fails validate, lint and plan; a
/// warning is said.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    #[default]
    Error,
}

/// Each rule of a policy, as exceptions name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyRule {
    /// `require.budget_per_account`: every account in scope has a budget.
    BudgetPerAccount,
    /// `require.alerts`: alerts at least this strict.
    Alerts,
    /// `require.subscribers`: every alert reaches someone.
    Subscribers,
    /// `require.tags`: these tag keys.
    Tags,
    /// `limits`: no limit above this much in these accounts.
    Limits,
    /// `sns: same-account`: topics in the budget's own account.
    Sns,
}

impl PolicyRule {
    pub const ALL: &'static [PolicyRule] = &[
        PolicyRule::BudgetPerAccount,
        PolicyRule::Alerts,
        PolicyRule::Subscribers,
        PolicyRule::Tags,
        PolicyRule::Limits,
        PolicyRule::Sns,
    ];

    /// As the file and exceptions write it: `budget_per_account`.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyRule::BudgetPerAccount => "budget_per_account",
            PolicyRule::Alerts => "alerts",
            PolicyRule::Subscribers => "subscribers",
            PolicyRule::Tags => "tags",
            PolicyRule::Limits => "limits",
            PolicyRule::Sns => "sns",
        }
    }

    pub fn parse(text: &str) -> Option<PolicyRule> {
        PolicyRule::ALL.iter().copied().find(|r| r.as_str() == text)
    }

    /// The diagnostic code of a violation: `policy-budget-per-account`.
    pub fn code(self) -> &'static str {
        match self {
            PolicyRule::BudgetPerAccount => "policy-budget-per-account",
            PolicyRule::Alerts => "policy-alerts",
            PolicyRule::Subscribers => "policy-subscribers",
            PolicyRule::Tags => "policy-tags",
            PolicyRule::Limits => "policy-limits",
            PolicyRule::Sns => "policy-sns",
        }
    }
}

impl fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's level and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleAt {
    pub level: Level,
    pub at: Origin,
}

/// An alert a policy requires: of this type, over this percentage of the
/// limit (or less: a stricter alert satisfies it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredAlert {
    pub notification_type: NotificationType,
    /// A percentage of the limit.
    pub threshold: Decimal,
}

impl fmt::Display for RequiredAlert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} > {}%",
            self.notification_type,
            crate::amount::to_aws_string(self.threshold)
        )
    }
}

/// A ceiling on the limits of some accounts' budgets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRule {
    /// The accounts it applies to, resolved from ids, groups and `all`.
    pub accounts: Vec<AccountId>,
    /// The most a budget's limit may be, per period of the budget.
    pub max: Spend,
    pub rule: RuleAt,
}

/// A budget (or an account) a rule does not apply to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    /// `None`: any account.
    pub account: Option<AccountId>,
    /// A glob of budget names (`legacy-*`); `None`: the account as a whole
    /// (for `budget_per_account`) or any budget.
    pub budget: Option<String>,
    pub rules: Vec<PolicyRule>,
    pub reason: String,
    pub at: Origin,
}

impl Exception {
    /// Whether it lifts `rule` for this account and budget (`None`: the
    /// account as a whole).
    pub fn matches(&self, rule: PolicyRule, account: &AccountId, budget: Option<&str>) -> bool {
        self.rules.contains(&rule)
            && self.account.as_ref().is_none_or(|a| a == account)
            && match (&self.budget, budget) {
                (None, _) => true,
                (Some(glob), Some(name)) => glob_match(glob, name),
                (Some(_), None) => false,
            }
    }
}

/// `*` any run of characters, `?` one: the globs `ignore` takes too.
pub fn glob_match(glob: &str, name: &str) -> bool {
    fn go(g: &[char], n: &[char]) -> bool {
        match (g.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&g[1..], n) || (!n.is_empty() && go(g, &n[1..])),
            (Some('?'), Some(_)) => go(&g[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&g[1..], &n[1..]),
            _ => false,
        }
    }
    let (g, n): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    go(&g, &n)
}

/// The `policy:` of a configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// `require.budget_per_account`: every account in scope has a budget
    /// (of this period, when one is given).
    pub budget_per_account: Option<(Option<TimeUnit>, RuleAt)>,
    /// `require.alerts`.
    pub alerts: Option<(Vec<RequiredAlert>, RuleAt)>,
    /// `require.subscribers`.
    pub subscribers: Option<RuleAt>,
    /// `require.tags`: the keys.
    pub tags: Option<(Vec<String>, RuleAt)>,
    pub limits: Vec<LimitRule>,
    /// `sns: same-account`.
    pub sns_same_account: Option<RuleAt>,
    /// The accounts the `require` rules apply to; `None`: every account
    /// the files name.
    pub scope: Option<Vec<AccountId>>,
    pub exceptions: Vec<Exception>,
    /// Where `policy:` is written.
    pub at: Option<Origin>,
}

/// A budget or an account that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub rule: PolicyRule,
    pub level: Level,
    pub account: AccountId,
    /// The budget, unless the account as a whole breaks it.
    pub budget: Option<String>,
    pub message: String,
    /// Where the rule is written.
    pub rule_at: Origin,
}

impl Policy {
    /// Whether the policy says anything at all.
    pub fn is_empty(&self) -> bool {
        self.budget_per_account.is_none()
            && self.alerts.is_none()
            && self.subscribers.is_none()
            && self.tags.is_none()
            && self.limits.is_empty()
            && self.sns_same_account.is_none()
    }

    fn in_scope(&self, account: &AccountId) -> bool {
        self.scope.as_ref().is_none_or(|s| s.contains(account))
    }

    /// Whether an exception lifts `rule` for this account and budget.
    pub fn excepted(&self, rule: PolicyRule, account: &AccountId, budget: Option<&str>) -> bool {
        self.exceptions
            .iter()
            .any(|e| e.matches(rule, account, budget))
    }

    /// The exceptions no violation needed, among `found` (the violations
    /// before exceptions were applied): each is said, as a warning.
    pub fn unused_exceptions<'p>(&'p self, found: &[Violation]) -> Vec<&'p Exception> {
        self.exceptions
            .iter()
            .filter(|e| {
                !found
                    .iter()
                    .any(|v| e.matches(v.rule, &v.account, v.budget.as_deref()))
            })
            .collect()
    }
}

/// What of a budget a policy looks at: the budget in the model, its
/// account, and whether its subscribers are known (a live budget's are
/// read only where a rule needs them).
pub struct Checked<'b> {
    pub account: &'b AccountId,
    pub budget: &'b Budget,
    pub subscribers_known: bool,
}

/// The alerts of `budget` that satisfy `required`: of its type, `>`, and
/// at or under its percentage (an absolute threshold compared through a
/// fixed limit of the same unit).
fn satisfies(budget: &Budget, required: &RequiredAlert) -> bool {
    let limit = match &budget.limit {
        BudgetLimit::Fixed(s) => Some(s.amount),
        _ => None,
    };
    budget.notifications.iter().any(|n| {
        let k = &n.key;
        if k.notification_type != required.notification_type
            || k.comparison != ComparisonOperator::GreaterThan
        {
            return false;
        }
        match k.threshold_type {
            ThresholdType::Percentage => k.threshold <= required.threshold,
            ThresholdType::AbsoluteValue => limit.is_some_and(|l| {
                !l.is_zero() && k.threshold * Decimal::ONE_HUNDRED / l <= required.threshold
            }),
        }
    })
}

/// The largest amount a budget's limit reaches in a period, where it is
/// an amount the files give (fixed, planned, a schedule's first periods).
fn largest_limit(budget: &Budget) -> Option<Spend> {
    match &budget.limit {
        BudgetLimit::Fixed(s) => Some(s.clone()),
        BudgetLimit::Planned(p) => p.values().max_by_key(|s| s.amount).cloned(),
        BudgetLimit::Schedule(sc) => Some(sc.every.clone()),
        BudgetLimit::AutoAdjust(_) => None,
    }
}

/// Every rule one budget breaks, before exceptions.
pub fn check_budget(policy: &Policy, b: &Checked<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let budget = b.budget;
    let mut push = |rule: PolicyRule, at: &RuleAt, message: String| {
        out.push(Violation {
            rule,
            level: at.level,
            account: b.account.clone(),
            budget: Some(budget.name.clone()),
            message,
            rule_at: at.at.clone(),
        })
    };
    let scoped = policy.in_scope(b.account);
    if scoped
        && !budget.budget_type.is_ri_or_sp()
        && let Some((required, at)) = &policy.alerts
    {
        let missing: Vec<String> = required
            .iter()
            .filter(|r| !satisfies(budget, r))
            .map(ToString::to_string)
            .collect();
        if !missing.is_empty() {
            push(
                PolicyRule::Alerts,
                at,
                format!(
                    "budget `{}` has no alert at least as strict as `{}`",
                    budget.name,
                    missing.join("`, `")
                ),
            );
        }
    }
    if scoped
        && b.subscribers_known
        && let Some(at) = &policy.subscribers
    {
        let unread: Vec<String> = budget
            .notifications
            .iter()
            .filter(|n| n.subscribers.is_empty())
            .map(|n| n.key.phrase(budget.limit_unit()))
            .collect();
        if budget.notifications.is_empty() {
            push(
                PolicyRule::Subscribers,
                at,
                format!(
                    "budget `{}` has no alert: no one hears of its spend",
                    budget.name
                ),
            );
        } else if !unread.is_empty() {
            push(
                PolicyRule::Subscribers,
                at,
                format!(
                    "budget `{}` has alerts that reach no one: `{}`",
                    budget.name,
                    unread.join("`, `")
                ),
            );
        }
    }
    if scoped && let Some((keys, at)) = &policy.tags {
        let tags = budget.tags.as_ref();
        let missing: Vec<&str> = keys
            .iter()
            .filter(|k| tags.is_none_or(|t| !t.contains_key(*k)))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            push(
                PolicyRule::Tags,
                at,
                format!(
                    "budget `{}` has no tag `{}`",
                    budget.name,
                    missing.join("`, `")
                ),
            );
        }
    }
    for rule in policy
        .limits
        .iter()
        .filter(|r| r.accounts.contains(b.account))
    {
        if let Some(limit) = largest_limit(budget)
            && limit.unit == rule.max.unit
            && limit.amount > rule.max.amount
        {
            push(
                PolicyRule::Limits,
                &rule.rule,
                format!(
                    "budget `{}` has a limit of {} {}, above the most this policy allows in account {}: {} {}",
                    budget.name,
                    crate::amount::to_aws_string(limit.amount),
                    limit.unit,
                    b.account,
                    crate::amount::to_aws_string(rule.max.amount),
                    rule.max.unit
                ),
            );
        }
    }
    if let Some(at) = &policy.sns_same_account {
        for topic in sns_topics(budget) {
            if let Some(other) = topic_account(topic).filter(|a| *a != b.account.as_str()) {
                push(
                    PolicyRule::Sns,
                    at,
                    format!(
                        "budget `{}` sends alerts to SNS topic {topic} in account {other}: this policy wants topics in the budget's own account",
                        budget.name
                    ),
                );
            }
        }
    }
    out
}

/// Every SNS topic a budget's alerts and actions send to.
pub fn sns_topics(budget: &Budget) -> impl Iterator<Item = &str> {
    budget
        .notifications
        .iter()
        .flat_map(|n| &n.subscribers)
        .chain(budget.actions.iter().flatten().flat_map(|a| &a.subscribers))
        .filter_map(|s| match s {
            Subscriber::Sns(arn) => Some(arn.as_str()),
            Subscriber::Email(_) => None,
        })
}

/// The account of an SNS topic ARN (`arn:aws:sns:REGION:ACCOUNT:NAME`).
pub fn topic_account(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// The accounts in scope that break `require.budget_per_account`, given
/// each account's budgets' periods.
pub fn check_accounts<'a>(
    policy: &Policy,
    accounts: impl IntoIterator<Item = &'a AccountId>,
    periods_of: &dyn Fn(&AccountId) -> Vec<TimeUnit>,
) -> Vec<Violation> {
    let Some((period, at)) = &policy.budget_per_account else {
        return Vec::new();
    };
    accounts
        .into_iter()
        .filter(|a| policy.in_scope(a))
        .filter(|a| {
            let periods = periods_of(a);
            match period {
                Some(p) => !periods.contains(p),
                None => periods.is_empty(),
            }
        })
        .map(|a| Violation {
            rule: PolicyRule::BudgetPerAccount,
            level: at.level,
            account: a.clone(),
            budget: None,
            message: match period {
                Some(p) => format!("account {a} has no {p} budget"),
                None => format!("account {a} has no budget"),
            },
            rule_at: at.at.clone(),
        })
        .collect()
}

/// `found`, without what an exception lifts.
pub fn without_exceptions(policy: &Policy, found: Vec<Violation>) -> Vec<Violation> {
    found
        .into_iter()
        .filter(|v| !policy.excepted(v.rule, &v.account, v.budget.as_deref()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_ignore_does() {
        assert!(glob_match("legacy-*", "legacy-2019"));
        assert!(glob_match("console-?", "console-1"));
        assert!(!glob_match("console-?", "console-12"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "ac"));
    }
}
