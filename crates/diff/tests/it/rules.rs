//! One table of cases per reconciler rule (ARCHITECTURE.md), over live
//! budgets built by hand: the pure core tested where it lives, without HTTP.

use std::collections::BTreeMap;

use budgetctl_diff::{
    ChangeKind, Field, Live, LiveBudget, LiveSpend, NotificationChange, Plan, SubscriberSwap,
    Unreadable, WarningKind, diff,
};
use budgetctl_spec::{
    AccountId, Budget, BudgetLimit, Config, CostTypes, Spend, Subscriber, ThresholdType, load_str,
    max_end_date,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const ACCOUNT: &str = "111122223333";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn account() -> AccountId {
    AccountId::parse(ACCOUNT).unwrap()
}

/// The files' configuration, with the account as default; `accounts` is
/// inserted as written (e.g. prune and ignore).
fn config(accounts: &str, budgets: &str) -> Config {
    let yaml =
        format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\n{accounts}budgets:\n{budgets}");
    let loaded = load_str("rules.yaml", &yaml);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.config
}

/// The declared budget `name`, as AWS would return it once applied.
fn declared(config: &Config, name: &str) -> Budget {
    config
        .budgets
        .iter()
        .find(|b| b.budget.name == name)
        .unwrap_or_else(|| panic!("{name} is declared"))
        .budget
        .clone()
}

fn live(budget: Budget) -> LiveBudget {
    LiveBudget {
        account: account(),
        budget,
        last_updated: Some("2026-11-30T12:00:00Z".into()),
        spend: None,
        limit_now: None,
        alarms: Vec::new(),
        health: None,
        history: Vec::new(),
        actions: Vec::new(),
    }
}

fn plan(config: &Config, budgets: Vec<LiveBudget>) -> Plan {
    plan_with(config, budgets, Vec::new())
}

fn plan_with(config: &Config, budgets: Vec<LiveBudget>, unreadable: Vec<Unreadable>) -> Plan {
    let live = Live {
        budgets,
        unreadable,
    };
    diff(config, &live, &[account()], today())
}

fn usd(amount: &str) -> Spend {
    Spend::new(amount.parse::<Decimal>().unwrap(), "USD")
}

fn email(a: &str) -> Subscriber {
    Subscriber::Email(a.to_owned())
}

fn sns(a: &str) -> Subscriber {
    Subscriber::Sns(format!("arn:aws:sns:us-east-1:{ACCOUNT}:{a}"))
}

/// Rule 1: amounts are decimals; every spelling AWS returns of the declared
/// amount plans clean, and another amount does not.
#[test]
fn rule_1_amount_spellings_are_equal() {
    let c = config("", "  - {name: b, limit: 1000}\n");
    for (aws, changed) in [
        ("1000", false),
        ("1000.0", false),
        ("1000.000000000", false),
        ("1.0E+3", false),
        ("1E3", false),
        ("1000.01", true),
        ("999.999", true),
    ] {
        let mut b = declared(&c, "b");
        b.limit = BudgetLimit::Fixed(Spend::new(
            budgetctl_spec::amount::parse_amount(aws).unwrap(),
            "USD",
        ));
        let p = plan(&c, vec![live(b)]);
        assert_eq!(
            p.has_changes(),
            changed,
            "AWS's {aws} against the file's 1000"
        );
    }
}

/// Rule 2: what AWS computes or defaults never diffs: the start it chose,
/// its default end, cost types left at AWS's defaults, spend.
#[test]
fn rule_2_computed_and_defaulted_fields_never_diff() {
    let c = config("", "  - {name: b, limit: 100}\n");
    type Edit = Box<dyn Fn(&mut LiveBudget)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "AWS's start",
            Box::new(|l| l.budget.start = NaiveDate::from_ymd_opt(2026, 11, 1)),
        ),
        (
            "AWS's default end",
            Box::new(|l| l.budget.end = Some(max_end_date())),
        ),
        (
            "cost types at AWS's defaults",
            Box::new(|l| l.budget.cost_types = Some(CostTypes::default())),
        ),
        (
            "spend and the time of the last update",
            Box::new(|l| {
                l.spend = Some(LiveSpend {
                    actual: 40.into(),
                    forecasted: Some(90.into()),
                    unit: "USD".into(),
                });
                l.last_updated = Some("2026-12-01T00:00:00Z".into());
            }),
        ),
    ];
    for (what, edit) in cases {
        let mut l = live(declared(&c, "b"));
        edit(&mut l);
        let p = plan(&c, vec![l]);
        assert!(!p.has_changes(), "{what}: {:?}", p.changes);
    }
    // A declared end is compared.
    let mut l = live(declared(&c, "b"));
    l.budget.end = NaiveDate::from_ymd_opt(2027, 1, 31);
    let p = plan(&c, vec![l]);
    assert_eq!(p.changes[0].fields[0].field, "end", "{:?}", p.changes);
}

/// Rule 4: a notification is identified by type, comparison, threshold and
/// threshold type; a moved threshold is one change in place, and an omitted
/// threshold type is AWS's percentage.
#[test]
fn rule_4_notification_identity_changes_in_place() {
    let c = config(
        "",
        "  - {name: b, limit: 100, notifications: [{on: actual > 90%, to: [a@example.com]}]}\n",
    );
    let mut b = declared(&c, "b");
    b.notifications[0].key.threshold = 80.into();
    let p = plan(&c, vec![live(b)]);
    assert_eq!(p.changes.len(), 1);
    let n = &p.changes[0].notifications;
    assert!(
        matches!(n.as_slice(), [NotificationChange::Change { from, to }]
            if from.threshold == Decimal::from(80) && to.threshold == Decimal::from(90)),
        "{n:?}"
    );
    assert!(
        p.changes[0].fields.is_empty(),
        "no UpdateBudget for an alert"
    );

    // The same alert spelt with its threshold type plans clean.
    let c = config(
        "",
        "  - name: b\n    limit: 100\n    notifications:\n      - {type: actual, comparison: greater_than, threshold: 90, threshold_type: percentage, subscribers: [{email: a@example.com}]}\n",
    );
    let mut b = declared(&c, "b");
    assert_eq!(
        b.notifications[0].key.threshold_type,
        ThresholdType::Percentage
    );
    b.notifications[0].subscribers = vec![email("a@example.com")];
    assert!(!plan(&c, vec![live(b)]).has_changes());
}

/// Rule 5: a removed and an added subscriber of the same kind are one swap;
/// only what is left unpaired is added or removed.
#[test]
fn rule_5_subscribers_of_the_same_kind_are_swapped() {
    let ten: Vec<String> = (0..10).map(|i| format!("u{i}@example.com")).collect();
    let list = |v: &[String]| v.join(", ");
    let mut three_new = ten.clone();
    for (i, slot) in three_new.iter_mut().take(3).enumerate() {
        *slot = format!("new{i}@example.com");
    }
    let sns_a = format!("arn:aws:sns:us-east-1:{ACCOUNT}:a");
    let sns_b = format!("arn:aws:sns:us-east-1:{ACCOUNT}:b");
    let mut emails_and_sns = ten.clone();
    emails_and_sns.pop();
    emails_and_sns.push(sns_a.clone());
    // (live subscribers, declared subscribers, swaps, adds, removes)
    type Case = (&'static str, Vec<String>, Vec<String>, usize, usize, usize);
    let cases: Vec<Case> = vec![
        (
            "the SNS topic",
            vec![sns_a.clone()],
            vec![sns_b.clone()],
            1,
            0,
            0,
        ),
        ("three of ten emails", ten.clone(), three_new, 3, 0, 0),
        (
            "an email becomes the topic",
            ten.clone(),
            emails_and_sns,
            0,
            1,
            1,
        ),
        (
            "an added email",
            vec![ten[0].clone()],
            ten[..2].to_vec(),
            0,
            1,
            0,
        ),
    ];
    for (what, before, after, swaps, adds, removes) in cases {
        let c = config(
            "",
            &format!(
                "  - {{name: b, limit: 100, notifications: [{{on: actual > 80%, to: [{}]}}]}}\n",
                list(&after)
            ),
        );
        let mut b = declared(&c, "b");
        b.notifications[0].subscribers =
            before.iter().map(|a| Subscriber::from_address(a)).collect();
        let p = plan(&c, vec![live(b)]);
        let n = &p.changes[0].notifications;
        let [
            NotificationChange::Subscribers {
                swap, add, remove, ..
            },
        ] = n.as_slice()
        else {
            panic!("{what}: {n:?}");
        };
        assert_eq!(
            (swap.len(), add.len(), remove.len()),
            (swaps, adds, removes),
            "{what}: {n:?}"
        );
        for SubscriberSwap { from, to } in swap {
            assert_eq!(
                std::mem::discriminant(from),
                std::mem::discriminant(to),
                "{what}: a swap keeps the kind"
            );
        }
    }
    assert_ne!(sns("a"), email("a"));
}

/// Rule 6: minimal writes: only alerts or tags changed means no
/// UpdateBudget; a changed limit is one field.
#[test]
fn rule_6_only_what_changed_is_written() {
    let c = config(
        "",
        "  - {name: b, limit: 100, tags: {team: a}, notifications: [{on: actual > 80%, to: [a@example.com]}]}\n",
    );
    let mut tags_only = declared(&c, "b");
    tags_only.tags = Some(BTreeMap::from([("team".into(), "b".into())]));
    let p = plan(&c, vec![live(tags_only)]);
    assert!(!p.changes[0].updates_budget_fields(), "{:?}", p.changes);
    assert_eq!(p.changes[0].tags.len(), 1);

    let mut limit = declared(&c, "b");
    limit.limit = BudgetLimit::Fixed(usd("50"));
    let p = plan(&c, vec![live(limit)]);
    let fields: Vec<&Field> = p.changes[0].fields.iter().map(|f| &f.field).collect();
    assert_eq!(fields, [&Field::Limit]);
    assert!(p.changes[0].notifications.is_empty() && p.changes[0].tags.is_empty());
}

/// Tags: managed only where the file declares `tags` (an empty map removes
/// them all); otherwise live tags are left as they are.
#[test]
fn tags_are_compared_only_where_the_file_manages_them() {
    let live_tags = Some(BTreeMap::from([("owner".into(), "x".into())]));
    for (budget, changes) in [
        ("  - {name: b, limit: 100}\n", 0),
        ("  - {name: b, limit: 100, tags: {}}\n", 1),
        ("  - {name: b, limit: 100, tags: {owner: x}}\n", 0),
        ("  - {name: b, limit: 100, tags: {owner: y}}\n", 1),
    ] {
        let c = config("", budget);
        let mut b = declared(&c, "b");
        b.tags = live_tags.clone();
        let p = plan(&c, vec![live(b)]);
        let tags = p.changes.first().map_or(0, |c| c.tags.len());
        assert_eq!(tags, changes, "{budget}");
    }
}

/// Rule 9: an undeclared budget is deleted only with `prune: true`, never
/// when it matches `ignore`; otherwise it is listed as unmanaged.
#[test]
fn rule_9_prune_and_ignore_decide_deletion() {
    let other = |name: &str| {
        let c = config("", "  - {name: template, limit: 5}\n");
        let mut b = declared(&c, "template");
        b.name = name.to_owned();
        live(b)
    };
    for (accounts, deleted, unmanaged, ignored) in [
        ("", 0, 2, 0),
        (
            &format!("accounts:\n  \"{ACCOUNT}\": {{prune: true}}\n") as &str,
            2,
            0,
            0,
        ),
        (
            &format!("accounts:\n  \"{ACCOUNT}\": {{prune: true, ignore: [\"keep-*\"]}}\n"),
            1,
            0,
            1,
        ),
    ] {
        let c = config(accounts, "  - {name: b, limit: 100}\n");
        let b = live(declared(&c, "b"));
        let p = plan(&c, vec![b, other("old"), other("keep-me")]);
        let deletes = p
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Delete)
            .count();
        assert_eq!(
            (deletes, p.unmanaged.len(), p.ignored.len()),
            (deleted, unmanaged, ignored),
            "{accounts:?}: {:?}",
            p.changes
        );
        let touched = |name: &str| p.changes.iter().any(|c| c.budget.name == name);
        assert!(!touched("b"), "{accounts:?}: the declared budget stays");
        if ignored > 0 {
            assert!(
                !touched("keep-me"),
                "{accounts:?}: ignored is never deleted"
            );
        }
    }
}

/// Rule 13: a type change is a plan error, never an update or a
/// delete-and-create.
#[test]
fn rule_13_a_type_change_is_a_plan_error() {
    let c = config("", "  - {name: b, type: usage, limit: \"100 GB\"}\n");
    let mut b = declared(&c, "b");
    b.budget_type = budgetctl_spec::BudgetType::Cost;
    b.limit = BudgetLimit::Fixed(usd("100"));
    let p = plan(&c, vec![live(b)]);
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert_eq!(p.errors.len(), 1);
    assert!(
        p.errors[0].message.contains("type cannot change in place"),
        "{:?}",
        p.errors
    );
}

/// Rule 14: a live budget this version cannot read is warned about and
/// left alone, even under prune.
#[test]
fn rule_14_an_unreadable_budget_is_left_alone() {
    let c = config(
        &format!("accounts:\n  \"{ACCOUNT}\": {{prune: true}}\n"),
        "  - {name: b, limit: 100}\n",
    );
    for declared_too in [false, true] {
        let name = if declared_too { "b" } else { "strange" };
        let unreadable = vec![Unreadable {
            account: account(),
            name: name.into(),
            reason: "budget type SOMETHING_NEW".into(),
        }];
        let budgets = if declared_too {
            Vec::new()
        } else {
            vec![live(declared(&c, "b"))]
        };
        let p = plan_with(&c, budgets, unreadable);
        assert!(
            !p.changes.iter().any(|c| c.budget.name == name),
            "{name}: {:?}",
            p.changes
        );
        assert!(
            p.warnings
                .iter()
                .any(|w| w.kind == WarningKind::Unreadable && w.budget.name == name),
            "{name}: {:?}",
            p.warnings
        );
    }
}

/// Rule 15 in short (the calendar module has the rest): planned periods
/// before this one are history and never diff.
#[test]
fn rule_15_past_planned_periods_never_diff() {
    let c = config(
        "",
        "  - name: b\n    planned: {2026-11: 100, 2026-12: 100, 2027-01: 100}\n",
    );
    let mut b = declared(&c, "b");
    if let BudgetLimit::Planned(p) = &mut b.limit {
        p.remove(&NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
    }
    let p = plan(&c, vec![live(b)]);
    assert!(!p.has_changes(), "{:?}", p.changes);
}
