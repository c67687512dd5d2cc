//! The limit of a budget: a fixed amount, planned amounts per period, a
//! planned schedule, or auto-adjusting (RI and Savings Plans budgets have a
//! percentage instead).

use super::*;

impl<'a> Decoder<'a> {
    pub(super) fn limit(
        &mut self,
        f: &Fields<'_>,
        budget_type: BudgetType,
        time_unit: TimeUnit,
        defaults: &FileDefaults,
    ) -> Option<BudgetLimit> {
        let given: Vec<&str> = ["limit", "planned", "auto_adjust"]
            .into_iter()
            .filter(|k| f.has(k))
            .collect();
        if given.len() > 1 {
            let pos = f.key_pos(given[1]).unwrap_or(f.node.pos);
            self.error_help(
                Code::LimitChoice,
                pos,
                format!(
                    "a budget takes exactly one of limit, planned and auto_adjust, and this one has {}",
                    given.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and ")
                ),
                "keep one of them",
            );
            return None;
        }

        if budget_type.is_ri_or_sp() {
            return self.ri_limit(f, budget_type);
        }

        let default_unit = match budget_type {
            BudgetType::Cost => Some(defaults.unit.clone().unwrap_or_else(|| "USD".to_owned())),
            _ => defaults.unit.clone(),
        };
        match given.first().copied() {
            Some("limit") => {
                let node = f.get("limit")?;
                self.spend(node, "limit", default_unit.as_deref())
                    .map(BudgetLimit::Fixed)
            }
            Some("planned") => {
                let node = f.get("planned")?;
                self.planned(node, time_unit, default_unit.as_deref())
            }
            Some(_) => {
                let node = f.get("auto_adjust")?;
                self.auto_adjust(node, time_unit)
                    .map(BudgetLimit::AutoAdjust)
            }
            None => {
                self.error_help(
                    Code::LimitRequired,
                    f.node.pos,
                    format!("a {budget_type} budget needs a limit"),
                    "add `limit: 1000`, a `planned:` schedule, or `auto_adjust: { historical: 6 }`",
                );
                None
            }
        }
    }

    /// Reservation and Savings Plans budgets: the limit is 100 (percent) or left out.
    pub(super) fn ri_limit(
        &mut self,
        f: &Fields<'_>,
        budget_type: BudgetType,
    ) -> Option<BudgetLimit> {
        let hundred = Spend::new(Decimal::ONE_HUNDRED, "PERCENTAGE");
        for key in ["planned", "auto_adjust"] {
            if let Some(pos) = f.key_pos(key) {
                self.error_help(
                    Code::RiLimit,
                    pos,
                    format!("a {budget_type} budget cannot have `{key}`; its limit is always 100%"),
                    format!("remove `{key}`"),
                );
                return None;
            }
        }
        let Some(node) = f.get("limit") else {
            return Some(BudgetLimit::Fixed(hundred));
        };
        let spend = self.spend(node, "limit", Some("PERCENTAGE"))?;
        let unit_ok = spend.unit == "PERCENTAGE" || spend.unit == "%";
        if spend.amount != Decimal::ONE_HUNDRED || !unit_ok {
            self.error_help(
                Code::RiLimit,
                node.pos,
                format!(
                    "a {budget_type} budget's limit must be 100 (percent), not {}",
                    if unit_ok { crate::amount::to_aws_string(spend.amount) } else { spend.to_string() }
                ),
                "write `limit: 100` or leave `limit` out; set the target with a notification threshold",
            );
            return None;
        }
        Some(BudgetLimit::Fixed(hundred))
    }

    /// `1000`, `"1000 USD"` or `{amount: 1000, unit: USD}`.
    pub(super) fn spend(
        &mut self,
        node: &Node,
        what: &str,
        default_unit: Option<&str>,
    ) -> Option<Spend> {
        let (amount, unit) = match &node.value {
            Value::Number(_) => (self.amount(node, what)?, None),
            Value::String(s) => {
                let mut parts = s.split_whitespace();
                let amount_text = parts.next().unwrap_or("");
                let unit = parts.next().map(str::to_owned);
                if parts.next().is_some() {
                    self.error_help(
                        Code::Amount,
                        node.pos,
                        format!("{what} `{s}` is not an amount with a unit"),
                        "write an amount and a unit, such as \"1000 USD\"",
                    );
                    return None;
                }
                let amount = match parse_amount(amount_text) {
                    Ok(a) => a,
                    Err(e) => {
                        self.error_help(
                            Code::Amount,
                            node.pos,
                            format!("{what}: {e}"),
                            "write an amount such as 1000, \"1000 USD\" or {amount: 1000, unit: USD}",
                        );
                        return None;
                    }
                };
                (amount, unit)
            }
            Value::Map(_) => {
                let f = self.fields(node, what, LIMIT_KEYS)?;
                let amount_node = self.require(&f, "amount", what)?;
                let amount = self.amount(amount_node, what)?;
                let unit = match f.get("unit") {
                    Some(u) => Some(self.unit(u)?),
                    None => None,
                };
                (amount, unit)
            }
            _ => {
                self.wrong_type(node, what, "an amount such as 1000 or \"1000 USD\"");
                return None;
            }
        };
        let unit = match unit.or_else(|| default_unit.map(str::to_owned)) {
            Some(u) => u,
            None => {
                self.error_help(
                    Code::Unit,
                    node.pos,
                    format!("{what} has no unit"),
                    "usage budgets count in their own unit: write it, e.g. \"500 GB\", or set defaults.unit",
                );
                return None;
            }
        };
        Some(Spend::new(amount, unit))
    }

    pub(super) fn planned(
        &mut self,
        node: &Node,
        time_unit: TimeUnit,
        default_unit: Option<&str>,
    ) -> Option<BudgetLimit> {
        let (max, step) = match time_unit {
            TimeUnit::Monthly => (12, 1),
            TimeUnit::Quarterly => (4, 3),
            other => {
                self.error_help(
                    Code::PlannedPeriod,
                    node.pos,
                    format!("planned limits need a monthly or quarterly period, not {other}"),
                    "set `period: monthly` or `period: quarterly`, or use `limit:`",
                );
                return None;
            }
        };
        let Value::Map(entries) = &node.value else {
            self.wrong_type(
                node,
                "`planned`",
                "a mapping of periods to amounts, e.g. {2026-12: 1000}",
            );
            return None;
        };
        if entries
            .iter()
            .any(|(k, _)| SCHEDULE_KEYS.contains(&k.scalar_text().unwrap_or("")))
        {
            return self
                .schedule(entries, time_unit, default_unit)
                .map(BudgetLimit::Schedule);
        }
        if entries.is_empty() {
            self.error_help(
                Code::PlannedCount,
                node.pos,
                "planned has no periods",
                "add at least the current period, e.g. `2026-12: 1000`",
            );
            return None;
        }
        let mut out = BTreeMap::new();
        let mut positions = BTreeMap::new();
        let mut ok = true;
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("");
            let Some(start) = period_key(key, time_unit) else {
                let help = if time_unit == TimeUnit::Monthly {
                    "key monthly planned limits by month, e.g. 2026-12".to_owned()
                } else {
                    "key quarterly planned limits by quarter, e.g. 2027-Q1, or by the month a quarter starts (01, 04, 07, 10)".to_owned()
                };
                self.error_help(
                    Code::PlannedKey,
                    k.pos,
                    format!("`{key}` is not the start of a {time_unit} period"),
                    help,
                );
                ok = false;
                continue;
            };
            let Some(spend) = self.spend(v, "planned limit", default_unit) else {
                ok = false;
                continue;
            };
            positions.insert(start, k.pos);
            out.insert(start, spend);
        }
        if !ok {
            return None;
        }
        if out.len() > max {
            let (_, pos) = positions.iter().nth(max).expect("more than max entries");
            let unit = if step == 1 { "months" } else { "quarters" };
            self.error_help(
                Code::PlannedCount,
                *pos,
                format!(
                    "planned limits cover {} {unit}; AWS takes at most {max}",
                    out.len()
                ),
                format!("keep the current period and the next {}", max - 1),
            );
            return None;
        }
        let mut previous: Option<NaiveDate> = None;
        for (date, pos) in &positions {
            if let Some(p) = previous {
                let expected = p.checked_add_months(chrono::Months::new(step)).unwrap_or(p);
                if *date != expected {
                    self.error_help(
                        Code::PlannedGap,
                        *pos,
                        format!(
                            "planned limits skip from {} to {}; AWS needs consecutive periods",
                            format_period(p, time_unit),
                            format_period(*date, time_unit)
                        ),
                        format!("add {}", format_period(expected, time_unit)),
                    );
                    return None;
                }
            }
            previous = Some(*date);
        }
        let mut units = out.values().map(|s| s.unit.as_str());
        let first = units.next().unwrap_or("");
        if let Some(other) = units.find(|u| *u != first) {
            self.error_help(
                Code::Unit,
                node.pos,
                format!("planned limits mix units `{first}` and `{other}`"),
                "use one unit for every period",
            );
            return None;
        }
        Some(BudgetLimit::Planned(out))
    }

    /// `planned: { every: 1000, grow: 2%, from: 2026-01, 2027-06: 1500 }`.
    pub(super) fn schedule(
        &mut self,
        entries: &[(Node, Node)],
        time_unit: TimeUnit,
        default_unit: Option<&str>,
    ) -> Option<PlannedSchedule> {
        let mut every = None;
        let mut grow = None;
        let mut from = None;
        let mut grow_pos = None;
        let mut overrides = BTreeMap::new();
        let mut ok = true;
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("");
            match key {
                "every" => {
                    every = self.spend(v, "planned amount", default_unit);
                    ok &= every.is_some();
                }
                "grow" => {
                    grow_pos = Some(k.pos);
                    grow = self.growth(v);
                    ok &= grow.is_some();
                }
                "from" => {
                    let text = v.scalar_text().unwrap_or("");
                    from = period_key(text, time_unit);
                    if from.is_none() {
                        self.error_help(
                            Code::PlannedKey,
                            v.pos,
                            format!("`from: {text}` is not the start of a {time_unit} period"),
                            "write the period growth counts from, e.g. `from: 2026-01`",
                        );
                        ok = false;
                    }
                }
                _ => {
                    let Some(start) = period_key(key, time_unit) else {
                        self.error_help(
                            Code::PlannedKey,
                            k.pos,
                            format!(
                                "`{key}` is neither a schedule key (every, grow, from) nor the start of a {time_unit} period"
                            ),
                            "override one period with e.g. `2027-06: 1500`",
                        );
                        ok = false;
                        continue;
                    };
                    match self.spend(v, "planned limit", default_unit) {
                        Some(spend) => {
                            overrides.insert(start, spend);
                        }
                        None => ok = false,
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        let Some(every) = every else {
            self.error_help(
                Code::PlannedSchedule,
                entries.first().map_or(Pos::default(), |(k, _)| k.pos),
                "a planned schedule needs `every:`, the amount of each period",
                "add e.g. `every: 1000`, or key every period by month (`2026-12: 1000`)",
            );
            return None;
        };
        if grow.is_some() != from.is_some() {
            let pos = grow_pos.unwrap_or(entries[0].0.pos);
            self.error_help(
                Code::PlannedSchedule,
                pos,
                "`grow` and `from` go together: growth counts periods from `from`",
                "write both, e.g. `grow: 2%, from: 2026-01`, or neither",
            );
            return None;
        }
        if let Some(other) = overrides
            .values()
            .map(|s: &Spend| s.unit.as_str())
            .find(|u| *u != every.unit)
        {
            self.error_help(
                Code::Unit,
                entries[0].0.pos,
                format!("planned limits mix units `{}` and `{other}`", every.unit),
                "use one unit for every period",
            );
            return None;
        }
        let schedule = PlannedSchedule {
            every,
            grow,
            from,
            overrides,
        };
        // Growth is steady, so the last period a budget can have (AWS's
        // end, 2087-06-15) holds the largest amount: if that one fits an
        // amount, every one does.
        let last = crate::planned::period_start(time_unit, super::max_end_date());
        if schedule.amount_for(last, time_unit).is_none() {
            self.error_help(
                Code::PlannedSchedule,
                grow_pos.unwrap_or(entries[0].0.pos),
                format!(
                    "growing by {}% a period from {}, the amount passes what an amount can hold (about 7.9e28) before {last}, the last period a budget can have",
                    schedule.grow.unwrap_or_default(),
                    schedule
                        .from
                        .map(|f| f.format("%Y-%m").to_string())
                        .unwrap_or_default()
                ),
                "start the growth later (`from:`), grow by less, or key the periods by month",
            );
            return None;
        }
        Some(schedule)
    }

    /// `2%`, `-1.5%`: growth per period, above -100%.
    pub(super) fn growth(&mut self, v: &Node) -> Option<Decimal> {
        let text = v.scalar_text().unwrap_or("").trim();
        let value = text
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<Decimal>().ok());
        match value {
            Some(p)
                if p > Decimal::NEGATIVE_ONE * Decimal::ONE_HUNDRED
                    && p <= Decimal::ONE_HUNDRED =>
            {
                Some(p)
            }
            _ => {
                self.error_help(
                    Code::PlannedSchedule,
                    v.pos,
                    format!("`grow: {text}` is not a growth per period"),
                    "write a percentage between -100% and 100%, e.g. `grow: 2%`",
                );
                None
            }
        }
    }

    pub(super) fn auto_adjust(&mut self, node: &Node, time_unit: TimeUnit) -> Option<AutoAdjust> {
        let f = self.fields(node, "`auto_adjust`", AUTO_ADJUST_KEYS)?;
        let Some(max) = time_unit.max_auto_adjust_periods() else {
            self.error_help(
                Code::AutoAdjustNotAllowed,
                node.pos,
                "auto-adjusting budgets cannot have a custom period",
                "use a daily, monthly, quarterly or annually period",
            );
            return None;
        };
        match (f.get("historical"), f.get("forecast")) {
            (Some(_), Some(_)) | (None, None) => {
                self.error_help(
                    Code::AutoAdjustPeriod,
                    node.pos,
                    "auto_adjust takes exactly one of `historical` and `forecast`",
                    "write `auto_adjust: { historical: 6 }` or `auto_adjust: { forecast: true }`",
                );
                None
            }
            (Some(h), None) => {
                let periods = h.scalar_text().and_then(crate::amount::parse_whole);
                match periods {
                    Some(p) if (1..=max).contains(&p) => {
                        Some(AutoAdjust::Historical { periods: p })
                    }
                    _ => {
                        self.error_help(
                            Code::AutoAdjustPeriod,
                            h.pos,
                            format!(
                                "with a {time_unit} period, auto_adjust looks back 1 to {max} periods, not {}",
                                h.scalar_text().unwrap_or(h.kind())
                            ),
                            format!("use a whole number from 1 to {max}"),
                        );
                        None
                    }
                }
            }
            (None, Some(fc)) => match self.boolean(fc, "forecast")? {
                true => Some(AutoAdjust::Forecast),
                false => {
                    self.error_help(
                        Code::AutoAdjustPeriod,
                        fc.pos,
                        "`forecast: false` does not say how the budget adjusts",
                        "write `forecast: true`, or use `historical: N`",
                    );
                    None
                }
            },
        }
    }
}
