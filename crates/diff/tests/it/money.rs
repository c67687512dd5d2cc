//! Money in the plan: the limit in force before and after, this period's
//! spend, and what a change sets off (alerts that fire or fall silent,
//! actions that run), decided from the declared alerts and actions and
//! live spend, with "today" a parameter.

use budgetctl_diff::{
    Change, ChangeKind, ConsequenceKind, Live, LiveAction, LiveBudget, LiveSpend, Plan,
    WarningKind, diff,
};
use budgetctl_spec::{
    AccountId, ActionStatus, ApprovalModel, Budget, BudgetLimit, Config, NotificationKey, Spend,
    TimeUnit, load_str,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const ACCOUNT: &str = "111122223333";

fn account() -> AccountId {
    AccountId::parse(ACCOUNT).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
}

fn config(accounts: &str, budgets: &str) -> Config {
    let yaml =
        format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\n{accounts}budgets:\n{budgets}");
    let loaded = load_str("money.yaml", &yaml);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.config
}

fn declared(c: &Config, name: &str) -> Budget {
    let mut b = c
        .budgets
        .iter()
        .find(|d| d.budget.name == name)
        .unwrap_or_else(|| panic!("{name} is declared"))
        .budget
        .clone();
    b.actions = None;
    b.responses = Vec::new();
    b
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// `budget` as AWS holds it, with this period's spend (actual, forecast) in USD.
fn live(budget: Budget, actual: &str, forecast: Option<&str>) -> LiveBudget {
    LiveBudget {
        account: account(),
        budget,
        last_updated: None,
        spend: Some(LiveSpend {
            actual: dec(actual),
            forecasted: forecast.map(dec),
            unit: "USD".into(),
        }),
        limit_now: None,
        alarms: Vec::new(),
        health: None,
        history: Vec::new(),
        actions: Vec::new(),
    }
}

fn plan(c: &Config, budgets: Vec<LiveBudget>) -> Plan {
    let live = Live {
        budgets,
        unreadable: vec![],
    };
    diff(c, &live, &[account()], today())
}

fn change<'p>(p: &'p Plan, name: &str) -> &'p Change {
    p.changes
        .iter()
        .find(|c| c.budget.name == name)
        .unwrap_or_else(|| panic!("no change of {name}: {:?}", p.changes))
}

fn kinds(c: &Change) -> Vec<ConsequenceKind> {
    c.consequences.iter().map(|x| x.kind).collect()
}

fn key(text: &str) -> NotificationKey {
    let c = config(
        "",
        &format!(
            "  - {{name: k, limit: 1, notifications: [{{on: {text}, to: [a@example.com]}}]}}\n"
        ),
    );
    c.budgets[0].budget.notifications[0].key.clone()
}

#[test]
fn a_limit_change_shows_the_amounts_and_this_periods_spend() {
    let c = config("", "  - {name: b, limit: 15000}\n");
    let mut before = declared(&c, "b");
    before.limit = BudgetLimit::Fixed(Spend::new(dec("25000"), "USD"));
    let p = plan(&c, vec![live(before, "18400", Some("27900"))]);
    let ch = change(&p, "b");
    let limit = ch.limit.as_ref().unwrap();
    assert_eq!(
        (limit.before, limit.after, limit.unit.as_str()),
        (Some(dec("25000")), Some(dec("15000")), "USD")
    );
    assert_eq!(ch.spend.as_ref().unwrap().actual, dec("18400"));
    assert_eq!(ch.spend.as_ref().unwrap().forecasted, Some(dec("27900")));
    // No alert on the budget: over budget, said neutrally, and nothing fires.
    assert_eq!(kinds(ch), [ConsequenceKind::OverLimit]);
    assert!(
        ch.consequences[0].message.contains("123%"),
        "{:?}",
        ch.consequences
    );
    assert!(
        !ch.consequences[0].message.contains("fire"),
        "{:?}",
        ch.consequences
    );
    // Changed budgets carry consequences, not the warnings of unchanged ones.
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn a_create_has_a_limit_after_and_no_spend() {
    let c = config("", "  - {name: new, limit: 300, period: monthly}\n");
    let p = plan(&c, vec![]);
    let ch = change(&p, "new");
    assert_eq!(ch.kind, ChangeKind::Create);
    let limit = ch.limit.as_ref().unwrap();
    assert_eq!((limit.before, limit.after), (None, Some(dec("300"))));
    assert!(ch.spend.is_none());
    assert!(ch.consequences.is_empty());
}

#[test]
fn only_the_alerts_whose_line_spend_passes_fire() {
    let c = config(
        "",
        "  - name: b\n    limit: 100\n    notifications:\n      - { on: actual > 80%, to: [a@example.com] }\n      - { on: actual > 150%, to: [a@example.com] }\n      - { on: forecasted > 100%, to: [a@example.com] }\n",
    );
    let mut before = declared(&c, "b");
    before.limit = BudgetLimit::Fixed(Spend::new(dec("1000"), "USD"));
    let p = plan(&c, vec![live(before, "90", Some("95"))]);
    let ch = change(&p, "b");
    let fired: Vec<NotificationKey> = ch
        .consequences
        .iter()
        .filter(|x| x.kind == ConsequenceKind::AlertFires)
        .filter_map(|x| x.alert.clone())
        .collect();
    // 90 > 80 fires; 90 is not over 150; 95 is not over 100.
    assert_eq!(fired, [key("actual > 80%")]);
    assert!(kinds(ch).contains(&ConsequenceKind::AlertFires));
    assert!(
        !kinds(ch).contains(&ConsequenceKind::OverLimit),
        "{:?}",
        ch.consequences
    );
}

#[test]
fn an_alert_already_in_alarm_does_not_fire_again() {
    let c = config(
        "",
        "  - name: b\n    limit: 100\n    notifications:\n      - { on: actual > 80%, to: [a@example.com] }\n    tags: { owner: x }\n",
    );
    let mut before = declared(&c, "b");
    before.limit = BudgetLimit::Fixed(Spend::new(dec("110"), "USD"));
    let mut l = live(before, "95", None);
    l.alarms = vec![key("actual > 80%")];
    let p = plan(&c, vec![l]);
    assert!(!kinds(change(&p, "b")).contains(&ConsequenceKind::AlertFires));
}

#[test]
fn an_alert_in_alarm_that_the_change_removes_or_raises_above_spend_is_silenced() {
    // Removed.
    let c = config("", "  - {name: b, limit: 100}\n");
    let mut before = declared(&c, "b");
    before.notifications = config(
        "",
        "  - {name: x, limit: 1, notifications: [{on: actual > 50%, to: [a@example.com]}]}\n",
    )
    .budgets[0]
        .budget
        .notifications
        .clone();
    let mut l = live(before, "60", None);
    l.alarms = vec![key("actual > 50%")];
    let p = plan(&c, vec![l]);
    let ch = change(&p, "b");
    assert_eq!(kinds(ch), [ConsequenceKind::AlertSilenced]);
    assert_eq!(ch.consequences[0].alert, Some(key("actual > 50%")));
    assert!(ch.consequences[0].message.contains("removes"));

    // Kept, with the limit raised above spend.
    let c = config(
        "",
        "  - {name: b, limit: 200, notifications: [{on: actual > 50%, to: [a@example.com]}]}\n",
    );
    let mut before = declared(&c, "b");
    before.limit = BudgetLimit::Fixed(Spend::new(dec("100"), "USD"));
    let mut l = live(before, "60", None);
    l.alarms = vec![key("actual > 50%")];
    let p = plan(&c, vec![l]);
    assert_eq!(kinds(change(&p, "b")), [ConsequenceKind::AlertSilenced]);
}

const SCP: &str = "apply_scp: { policy: p-abcd1234, targets: [ou-ab12-cdef3456] }";

fn with_action(approval: &str, when: &str) -> Config {
    config(
        "",
        &format!(
            "  - name: b\n    limit: 100\n    actions:\n      - name: deny\n        when: {when}\n        {SCP}\n        approval: {approval}\n        execution_role: arn:aws:iam::111122223333:role/budgetctl-actions\n        to: [finops@example.com]\n"
        ),
    )
}

fn live_with_action(c: &Config, status: ActionStatus, approval: ApprovalModel) -> LiveBudget {
    let full = c.budgets[0].budget.clone();
    let mut action = full.actions.unwrap()[0].clone();
    action.approval = approval;
    let mut l = live(declared(c, "b"), "73", Some("90"));
    l.actions = vec![LiveAction {
        id: "00000000-0000-0000-0000-000000000001".into(),
        status,
        name: Some(action.name.clone()),
        action,
    }];
    l
}

#[test]
fn a_new_automatic_action_whose_trigger_is_crossed_runs_at_once() {
    let c = with_action("automatic", "actual > 50%");
    let p = plan(&c, vec![live(declared(&c, "b"), "73", None)]);
    let ch = change(&p, "b");
    assert_eq!(kinds(ch), [ConsequenceKind::ActionRuns]);
    let x = &ch.consequences[0];
    assert_eq!(x.action.as_deref(), Some("deny"));
    assert!(
        x.message
            .contains("attach SCP p-abcd1234 to ou-ab12-cdef3456"),
        "{}",
        x.message
    );
}

#[test]
fn a_new_automatic_action_not_yet_crossed_is_a_careful_look_item() {
    let c = with_action("automatic", "actual > 110%");
    let p = plan(&c, vec![live(declared(&c, "b"), "73", None)]);
    let ch = change(&p, "b");
    assert_eq!(kinds(ch), [ConsequenceKind::AutomaticAction]);
    assert!(ch.consequences[0].kind.needs_a_careful_look());
    // A manual one is not.
    let c = with_action("manual", "actual > 110%");
    let p = plan(&c, vec![live(declared(&c, "b"), "73", None)]);
    assert!(change(&p, "b").consequences.is_empty());
}

#[test]
fn a_pending_action_switched_to_automatic_is_named() {
    let c = with_action("automatic", "actual > 50%");
    let l = live_with_action(&c, ActionStatus::Pending, ApprovalModel::Manual);
    let p = plan(&c, vec![l]);
    let ch = change(&p, "b");
    assert_eq!(kinds(ch), [ConsequenceKind::AutomaticAction]);
    assert!(
        ch.consequences[0].message.contains("PENDING"),
        "{:?}",
        ch.consequences
    );
    assert!(ch.consequences[0].message.contains("manual → automatic"));
}

#[test]
fn a_deletion_shows_its_spend_alarms_and_why() {
    let c = config(
        "accounts: {\"111122223333\": {prune: true}}\n",
        "  - {name: keep, limit: 5}\n",
    );
    let gone_budget = {
        let g = config(
            "",
            "  - {name: gone, limit: 3000, notifications: [{on: actual > 50%, to: [a@example.com]}]}\n",
        );
        declared(&g, "gone")
    };
    let mut gone = live(gone_budget, "2100", Some("2600"));
    gone.alarms = vec![key("actual > 50%")];
    let keep = live(declared(&c, "keep"), "1", None);
    let p = plan(&c, vec![keep, gone]);
    let ch = change(&p, "gone");
    assert_eq!(ch.kind, ChangeKind::Delete);
    assert_eq!(
        kinds(ch),
        [
            ConsequenceKind::DeletedWithSpend,
            ConsequenceKind::AlertSilenced
        ]
    );
    assert!(
        ch.consequences[0]
            .message
            .contains("2,100 USD of 3,000 USD"),
        "{:?}",
        ch.consequences
    );
    let limit = ch.limit.as_ref().unwrap();
    assert_eq!((limit.before, limit.after), (Some(dec("3000")), None));
    assert_eq!(
        ch.origin.as_deref(),
        Some("prune: true for account 111122223333 at money.yaml:3:12")
    );
}

#[test]
fn an_unchanged_budget_already_over_is_a_warning_apart_from_the_changes() {
    let c = config(
        "",
        "  - {name: over, limit: 50}\n  - {name: forecast, limit: 50}\n  - {name: fine, limit: 50}\n",
    );
    let p = plan(
        &c,
        vec![
            live(declared(&c, "over"), "60", None),
            live(declared(&c, "forecast"), "40", Some("70")),
            live(declared(&c, "fine"), "10", Some("20")),
        ],
    );
    assert!(!p.has_changes());
    let found: Vec<(&str, WarningKind)> = p
        .warnings
        .iter()
        .map(|w| (w.budget.name.as_str(), w.kind))
        .collect();
    assert_eq!(
        found,
        [
            ("over", WarningKind::BelowActualSpend),
            ("forecast", WarningKind::BelowForecastedSpend)
        ]
    );
    assert!(p.warnings.iter().all(|w| !w.message.contains("fire")));
    let (unchanged, changes) = p.warnings_by_change();
    assert_eq!((unchanged.len(), changes.len()), (2, 0));
}

#[test]
fn planned_and_auto_adjusting_limits_say_what_sets_them() {
    let c = config(
        "",
        "  - {name: p, planned: {2026-12: 1243.37, 2027-01: 1300}}\n  - {name: a, auto_adjust: {historical: 6}, notifications: [{on: actual > 80%, to: [a@example.com]}]}\n",
    );
    let mut p_live = declared(&c, "p");
    p_live.limit = BudgetLimit::Fixed(Spend::new(dec("1000"), "USD"));
    let mut a_live = live(declared(&c, "a"), "900", None);
    a_live.budget.notifications.clear();
    a_live.limit_now = Some(Spend::new(dec("1000"), "USD"));
    let p = plan(&c, vec![live(p_live, "10", None), a_live]);
    let planned = change(&p, "p").limit.clone().unwrap();
    assert_eq!(planned.after, Some(dec("1243.37")));
    assert_eq!(planned.set_by.as_deref(), Some("planned for 2026-12"));
    let auto = change(&p, "a");
    let limit = auto.limit.as_ref().unwrap();
    assert_eq!(
        (limit.before, limit.after),
        (Some(dec("1000")), Some(dec("1000")))
    );
    assert_eq!(
        limit.set_by.as_deref(),
        Some("auto-adjusting: average of the last 6 periods")
    );
    // The new alert's line is 80% of AWS's amount.
    assert_eq!(kinds(auto), [ConsequenceKind::AlertFires]);
}

#[test]
fn the_net_change_is_per_period_and_unit() {
    let c = config(
        "accounts: {\"111122223333\": {prune: true}}\n",
        "  - {name: up, limit: 1200}\n  - {name: new, limit: 300}\n  - {name: custom, period: custom, start: 2026-01-01, end: 2026-12-31, limit: 5000}\n",
    );
    let mut up = declared(&c, "up");
    up.limit = BudgetLimit::Fixed(Spend::new(dec("1000"), "USD"));
    let mut custom = declared(&c, "custom");
    custom.limit = BudgetLimit::Fixed(Spend::new(dec("15000"), "USD"));
    let gone = {
        let mut g = declared(&c, "up");
        g.name = "gone".into();
        g.limit = BudgetLimit::Fixed(Spend::new(dec("400"), "USD"));
        g
    };
    let p = plan(
        &c,
        vec![
            live(up, "1", None),
            live(custom, "1", None),
            live(gone, "1", None),
        ],
    );
    let net: Vec<(TimeUnit, String, Decimal)> = p
        .net_limit_change()
        .into_iter()
        .map(|n| (n.period, n.unit, n.amount))
        .collect();
    assert_eq!(
        net,
        [
            (TimeUnit::Monthly, "USD".into(), dec("100")),
            (TimeUnit::Custom, "USD".into(), dec("-10000")),
        ]
    );
}
