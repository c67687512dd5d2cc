//! Service Catalog for `budgetctl respond`: a client per account and region
//! (Service Catalog is regional, and has no AccountId parameter: the
//! credentials decide the account, so an account with a role is reached
//! through that role), and the calls a response makes, each classified by
//! [`crate::error`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use aws_sdk_budgets::config::SharedCredentialsProvider;
pub use aws_sdk_servicecatalog::Client;
use aws_sdk_servicecatalog::config::Region;
use aws_sdk_servicecatalog::types::{ListRecordHistorySearchFilter, RecordDetail};
use aws_smithy_types::DateTime;
use budgetctl_model::AccountId;

use crate::clients::{Connection, role_providers, sdk_config};
use crate::error::{AwsError, ErrorKind};

/// Service Catalog clients, one per account and region, made on first use.
#[derive(Debug)]
pub struct CatalogClients {
    sdk: aws_config::SdkConfig,
    roles: HashMap<String, SharedCredentialsProvider>,
    made: Mutex<HashMap<(String, String), Client>>,
}

impl CatalogClients {
    /// Connected as `connection` says; accounts in `roles` through their role.
    pub async fn new(connection: &Connection, roles: &BTreeMap<AccountId, String>) -> Self {
        let sdk = sdk_config(connection).await;
        let roles = role_providers(&sdk, roles).await;
        CatalogClients {
            sdk,
            roles,
            made: Mutex::new(HashMap::new()),
        }
    }

    /// The client that acts in `account`, in `region`.
    pub fn for_account(&self, account: &AccountId, region: &str) -> Client {
        let key = (account.as_str().to_owned(), region.to_owned());
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        made.entry(key)
            .or_insert_with(|| {
                let mut config = aws_sdk_servicecatalog::config::Builder::from(&self.sdk)
                    .region(Region::new(region.to_owned()));
                if let Some(provider) = self.roles.get(account.as_str()) {
                    config = config.credentials_provider(provider.clone());
                }
                Client::from_conf(config.build())
            })
            .clone()
    }
}

impl CatalogClients {
    /// The account Service Catalog calls for `account` act in: the role's
    /// account when it has one, else the base credentials' own
    /// (GetCallerIdentity), which need not be `account` at all.
    pub async fn acting_account(&self, account: &AccountId) -> Result<String, AwsError> {
        if self.roles.contains_key(account.as_str()) {
            return Ok(account.as_str().to_owned());
        }
        let sts = aws_sdk_sts::Client::new(&self.sdk);
        let who = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(account, "GetCallerIdentity", e))?;
        Ok(who.account().unwrap_or_default().to_owned())
    }
}

/// A provisioned product, as a response needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedProduct {
    pub id: String,
    pub name: String,
    pub product_id: String,
    pub artifact_id: String,
    pub status: String,
}

/// A record of an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub status: String,
    pub record_type: String,
    /// Seconds since the epoch.
    pub created: i64,
    /// (code, description) of each RecordError.
    pub errors: Vec<(String, String)>,
}

impl Record {
    /// A record a mark names that Service Catalog no longer describes.
    pub fn gone(id: &str) -> Record {
        Record {
            id: id.to_owned(),
            status: "UNKNOWN".to_owned(),
            record_type: String::new(),
            created: 0,
            errors: Vec::new(),
        }
    }
}

impl From<&RecordDetail> for Record {
    fn from(r: &RecordDetail) -> Self {
        Record {
            id: r.record_id().unwrap_or_default().to_owned(),
            status: r
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            record_type: r.record_type().unwrap_or_default().to_owned(),
            created: r.created_time().map_or(0, DateTime::secs),
            errors: r
                .record_errors()
                .iter()
                .map(|e| {
                    (
                        e.code().unwrap_or_default().to_owned(),
                        e.description().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
        }
    }
}

/// The provisioned product `handle` names (a `pp-…` id, or its name);
/// `None` when there is none.
pub async fn find_provisioned_product(
    client: &Client,
    account: &AccountId,
    handle: &str,
) -> Result<Option<ProvisionedProduct>, AwsError> {
    let request = client.describe_provisioned_product();
    let request = if handle.starts_with("pp-") {
        request.id(handle)
    } else {
        request.name(handle)
    };
    let found = match request
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(account, "DescribeProvisionedProduct", e))
    {
        Ok(found) => found,
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(found
        .provisioned_product_detail()
        .map(|d| ProvisionedProduct {
            id: d.id().unwrap_or_default().to_owned(),
            name: d.name().unwrap_or_default().to_owned(),
            product_id: d.product_id().unwrap_or_default().to_owned(),
            artifact_id: d.provisioning_artifact_id().unwrap_or_default().to_owned(),
            status: d
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        }))
}

/// The service actions associated with a product's provisioning artifact:
/// (id, name) each.
pub async fn service_actions(
    client: &Client,
    account: &AccountId,
    product: &ProvisionedProduct,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_service_actions_for_provisioning_artifact()
        .product_id(&product.product_id)
        .provisioning_artifact_id(&product.artifact_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            AwsError::from_sdk(account, "ListServiceActionsForProvisioningArtifact", e)
        })?;
        for s in page.service_action_summaries() {
            out.push((
                s.id().unwrap_or_default().to_owned(),
                s.name().unwrap_or_default().to_owned(),
            ));
        }
    }
    Ok(out)
}

/// ExecuteProvisionedProductServiceAction with `token`: the record it made,
/// or the one an earlier call with the same token made.
pub async fn execute_service_action(
    client: &Client,
    account: &AccountId,
    product_id: &str,
    action_id: &str,
    token: &str,
    parameters: &BTreeMap<String, Vec<String>>,
    language: Option<&str>,
) -> Result<Record, AwsError> {
    let executed = client
        .execute_provisioned_product_service_action()
        .provisioned_product_id(product_id)
        .service_action_id(action_id)
        .execute_token(token)
        .set_accept_language(language.map(str::to_owned))
        .set_parameters((!parameters.is_empty()).then(|| {
            parameters
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(account, "ExecuteProvisionedProductServiceAction", e))?;
    Ok(executed
        .record_detail()
        .map(Record::from)
        .unwrap_or(Record {
            id: String::new(),
            status: String::new(),
            record_type: String::new(),
            created: 0,
            errors: Vec::new(),
        }))
}

/// Whether a service action of that id exists in the account and region
/// (DescribeServiceAction), associated with a product or not.
pub async fn service_action_exists(
    client: &Client,
    account: &AccountId,
    id: &str,
) -> Result<bool, AwsError> {
    match client.describe_service_action().id(id).send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let e = AwsError::from_sdk(account, "DescribeServiceAction", e);
            if e.kind == ErrorKind::NotFound {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// A record as it is now (DescribeRecord).
pub async fn describe_record(
    client: &Client,
    account: &AccountId,
    id: &str,
) -> Result<Option<Record>, AwsError> {
    let described = client
        .describe_record()
        .id(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(account, "DescribeRecord", e))?;
    Ok(described.record_detail().map(Record::from))
}

/// The provisioned product's records created at or after `since` (seconds
/// since the epoch), newest first (ListRecordHistory).
pub async fn records_since(
    client: &Client,
    account: &AccountId,
    product_id: &str,
    since: i64,
) -> Result<Vec<Record>, AwsError> {
    // ListRecordHistory has no paginator in the SDK: follow NextPageToken.
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_record_history()
            .search_filter(
                ListRecordHistorySearchFilter::builder()
                    .key("provisionedproduct")
                    .value(product_id)
                    .build(),
            )
            .page_size(20)
            .set_page_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(account, "ListRecordHistory", e))?;
        out.extend(
            page.record_details()
                .iter()
                .map(Record::from)
                .filter(|r| r.created >= since),
        );
        match page.next_page_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_owned()),
            _ => break,
        }
    }
    Ok(out)
}
