//! The reverse of the diff: what a budget file must declare for live budgets
//! to plan unchanged, for `budgetctl import`.
//!
//! Everything the diff treats as AWS's own choice is left out, so imported
//! files read like hand-written ones: the default end date, a start AWS
//! picked when the budget was created, and tags when a budget has none.
//! Notifications and subscribers are sorted, so importing twice writes the
//! same file.

use budgetctl_model::planned::first_planned_period;
use budgetctl_model::{
    ActionDefinition, Budget, BudgetAction, BudgetLimit, Config, DesiredBudget, Origin,
};
use chrono::NaiveDate;

use crate::normalize::{cost_types_are_aws, declared_end, declared_tags, start_is_deliberate};
use budgetctl_model::live::{LiveAction, LiveBudget};

/// A configuration that declares exactly `live`, budgets ordered by account
/// and name. `origin_file` names where it will be written; `today` tells a
/// start AWS chose (the start of a past or current period) from one set on
/// purpose.
pub fn declare(live: &[LiveBudget], origin_file: &str, today: NaiveDate) -> Config {
    let mut budgets: Vec<DesiredBudget> = live
        .iter()
        .map(|l| DesiredBudget {
            account: l.account.clone(),
            budget: declared(l, today),
            origin: Origin {
                file: origin_file.to_owned(),
                line: 0,
                column: 0,
            },
            template: None,
        })
        .collect();
    budgets.sort_by(|a, b| (&a.account, &a.budget.name).cmp(&(&b.account, &b.budget.name)));
    Config {
        budgets,
        ..Config::default()
    }
}

fn declared(l: &LiveBudget, today: NaiveDate) -> Budget {
    let live = &l.budget;
    let mut b = live.clone();
    b.actions = declared_actions(&l.actions);
    b.start = live
        .start
        .filter(|s| start_is_deliberate(live.time_unit, *s, today));
    b.end = declared_end(live.end);
    // Past planned periods are history: a file lists the window from now on.
    let first = first_planned_period(live, today);
    if let BudgetLimit::Planned(p) = &mut b.limit
        && p.keys().next_back().is_some_and(|last| *last >= first)
    {
        p.retain(|d, _| *d >= first);
    }
    b.tags = declared_tags(&live.tags);
    if cost_types_are_aws(&b) {
        b.cost_types = None;
    }
    for n in &mut b.notifications {
        n.subscribers.sort();
        n.subscribers.dedup();
    }
    b.notifications.sort_by(|x, y| x.key.cmp(&y.key));
    b
}

/// The live actions under their `budgetctl:action` names, and a name made
/// up from what it does for one that has none (apply then tags it); `None`
/// when the budget has no actions, so the file does not manage them.
fn declared_actions(live: &[LiveAction]) -> Option<Vec<BudgetAction>> {
    if live.is_empty() {
        return None;
    }
    let mut taken: Vec<String> = live.iter().filter_map(|a| a.name.clone()).collect();
    let mut out: Vec<BudgetAction> = live
        .iter()
        .map(|l| {
            let mut a = l.action.clone();
            a.name = match &l.name {
                Some(name) => name.clone(),
                None => {
                    let base = invented_name(&a.definition);
                    let name = (1..)
                        .map(|i| {
                            if i == 1 {
                                base.clone()
                            } else {
                                format!("{base}-{i}")
                            }
                        })
                        .find(|n| !taken.contains(n))
                        .unwrap_or(base);
                    taken.push(name.clone());
                    name
                }
            };
            a.subscribers.sort();
            a.subscribers.dedup();
            a.definition = a.definition.normalized();
            a
        })
        .collect();
    out.sort_by(|x, y| x.name.cmp(&y.name));
    Some(out)
}

/// `iam-policy-AWSDenyAll`, `scp-p-abcd1234`, `stop-ec2-eu-west-1`.
fn invented_name(d: &ActionDefinition) -> String {
    match d {
        ActionDefinition::IamPolicy { policy, .. } => {
            format!(
                "iam-policy-{}",
                policy.rsplit('/').next().unwrap_or("policy")
            )
        }
        ActionDefinition::Scp { policy, .. } => format!("scp-{policy}"),
        ActionDefinition::StopInstances {
            service, region, ..
        } => format!("stop-{service}-{region}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use budgetctl_model::{
        BudgetLimit, BudgetType, Notification, NotificationKey, NotificationType, Spend,
        Subscriber, ThresholdType,
    };
    use budgetctl_model::{TimeUnit, max_end_date};
    use rust_decimal::Decimal;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn live(name: &str, start: NaiveDate) -> LiveBudget {
        LiveBudget {
            account: budgetctl_model::AccountId::parse("111122223333").unwrap(),
            budget: Budget {
                name: name.into(),
                budget_type: BudgetType::Cost,
                time_unit: TimeUnit::Monthly,
                limit: BudgetLimit::Fixed(Spend::new(Decimal::from(100), "USD")),
                start: Some(start),
                end: Some(max_end_date()),
                cost_types: Some(Default::default()),
                cost_filters: Default::default(),
                filter_expression: None,
                metrics: vec![],
                billing_view_arn: None,
                notifications: vec![],
                tags: Some(Default::default()),
                actions: None,
                responses: Vec::new(),
            },
            last_updated: None,
            spend: None,
            limit_now: None,
            alarms: Vec::new(),
            health: None,
            history: Vec::new(),
            actions: vec![],
        }
    }

    #[test]
    fn aws_chosen_dates_and_empty_tags_are_left_out() {
        let today = day(2026, 11, 23);
        let config = declare(
            &[
                live("b-past-period", day(2025, 3, 1)),
                live("a-mid-month", day(2025, 3, 15)),
                live("c-future", day(2027, 1, 1)),
            ],
            "imported.yaml",
            today,
        );
        let names: Vec<&str> = config
            .budgets
            .iter()
            .map(|b| b.budget.name.as_str())
            .collect();
        assert_eq!(names, ["a-mid-month", "b-past-period", "c-future"]);
        let starts: Vec<Option<NaiveDate>> =
            config.budgets.iter().map(|b| b.budget.start).collect();
        assert_eq!(
            starts,
            [Some(day(2025, 3, 15)), None, Some(day(2027, 1, 1))]
        );
        assert!(config.budgets.iter().all(|b| b.budget.end.is_none()));
        assert!(config.budgets.iter().all(|b| b.budget.tags.is_none()));
    }

    #[test]
    fn custom_periods_keep_their_dates_and_alerts_are_sorted() {
        let mut l = live("custom", day(2025, 1, 1));
        l.budget.time_unit = TimeUnit::Custom;
        l.budget.end = Some(day(2026, 12, 31));
        let alert = |threshold: i64, subscribers: Vec<Subscriber>| Notification {
            key: NotificationKey {
                notification_type: NotificationType::Actual,
                comparison: budgetctl_model::ComparisonOperator::GreaterThan,
                threshold: Decimal::from(threshold),
                threshold_type: ThresholdType::Percentage,
            },
            subscribers,
        };
        l.budget.notifications = vec![
            alert(
                90,
                vec![
                    Subscriber::Sns("arn:aws:sns:us-east-1:111122223333:t".into()),
                    Subscriber::Email("b@example.com".into()),
                    Subscriber::Email("a@example.com".into()),
                ],
            ),
            alert(50, vec![Subscriber::Email("a@example.com".into())]),
        ];
        let b = &declare(&[l], "x.yaml", day(2026, 11, 23)).budgets[0].budget;
        assert_eq!(b.start, Some(day(2025, 1, 1)));
        assert_eq!(b.end, Some(day(2026, 12, 31)));
        assert_eq!(b.notifications[0].key.threshold, Decimal::from(50));
        let addresses: Vec<&str> = b.notifications[1]
            .subscribers
            .iter()
            .map(Subscriber::address)
            .collect();
        assert_eq!(
            addresses,
            [
                "a@example.com",
                "b@example.com",
                "arn:aws:sns:us-east-1:111122223333:t"
            ]
        );
    }
}
