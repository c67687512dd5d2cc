//! Budget actions: their CRUD, ExecuteBudgetAction's lifecycle, the
//! histories, and triggering when spend crosses a threshold.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};

use crate::services::budgets::MAX_ACTIONS_PER_BUDGET;
use crate::services::budgets::budget::{
    auto_adjusted_or_fixed, budget_not_found, find_budget, find_budget_mut,
};
use crate::services::budgets::paging::with_token;
use crate::services::budgets::spend::time_window;
use crate::services::budgets::subscribers::check_subscribers;
use crate::services::{Result, s};
use crate::store::{Settle, StoredAction, StoredBudget};
use crate::{ApiError, ErrorKind, Service, render};

impl Service {
    pub(super) fn create_action(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]).to_owned();
        let name = s(&input["BudgetName"]).to_owned();
        check_action_subscribers(&input["Subscribers"])?;
        check_definition(s(&input["ActionType"]), &input["Definition"])?;
        let tags = super::tags::tag_map(&input["ResourceTags"])?;
        let id = new_action_id();
        let action = json!({
            "ActionId": id,
            "BudgetName": name,
            "NotificationType": input["NotificationType"],
            "ActionType": input["ActionType"],
            "ActionThreshold": input["ActionThreshold"],
            "Definition": input["Definition"],
            "ExecutionRoleArn": input["ExecutionRoleArn"],
            "ApprovalModel": input["ApprovalModel"],
            "Status": "STANDBY",
            "Subscribers": input["Subscribers"],
        });
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        if b.actions.len() >= MAX_ACTIONS_PER_BUDGET {
            return Err(ApiError::new(
                ErrorKind::CreationLimitExceeded,
                format!("A budget can have at most {MAX_ACTIONS_PER_BUDGET} actions"),
            ));
        }
        let history = vec![history_entry(&action, "CREATE_ACTION", "Action created")];
        b.actions.push(StoredAction {
            action,
            history,
            tags,
            settles: None,
        });
        Ok(json!({ "AccountId": account, "BudgetName": name, "ActionId": id }))
    }

    pub(super) fn describe_action(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let a = action_in(b, s(&input["ActionId"]))?;
        Ok(json!({
            "AccountId": input["AccountId"],
            "BudgetName": input["BudgetName"],
            "Action": a.action,
        }))
    }

    pub(super) fn update_action(&self, input: &Value) -> Result<Value> {
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let a = action_in_mut(b, s(&input["ActionId"]))?;
        refuse_if_in_progress(&a.action)?;
        let old = a.action.clone();
        for key in [
            "NotificationType",
            "ActionThreshold",
            "Definition",
            "ExecutionRoleArn",
            "ApprovalModel",
            "Subscribers",
        ] {
            if !input[key].is_null() {
                a.action[key] = input[key].clone();
            }
        }
        check_action_subscribers(&a.action["Subscribers"])?;
        check_definition(s(&a.action["ActionType"]), &a.action["Definition"])?;
        let entry = history_entry(&a.action, "UPDATE_ACTION", "Action updated");
        a.history.push(entry);
        Ok(json!({
            "AccountId": input["AccountId"],
            "BudgetName": input["BudgetName"],
            "OldAction": old,
            "NewAction": a.action,
        }))
    }

    pub(super) fn delete_action(&self, input: &Value) -> Result<Value> {
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let id = s(&input["ActionId"]);
        let a = action_in(b, id)?;
        refuse_if_in_progress(&a.action)?;
        let at = b
            .actions
            .iter()
            .position(|a| a.action["ActionId"] == id)
            .unwrap_or(0);
        let mut removed = b.actions.remove(at);
        let entry = history_entry(&removed.action, "DELETE_ACTION", "Action deleted");
        removed.history.push(entry);
        removed.settles = None;
        let action = removed.action.clone();
        b.deleted_actions.push(removed);
        Ok(json!({
            "AccountId": input["AccountId"],
            "BudgetName": input["BudgetName"],
            "Action": action,
        }))
    }

    pub(super) fn describe_actions_for_account(&self, input: &Value) -> Result<Value> {
        let account = s(&input["AccountId"]);
        let store = self.lock();
        let actions: Vec<&Value> = store
            .accounts
            .get(account)
            .map(|a| {
                a.budgets
                    .values()
                    .flat_map(|b| b.actions.iter().map(|x| &x.action))
                    .collect()
            })
            .unwrap_or_default();
        let (page, next) = self.page(
            &actions,
            input,
            100,
            &format!("DescribeBudgetActionsForAccount/{account}"),
        )?;
        Ok(with_token(json!({ "Actions": page }), next))
    }

    pub(super) fn describe_actions_for_budget(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let actions: Vec<&Value> = b.actions.iter().map(|a| &a.action).collect();
        let scope = format!(
            "DescribeBudgetActionsForBudget/{}/{}",
            s(&input["AccountId"]),
            s(&input["BudgetName"])
        );
        let (page, next) = self.page(&actions, input, 100, &scope)?;
        Ok(with_token(json!({ "Actions": page }), next))
    }

    pub(super) fn describe_action_histories(&self, input: &Value) -> Result<Value> {
        let store = self.lock();
        let b = find_budget(&store, input)?;
        let id = s(&input["ActionId"]);
        // A deleted action's history stays readable, ending in DELETE_ACTION.
        let a = match action_in(b, id) {
            Ok(a) => a,
            Err(e) => b
                .deleted_actions
                .iter()
                .rev()
                .find(|a| a.action["ActionId"] == id)
                .ok_or(e)?,
        };
        let (from, to) = time_window(&input["TimePeriod"]);
        let entries: Vec<&Value> = a
            .history
            .iter()
            .filter(|h| {
                let t = h["Timestamp"].as_f64().unwrap_or(0.0);
                t >= from && t < to
            })
            .collect();
        let scope = format!("DescribeBudgetActionHistories/{}", s(&input["ActionId"]));
        let (page, next) = self.page(&entries, input, 100, &scope)?;
        Ok(with_token(json!({ "ActionHistories": page }), next))
    }

    pub(super) fn execute_action(&self, input: &Value) -> Result<Value> {
        let execution = s(&input["ExecutionType"]).to_owned();
        let mut store = self.lock();
        let b = find_budget_mut(&mut store, input)?;
        let a = action_in_mut(b, s(&input["ActionId"]))?;
        let status = s(&a.action["Status"]).to_owned();
        refuse_if_in_progress(&a.action)?;
        // budgetctl-local carries out actions at once: each legal step goes
        // through its in-progress state to its outcome in one call.
        let Some(steps) = execution_steps(&execution, &status) else {
            return Err(ApiError::invalid(format!(
                "Budget action {} can't be executed with {execution} while its status is {status}: {}",
                s(&input["ActionId"]),
                allowed_from(&execution)
            )));
        };
        let faults = self.faults();
        let delay_ms = faults.action_ms;
        // With `action_fails`, the step ends in its failure status instead.
        let failed: Vec<&str>;
        let steps = if faults.action_fails {
            failed = steps
                .iter()
                .map(|step| match *step {
                    "EXECUTION_SUCCESS" => "EXECUTION_FAILURE",
                    "REVERSE_SUCCESS" => "REVERSE_FAILURE",
                    "STANDBY" => "RESET_FAILURE",
                    other => other,
                })
                .collect();
            &failed[..]
        } else {
            steps
        };
        let (now_steps, later) = match steps.split_last() {
            Some((last, first)) if delay_ms > 0 => (first, Some(*last)),
            _ => (steps, None),
        };
        for step in now_steps {
            a.action["Status"] = json!(step);
            let entry = history_entry(&a.action, "EXECUTE_ACTION", &format!("{execution}: {step}"));
            a.history.push(entry);
        }
        if let Some(last) = later {
            a.settles = Some(Settle {
                at: render::now() + delay_ms as f64 / 1000.0,
                status: (*last).to_owned(),
                message: format!("{execution}: {last}"),
            });
        }
        Ok(json!({
            "AccountId": input["AccountId"],
            "BudgetName": input["BudgetName"],
            "ActionId": input["ActionId"],
            "ExecutionType": execution,
        }))
    }

    /// Finish the in-progress executions of an account whose time has come.
    pub(super) fn settle_actions(&self, account: &str) {
        let mut store = self.lock();
        let Some(acct) = store.accounts.get_mut(account) else {
            return;
        };
        let now = render::now();
        for a in acct.budgets.values_mut().flat_map(|b| b.actions.iter_mut()) {
            if let Some(settle) = a.settles.take_if(|s| s.at <= now) {
                a.action["Status"] = json!(settle.status);
                let entry = history_entry(&a.action, "EXECUTE_ACTION", &settle.message);
                a.history.push(entry);
            }
        }
    }
}

/// ExecuteBudgetAction's lifecycle: each execution type, the statuses it
/// may start from, and the steps it goes through (its `*_IN_PROGRESS`
/// status, then its outcome). Approve a PENDING action; retry a failed
/// execution, reversal or reset; reverse an executed action; reset a
/// reversed one to STANDBY. budgetctl's `ExecutionType::allowed_from`
/// keeps the same table, and a test holds the two together.
const LIFECYCLE: &[(&str, &str, &[&str])] = &[
    (
        "APPROVE_BUDGET_ACTION",
        "PENDING",
        &["EXECUTION_IN_PROGRESS", "EXECUTION_SUCCESS"],
    ),
    (
        "RETRY_BUDGET_ACTION",
        "EXECUTION_FAILURE",
        &["EXECUTION_IN_PROGRESS", "EXECUTION_SUCCESS"],
    ),
    (
        "RETRY_BUDGET_ACTION",
        "REVERSE_FAILURE",
        &["REVERSE_IN_PROGRESS", "REVERSE_SUCCESS"],
    ),
    (
        "RETRY_BUDGET_ACTION",
        "RESET_FAILURE",
        &["RESET_IN_PROGRESS", "STANDBY"],
    ),
    (
        "REVERSE_BUDGET_ACTION",
        "EXECUTION_SUCCESS",
        &["REVERSE_IN_PROGRESS", "REVERSE_SUCCESS"],
    ),
    (
        "RESET_BUDGET_ACTION",
        "REVERSE_SUCCESS",
        &["RESET_IN_PROGRESS", "STANDBY"],
    ),
];

fn execution_steps(execution: &str, status: &str) -> Option<&'static [&'static str]> {
    LIFECYCLE
        .iter()
        .find(|(e, from, _)| *e == execution && *from == status)
        .map(|(_, _, steps)| *steps)
}

fn allowed_from(execution: &str) -> String {
    let from: Vec<&str> = LIFECYCLE
        .iter()
        .filter(|(e, _, _)| *e == execution)
        .map(|(_, from, _)| *from)
        .collect();
    format!("{execution} is possible only from {}", from.join(" or "))
}

/// The in-progress status on the way to `status`.
fn in_progress_towards(status: &str) -> &'static str {
    match status {
        s if s.starts_with("EXECUTION_") => "EXECUTION_IN_PROGRESS",
        s if s.starts_with("REVERSE_") => "REVERSE_IN_PROGRESS",
        _ => "RESET_IN_PROGRESS",
    }
}

impl Service {
    /// `POST /_local/actions`: move an action to a status as AWS would get
    /// there; the action as it now is.
    pub fn set_action_status(&self, request: &crate::ActionStatusRequest) -> Result<Value> {
        const STATUSES: &[&str] = &[
            "STANDBY",
            "PENDING",
            "EXECUTION_SUCCESS",
            "EXECUTION_FAILURE",
            "REVERSE_SUCCESS",
            "REVERSE_FAILURE",
            "RESET_FAILURE",
        ];
        let target = request.status.as_str();
        if !STATUSES.contains(&target) {
            return Err(ApiError::invalid(format!(
                "`{target}` is not a status to move an action to: use one of {} (an *_IN_PROGRESS status is reached with ThroughMs)",
                STATUSES.join(", ")
            )));
        }
        let mut store = self.lock();
        let b = store
            .accounts
            .get_mut(&request.account_id)
            .and_then(|a| a.budgets.get_mut(&request.budget_name))
            .ok_or_else(|| budget_not_found(&request.budget_name))?;
        let a = b
            .actions
            .iter_mut()
            .find(|a| {
                a.action["ActionId"] == request.action.as_str()
                    || a.tags.get("budgetctl:action") == Some(&request.action)
            })
            .ok_or_else(|| {
                ApiError::not_found(format!("Action {} doesn't exist.", request.action))
            })?;
        match request.through_ms {
            Some(ms) => {
                a.action["Status"] = json!(in_progress_towards(target));
                let entry = history_entry(&a.action, "SYSTEM", "Moved by /_local/actions");
                a.history.push(entry);
                a.settles = Some(Settle {
                    at: render::now() + ms as f64 / 1000.0,
                    status: target.to_owned(),
                    message: format!("Moved by /_local/actions: {target}"),
                });
            }
            None => {
                a.action["Status"] = json!(target);
                a.settles = None;
                let entry = history_entry(&a.action, "SYSTEM", "Moved by /_local/actions");
                a.history.push(entry);
            }
        }
        let action = a.action.clone();
        drop(store);
        self.mark(Some((
            request.account_id.clone(),
            request.budget_name.clone(),
        )));
        self.touch();
        Ok(action)
    }
}

pub(super) fn check_action_subscribers(subscribers: &Value) -> Result<()> {
    check_subscribers(subscribers.as_array().map(Vec::as_slice).unwrap_or(&[]))
}

pub(super) fn check_definition(action_type: &str, definition: &Value) -> Result<()> {
    let wanted = match action_type {
        "APPLY_IAM_POLICY" => "IamActionDefinition",
        "APPLY_SCP_POLICY" => "ScpActionDefinition",
        _ => "SsmActionDefinition",
    };
    let given: Vec<&String> = definition
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    if given.len() != 1 || given[0] != wanted {
        return Err(ApiError::invalid(format!(
            "An action of type {action_type} needs exactly one Definition: {wanted}"
        )));
    }
    Ok(())
}

pub(super) fn action_in<'b>(b: &'b StoredBudget, id: &str) -> Result<&'b StoredAction> {
    b.actions
        .iter()
        .find(|a| a.action["ActionId"] == id)
        .ok_or_else(|| ApiError::not_found(format!("Action {id} doesn't exist.")))
}

pub(super) fn action_in_mut<'b>(b: &'b mut StoredBudget, id: &str) -> Result<&'b mut StoredAction> {
    b.actions
        .iter_mut()
        .find(|a| a.action["ActionId"] == id)
        .ok_or_else(|| ApiError::not_found(format!("Action {id} doesn't exist.")))
}

pub(super) fn refuse_if_in_progress(action: &Value) -> Result<()> {
    let status = s(&action["Status"]);
    if status.ends_with("_IN_PROGRESS") {
        return Err(ApiError::new(
            ErrorKind::ResourceLocked,
            format!("The action is {status}; try again when it has finished"),
        ));
    }
    Ok(())
}

pub(super) fn history_entry(action: &Value, event: &str, message: &str) -> Value {
    json!({
        "Timestamp": render::now(),
        "Status": action["Status"],
        "EventType": event,
        "ActionHistoryDetails": { "Message": message, "Action": action },
    })
}

/// Actions whose threshold the seeded spend has crossed leave STANDBY:
/// MANUAL ones wait in PENDING for approval, AUTOMATIC ones run.
pub(super) fn trigger_actions(b: &mut StoredBudget) {
    let limit = render::decimal(&auto_adjusted_or_fixed(b)).unwrap_or_default();
    let spend = |kind: &Value| {
        let seeded = if kind == "FORECASTED" {
            &b.spend.forecasted
        } else {
            &b.spend.actual
        };
        seeded.as_deref().and_then(render::decimal)
    };
    let mut crossed = Vec::new();
    for (i, a) in b.actions.iter().enumerate() {
        if a.action["Status"] != "STANDBY" {
            continue;
        }
        let Some(spent) = spend(&a.action["NotificationType"]) else {
            continue;
        };
        let t = &a.action["ActionThreshold"];
        let value =
            rust_decimal::Decimal::try_from(t["ActionThresholdValue"].as_f64().unwrap_or(0.0))
                .unwrap_or_default();
        let line = if t["ActionThresholdType"] == "ABSOLUTE_VALUE" {
            value
        } else {
            limit * value / rust_decimal::Decimal::ONE_HUNDRED
        };
        if spent > line {
            crossed.push(i);
        }
    }
    for i in crossed {
        let a = &mut b.actions[i];
        let steps: &[&str] = if a.action["ApprovalModel"] == "AUTOMATIC" {
            &["EXECUTION_IN_PROGRESS", "EXECUTION_SUCCESS"]
        } else {
            &["PENDING"]
        };
        for step in steps {
            a.action["Status"] = json!(step);
            let entry = history_entry(&a.action, "SYSTEM", "Budget threshold exceeded");
            a.history.push(entry);
        }
    }
}

pub(super) fn new_action_id() -> String {
    let mut rng = StdRng::from_os_rng();
    let bytes: [u8; 16] = rng.random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
