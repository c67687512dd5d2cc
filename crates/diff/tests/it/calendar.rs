//! Planned limits and the calendar (ARCHITECTURE.md, reconciler rule 15),
//! with "today" set by the test: past periods are history, never sent and
//! never diffed; a file without the current period is an error for a create
//! and a warning for an existing budget; a schedule keeps the window full.

use budgetctl_diff::{ChangeKind, Live, LiveBudget, Plan, WarningKind, diff};
use budgetctl_spec::{AccountId, BudgetLimit, Config, Spend, format_period, load_str};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const ACCOUNT: &str = "111122223333";

fn config(body: &str) -> Config {
    let yaml = format!("version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\n{body}");
    let loaded = load_str("calendar.yaml", &yaml);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.config
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn plan(desired: &Config, live: &[(&str, &[(NaiveDate, i64)])], today: NaiveDate) -> Plan {
    let account = AccountId::parse(ACCOUNT).unwrap();
    let budgets = live
        .iter()
        .map(|(name, periods)| {
            let mut budget = desired
                .budgets
                .iter()
                .find(|d| d.budget.name == *name)
                .map(|d| d.budget.clone())
                .expect("live budgets are declared in these tests");
            budget.limit = BudgetLimit::Planned(
                periods
                    .iter()
                    .map(|(d, a)| (*d, Spend::new(Decimal::from(*a), "USD")))
                    .collect(),
            );
            LiveBudget {
                account: account.clone(),
                budget,
                last_updated: None,
                spend: None,
                limit_now: None,
                alarms: Vec::new(),
                health: None,
                history: Vec::new(),
                actions: Vec::new(),
            }
        })
        .collect();
    let live = Live {
        budgets,
        unreadable: Vec::new(),
    };
    diff(desired, &live, &[account], today)
}

/// The periods (and amounts) a change would send.
fn sent(p: &Plan) -> Vec<(String, String)> {
    let desired = p.changes[0].desired.as_ref().unwrap();
    let BudgetLimit::Planned(periods) = &desired.limit else {
        panic!("not planned: {:?}", desired.limit)
    };
    periods
        .iter()
        .map(|(d, s)| {
            (
                format_period(*d, desired.time_unit),
                s.amount.normalize().to_string(),
            )
        })
        .collect()
}

const AGING: &str =
    "budgets:\n  - name: p\n    planned: {2026-11: 900, 2026-12: 1000, 2027-01: 1200}\n";

#[test]
fn past_periods_are_never_sent() {
    let p = plan(&config(AGING), &[], day(2026, 12, 15));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.changes[0].kind, ChangeKind::Create);
    assert_eq!(
        sent(&p),
        [
            ("2026-12".to_owned(), "1000".to_owned()),
            ("2027-01".to_owned(), "1200".to_owned())
        ]
    );
}

#[test]
fn past_periods_are_never_diffed() {
    // AWS still returns November, with another amount: history either way.
    let live: &[(NaiveDate, i64)] = &[
        (day(2026, 11, 1), 800),
        (day(2026, 12, 1), 1000),
        (day(2027, 1, 1), 1200),
    ];
    let p = plan(&config(AGING), &[("p", live)], day(2026, 12, 1));
    assert!(p.changes.is_empty(), "{:#?}", p.changes);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.summary.unchanged, 1);
}

#[test]
fn a_create_without_the_current_period_is_a_plan_error() {
    for (today, wanted) in [
        (
            day(2027, 2, 1),
            "planned limits end at 2027-01, before the current period 2027-02",
        ),
        (
            day(2026, 10, 31),
            "planned limits start at 2026-11, after the current period 2026-10",
        ),
    ] {
        let p = plan(&config(AGING), &[], today);
        assert!(p.changes.is_empty(), "{today}");
        assert_eq!(p.errors.len(), 1, "{today}");
        let message = &p.errors[0].message;
        assert!(message.contains(wanted), "{today}: {message}");
        assert!(message.contains("cannot be created"), "{message}");
    }
}

#[test]
fn an_existing_budget_whose_file_aged_out_is_warned_about_and_kept() {
    let live: &[(NaiveDate, i64)] = &[(day(2027, 1, 1), 1200)];
    let p = plan(&config(AGING), &[("p", live)], day(2027, 2, 3));
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert!(p.changes.is_empty(), "nothing is sent: {:#?}", p.changes);
    let w: Vec<_> = p
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::PlannedAgedOut)
        .collect();
    assert_eq!(w.len(), 1, "{:?}", p.warnings);
    assert!(
        w[0].message
            .contains("AWS keeps using the last one as a fixed limit"),
        "{}",
        w[0].message
    );
}

#[test]
fn an_existing_budget_whose_file_starts_later_is_warned_about_and_kept() {
    let later = config("budgets:\n  - name: p\n    planned: {2027-03: 5}\n");
    let live: &[(NaiveDate, i64)] = &[(day(2027, 1, 1), 1200), (day(2027, 2, 1), 1300)];
    let p = plan(&later, &[("p", live)], day(2027, 1, 20));
    assert!(p.changes.is_empty(), "{:#?}", p.changes);
    assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
    assert_eq!(p.warnings[0].kind, WarningKind::PlannedNotCurrent);
}

#[test]
fn a_schedule_keeps_the_window_full_month_after_month() {
    let c = config("budgets:\n  - name: p\n    planned: {every: 1000, 2027-06: 1500}\n");
    let created = plan(&c, &[], day(2026, 12, 1));
    let window = sent(&created);
    assert_eq!(window.len(), 12);
    assert_eq!(window[0].0, "2026-12");
    assert_eq!(window[11].0, "2027-11");
    assert_eq!(window[6], ("2027-06".to_owned(), "1500".to_owned()));

    // A month later the live window lacks 2027-12: the update adds it.
    let live: Vec<(NaiveDate, i64)> = (0..12)
        .map(|i| {
            let d = day(2026, 12, 1)
                .checked_add_months(chrono::Months::new(i))
                .unwrap();
            (d, if i == 6 { 1500 } else { 1000 })
        })
        .collect();
    let p = plan(&c, &[("p", &live)], day(2027, 1, 10));
    assert_eq!(p.changes.len(), 1, "{:#?}", p.changes);
    assert_eq!(p.changes[0].kind, ChangeKind::Update);
    let window = sent(&p);
    assert_eq!(
        (window[0].0.as_str(), window[11].0.as_str()),
        ("2027-01", "2027-12")
    );
    let field = &p.changes[0].fields[0];
    assert_eq!(
        field.after.as_deref(),
        Some("2027-01 to 2027-05: 1000 USD, 2027-06: 1500 USD, 2027-07 to 2027-12: 1000 USD")
    );

    // And once applied, the same day plans clean.
    let live: Vec<(NaiveDate, i64)> = (0..12)
        .map(|i| {
            let d = day(2027, 1, 1)
                .checked_add_months(chrono::Months::new(i))
                .unwrap();
            (d, if i == 5 { 1500 } else { 1000 })
        })
        .collect();
    let p = plan(&c, &[("p", &live)], day(2027, 1, 31));
    assert!(p.changes.is_empty(), "{:#?}", p.changes);
}

#[test]
fn a_growing_schedule_compounds_from_its_base_period() {
    let c = config(
        "budgets:\n  - name: q\n    period: quarterly\n    planned: {every: 1000, grow: 10%, from: 2026-Q3}\n",
    );
    let p = plan(&c, &[], day(2026, 12, 1));
    assert_eq!(
        sent(&p),
        [
            ("2026-Q4".to_owned(), "1100".to_owned()),
            ("2027-Q1".to_owned(), "1210".to_owned()),
            ("2027-Q2".to_owned(), "1331".to_owned()),
            ("2027-Q3".to_owned(), "1464.1".to_owned()),
        ]
    );
}
