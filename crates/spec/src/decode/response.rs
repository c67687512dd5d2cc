//! Responses: a name, `when:` in the compact alert syntax (or the
//! structured `type`/`threshold`/`threshold_type`), and exactly one
//! of `service_catalog` (a self-service action on a provisioned product)
//! and `approve_action` (an action of the same budget).

use super::*;

/// What a response does, by the key that declares each.
const RESPONSE_ACTION_KEYS: &[&str] = &["service_catalog", "approve_action"];

/// A response's target, for the check that no two responses of an account
/// run actions on one provisioned product (their records could not be told
/// apart).
pub(crate) struct ResponseTarget {
    pub region: String,
    pub product: String,
    pub span: Span,
}

impl<'a> Decoder<'a> {
    /// `actions` are the budget's declared actions, which `approve_action`
    /// must name.
    pub(super) fn responses(
        &mut self,
        node: &Node,
        unit: Option<&str>,
        actions: Option<&[BudgetAction]>,
        targets: &mut Vec<ResponseTarget>,
    ) -> Vec<Response> {
        let items: &[Node] = match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, "`responses`", "a list of responses");
                return Vec::new();
            }
        };
        let mut out: Vec<Response> = Vec::with_capacity(items.len());
        let mut positions: Vec<Pos> = Vec::with_capacity(items.len());
        for item in items {
            let Some(r) = self.response(item, unit, actions, targets) else {
                continue;
            };
            if let Some(first) = out.iter().position(|o| o.name == r.name) {
                let d = Diagnostic::error(
                    Code::DuplicateResponse,
                    self.span(item.pos),
                    format!("the budget already has a response named `{}`", r.name),
                )
                .with_help("a response's name makes its once-a-period token: give each response of a budget its own")
                .with_related(self.span(positions[first]), "first declared here");
                self.push(d);
                continue;
            }
            positions.push(item.pos);
            out.push(r);
        }
        out
    }

    fn response(
        &mut self,
        node: &Node,
        unit: Option<&str>,
        actions: Option<&[BudgetAction]>,
        targets: &mut Vec<ResponseTarget>,
    ) -> Option<Response> {
        let f = self.fields(node, "a response", RESPONSE_KEYS)?;
        let name = self
            .require(&f, "name", "a response")
            .and_then(|n| self.checked_string(n, "response name", rules::response_name));
        let compact = f.has("when");
        let structured = ["type", "threshold", "threshold_type"]
            .iter()
            .any(|k| f.has(k));
        if compact && structured {
            self.error_help(
                Code::ResponseForm,
                node.pos,
                "a response mixes `when` with the structured form (type/threshold/threshold_type)",
                "write either `when: forecasted > 110%`, or `type`, `threshold` and `threshold_type`, not both",
            );
            return None;
        }
        let trigger = if structured {
            self.trigger(&f, "a response")
        } else {
            self.require(&f, "when", "a response")
                .and_then(|n| self.when(n, unit, "a response"))
        };
        let given: Vec<&str> = RESPONSE_ACTION_KEYS
            .iter()
            .copied()
            .filter(|k| f.has(k))
            .collect();
        let action = match given.as_slice() {
            [] => {
                self.error_help(
                    Code::ResponseForm,
                    node.pos,
                    "the response does not say what it does",
                    "add `service_catalog:` (a self-service action on a provisioned product) or `approve_action:` (an action of this budget)",
                );
                None
            }
            ["service_catalog"] => f
                .get("service_catalog")
                .and_then(|n| self.service_catalog(n, targets)),
            [_] => f
                .get("approve_action")
                .and_then(|n| self.approve_action(n, actions)),
            [_, second, ..] => {
                self.error_help(
                    Code::ResponseForm,
                    f.key_pos(second).unwrap_or(node.pos),
                    "the response declares both `service_catalog` and `approve_action`; a response does exactly one thing",
                    "keep one, and declare the other as a response of its own",
                );
                None
            }
        };
        let (notification_type, threshold, threshold_type) = trigger?;
        Some(Response {
            name: name?,
            notification_type,
            threshold,
            threshold_type,
            action: action?,
        })
    }

    fn service_catalog(
        &mut self,
        node: &Node,
        targets: &mut Vec<ResponseTarget>,
    ) -> Option<ResponseAction> {
        let what = "`service_catalog`";
        let f = self.fields(node, what, SERVICE_CATALOG_KEYS)?;
        let region = self
            .require(&f, "region", what)
            .and_then(|n| self.checked_string(n, "region", rules::region));
        let product_node = self.require(&f, "provisioned_product", what);
        let product = product_node.and_then(|n| {
            self.checked_string(n, "provisioned_product", rules::provisioned_product)
        });
        let action = self
            .require(&f, "action", what)
            .and_then(|n| self.checked_string(n, "action", rules::service_action));
        let parameters = match f.get("parameters") {
            Some(n) => self.execution_parameters(n),
            None => Some(BTreeMap::new()),
        };
        let language = match f.get("language") {
            Some(n) => self
                .enum_value(
                    n,
                    "language",
                    Language::parse,
                    Language::ALL,
                    Language::as_str,
                )
                .map(Some),
            None => Some(None),
        };
        let (region, product) = (region?, product?);
        if let Some(n) = product_node {
            targets.push(ResponseTarget {
                region: region.clone(),
                product: product.clone(),
                span: self.span(n.pos),
            });
        }
        Some(ResponseAction::ServiceCatalog(ServiceCatalogAction {
            region,
            provisioned_product: product,
            action: action?,
            parameters: parameters?,
            language: language?,
        }))
    }

    /// ExecutionParameterMap: parameter names to lists of values (a single
    /// value stands for a list of one).
    fn execution_parameters(&mut self, node: &Node) -> Option<BTreeMap<String, Vec<String>>> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Some(BTreeMap::new()),
            _ => {
                self.wrong_type(
                    node,
                    "`parameters`",
                    "a mapping of parameter names to lists of values",
                );
                return None;
            }
        };
        let mut ok = true;
        if entries.len() > rules::MAX_EXECUTION_PARAMETERS {
            self.error_help(
                Code::ExecutionParameter,
                entries[rules::MAX_EXECUTION_PARAMETERS].0.pos,
                format!(
                    "the response passes {} parameters; Service Catalog takes at most {}",
                    entries.len(),
                    rules::MAX_EXECUTION_PARAMETERS
                ),
                "pass only the parameters the service action declares",
            );
            ok = false;
        }
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("").to_owned();
            if let Err(p) = rules::execution_parameter_key(&key) {
                self.problem(k.pos, p);
                ok = false;
                continue;
            }
            let values: Vec<(String, Pos)> = match &v.value {
                Value::Null => Vec::new(),
                _ => match self.string_list(v, &format!("parameter `{key}`")) {
                    Some(values) => values,
                    None => {
                        ok = false;
                        continue;
                    }
                },
            };
            if values.len() > rules::MAX_EXECUTION_PARAMETER_VALUES {
                self.error_help(
                    Code::ExecutionParameter,
                    values[rules::MAX_EXECUTION_PARAMETER_VALUES].1,
                    format!(
                        "parameter `{key}` has {} values; Service Catalog takes at most {}",
                        values.len(),
                        rules::MAX_EXECUTION_PARAMETER_VALUES
                    ),
                    "pass at most 25 values",
                );
                ok = false;
                continue;
            }
            let mut list = Vec::with_capacity(values.len());
            for (value, pos) in values {
                match rules::execution_parameter_value(&value) {
                    Ok(()) => list.push(value),
                    Err(p) => {
                        self.problem(pos, p);
                        ok = false;
                    }
                }
            }
            out.insert(key, list);
        }
        ok.then_some(out)
    }

    /// `approve_action: NAME`: an action declared in this budget's `actions:`.
    fn approve_action(
        &mut self,
        node: &Node,
        actions: Option<&[BudgetAction]>,
    ) -> Option<ResponseAction> {
        let name = self.checked_string(node, "approve_action", rules::action_name)?;
        match actions {
            Some(actions) if actions.iter().any(|a| a.name == name) => {
                Some(ResponseAction::ApproveAction(name))
            }
            Some(actions) => {
                let names: Vec<&str> = actions.iter().map(|a| a.name.as_str()).collect();
                let help = match did_you_mean(&name, names.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None if names.is_empty() => {
                        "declare the action under this budget's `actions:` first".to_owned()
                    }
                    None => format!("this budget's actions are: {}", names.join(", ")),
                };
                self.error_help(
                    Code::ApproveAction,
                    node.pos,
                    format!(
                        "`approve_action` names `{name}`, which is not an action of this budget"
                    ),
                    help,
                );
                None
            }
            None => {
                self.error_help(
                    Code::ApproveAction,
                    node.pos,
                    format!("`approve_action` names `{name}`, but this budget declares no `actions:`"),
                    "declare the action under this budget's `actions:`: a response approves only an action the files manage",
                );
                None
            }
        }
    }
}
