//! Budgets declared once for many accounts: `accounts:` expanded into one
//! budget per account of its ids, groups or `all`, an explicit entry
//! replacing the expanded one for its account, `defaults.role` and an
//! action's execution role filled in per account.

use budgetctl_spec::{AccountId, BudgetLimit, Config, SourceFile, load_sources};

fn load(files: &[(&str, &str)]) -> Config {
    let loaded = load_sources(
        files
            .iter()
            .map(|(path, text)| SourceFile {
                path: (*path).into(),
                text: (*text).to_owned(),
            })
            .collect(),
    );
    let errors: Vec<String> = loaded.errors().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    loaded.config
}

fn id(text: &str) -> AccountId {
    AccountId::parse(text).unwrap()
}

fn valid_fixture() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/valid/templates.yaml"
    ))
    .unwrap()
}

#[test]
fn a_template_makes_one_budget_per_account_and_an_entry_replaces_it_for_its_account() {
    let config = load(&[("budgets.yaml", &valid_fixture())]);
    let monthly: Vec<(&str, String)> = config
        .budgets
        .iter()
        .filter(|b| b.budget.name == "monthly-total")
        .map(|b| {
            let BudgetLimit::Fixed(limit) = &b.budget.limit else {
                panic!("fixed")
            };
            (b.account.as_str(), limit.amount.to_string())
        })
        .collect();
    let mut monthly = monthly;
    monthly.sort();
    assert_eq!(
        monthly,
        [
            ("111122223333", "500".to_owned()),
            ("444455556666", "5000".to_owned()),
            ("555566667777", "500".to_owned()),
        ]
    );
    let of = |account: &str, name: &str| {
        config
            .budgets
            .iter()
            .find(|b| b.account.as_str() == account && b.budget.name == name)
            .unwrap()
    };
    // Where each came from: the template, or the override (naming the template).
    let expanded = of("111122223333", "monthly-total");
    assert_eq!(expanded.origin.to_string(), "budgets.yaml:10:5");
    assert_eq!(
        expanded.template.as_ref().unwrap().to_string(),
        "budgets.yaml:10:5"
    );
    let replaced = of("444455556666", "monthly-total");
    assert_eq!(replaced.origin.to_string(), "budgets.yaml:14:5");
    assert_eq!(
        replaced.template.as_ref().unwrap().to_string(),
        "budgets.yaml:10:5"
    );
    // `all`: every account the file names.
    let everywhere: Vec<&str> = config
        .budgets
        .iter()
        .filter(|b| b.budget.name == "everywhere")
        .map(|b| b.account.as_str())
        .collect();
    assert_eq!(everywhere, ["111122223333", "444455556666", "555566667777"]);
    // `{account}` filled in: the default role, and the action's execution role.
    for account in ["111122223333", "444455556666", "555566667777"] {
        assert_eq!(
            config.accounts[&id(account)].role.as_deref(),
            Some(format!("arn:aws:iam::{account}:role/budgetctl").as_str())
        );
    }
    let guardrail = of("444455556666", "guardrail");
    assert_eq!(
        guardrail.budget.actions.as_ref().unwrap()[0].execution_role,
        "arn:aws:iam::444455556666:role/budgetctl-actions"
    );
}

#[test]
fn groups_and_templates_reach_across_files_and_an_explicit_role_wins() {
    let config = load(&[
        (
            "groups.yaml",
            "version: 1\naccount_groups:\n  sandboxes: [\"111122223333\", \"444455556666\"]\naccounts:\n  \"444455556666\": {role: \"arn:aws:iam::444455556666:role/special\"}\n",
        ),
        (
            "budgets.yaml",
            "version: 1\ndefaults: {role: \"arn:aws:iam::{account}:role/budgetctl\"}\nbudgets:\n  - {name: sandbox, accounts: [sandboxes], limit: 50}\n",
        ),
    ]);
    assert_eq!(config.budgets.len(), 2);
    assert_eq!(
        config.accounts[&id("111122223333")].role.as_deref(),
        Some("arn:aws:iam::111122223333:role/budgetctl")
    );
    assert_eq!(
        config.accounts[&id("444455556666")].role.as_deref(),
        Some("arn:aws:iam::444455556666:role/special"),
        "accounts.<id>.role is the account's own"
    );
}

/// An explicit entry that has errors, with a template's name and account,
/// is reported, and never taken for another budget (nor a panic).
#[test]
fn an_invalid_entry_with_a_templates_name_is_an_error_not_a_panic() {
    let loaded = load_sources(vec![SourceFile {
        path: "budgets.yaml".into(),
        text: "version: 1\nbudgets:\n  - {name: m, accounts: [\"111122223333\"], limit: 5}\n  - {name: m, account: \"111122223333\", limit: -5}\n".into(),
    }]);
    let codes: Vec<&str> = loaded.errors().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["amount"], "{:?}", loaded.diagnostics);
    assert!(loaded.config.budgets.is_empty());
}
