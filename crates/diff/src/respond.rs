//! When a response to spend is due, decided purely (no I/O; "today" is a
//! parameter): the budget period a day falls in, the limit in force in it,
//! the line a threshold draws, whether live spend crossed it, and the
//! ExecuteToken that makes a response run at most once per period.
//!
//! `budgetctl respond` reads spend and records and acts; everything it
//! decides is decided here ([`assess`]), and plan warns with the same
//! verdicts where a response is already due.

use budgetctl_model::planned::period_start;
use budgetctl_model::{
    AccountId, Budget, BudgetLimit, NotificationType, Response, Spend, ThresholdType, TimeUnit,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use xxhash_rust::xxh3::Xxh3;

use budgetctl_model::live::LiveSpend;

/// What a response waits for: `actual > 110%`, `forecasted > 900 USD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub notification_type: NotificationType,
    pub threshold: Decimal,
    pub threshold_type: ThresholdType,
}

impl From<&Response> for Trigger {
    fn from(r: &Response) -> Self {
        Trigger {
            notification_type: r.notification_type,
            threshold: r.threshold,
            threshold_type: r.threshold_type,
        }
    }
}

/// The first day of the budget period `today` falls in: the month, quarter
/// or year (calendar periods, as AWS counts them), the day for a daily
/// budget, and the budget's own start for a custom one.
pub fn period_of(budget: &Budget, today: NaiveDate) -> NaiveDate {
    match budget.time_unit {
        TimeUnit::Custom => budget.start.unwrap_or(today),
        unit => period_start(unit, today),
    }
}

/// The limit in force in the period `today` falls in: the fixed amount, or
/// the planned amount of that period (the last planned one once they run
/// out, as AWS keeps using it). `None` for an auto-adjusting budget, whose
/// amount AWS computes (the caller takes it from what AWS returned).
pub fn limit_in_force(budget: &Budget, today: NaiveDate) -> Option<Spend> {
    let period = period_of(budget, today);
    match &budget.limit {
        BudgetLimit::Fixed(s) => Some(s.clone()),
        BudgetLimit::Planned(p) => p
            .range(..=period)
            .next_back()
            .or_else(|| p.iter().next())
            .map(|(_, s)| s.clone()),
        BudgetLimit::Schedule(schedule) => schedule.amount_for(period, budget.time_unit),
        BudgetLimit::AutoAdjust(_) => None,
    }
}

/// The amount a trigger fires above: a percentage of the limit, or the
/// absolute amount. A percentage of a limit past what an amount can hold
/// is that most (no spend crosses it), never an overflow.
pub fn line(trigger: &Trigger, limit: Decimal) -> Decimal {
    match trigger.threshold_type {
        ThresholdType::Percentage => limit
            .checked_mul(trigger.threshold)
            .map_or(Decimal::MAX, |l| l / Decimal::ONE_HUNDRED),
        ThresholdType::AbsoluteValue => trigger.threshold,
    }
}

/// Whether a response is due, and the figures that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Spend is over the line this period.
    Due { spend: Decimal, line: Decimal },
    /// Spend is at or under the line.
    NotDue { spend: Decimal, line: Decimal },
    /// AWS has no figure yet (no forecast, or no spend this period).
    NoSpend,
    /// A percentage of a limit no one knows: an auto-adjusting budget whose
    /// amount AWS has not computed (or that does not exist yet).
    NoLimit,
}

impl Verdict {
    pub fn is_due(&self) -> bool {
        matches!(self, Verdict::Due { .. })
    }
}

/// Decide a trigger against this period's spend and the limit in force
/// (`None` when unknown, which only a percentage needs).
pub fn decide(trigger: &Trigger, spend: Option<&LiveSpend>, limit: Option<Decimal>) -> Verdict {
    let figure = spend.and_then(|s| match trigger.notification_type {
        NotificationType::Actual => Some(s.actual),
        NotificationType::Forecasted => s.forecasted,
    });
    let Some(spend) = figure else {
        return Verdict::NoSpend;
    };
    let line = match (trigger.threshold_type, limit) {
        (ThresholdType::AbsoluteValue, _) => trigger.threshold,
        (ThresholdType::Percentage, Some(limit)) => line(trigger, limit),
        (ThresholdType::Percentage, None) => return Verdict::NoLimit,
    };
    if spend > line {
        Verdict::Due { spend, line }
    } else {
        Verdict::NotDue { spend, line }
    }
}

/// The ExecuteToken of one response in one period: the same for every run,
/// retry or concurrent process in the period, so Service Catalog makes one
/// record; another in the next period. Within the model's IdempotencyToken
/// (1 to 128 characters, `[a-zA-Z0-9][a-zA-Z0-9_-]*`): `budgetctl-` and 32
/// hex digits of XXH3-128 over the parts, each length-prefixed.
///
/// `attempt` is 0 for the period's run; `respond --retry-failed` runs
/// attempt N after N failed records, so that concurrent retries still make
/// one record.
pub fn execute_token(
    account: &str,
    budget: &str,
    response: &str,
    period: NaiveDate,
    attempt: u32,
) -> String {
    let mut h = Xxh3::new();
    let period = period.to_string();
    let attempt = attempt.to_string();
    let mut parts = vec![
        account.as_bytes(),
        budget.as_bytes(),
        response.as_bytes(),
        period.as_bytes(),
    ];
    // The first attempt's token does not depend on retries existing.
    if attempt != "0" {
        parts.push(attempt.as_bytes());
    }
    for part in parts {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    format!("budgetctl-{:032x}", h.digest128())
}

/// What a Service Catalog response keeps of its latest run, as a tag on its
/// budget: the period its ExecuteToken was made for, the attempt, and the
/// record that token made. Service Catalog's records carry no token, so
/// this mark is how a response tells its own record from another's on the
/// same product, and its period (the token's, never the record's time)
/// decides whether it ran in a period.
///
/// The tag is `budgetctl:response:<name>` (names too long for the 128
/// characters of a tag key end in a hash of the name), its value
/// `2026-12-01 0 rec-…`. Plan never reads or changes `budgetctl:` tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMark {
    pub period: NaiveDate,
    pub attempt: u32,
    pub record: String,
}

impl ResponseMark {
    const PREFIX: &'static str = "budgetctl:response:";

    /// The tag key of response `name`'s mark.
    pub fn tag_key(name: &str) -> String {
        const MAX_KEY: usize = 128;
        if Self::PREFIX.len() + name.len() <= MAX_KEY {
            return format!("{}{name}", Self::PREFIX);
        }
        let hash = xxhash_rust::xxh3::xxh3_64(name.as_bytes());
        // The name's ASCII (response names are ASCII), cut to leave room
        // for `~` and 16 hex digits.
        let keep = MAX_KEY - Self::PREFIX.len() - 17;
        format!(
            "{}{}~{hash:016x}",
            Self::PREFIX,
            &name[..keep.min(name.len())]
        )
    }

    /// The tag's value.
    pub fn to_tag_value(&self) -> String {
        format!("{} {} {}", self.period, self.attempt, self.record)
    }

    /// A mark read back; `None` for a value this version did not write.
    pub fn parse(value: &str) -> Option<ResponseMark> {
        let mut parts = value.split(' ');
        let period = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
        let attempt = parts.next()?.parse().ok()?;
        let record = parts.next().filter(|r| !r.is_empty())?.to_owned();
        parts.next().is_none().then_some(ResponseMark {
            period,
            attempt,
            record,
        })
    }
}

pub use budgetctl_model::live::BudgetSpend;

/// One response of one budget, decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment<'a> {
    pub response: &'a Response,
    /// The first day of the period the decision is for.
    pub period: NaiveDate,
    /// The limit in force this period, when known.
    pub limit: Option<Spend>,
    pub verdict: Verdict,
}

/// Decide every response of `budget` in the period `today` falls in. The
/// limit in force is the files' (fixed, planned, scheduled), or, for an
/// auto-adjusting budget, the amount AWS holds; spend is AWS's.
pub fn assess<'a>(
    budget: &'a Budget,
    live: Option<&BudgetSpend>,
    today: NaiveDate,
) -> Vec<Assessment<'a>> {
    let period = period_of(budget, today);
    let limit = limit_in_force(budget, today).or_else(|| live.and_then(|l| l.limit.clone()));
    let spend = live.and_then(|l| l.spend.as_ref());
    budget
        .responses
        .iter()
        .map(|response| {
            // A percentage of a limit in another unit means nothing.
            let comparable = match (&limit, spend) {
                (Some(l), Some(s)) => l.unit == s.unit,
                _ => true,
            };
            let verdict = if comparable {
                decide(
                    &Trigger::from(response),
                    spend,
                    limit.as_ref().map(|l| l.amount),
                )
            } else {
                Verdict::NoLimit
            };
            Assessment {
                response,
                period,
                limit: limit.clone(),
                verdict,
            }
        })
        .collect()
}

/// The token of an assessed response of `budget` in `account`.
pub fn token_of(account: &AccountId, budget: &str, a: &Assessment<'_>, attempt: u32) -> String {
    execute_token(
        account.as_str(),
        budget,
        &a.response.name,
        a.period,
        attempt,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use budgetctl_model::{BudgetType, CostTypes};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn budget(time_unit: TimeUnit, limit: BudgetLimit) -> Budget {
        Budget {
            name: "b".into(),
            budget_type: BudgetType::Cost,
            time_unit,
            limit,
            start: None,
            end: None,
            cost_types: Some(CostTypes::default()),
            cost_filters: BTreeMap::new(),
            filter_expression: None,
            metrics: vec![],
            billing_view_arn: None,
            notifications: vec![],
            tags: None,
            actions: None,
            responses: Vec::new(),
        }
    }

    fn usd(n: i64) -> Spend {
        Spend::new(Decimal::from(n), "USD")
    }

    fn spend(actual: i64, forecasted: Option<i64>) -> LiveSpend {
        LiveSpend {
            actual: Decimal::from(actual),
            forecasted: forecasted.map(Decimal::from),
            unit: "USD".into(),
        }
    }

    const OVER_110: Trigger = Trigger {
        notification_type: NotificationType::Forecasted,
        threshold: Decimal::from_parts(110, 0, 0, false, 0),
        threshold_type: ThresholdType::Percentage,
    };

    #[test]
    fn periods_are_calendar_months_quarters_and_years() {
        let b = |u| budget(u, BudgetLimit::Fixed(usd(100)));
        let today = day(2026, 12, 1);
        assert_eq!(
            period_of(&b(TimeUnit::Monthly), day(2026, 11, 30)),
            day(2026, 11, 1)
        );
        assert_eq!(period_of(&b(TimeUnit::Quarterly), today), day(2026, 10, 1));
        assert_eq!(period_of(&b(TimeUnit::Annually), today), day(2026, 1, 1));
        assert_eq!(period_of(&b(TimeUnit::Daily), today), today);
        let mut custom = b(TimeUnit::Custom);
        custom.start = Some(day(2026, 6, 15));
        assert_eq!(period_of(&custom, today), day(2026, 6, 15));
    }

    #[test]
    fn the_limit_in_force_is_this_periods_planned_amount() {
        let planned = budget(
            TimeUnit::Monthly,
            BudgetLimit::Planned(BTreeMap::from([
                (day(2026, 11, 1), usd(1000)),
                (day(2026, 12, 1), usd(2000)),
            ])),
        );
        assert_eq!(limit_in_force(&planned, day(2026, 11, 20)), Some(usd(1000)));
        assert_eq!(limit_in_force(&planned, day(2026, 12, 5)), Some(usd(2000)));
        // Once they run out, AWS keeps the last.
        assert_eq!(limit_in_force(&planned, day(2027, 3, 5)), Some(usd(2000)));
        let auto = budget(
            TimeUnit::Monthly,
            BudgetLimit::AutoAdjust(budgetctl_model::AutoAdjust::Forecast),
        );
        assert_eq!(limit_in_force(&auto, day(2026, 12, 5)), None);
    }

    #[test]
    fn a_response_mark_reads_back_and_its_key_fits_a_tag_key() {
        let mark = ResponseMark {
            period: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            attempt: 2,
            record: "rec-3kd9s0x1a2b3c".into(),
        };
        assert_eq!(mark.to_tag_value(), "2026-11-01 2 rec-3kd9s0x1a2b3c");
        assert_eq!(ResponseMark::parse(&mark.to_tag_value()), Some(mark));
        for bad in [
            "",
            "2026-11-01",
            "2026-11-01 x rec-1",
            "2026-11-01 0 ",
            "2026-11-01 0 a b",
        ] {
            assert_eq!(ResponseMark::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            ResponseMark::tag_key("scale-dev-to-zero"),
            "budgetctl:response:scale-dev-to-zero"
        );
        let long = "a".repeat(128);
        let other = format!("{}b", "a".repeat(127));
        let (k1, k2) = (ResponseMark::tag_key(&long), ResponseMark::tag_key(&other));
        assert!(k1.len() <= 128 && k2.len() <= 128, "{k1} {k2}");
        assert_ne!(k1, k2);
    }

    #[test]
    fn a_trigger_is_due_only_over_its_line() {
        let limit = Decimal::from(2000);
        assert_eq!(
            decide(&OVER_110, Some(&spend(100, Some(2300))), Some(limit)),
            Verdict::Due {
                spend: Decimal::from(2300),
                line: Decimal::from(2200)
            }
        );
        assert!(!decide(&OVER_110, Some(&spend(100, Some(2200))), Some(limit)).is_due());
        assert_eq!(
            decide(&OVER_110, Some(&spend(100, None)), Some(limit)),
            Verdict::NoSpend
        );
        assert_eq!(decide(&OVER_110, None, Some(limit)), Verdict::NoSpend);
        assert_eq!(
            decide(&OVER_110, Some(&spend(100, Some(2300))), None),
            Verdict::NoLimit
        );
        let absolute = Trigger {
            notification_type: NotificationType::Actual,
            threshold: Decimal::from(500),
            threshold_type: ThresholdType::AbsoluteValue,
        };
        assert!(decide(&absolute, Some(&spend(501, None)), None).is_due());
    }

    #[test]
    fn the_execute_token_is_one_per_response_and_period_within_the_models_bounds() {
        let token = execute_token(
            "111122223333",
            "dev-env-monthly",
            "scale-dev-to-zero",
            day(2026, 12, 1),
            0,
        );
        assert_eq!(
            token,
            execute_token(
                "111122223333",
                "dev-env-monthly",
                "scale-dev-to-zero",
                day(2026, 12, 1),
                0
            )
        );
        assert_ne!(
            token,
            execute_token(
                "111122223333",
                "dev-env-monthly",
                "scale-dev-to-zero",
                day(2027, 1, 1),
                0
            )
        );
        assert_ne!(
            token,
            execute_token(
                "111122223333",
                "dev-env-monthly",
                "scale-dev-to-zero",
                day(2026, 12, 1),
                1
            )
        );
        // The parts are length-prefixed: moving a character between them
        // is another token.
        assert_ne!(
            execute_token("1", "ab", "c", day(2026, 12, 1), 0),
            execute_token("1", "a", "bc", day(2026, 12, 1), 0)
        );
        let pattern = regex_lite_like(&token);
        assert!(pattern, "{token}");
        assert!((1..=128).contains(&token.len()));
    }

    fn response(when: Trigger) -> Response {
        Response {
            name: "scale".into(),
            notification_type: when.notification_type,
            threshold: when.threshold,
            threshold_type: when.threshold_type,
            action: budgetctl_model::ResponseAction::ApproveAction("freeze".into()),
        }
    }

    #[test]
    fn assess_uses_this_periods_planned_limit_and_an_auto_adjusted_one_from_aws() {
        let mut planned = budget(
            TimeUnit::Monthly,
            BudgetLimit::Planned(BTreeMap::from([
                (day(2026, 11, 1), usd(1000)),
                (day(2026, 12, 1), usd(3000)),
            ])),
        );
        planned.responses = vec![response(OVER_110)];
        let live = BudgetSpend {
            name: "b".into(),
            limit: Some(usd(1000)),
            spend: Some(spend(100, Some(2300))),
        };
        // November: 2300 is over 110% of 1000; December: not of 3000.
        let november = assess(&planned, Some(&live), day(2026, 11, 20));
        assert!(november[0].verdict.is_due(), "{november:?}");
        assert_eq!(november[0].period, day(2026, 11, 1));
        let december = assess(&planned, Some(&live), day(2026, 12, 2));
        assert_eq!(
            december[0].verdict,
            Verdict::NotDue {
                spend: Decimal::from(2300),
                line: Decimal::from(3300)
            }
        );

        let mut auto = budget(
            TimeUnit::Monthly,
            BudgetLimit::AutoAdjust(budgetctl_model::AutoAdjust::Forecast),
        );
        auto.responses = vec![response(OVER_110)];
        let assessed = assess(&auto, Some(&live), day(2026, 12, 2));
        assert_eq!(assessed[0].limit, Some(usd(1000)));
        assert!(assessed[0].verdict.is_due());
        // No amount from AWS yet: a percentage of nothing is not due.
        let unknown = BudgetSpend {
            limit: None,
            ..live
        };
        assert_eq!(
            assess(&auto, Some(&unknown), day(2026, 12, 2))[0].verdict,
            Verdict::NoLimit
        );
    }

    /// `[a-zA-Z0-9][a-zA-Z0-9_-]*`, the model's IdempotencyToken pattern.
    fn regex_lite_like(token: &str) -> bool {
        let mut chars = token.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }
}
