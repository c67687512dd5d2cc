//! One budget entry: its fields, the filter forms (a filter expression or
//! the legacy cost filters and cost types), the period dates, metrics and tags.

use super::*;

impl<'a> Decoder<'a> {
    pub(super) fn budget(&mut self, node: &Node, defaults: &FileDefaults) -> Option<DecodedBudget> {
        let errors_before = self.errors;
        let f = self.fields(node, "a budget", BUDGET_KEYS)?;

        let name_node = self.require(&f, "name", "a budget");
        let name = name_node.and_then(|n| {
            let name = self.string(n, "name")?;
            match rules::budget_name(&name) {
                Ok(()) => Some(name),
                Err(p) => {
                    self.problem(n.pos, p);
                    None
                }
            }
        });

        let placement = self.placement(&f, node, defaults);
        let account = match &placement {
            Some(Placement::Account(a)) => Some(a.clone()),
            _ => None,
        };

        let budget_type = match f.get("type") {
            Some(t) => self.enum_value(
                t,
                "budget type",
                BudgetType::parse,
                BudgetType::ALL,
                BudgetType::as_str,
            ),
            None => Some(BudgetType::Cost),
        };
        let time_unit = match f.get("period") {
            Some(p) => self.enum_value(
                p,
                "period",
                TimeUnit::parse,
                TimeUnit::ALL,
                TimeUnit::as_str,
            ),
            None => Some(TimeUnit::Monthly),
        };

        let start = f.get("start").and_then(|n| self.date(n, "start"));
        let end = f.get("end").and_then(|n| self.date(n, "end"));
        self.period_dates(&f, time_unit, start, end);

        let limit = match (budget_type, time_unit) {
            (Some(bt), Some(tu)) => self.limit(&f, bt, tu, defaults),
            _ => None,
        };

        // Undeclared cost types are AWS's defaults: neither sent nor compared.
        let cost_types = match (budget_type, f.get("cost_types")) {
            (Some(BudgetType::Cost), Some(n)) => self.cost_types(n),
            (Some(bt), Some(_)) => {
                self.error_help(
                    Code::CostTypesNotCost,
                    f.key_pos("cost_types").unwrap_or(node.pos),
                    format!("cost_types apply only to cost budgets, and this is a {bt} budget"),
                    "remove `cost_types`, or make the budget `type: cost`",
                );
                None
            }
            (_, _) => None,
        };

        let (cost_filters, filter_expression, metrics, billing_view_arn) =
            self.filters(&f, node, budget_type);
        let limit_unit = match &limit {
            Some(BudgetLimit::Fixed(s)) => Some(s.unit.clone()),
            Some(BudgetLimit::Planned(p)) => p.values().next().map(|s| s.unit.clone()),
            Some(BudgetLimit::Schedule(s)) => Some(s.every.unit.clone()),
            _ => defaults.unit.clone(),
        };
        let (notifications, tags, actions, responses, response_targets) =
            self.alerts_and_effects(&f, account.as_ref(), limit_unit.as_deref());

        let name_node = name_node?;
        if self.errors > errors_before {
            if let (Some(account), Some(name)) = (account, name) {
                let span = self.span(name_node.pos);
                self.invalid_budget_names.push((account, name, span));
            }
            return None;
        }
        Some(DecodedBudget {
            placement: placement?,
            budget: Budget {
                name: name?,
                budget_type: budget_type?,
                time_unit: time_unit?,
                limit: limit?,
                start,
                end,
                cost_types,
                cost_filters,
                filter_expression,
                metrics,
                billing_view_arn,
                notifications,
                tags,
                actions,
                responses,
            },
            origin: Origin {
                file: self.file.path.display().to_string(),
                line: node.pos.line,
                column: node.pos.column,
            },
            name_span: self.span(name_node.pos),
            response_targets,
        })
    }

    /// Where the budget goes: `account:`, the file's `defaults.account`, or
    /// `accounts:` (a template over ids, groups or `all`).
    fn placement(
        &mut self,
        f: &Fields<'_>,
        node: &Node,
        defaults: &FileDefaults,
    ) -> Option<Placement> {
        match (f.get("account"), f.get("accounts")) {
            (Some(_), Some(_)) => {
                self.error_help(
                    Code::AccountTarget,
                    f.key_pos("accounts").unwrap_or(node.pos),
                    "the budget has both `account` and `accounts`",
                    "keep `account:` for one account, or `accounts:` for one budget in each of several",
                );
                None
            }
            (Some(a), None) => self.account_id(a, "account").map(Placement::Account),
            (None, Some(n)) => self.account_targets(n).map(Placement::Accounts),
            (None, None) => match &defaults.account {
                Some(a) => Some(Placement::Account(a.clone())),
                None => {
                    self.error_help(
                        Code::MissingAccount,
                        node.pos,
                        "the budget has no account",
                        "set `account:` (or `accounts:`) on the budget, or `defaults.account` for the file",
                    );
                    None
                }
            },
        }
    }

    /// The budget's filters: legacy cost filters, a filter expression and
    /// metrics (with which forms go together), and a billing view.
    #[allow(clippy::type_complexity)]
    fn filters(
        &mut self,
        f: &Fields<'_>,
        node: &Node,
        budget_type: Option<BudgetType>,
    ) -> (
        BTreeMap<String, Vec<String>>,
        Option<Expression>,
        Vec<Metric>,
        Option<String>,
    ) {
        let cost_filters = f
            .get("filters")
            .map(|n| self.cost_filters(n))
            .unwrap_or_default();
        let filter_expression = f.get("filter_expression").and_then(|n| self.expression(n));
        let metrics = f
            .get("metrics")
            .map(|n| self.metrics(n))
            .unwrap_or_default();
        self.filter_forms(
            f,
            node,
            filter_expression.is_some(),
            metrics.is_empty(),
            budget_type,
        );
        let billing_view_arn = f.get("billing_view_arn").and_then(|n| {
            let arn = self.string(n, "billing_view_arn")?;
            match rules::billing_view_arn(&arn) {
                Ok(()) => Some(arn),
                Err(p) => {
                    self.problem(n.pos, p);
                    None
                }
            }
        });
        (cost_filters, filter_expression, metrics, billing_view_arn)
    }

    /// What the budget makes happen: its alerts, tags, actions (execution
    /// roles filled in for one account) and responses, and where the
    /// responses act.
    #[allow(clippy::type_complexity)]
    fn alerts_and_effects(
        &mut self,
        f: &Fields<'_>,
        account: Option<&AccountId>,
        limit_unit: Option<&str>,
    ) -> (
        Vec<Notification>,
        Option<BTreeMap<String, String>>,
        Option<Vec<BudgetAction>>,
        Vec<Response>,
        Vec<ResponseTarget>,
    ) {
        let notifications = f
            .get("notifications")
            .map(|n| self.notifications(n, limit_unit))
            .unwrap_or_default();
        let tags = f.get("tags").map(|n| self.tags(n));
        let mut actions = f.get("actions").map(|n| self.actions(n, limit_unit));
        // A budget for one account fills in `{account}` now; a template
        // does for each of its accounts.
        if let (Some(actions), Some(account), Some(n)) = (&mut actions, account, f.get("actions")) {
            for a in actions.iter_mut() {
                a.execution_role = rules::fill(&a.execution_role, account.as_str());
            }
            self.action_roles_in(actions, account, n);
        }
        let mut response_targets = Vec::new();
        let responses = f
            .get("responses")
            .map(|n| self.responses(n, limit_unit, actions.as_deref(), &mut response_targets))
            .unwrap_or_default();
        (notifications, tags, actions, responses, response_targets)
    }

    /// AWS runs an action as its execution role, which must be in the
    /// budget's account ("Roles and actions must be in the same account").
    fn action_roles_in(&mut self, actions: &[BudgetAction], account: &AccountId, node: &Node) {
        let Value::Seq(items) = &node.value else {
            return;
        };
        for a in actions {
            let role_account = a.execution_role.split(':').nth(4).unwrap_or_default();
            if role_account == account.as_str() {
                continue;
            }
            // Point at the action's `execution_role`.
            fn entry<'n>(i: &'n Node, key: &str) -> Option<&'n Node> {
                match &i.value {
                    Value::Map(entries) => entries
                        .iter()
                        .find(|(k, _)| k.scalar_text() == Some(key))
                        .map(|(_, v)| v),
                    _ => None,
                }
            }
            let pos = items
                .iter()
                .find(|i| entry(i, "name").and_then(|n| n.scalar_text()) == Some(a.name.as_str()))
                .and_then(|i| entry(i, "execution_role"))
                .map_or(node.pos, |v| v.pos);
            self.error_help(
                Code::RoleArn,
                pos,
                format!(
                    "the execution role of action `{}` is in account {role_account}, and the budget in {account}",
                    a.name
                ),
                "AWS runs an action as a role of the budget's own account: use a role of that account",
            );
        }
    }

    /// AWS takes FilterExpression + Metrics or CostFilters + CostTypes, never
    /// both; the latter pair is deprecated (2025-04-18), and a
    /// FilterExpression without Metrics makes a budget whose console chart
    /// fails ("Selected metrics cannot be null").
    pub(super) fn filter_forms(
        &mut self,
        f: &Fields<'_>,
        node: &Node,
        has_expression: bool,
        no_metrics: bool,
        budget_type: Option<BudgetType>,
    ) {
        let legacy: Vec<&str> = ["filters", "cost_types"]
            .into_iter()
            .filter(|k| f.has(k))
            .collect();
        if has_expression {
            for key in &legacy {
                self.error_help(
                    Code::FilterExpressionWithCostFilters,
                    f.key_pos(key).unwrap_or(node.pos),
                    format!("`{key}` beside `filter_expression`: AWS takes a filter expression with metrics, or filters with cost types, never both"),
                    "move the filters into `filter_expression` and the cost types into `metrics`, then remove this key",
                );
            }
            if no_metrics {
                self.error_help(
                    Code::FilterExpressionWithoutMetrics,
                    f.key_pos("filter_expression").unwrap_or(node.pos),
                    "filter_expression without metrics: AWS stores the budget, but its console chart fails (\"Selected metrics cannot be null\")",
                    "add `metrics: [unblended-cost]` (or amortized-cost, blended-cost, … : the metric the budget tracks)",
                );
            }
            return;
        }
        // RI and Savings Plans budgets have no documented expression form.
        if matches!(budget_type, Some(bt) if bt.is_ri_or_sp()) {
            return;
        }
        if let Some(filters) = f.get("filters") {
            let equivalent = self.expression_equivalent(filters);
            let d = Diagnostic::warning(
                Code::DeprecatedCostFilters,
                self.span(f.key_pos("filters").unwrap_or(node.pos)),
                "`filters` (CostFilters) are deprecated by AWS since 2025-04-18 and lack newer dimensions",
            )
            .with_help(match equivalent {
                Some(e) => format!("write `filter_expression: {e}` with `metrics: [unblended-cost]` instead"),
                None => "write the filters as a `filter_expression` with `metrics` instead".to_owned(),
            });
            self.push(d);
        }
        if let (Some(BudgetType::Cost), Some(n)) = (budget_type, f.get("cost_types")) {
            let amortized = self.flag_set(n, &["amortized", "UseAmortized"]);
            let blended = self.flag_set(n, &["blended", "UseBlended"]);
            let metric = if amortized {
                "amortized-cost"
            } else if blended {
                "blended-cost"
            } else {
                "unblended-cost"
            };
            let d = Diagnostic::warning(
                Code::DeprecatedCostFilters,
                self.span(f.key_pos("cost_types").unwrap_or(node.pos)),
                "`cost_types` (CostTypes) are deprecated by AWS since 2025-04-18",
            )
            .with_help(format!(
                "write `metrics: [{metric}]` instead, and exclude charges such as tax with `filter_expression: {{not: {{dimensions: {{key: record-type, values: [Tax]}}}}}}`"
            ));
            self.push(d);
        }
    }

    /// Whether a cost_types mapping sets one of `names` to true.
    pub(super) fn flag_set(&self, node: &Node, names: &[&str]) -> bool {
        let Value::Map(entries) = &node.value else {
            return false;
        };
        entries.iter().any(|(k, v)| {
            k.scalar_text().is_some_and(|k| names.contains(&k))
                && matches!(v.value, Value::Bool(true))
        })
    }

    /// The `filter_expression` that says what legacy `filters` say, in flow
    /// YAML, where every key has one.
    pub(super) fn expression_equivalent(&self, node: &Node) -> Option<String> {
        let Value::Map(entries) = &node.value else {
            return None;
        };
        let mut parts = Vec::new();
        for (k, v) in entries {
            let key = k.scalar_text()?;
            let dimension = rules::cost_filter_keys()
                .iter()
                .find(|(name, _)| name == key)
                .and_then(|(_, d)| *d)?;
            let values: Vec<String> = match &v.value {
                Value::Seq(items) => items
                    .iter()
                    .map(|i| i.scalar_text().map(|t| format!("\"{t}\"")))
                    .collect::<Option<_>>()?,
                _ => vec![format!("\"{}\"", v.scalar_text()?)],
            };
            parts.push(format!(
                "{{dimensions: {{key: {}, values: [{}]}}}}",
                dimension.as_str(),
                values.join(", ")
            ));
        }
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(format!("{{and: [{}]}}", parts.join(", "))),
        }
    }

    pub(super) fn period_dates(
        &mut self,
        f: &Fields<'_>,
        time_unit: Option<TimeUnit>,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) {
        let end_pos = f.get("end").map(|n| n.pos).unwrap_or(f.node.pos);
        if let Some(e) = end
            && e > max_end_date()
        {
            self.error_help(
                Code::DateMax,
                end_pos,
                format!("end {e} is after 2087-06-15, the latest end AWS accepts"),
                "use an end on or before 2087-06-15, or leave `end` out for no end",
            );
        }
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            self.error_help(
                Code::DateOrder,
                end_pos,
                format!("end {e} is not after start {s}"),
                "the start must come before the end",
            );
        }
        if time_unit == Some(TimeUnit::Custom) && (!f.has("start") || !f.has("end")) {
            self.error_help(
                Code::CustomPeriodDates,
                f.key_pos("period").unwrap_or(f.node.pos),
                "a custom period needs both `start` and `end`",
                "add `start: YYYY-MM-DD` and `end: YYYY-MM-DD`",
            );
        }
    }

    pub(super) fn cost_types(&mut self, node: &Node) -> Option<CostTypes> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(
                node,
                "`cost_types`",
                "a mapping of flags, e.g. { tax: false }",
            );
            return None;
        };
        let mut ct = CostTypes::default();
        let mut ok = true;
        let mut seen: Vec<(&str, &str)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("");
            let Some(value) = self.boolean(v, &format!("cost_types.{key}")) else {
                ok = false;
                continue;
            };
            if let Some(flag) = ct.set(key, value) {
                if let Some((_, first)) = seen.iter().find(|(f, _)| *f == flag) {
                    self.error_help(
                        Code::CostTypesDuplicate,
                        k.pos,
                        format!("cost_types sets `{flag}` twice, as `{first}` and as `{key}`"),
                        format!("keep one of `{first}` and `{key}`"),
                    );
                    ok = false;
                }
                seen.push((flag, key));
            } else {
                let help = match did_you_mean(key, CostTypes::KEYS.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("cost_types takes: {}", CostTypes::KEYS.join(", ")),
                };
                self.error_help(
                    Code::UnknownKey,
                    k.pos,
                    format!("unknown key `{key}` in cost_types"),
                    help,
                );
                ok = false;
            }
        }
        if ct.use_amortized && ct.use_blended {
            self.error_help(
                Code::CostTypesBlendedAmortized,
                node.pos,
                "cost_types sets both `amortized` and `blended`; AWS allows one rate",
                "set at most one of `amortized: true` and `blended: true`",
            );
            ok = false;
        }
        ok.then_some(ct)
    }

    pub(super) fn metrics(&mut self, node: &Node) -> Vec<Metric> {
        let Some(items) = self.string_list(node, "metrics") else {
            return Vec::new();
        };
        if items.len() > 1 {
            self.error_help(
                Code::Metrics,
                items[1].1,
                format!("a budget tracks one metric, and {} are listed", items.len()),
                "keep one metric",
            );
            return Vec::new();
        }
        items
            .into_iter()
            .filter_map(|(text, pos)| {
                let n = Node {
                    pos,
                    value: Value::String(text.into()),
                };
                self.enum_value(&n, "metric", Metric::parse, Metric::ALL, Metric::as_str)
            })
            .collect()
    }

    pub(super) fn tags(&mut self, node: &Node) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return out,
            _ => {
                self.wrong_type(node, "`tags`", "a mapping of tag keys to values");
                return out;
            }
        };
        if entries.len() > rules::MAX_TAGS {
            self.error_help(
                Code::TagCount,
                entries[rules::MAX_TAGS].0.pos,
                format!(
                    "the budget has {} tags; AWS allows at most 200",
                    entries.len()
                ),
                "remove tags",
            );
        }
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("").to_owned();
            if let Err(p) = rules::tag_key(&key) {
                self.problem(k.pos, p);
                continue;
            }
            let value = match &v.value {
                Value::String(s) | Value::Number(s) => s.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
                _ => {
                    self.wrong_type(v, &format!("tag `{key}`"), "a string");
                    continue;
                }
            };
            if let Err(p) = rules::tag_value(&key, &value) {
                self.problem(v.pos, p);
                continue;
            }
            out.insert(key, value);
        }
        out
    }
}
