//! Reconciler rule 16, budget actions: matched by their `budgetctl:action`
//! tag, then by content; updated in place; a type change replaced; and never
//! deleted while AWS works on them or while their effect is in place.

use budgetctl_diff::{
    ActionChange, ActionField, ChangeKind, Live, LiveAction, LiveBudget, Plan, WarningKind, diff,
    fingerprint,
};
use budgetctl_spec::{AccountId, ActionDefinition, ActionStatus, Budget, Config, load_str};
use chrono::NaiveDate;

const ACCOUNT: &str = "111122223333";

const FREEZE: &str = "      - name: freeze
        when: actual > 100%
        apply_iam_policy: { policy: arn:aws:iam::aws:policy/AWSDenyAll, roles: [developer] }
        execution_role: arn:aws:iam::111122223333:role/budgetctl-actions
        to: [finops@example.com]
";

fn config(accounts: &str, actions: Option<&str>) -> Config {
    let actions = match actions {
        Some(a) => format!("    actions:\n{a}"),
        None => String::new(),
    };
    let yaml = format!(
        "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\n{accounts}budgets:\n  - name: sandbox\n    limit: 500\n{actions}"
    );
    let loaded = load_str("actions.yaml", &yaml);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.config
}

fn budget(c: &Config) -> Budget {
    c.budgets[0].budget.clone()
}

/// The declared actions as AWS returns them, with `name` as their tag.
fn live_actions(c: &Config, tagged: bool, status: ActionStatus) -> Vec<LiveAction> {
    budget(c)
        .actions
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, mut a)| {
            let name = a.name.clone();
            a.name = String::new();
            LiveAction {
                id: format!("00000000-0000-0000-0000-{i:012}"),
                status,
                name: tagged.then_some(name),
                action: a,
            }
        })
        .collect()
}

fn live(c: &Config, actions: Vec<LiveAction>) -> LiveBudget {
    let mut b = budget(c);
    b.actions = None;
    LiveBudget {
        account: AccountId::parse(ACCOUNT).unwrap(),
        budget: b,
        last_updated: None,
        spend: None,
        limit_now: None,
        alarms: Vec::new(),
        health: None,
        history: Vec::new(),
        actions,
    }
}

fn plan(c: &Config, budgets: Vec<LiveBudget>) -> Plan {
    let live = Live {
        budgets,
        unreadable: vec![],
    };
    diff(
        c,
        &live,
        &[AccountId::parse(ACCOUNT).unwrap()],
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    )
}

fn actions(p: &Plan) -> &[ActionChange] {
    assert_eq!(p.changes.len(), 1, "{:?}", p.changes);
    &p.changes[0].actions
}

#[test]
fn a_new_budget_creates_its_actions_after_it() {
    let c = config("", Some(FREEZE));
    let p = plan(&c, vec![]);
    assert_eq!(p.changes[0].kind, ChangeKind::Create);
    assert!(matches!(actions(&p), [ActionChange::Create { action }] if action.name == "freeze"));
}

#[test]
fn a_tagged_action_as_declared_plans_clean() {
    let c = config("", Some(FREEZE));
    let l = live(&c, live_actions(&c, true, ActionStatus::Standby));
    let p = plan(&c, vec![l]);
    assert!(!p.has_changes(), "{:?}", p.changes);
}

#[test]
fn an_untagged_action_is_adopted_by_content_with_a_tag_only() {
    let c = config("", Some(FREEZE));
    let l = live(&c, live_actions(&c, false, ActionStatus::Standby));
    let p = plan(&c, vec![l]);
    match actions(&p) {
        [ActionChange::Update { fields, tag, .. }] => {
            assert!(fields.is_empty(), "{fields:?}");
            assert!(tag);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_updatable_field_is_one_update_in_place() {
    let base = config("", Some(FREEZE));
    for (edit, field) in [
        (("actual > 100%", "forecasted > 90%"), ActionField::When),
        (
            ("roles: [developer]", "roles: [developer, tester]"),
            ActionField::Definition,
        ),
        (
            (
                "        to: [",
                "        approval: automatic\n        to: [",
            ),
            ActionField::Approval,
        ),
        (
            ("role/budgetctl-actions", "role/other-actions"),
            ActionField::ExecutionRole,
        ),
        (
            ("to: [finops@example.com]", "to: [oncall@example.com]"),
            ActionField::Subscribers,
        ),
    ] {
        let c = config("", Some(&FREEZE.replace(edit.0, edit.1)));
        let l = live(&base, live_actions(&base, true, ActionStatus::Standby));
        let p = plan(&c, vec![l]);
        match actions(&p) {
            [ActionChange::Update { fields, tag, .. }] => {
                let changed: Vec<ActionField> = fields.iter().map(|f| f.field).collect();
                assert_eq!(changed, [field], "{edit:?}");
                assert!(!tag);
            }
            other => panic!("{edit:?}: {other:?}"),
        }
    }
}

#[test]
fn a_type_change_is_a_replacement_with_a_warning() {
    let base = config("", Some(FREEZE));
    let scp = FREEZE.replace(
        "apply_iam_policy: { policy: arn:aws:iam::aws:policy/AWSDenyAll, roles: [developer] }",
        "apply_scp: { policy: p-abcd1234, targets: [ou-ab12-cdef3456] }",
    );
    let c = config("", Some(&scp));
    let p = plan(
        &c,
        vec![live(
            &base,
            live_actions(&base, true, ActionStatus::Standby),
        )],
    );
    assert!(matches!(actions(&p), [ActionChange::Replace { .. }]));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.kind == WarningKind::ActionReplaced)
    );
}

#[test]
fn an_action_left_out_of_a_managed_list_is_deleted_and_without_a_list_left_alone() {
    let base = config("", Some(FREEZE));
    let l = || live(&base, live_actions(&base, true, ActionStatus::Standby));
    let p = plan(&config("", Some("      []\n")), vec![l()]);
    assert!(matches!(actions(&p), [ActionChange::Delete { .. }]));
    let p = plan(&config("", None), vec![l()]);
    assert!(!p.has_changes(), "{:?}", p.changes);
}

#[test]
fn an_executed_action_is_never_deleted_and_the_error_names_reverse() {
    let base = config("", Some(FREEZE));
    let l = live(
        &base,
        live_actions(&base, true, ActionStatus::ExecutionSuccess),
    );
    let p = plan(&config("", Some("      []\n")), vec![l.clone()]);
    assert!(p.changes.is_empty());
    assert!(
        p.errors[0]
            .message
            .contains("budgetctl action reverse sandbox/freeze --account 111122223333"),
        "{:?}",
        p.errors
    );
    // Nor with its budget, under prune.
    let other = load_str(
        "actions.yaml",
        &format!("version: 1\naccounts: {{\"{ACCOUNT}\": {{prune: true}}}}\nbudgets: []\n"),
    )
    .config;
    let p = plan(&other, vec![l]);
    assert!(p.changes.is_empty(), "{:?}", p.changes);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
}

#[test]
fn a_pruned_budget_lists_the_actions_it_takes_with_it() {
    let base = config("", Some(FREEZE));
    let l = live(&base, live_actions(&base, true, ActionStatus::Standby));
    let other = load_str(
        "actions.yaml",
        &format!("version: 1\naccounts: {{\"{ACCOUNT}\": {{prune: true}}}}\nbudgets: []\n"),
    )
    .config;
    let p = plan(&other, vec![l]);
    assert_eq!(p.changes[0].kind, ChangeKind::Delete);
    assert!(
        matches!(&p.changes[0].actions[..], [ActionChange::Delete { action, .. }] if action.name == "freeze")
    );
}

#[test]
fn an_action_in_progress_is_not_changed_and_a_pending_one_is_with_a_warning() {
    let base = config("", Some(FREEZE));
    let c = config("", Some(&FREEZE.replace("100%", "90%")));
    let l = live(
        &base,
        live_actions(&base, true, ActionStatus::ExecutionInProgress),
    );
    let p = plan(&c, vec![l]);
    assert!(p.changes.is_empty());
    assert!(
        p.errors[0].message.contains("EXECUTION_IN_PROGRESS"),
        "{:?}",
        p.errors
    );
    let l = live(&base, live_actions(&base, true, ActionStatus::Pending));
    let p = plan(&c, vec![l]);
    assert_eq!(actions(&p).len(), 1);
    assert!(
        p.warnings
            .iter()
            .any(|w| w.kind == WarningKind::ActionNotStandby)
    );
}

#[test]
fn the_fingerprint_moves_when_an_action_does() {
    let base = config("", Some(FREEZE));
    let a = live(&base, live_actions(&base, true, ActionStatus::Standby));
    let mut b = a.clone();
    b.actions[0].status = ActionStatus::Pending;
    let mut c = a.clone();
    if let ActionDefinition::IamPolicy { roles, .. } = &mut c.actions[0].action.definition {
        roles.push("tester".into());
    }
    assert_ne!(fingerprint(&a).hash, fingerprint(&b).hash);
    assert_ne!(fingerprint(&a).hash, fingerprint(&c).hash);
}
