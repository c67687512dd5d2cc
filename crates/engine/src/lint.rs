//! `lint`: the accounts in scope, read live, against the files' policy and
//! what AWS itself warns of: accounts with no budget, budgets declared or
//! not that break a rule, budgets AWS reports unhealthy, non-recurring
//! budgets about to end, and (with `--check-sns`) topics whose policy does
//! not let AWS Budgets publish. The reads are status's bulk reads, plus
//! subscribers and tags only where a rule needs them, plus one
//! GetTopicAttributes per topic under `--check-sns`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use budgetctl_aws::sns::{SnsClients, lets_budgets_publish};
use budgetctl_aws::{ReadError, ReadScope, read_accounts};
use budgetctl_diff::{PlanScope, Unreadable};
use budgetctl_spec::policy::{
    Checked, Level, PolicyRule, check_accounts, check_budget, without_exceptions,
};
use budgetctl_spec::{AccountId, Loaded, Origin, Subscriber, max_end_date};
use chrono::NaiveDate;

use crate::error::AwsError;
use crate::plan::accounts;
use crate::session::Session;

/// Why no lint could be made.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error(
        "the budget files have {errors} error(s): fix them (budgetctl validate shows each) before lint reads their accounts"
    )]
    Invalid { errors: usize },
    #[error("{error}")]
    Read {
        error: ReadError,
        role: Option<String>,
    },
    #[error(transparent)]
    Sns(AwsError),
}

/// How a lint is made.
pub struct LintOptions<'a> {
    pub parallelism: usize,
    pub today: NaiveDate,
    /// Read each SNS topic's policy (GetTopicAttributes).
    pub check_sns: bool,
    pub reading: &'a (dyn Fn(&AccountId, Option<&str>) + Sync),
}

/// One problem found, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `policy-tags`, `unhealthy`, `ending-soon`, `sns-topic-policy`, ….
    pub code: &'static str,
    pub level: Level,
    pub account: AccountId,
    /// The budget, unless the account as a whole is the problem.
    pub budget: Option<String>,
    pub message: String,
    pub help: String,
    /// Where the budget is declared, when a file declares it.
    pub at: Option<Origin>,
    /// Where the rule it breaks is written.
    pub rule_at: Option<Origin>,
}

/// What lint found.
#[derive(Debug, Clone)]
pub struct LintReport {
    pub findings: Vec<Finding>,
    pub accounts: usize,
    pub budgets: usize,
    pub unreadable: Vec<Unreadable>,
}

impl LintReport {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .count()
    }
}

/// A budget that stops alerting within this many days is said.
const ENDING_WITHIN_DAYS: i64 = 30;

/// Read the accounts of `scope` and check them.
pub async fn lint(
    loaded: &Loaded,
    session: &Session,
    scope: &PlanScope,
    options: &LintOptions<'_>,
) -> Result<LintReport, LintError> {
    // Files that break the policy are what lint reports on; any other
    // error leaves what the files mean unknown.
    let errors = loaded.errors().filter(|d| !d.code.breaks_policy()).count();
    if errors > 0 {
        return Err(LintError::Invalid { errors });
    }
    let config = &loaded.config;
    let policy = &config.policy;
    // Every account the files name, the policy's scope and its groups'
    // accounts too: a new account of an OU shows up without a budget.
    let mut accounts = accounts(config, scope);
    if scope.accounts.is_empty() {
        accounts.extend(policy.scope.iter().flatten().cloned());
        accounts.extend(
            config
                .groups
                .values()
                .flat_map(|g| g.accounts.iter().cloned()),
        );
        if let Some(shard) = scope.shard {
            accounts.retain(|a| shard.contains(a));
        }
        accounts.sort();
        accounts.dedup();
    }
    let subscribers = policy.subscribers.is_some() || options.check_sns;
    let read = ReadScope {
        only_active_action_names: true,
        all_subscribers: subscribers,
        all_tags: policy.tags.is_some(),
        ..ReadScope::default()
    };
    let role = |account: &AccountId| config.accounts.get(account).and_then(|s| s.role.clone());
    let live = read_accounts(
        session.clients(),
        accounts.iter().map(|a| (a, &read)),
        options.parallelism,
        &|account| (options.reading)(account, role(account).as_deref()),
    )
    .await
    .map_err(|error| LintError::Read {
        role: match &error {
            ReadError::Aws(e) => role(&e.account),
            ReadError::Convert(_) => None,
        },
        error,
    })?;
    let declared: HashMap<(&AccountId, &str), &Origin> = config
        .budgets
        .iter()
        .map(|d| ((&d.account, d.budget.name.as_str()), &d.origin))
        .collect();
    let at = |account: &AccountId, budget: Option<&str>| -> Option<Origin> {
        budget
            .and_then(|b| declared.get(&(account, b)))
            .map(|o| (*o).clone())
    };

    // The policy, on every live budget and account.
    let mut violations = Vec::new();
    for l in &live.budgets {
        violations.extend(check_budget(
            policy,
            &Checked {
                account: &l.account,
                budget: &l.budget,
                subscribers_known: subscribers,
            },
        ));
    }
    let periods = |a: &AccountId| {
        live.budgets
            .iter()
            .filter(|l| &l.account == a)
            .map(|l| l.budget.time_unit)
            .collect()
    };
    violations.extend(check_accounts(policy, &accounts, &periods));
    let mut findings: Vec<Finding> = without_exceptions(policy, violations)
        .into_iter()
        .map(|v| Finding {
            code: v.rule.code(),
            level: v.level,
            help: match v.rule {
                PolicyRule::BudgetPerAccount => {
                    "declare a budget for the account (a template over `all` or its group covers new accounts), or add an exception with its reason".to_owned()
                }
                rule => format!(
                    "change the budget to keep the `{rule}` rule (in a file, then apply), or add an exception with its reason"
                ),
            },
            at: at(&v.account, v.budget.as_deref()),
            rule_at: Some(v.rule_at),
            account: v.account,
            budget: v.budget,
            message: v.message,
        })
        .collect();

    // What AWS warns of.
    for l in &live.budgets {
        let name = Some(l.budget.name.clone());
        if let Some(h) = l.health.as_ref().filter(|h| !h.is_healthy()) {
            findings.push(Finding {
                code: "unhealthy",
                level: Level::Error,
                account: l.account.clone(),
                budget: name.clone(),
                message: format!(
                    "AWS reports budget `{}` {}{}: it may not track or alert",
                    l.budget.name,
                    h.status,
                    h.reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
                help: "FILTER_INVALID: fix the budget's filters; BILLING_VIEW_*: grant access to its billing view, or remove it".to_owned(),
                at: at(&l.account, name.as_deref()),
                rule_at: None,
            });
        }
        if let Some(end) = l.budget.end.filter(|e| *e != max_end_date()) {
            let left = (end - options.today).num_days();
            if (0..=ENDING_WITHIN_DAYS).contains(&left) {
                findings.push(Finding {
                    code: "ending-soon",
                    level: Level::Warning,
                    account: l.account.clone(),
                    budget: name.clone(),
                    message: format!(
                        "budget `{}` ends on {end}, in {left} days: AWS stops alerting for it then",
                        l.budget.name
                    ),
                    help: "move its `end` later, or let it go on purpose".to_owned(),
                    at: at(&l.account, name.as_deref()),
                    rule_at: None,
                });
            }
        }
    }

    // Topics that do not let AWS Budgets publish.
    if options.check_sns {
        let roles: BTreeMap<AccountId, String> = config.roles();
        let sns = SnsClients::new(session.connection(), &roles).await;
        let mut topics: BTreeMap<(AccountId, String), BTreeSet<String>> = BTreeMap::new();
        for l in &live.budgets {
            for n in &l.budget.notifications {
                for s in &n.subscribers {
                    if let Subscriber::Sns(arn) = s {
                        topics
                            .entry((l.account.clone(), arn.clone()))
                            .or_default()
                            .insert(l.budget.name.clone());
                    }
                }
            }
        }
        for ((account, arn), budgets) in topics {
            let list = budgets.iter().cloned().collect::<Vec<_>>().join("`, `");
            let first = budgets.iter().next().cloned();
            let (code, message) = match sns
                .topic_policy(&account, &arn)
                .await
                .map_err(LintError::Sns)?
            {
                None => (
                    "sns-topic-missing",
                    format!(
                        "SNS topic {arn} of budgets `{list}` does not exist: their alerts go nowhere"
                    ),
                ),
                Some(p) if !lets_budgets_publish(&p) => (
                    "sns-topic-policy",
                    format!(
                        "SNS topic {arn} does not let budgets.amazonaws.com publish: alerts of budgets `{list}` are dropped"
                    ),
                ),
                Some(_) => continue,
            };
            findings.push(Finding {
                code,
                level: Level::Error,
                at: at(&account, first.as_deref()),
                account,
                budget: first,
                message,
                help: "add a statement allowing the service principal budgets.amazonaws.com the action SNS:Publish on the topic (the Budgets user guide, \"Creating an Amazon SNS topic for budget notifications\")".to_owned(),
                rule_at: None,
            });
        }
    }
    findings.sort_by(|a, b| {
        (b.level, &a.account, &a.budget, a.code).cmp(&(a.level, &b.account, &b.budget, b.code))
    });
    Ok(LintReport {
        findings,
        accounts: accounts.len(),
        budgets: live.budgets.len(),
        unreadable: live.unreadable,
    })
}
