//! Budget actions: the compact (`when: actual > 100%`, `to:`) or structured
//! trigger, exactly one definition (`apply_iam_policy`, `apply_scp`,
//! `stop_instances`), the approval model, the execution role and the
//! subscribers, each checked against the API model.

use super::*;

/// The definitions, by the key that declares each.
const DEFINITION_KEYS: &[&str] = &["apply_iam_policy", "apply_scp", "stop_instances"];

impl<'a> Decoder<'a> {
    pub(super) fn actions(&mut self, node: &Node, unit: Option<&str>) -> Vec<BudgetAction> {
        let items: &[Node] = match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, "`actions`", "a list of budget actions");
                return Vec::new();
            }
        };
        if items.len() > rules::MAX_ACTIONS {
            self.error_help(
                Code::ActionCount,
                items[rules::MAX_ACTIONS].pos,
                format!(
                    "the budget has {} actions; AWS allows at most {}",
                    items.len(),
                    rules::MAX_ACTIONS
                ),
                "split the budget, or let one action cover more principals or instances",
            );
        }
        let mut out: Vec<BudgetAction> = Vec::with_capacity(items.len());
        let mut positions: Vec<Pos> = Vec::with_capacity(items.len());
        for item in items {
            let Some(a) = self.action(item, unit) else {
                continue;
            };
            if let Some(first) = out.iter().position(|o| o.name == a.name) {
                let d = Diagnostic::error(
                    Code::DuplicateAction,
                    self.span(item.pos),
                    format!("the budget already has an action named `{}`", a.name),
                )
                .with_help("an action's name is its handle in plans and in `budgetctl action`: give each action of a budget its own")
                .with_related(self.span(positions[first]), "first declared here");
                self.push(d);
                continue;
            }
            positions.push(item.pos);
            out.push(a);
        }
        out
    }

    fn action(&mut self, node: &Node, unit: Option<&str>) -> Option<BudgetAction> {
        let f = self.fields(node, "a budget action", ACTION_KEYS)?;
        let name = self.require(&f, "name", "a budget action").and_then(|n| {
            let name = self.string(n, "action name")?;
            match rules::action_name(&name) {
                Ok(()) => Some(name),
                Err(p) => {
                    self.problem(n.pos, p);
                    None
                }
            }
        });

        let compact = f.has("when") || f.has("to");
        let structured = ["type", "threshold", "threshold_type", "subscribers"]
            .iter()
            .any(|k| f.has(k));
        if compact && structured {
            self.error_help(
                Code::ActionForm,
                node.pos,
                "an action mixes the compact form (when/to) with the structured form (type/threshold/subscribers)",
                "write either `when: actual > 100%` with `to: [...]`, or `type`, `threshold`, `threshold_type` and `subscribers`, not both",
            );
            return None;
        }
        let trigger = if structured {
            self.trigger(&f, "a budget action")
        } else {
            self.require(&f, "when", "a budget action")
                .and_then(|n| self.when(n, unit, "a budget action"))
        };
        let subscribers_key = if structured { "subscribers" } else { "to" };
        let subscribers = self
            .require(&f, subscribers_key, "a budget action")
            .and_then(|n| self.subscribers(n, "an action"));

        let definition = self.definition(&f, node);
        let approval = match f.get("approval") {
            Some(n) => self.enum_value(
                n,
                "approval model",
                ApprovalModel::parse,
                ApprovalModel::ALL,
                ApprovalModel::as_str,
            ),
            None => Some(ApprovalModel::Manual),
        };
        let execution_role = self
            .require(&f, "execution_role", "a budget action")
            .and_then(|n| {
                let arn = self.string(n, "execution_role")?;
                // `{account}` is the budget's account, filled in later.
                let checked = match rules::placeholders(&arn, "`execution_role`") {
                    Ok(_) => rules::execution_role(&rules::fill(&arn, "111122223333")),
                    Err(p) => Err(p),
                };
                match checked {
                    Ok(()) => Some(arn),
                    Err(p) => {
                        self.problem(n.pos, p);
                        None
                    }
                }
            });
        let (notification_type, threshold, threshold_type) = trigger?;
        Some(BudgetAction {
            name: name?,
            notification_type,
            threshold,
            threshold_type,
            definition: definition?,
            approval: approval?,
            execution_role: execution_role?,
            subscribers: subscribers?,
        })
    }

    /// `when: actual > 100%`: an action or a response acts when spend goes
    /// over its threshold, so `>` is the only comparison.
    pub(super) fn when(
        &mut self,
        node: &Node,
        unit: Option<&str>,
        what: &str,
    ) -> Option<(NotificationType, Decimal, ThresholdType)> {
        let text = node.scalar_text().unwrap_or_default().to_owned();
        let key = self.compact_on(node, unit, "when")?;
        if key.comparison != ComparisonOperator::GreaterThan {
            self.error_help(
                Code::NotificationOperator,
                node.pos,
                format!("`{text}`: {what} acts when spend goes over its threshold, so it compares with `>` only"),
                "write `when: actual > 100%`",
            );
            return None;
        }
        Some((key.notification_type, key.threshold, key.threshold_type))
    }

    /// Exactly one of `apply_iam_policy`, `apply_scp`, `stop_instances`.
    fn definition(&mut self, f: &Fields<'_>, node: &Node) -> Option<ActionDefinition> {
        let given: Vec<&str> = DEFINITION_KEYS
            .iter()
            .copied()
            .filter(|k| f.has(k))
            .collect();
        match given.as_slice() {
            [] => {
                self.error_help(
                    Code::ActionForm,
                    node.pos,
                    "the action does not say what it does",
                    "add exactly one of `apply_iam_policy`, `apply_scp` and `stop_instances`",
                );
                None
            }
            [key] => {
                let n = f.get(key)?;
                match *key {
                    "apply_iam_policy" => self.iam_definition(n),
                    "apply_scp" => self.scp_definition(n),
                    _ => self.ssm_definition(n),
                }
            }
            [_, second, ..] => {
                self.error_help(
                    Code::ActionForm,
                    f.key_pos(second).unwrap_or(node.pos),
                    format!(
                        "the action declares {}; an action does exactly one thing",
                        given
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(" and ")
                    ),
                    "keep one of them, and declare the other as an action of its own",
                );
                None
            }
        }
    }

    fn iam_definition(&mut self, node: &Node) -> Option<ActionDefinition> {
        let f = self.fields(node, "`apply_iam_policy`", IAM_DEFINITION_KEYS)?;
        let policy = self
            .require(&f, "policy", "`apply_iam_policy`")
            .and_then(|n| self.checked_string(n, "policy", rules::policy_arn));
        let mut principals = |key: &str, kind: &'static str| match f.get(key) {
            None => Some(Vec::new()),
            Some(n) => self.action_list(n, key, |s| rules::iam_principal(kind, s)),
        };
        let users = principals("users", "user");
        let groups = principals("groups", "group");
        let roles = principals("roles", "role");
        let (users, groups, roles) = (users?, groups?, roles?);
        if users.is_empty() && groups.is_empty() && roles.is_empty() {
            self.error_help(
                Code::ActionList,
                node.pos,
                "`apply_iam_policy` names no one to attach the policy to",
                "list at least one of `users`, `groups` and `roles`",
            );
            return None;
        }
        Some(ActionDefinition::IamPolicy {
            policy: policy?,
            users,
            groups,
            roles,
        })
    }

    fn scp_definition(&mut self, node: &Node) -> Option<ActionDefinition> {
        let f = self.fields(node, "`apply_scp`", SCP_DEFINITION_KEYS)?;
        let policy = self
            .require(&f, "policy", "`apply_scp`")
            .and_then(|n| self.checked_string(n, "policy", rules::scp_policy_id));
        let targets = self
            .require(&f, "targets", "`apply_scp`")
            .and_then(|n| self.action_list(n, "targets", rules::scp_target));
        Some(ActionDefinition::Scp {
            policy: policy?,
            targets: targets?,
        })
    }

    fn ssm_definition(&mut self, node: &Node) -> Option<ActionDefinition> {
        let f = self.fields(node, "`stop_instances`", SSM_DEFINITION_KEYS)?;
        let service = self
            .require(&f, "service", "`stop_instances`")
            .and_then(|n| {
                self.enum_value(
                    n,
                    "instance service",
                    InstanceService::parse,
                    InstanceService::ALL,
                    InstanceService::as_str,
                )
            });
        let region = self
            .require(&f, "region", "`stop_instances`")
            .and_then(|n| self.checked_string(n, "region", rules::region));
        let instances = self.require(&f, "instances", "`stop_instances`");
        let service = service?;
        let instances = instances
            .and_then(|n| self.action_list(n, "instances", |s| rules::instance_id(service, s)));
        Some(ActionDefinition::StopInstances {
            service,
            region: region?,
            instances: instances?,
        })
    }

    /// A string that `check` accepts.
    pub(super) fn checked_string(
        &mut self,
        node: &Node,
        what: &str,
        check: impl Fn(&str) -> Result<(), Problem>,
    ) -> Option<String> {
        let text = self.string(node, what)?;
        match check(&text) {
            Ok(()) => Some(text),
            Err(p) => {
                self.problem(node.pos, p);
                None
            }
        }
    }

    /// 1 to 100 distinct strings, each accepted by `check`.
    fn action_list(
        &mut self,
        node: &Node,
        what: &str,
        check: impl Fn(&str) -> Result<(), Problem>,
    ) -> Option<Vec<String>> {
        let items = self.string_list(node, what)?;
        let mut ok = true;
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (item, pos) in items {
            if let Err(p) = check(&item) {
                self.problem(pos, p);
                ok = false;
            } else if out.contains(&item) {
                self.error_help(
                    Code::ActionList,
                    pos,
                    format!("`{item}` is listed twice in `{what}`"),
                    "list each once",
                );
                ok = false;
            } else {
                out.push(item);
            }
        }
        if ok && (out.is_empty() || out.len() > rules::MAX_ACTION_LIST) {
            self.error_help(
                Code::ActionList,
                node.pos,
                format!(
                    "`{what}` lists {}; AWS takes 1 to {}",
                    out.len(),
                    rules::MAX_ACTION_LIST
                ),
                "list at least one, and split more than 100 across actions",
            );
            ok = false;
        }
        ok.then_some(out)
    }
}
