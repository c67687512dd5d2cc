//! `policy:` across the files: declared once (or identically), its
//! accounts resolved like a template's, and the declared budgets checked
//! against it, each violation a diagnostic at the budget with the rule as a
//! related place. Topics in another account are refused with or without a
//! policy: AWS Budgets does not deliver alerts across accounts.

use budgetctl_model::policy::{
    Checked, Exception, Level, LimitRule, Policy, PolicyRule, RuleAt, Violation, check_accounts,
    check_budget, topic_account,
};

use super::*;
use crate::decode::DecodedPolicy;
use crate::diagnostic::Severity;
use crate::model::TimeUnit;

/// A policy as written, without where: two files may state the same one.
fn rules_of(p: &DecodedPolicy) -> String {
    let names = |list: &[(String, Span)]| list.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        p.budget_per_account.as_ref().map(|(t, l, _)| (t, l)),
        p.alerts.as_ref().map(|(a, l, _)| (a, l)),
        p.subscribers.as_ref().map(|(l, _)| l),
        p.tags.as_ref().map(|(t, l, _)| (t, l)),
        p.limits
            .iter()
            .map(|r| (names(&r.accounts), &r.max, r.level))
            .collect::<Vec<_>>(),
        (
            p.sns.as_ref().map(|(l, _)| l),
            p.scope.as_deref().map(names)
        ),
        p.exceptions
            .iter()
            .map(|e| (&e.account, &e.budget, &e.rules, &e.reason))
            .collect::<Vec<_>>(),
    )
}

fn origin(span: &Span) -> Origin {
    Origin {
        file: span.file.path.display().to_string(),
        line: span.pos.line,
        column: span.pos.column,
    }
}

fn rule_at(level: Level, span: &Span) -> RuleAt {
    RuleAt {
        level,
        at: origin(span),
    }
}

impl Merger<'_> {
    /// One `policy:` per configuration: a second that differs is refused.
    pub(super) fn declare_policy(&mut self, file: usize, policy: DecodedPolicy) {
        match &self.policy {
            None => self.policy = Some((file, policy)),
            Some((_, first)) if rules_of(first) == rules_of(&policy) => {}
            Some((_, first)) => {
                let (Some(span), Some(first_span)) = (policy.span.clone(), first.span.clone())
                else {
                    return;
                };
                self.diagnostics[file].push(
                    Diagnostic::error(
                        Code::PolicyConflict,
                        span,
                        "the files declare two different policies",
                    )
                    .with_help(
                        "keep one `policy:` for the configuration (or the same in each file)",
                    )
                    .with_related(first_span, "the other policy"),
                );
            }
        }
    }

    /// The policy in the model: its accounts resolved (ids, groups, `all`),
    /// each rule with its level and place.
    pub(super) fn resolve_policy(&mut self, all: &[AccountId]) {
        let Some((file, p)) = self.policy.take() else {
            return;
        };
        let scope = p
            .scope
            .as_ref()
            .map(|list| self.template_members(file, list, all));
        let limits = p
            .limits
            .iter()
            .map(|r| LimitRule {
                accounts: self.template_members(file, &r.accounts, all),
                max: r.max.clone(),
                rule: rule_at(r.level, &r.span),
            })
            .collect();
        self.config.policy = Policy {
            budget_per_account: p
                .budget_per_account
                .as_ref()
                .map(|(period, level, span)| (*period, rule_at(*level, span))),
            alerts: p
                .alerts
                .as_ref()
                .map(|(a, level, span)| (a.clone(), rule_at(*level, span))),
            subscribers: p
                .subscribers
                .as_ref()
                .map(|(level, span)| rule_at(*level, span)),
            tags: p
                .tags
                .as_ref()
                .map(|(t, level, span)| (t.clone(), rule_at(*level, span))),
            limits,
            sns_same_account: p.sns.as_ref().map(|(level, span)| rule_at(*level, span)),
            scope,
            exceptions: p
                .exceptions
                .iter()
                .map(|e| Exception {
                    account: e.account.clone(),
                    budget: e.budget.clone(),
                    rules: e.rules.clone(),
                    reason: e.reason.clone(),
                    at: origin(&e.span),
                })
                .collect(),
            at: p.span.as_ref().map(origin),
        };
        self.policy = Some((file, p));
    }

    /// A budget's alerts and actions may only reach SNS topics of its own
    /// account: AWS Budgets publishes to a topic in the budget's account
    /// (the Budgets user guide, "Creating an Amazon SNS topic for budget
    /// notifications"), and a topic elsewhere never hears of it.
    pub(super) fn check_sns_accounts(&mut self) {
        for (i, d) in self.config.budgets.iter().enumerate() {
            let Some((file, span)) = self.budget_spans.get(i) else {
                continue;
            };
            for topic in budgetctl_model::policy::sns_topics(&d.budget) {
                if let Some(other) = topic_account(topic).filter(|a| *a != d.account.as_str()) {
                    self.diagnostics[*file].push(
                        Diagnostic::error(
                            Code::SnsCrossAccount,
                            span.clone(),
                            format!(
                                "budget `{}` of account {} sends to SNS topic {topic} in account {other}: AWS Budgets publishes only to topics in the budget's own account",
                                d.budget.name, d.account
                            ),
                        )
                        .with_help(format!(
                            "create the topic in account {} (its policy letting budgets.amazonaws.com publish), or send this alert by email",
                            d.account
                        )),
                    );
                }
            }
        }
    }

    /// The declared budgets against the policy: each violation where the
    /// budget is (or, for an account without a budget, where the rule
    /// is), the rule beside it; exceptions lift theirs, and one that lifts
    /// nothing is said.
    pub(super) fn check_policy(&mut self, all: &[AccountId]) {
        let Some((file, decoded)) = self.policy.take() else {
            return;
        };
        let policy = &self.config.policy;
        let mut found: Vec<(Violation, Option<(usize, Span)>)> = Vec::new();
        for (i, d) in self.config.budgets.iter().enumerate() {
            let place = self.budget_spans.get(i).cloned();
            let checked = Checked {
                account: &d.account,
                budget: &d.budget,
                subscribers_known: true,
            };
            for v in check_budget(policy, &checked) {
                found.push((v, place.clone()));
            }
        }
        let periods = |a: &AccountId| -> Vec<TimeUnit> {
            self.config
                .budgets
                .iter()
                .filter(|d| &d.account == a)
                .map(|d| d.budget.time_unit)
                .collect()
        };
        let mut accounts: Vec<AccountId> = all.to_vec();
        accounts.extend(policy.scope.iter().flatten().cloned());
        accounts.sort();
        accounts.dedup();
        for v in check_accounts(policy, &accounts, &periods) {
            found.push((v, None));
        }
        let unused: Vec<usize> = policy
            .exceptions
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                !found
                    .iter()
                    .any(|(v, _)| e.matches(v.rule, &v.account, v.budget.as_deref()))
            })
            .map(|(i, _)| i)
            .collect();
        let rule_span = |rule: PolicyRule, v: &Violation| -> Option<Span> {
            match rule {
                PolicyRule::BudgetPerAccount => {
                    decoded.budget_per_account.as_ref().map(|r| r.2.clone())
                }
                PolicyRule::Alerts => decoded.alerts.as_ref().map(|r| r.2.clone()),
                PolicyRule::Subscribers => decoded.subscribers.as_ref().map(|r| r.1.clone()),
                PolicyRule::Tags => decoded.tags.as_ref().map(|r| r.2.clone()),
                PolicyRule::Sns => decoded.sns.as_ref().map(|r| r.1.clone()),
                PolicyRule::Limits => decoded
                    .limits
                    .iter()
                    .find(|r| origin(&r.span) == v.rule_at)
                    .map(|r| r.span.clone()),
            }
        };
        let mut out: Vec<(usize, Diagnostic)> = Vec::new();
        for (v, place) in &found {
            // Offline, a topic of another account is refused whatever the
            // policy says (`sns-cross-account`): said once.
            if v.rule == PolicyRule::Sns || policy.excepted(v.rule, &v.account, v.budget.as_deref())
            {
                continue;
            }
            let Some(at_rule) = rule_span(v.rule, v) else {
                continue;
            };
            let (f, span) = place.clone().unwrap_or((file, at_rule.clone()));
            let severity = match v.level {
                Level::Error => Severity::Error,
                Level::Warning => Severity::Warning,
            };
            let mut d = Diagnostic {
                severity,
                code: Code::of_rule(v.rule),
                message: v.message.clone(),
                help: Some(format!(
                    "change the budget to keep the `{}` rule, or add an exception with its reason under `policy.exceptions`",
                    v.rule
                )),
                span,
                related: Vec::new(),
            };
            if place.is_some() {
                d = d.with_related(at_rule, format!("the `{}` rule", v.rule));
            }
            out.push((f, d));
        }
        for i in unused {
            let e = &decoded.exceptions[i];
            out.push((
                file,
                Diagnostic::warning(
                    Code::PolicyException,
                    e.span.clone(),
                    "this exception matches no budget or account that breaks its rules",
                )
                .with_help("remove it, or correct its account, budget glob or rules"),
            ));
        }
        for (f, d) in out {
            self.diagnostics[f].push(d);
        }
        self.policy = Some((file, decoded));
    }
}
