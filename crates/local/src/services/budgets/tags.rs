//! TagResource, UntagResource, ListTagsForResource, on the budget and
//! budget action ARNs of the partition served
//! (`arn:aws:budgets::ACCOUNT:budget/NAME`, `…/NAME/action/ID`).

use serde_json::{Value, json};

use crate::services::budgets::MAX_TAGS;
use crate::services::{BTreeMap, Result, s};
use crate::store::StoredBudget;
use crate::{ApiError, ErrorKind, Service, Store};

impl Service {
    pub(super) fn tag_resource(&self, input: &Value) -> Result<Value> {
        let arn = parse_budget_arn(s(&input["ResourceARN"]), &self.partition)?;
        let add = tag_map(&input["ResourceTags"])?;
        let mut store = self.lock();
        let tags = tags_by_arn(&mut store, &self.partition, &arn)?;
        let mut after = tags.clone();
        after.extend(add);
        if after.len() > MAX_TAGS {
            return Err(ApiError::new(
                ErrorKind::ServiceQuotaExceeded,
                format!("A resource can have at most {MAX_TAGS} tags"),
            ));
        }
        *tags = after;
        Ok(json!({}))
    }

    pub(super) fn untag_resource(&self, input: &Value) -> Result<Value> {
        let arn = parse_budget_arn(s(&input["ResourceARN"]), &self.partition)?;
        let mut store = self.lock();
        let tags = tags_by_arn(&mut store, &self.partition, &arn)?;
        for key in input["ResourceTagKeys"].as_array().into_iter().flatten() {
            tags.remove(s(key));
        }
        Ok(json!({}))
    }

    pub(super) fn list_tags(&self, input: &Value) -> Result<Value> {
        let arn = parse_budget_arn(s(&input["ResourceARN"]), &self.partition)?;
        let mut store = self.lock();
        let tags = tags_by_arn(&mut store, &self.partition, &arn)?;
        let tags: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
        Ok(json!({ "ResourceTags": tags }))
    }
}

/// A budget or budget action ARN, parsed.
pub(super) struct ResourceArn {
    pub account: String,
    pub budget: String,
    pub action: Option<String>,
}

/// The tags of the budget or action an ARN names.
fn tags_by_arn<'s>(
    store: &'s mut Store,
    partition: &str,
    arn: &ResourceArn,
) -> Result<&'s mut BTreeMap<String, String>> {
    let b = budget_by_arn(store, partition, &arn.account, &arn.budget)?;
    match &arn.action {
        None => Ok(&mut b.tags),
        Some(id) => b
            .actions
            .iter_mut()
            .find(|a| a.action["ActionId"] == id.as_str())
            .map(|a| &mut a.tags)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "Resource arn:{partition}:budgets::{}:budget/{}/action/{id} doesn't exist.",
                    arn.account, arn.budget
                ))
            }),
    }
}

pub(super) fn budget_by_arn<'s>(
    store: &'s mut Store,
    partition: &str,
    account: &str,
    name: &str,
) -> Result<&'s mut StoredBudget> {
    store
        .accounts
        .get_mut(account)
        .and_then(|a| a.budgets.get_mut(name))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Resource arn:{partition}:budgets::{account}:budget/{name} doesn't exist."
            ))
        })
}

/// `arn:PARTITION:budgets::ACCOUNT:budget/NAME[/action/ID]`, for the
/// partition served: a budget ARN of another partition names nothing here.
/// A budget name never holds `/action/` (the BudgetName pattern), so the
/// first one starts the action's id.
pub(super) fn parse_budget_arn(arn: &str, serves: &str) -> Result<ResourceArn> {
    let invalid = || {
        ApiError::invalid(format!(
            "{arn} is not a budget ARN (arn:{serves}:budgets::ACCOUNT_ID:budget/NAME)"
        ))
    };
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("budgets"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    if partition != serves && partition.starts_with("aws") {
        return Err(ApiError::invalid(format!(
            "{arn} is in partition {partition}, but this endpoint serves {serves}: budget ARNs here start arn:{serves}:budgets::"
        )));
    }
    if partition != serves || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let name = resource.strip_prefix("budget/").ok_or_else(invalid)?;
    let (budget, action) = match name.split_once("/action/") {
        Some((budget, id)) => (budget, Some(id.to_owned())),
        None => (name, None),
    };
    Ok(ResourceArn {
        account: account.to_owned(),
        budget: budget.to_owned(),
        action,
    })
}

pub(super) fn tag_map(tags: &Value) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for tag in tags.as_array().into_iter().flatten() {
        let key = s(&tag["Key"]);
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid(format!(
                "Tag keys starting with aws: are reserved for AWS use: {key}"
            )));
        }
        out.insert(key.to_owned(), s(&tag["Value"]).to_owned());
    }
    Ok(out)
}
