//! AWS Organizations, the part budgetctl reads groups of accounts from:
//! ListAccounts, ListAccountsForParent, ListChildren and
//! DescribeOrganization, over an organisation seeded through
//! `POST /_local/organization` (a root, OUs and accounts; each POST
//! replaces the whole organisation, so a test adds an account by posting
//! it again with one more).
//!
//! Organizations answers only its management account: a caller whose
//! credentials act in another account gets AccessDeniedException, as
//! AWS answers a member account. Accounts carry `State` (ACTIVE,
//! SUSPENDED, PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION); `Status` was
//! retired on 9 September 2026 and is not sent. Pages hold at most 20
//! (ListAccounts' MaxResults bound).

use serde_json::{Value, json};

use crate::error::{ApiError, ErrorKind};
use crate::services::Service;

type Result<T> = std::result::Result<T, ApiError>;

/// The `X-Amz-Target` prefix of Organizations operations.
pub const TARGET_PREFIX: &str = "AWSOrganizationsV20161128.";

/// The operations served.
pub const OPERATIONS: &[&str] = &[
    "DescribeOrganization",
    "ListAccounts",
    "ListAccountsForParent",
    "ListChildren",
];

/// The most a page holds, and what it holds when the caller names no MaxResults.
const PAGE: usize = 20;

/// An organisation to seed (`POST /_local/organization`) is stored as it
/// is sent: its shape is the store's.
pub use crate::store::{AccountSeed, OrganizationRequest, OuSeed};

const STATES: &[&str] = &[
    "PENDING_ACTIVATION",
    "ACTIVE",
    "SUSPENDED",
    "PENDING_CLOSURE",
    "CLOSED",
];

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidInput, message)
}

impl OrganizationRequest {
    pub(crate) fn check(&self, default_management: &str) -> Result<()> {
        let root = self.root_id.strip_prefix("r-").unwrap_or("");
        if !(4..=32).contains(&root.len()) || !root.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid("RootId is r- and 4 to 32 letters or digits"));
        }
        let management = self
            .management_account_id
            .as_deref()
            .unwrap_or(default_management);
        if management.len() != 12 || !management.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("ManagementAccountId is 12 digits"));
        }
        let mut parents = vec![self.root_id.as_str()];
        for ou in &self.organizational_units {
            if !ou.id.starts_with("ou-") || parents.contains(&ou.id.as_str()) {
                return Err(invalid(format!(
                    "OU {} is not an ou- id, or is seeded twice",
                    ou.id
                )));
            }
            if !parents.contains(&ou.parent_id.as_str()) {
                return Err(invalid(format!(
                    "the parent {} of OU {} is not seeded before it",
                    ou.parent_id, ou.id
                )));
            }
            parents.push(&ou.id);
        }
        let mut seen: Vec<&str> = Vec::new();
        for a in &self.accounts {
            if a.id.len() != 12
                || !a.id.bytes().all(|b| b.is_ascii_digit())
                || seen.contains(&a.id.as_str())
            {
                return Err(invalid(format!(
                    "account {} is not 12 digits, or is seeded twice",
                    a.id
                )));
            }
            if !parents.contains(&a.parent_id.as_str()) {
                return Err(invalid(format!(
                    "the parent {} of account {} is not seeded",
                    a.parent_id, a.id
                )));
            }
            if !STATES.contains(&a.state.as_str()) {
                return Err(invalid(format!(
                    "State of account {} is one of {}",
                    a.id,
                    STATES.join(", ")
                )));
            }
            seen.push(&a.id);
        }
        Ok(())
    }

    fn management(&self, default_management: &str) -> String {
        self.management_account_id
            .clone()
            .unwrap_or_else(|| default_management.to_owned())
    }

    /// The organisation's id, derived from the root's.
    fn id(&self) -> String {
        format!("o-{}", self.root_id.get(2..).unwrap_or_default())
    }

    fn account(&self, a: &AccountSeed, management: &str) -> Value {
        json!({
            "Id": a.id,
            "Arn": format!("arn:aws:organizations::{management}:account/{}/{}", self.id(), a.id),
            "Email": a.email,
            "Name": a.name,
            "State": a.state,
            "JoinedMethod": if a.id == management { "INVITED" } else { "CREATED" },
            "JoinedTimestamp": 1_700_000_000.0,
        })
    }

    fn is_parent(&self, id: &str) -> bool {
        id == self.root_id || self.organizational_units.iter().any(|ou| ou.id == id)
    }
}

/// One page of `items` from `input`'s NextToken (an offset) and MaxResults.
fn page(items: Vec<Value>, input: &Value, key: &str) -> Result<Value> {
    let max = match input.get("MaxResults") {
        None | Some(Value::Null) => PAGE,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=20) => n as usize,
            _ => return Err(invalid("MaxResults is from 1 to 20")),
        },
    };
    let start = match input.get("NextToken").and_then(Value::as_str) {
        None => 0,
        Some(t) => t
            .strip_prefix("local-page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| invalid("The NextToken is not one this service gave"))?,
    };
    let end = (start + max).min(items.len());
    let mut out = json!({ key: items[start..end].to_vec() });
    if end < items.len() {
        out["NextToken"] = json!(format!("local-page-{end}"));
    }
    Ok(out)
}

impl Service {
    /// Replace the organisation with `request`.
    pub fn seed_organization(
        &self,
        request: &OrganizationRequest,
        default_management: &str,
    ) -> Result<()> {
        request.check(default_management)?;
        self.write_store(|store| {
            store.organization = Some(request.clone());
            Ok(())
        })
    }

    /// An Organizations operation called by `caller` (the account its
    /// credentials act in).
    pub fn organizations_call(
        &self,
        operation: &str,
        input: &Value,
        caller: &str,
        default_management: &str,
    ) -> Result<Value> {
        self.check_organizations_access(operation, caller)?;
        self.with_store(|store| {
            let Some(org) = &store.organization else {
                return Err(ApiError::new(
                    ErrorKind::OrganizationsNotInUse,
                    "Your account is not a member of an organization.",
                ));
            };
            let management = org.management(default_management);
            if caller != management {
                return Err(ApiError::new(
                    ErrorKind::AccessDenied,
                    format!(
                        "You don't have permissions to access this resource: account {caller} is not the organization's management account"
                    ),
                ));
            }
            let parent = || -> Result<&str> {
                let id = input["ParentId"]
                    .as_str()
                    .ok_or_else(|| invalid("ParentId is required"))?;
                if org.is_parent(id) {
                    Ok(id)
                } else {
                    Err(ApiError::new(
                        ErrorKind::ParentNotFound,
                        format!("We can't find a root or OU with the ParentId {id}."),
                    ))
                }
            };
            match operation {
                "DescribeOrganization" => Ok(json!({ "Organization": {
                    "Id": org.id(),
                    "Arn": format!("arn:aws:organizations::{management}:organization/{}", org.id()),
                    "FeatureSet": "ALL",
                    "MasterAccountId": management,
                    "MasterAccountArn": format!("arn:aws:organizations::{management}:account/{}/{management}", org.id()),
                }})),
                "ListAccounts" => {
                    let accounts = org
                        .accounts
                        .iter()
                        .map(|a| org.account(a, &management))
                        .collect();
                    page(accounts, input, "Accounts")
                }
                "ListAccountsForParent" => {
                    let parent = parent()?;
                    let accounts = org
                        .accounts
                        .iter()
                        .filter(|a| a.parent_id == parent)
                        .map(|a| org.account(a, &management))
                        .collect();
                    page(accounts, input, "Accounts")
                }
                "ListChildren" => {
                    let parent = parent()?;
                    let children: Vec<Value> = match input["ChildType"].as_str() {
                        Some("ACCOUNT") => org
                            .accounts
                            .iter()
                            .filter(|a| a.parent_id == parent)
                            .map(|a| json!({ "Id": a.id, "Type": "ACCOUNT" }))
                            .collect(),
                        Some("ORGANIZATIONAL_UNIT") => org
                            .organizational_units
                            .iter()
                            .filter(|ou| ou.parent_id == parent)
                            .map(|ou| json!({ "Id": ou.id, "Type": "ORGANIZATIONAL_UNIT" }))
                            .collect(),
                        _ => {
                            return Err(invalid(
                                "ChildType is ACCOUNT or ORGANIZATIONAL_UNIT",
                            ));
                        }
                    };
                    page(children, input, "Children")
                }
                other => Err(ApiError::new(
                    ErrorKind::UnknownOperation,
                    format!("budgetctl-local does not serve Organizations' {other}"),
                )),
            }
        })
    }
}
