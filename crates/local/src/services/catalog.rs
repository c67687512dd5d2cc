//! AWS Service Catalog, the part `budgetctl respond` needs: provisioned
//! products (seeded through `POST /_local/provisioned-products`), service
//! actions and their associations with provisioning artifacts, and
//! ExecuteProvisionedProductServiceAction with the records it makes.
//!
//! Service Catalog has no AccountId parameter: the caller's credentials
//! decide the account (a session from budgetctl-local's AssumeRole acts in
//! the role's account, other credentials in the default one), and the
//! region is the one the request is signed for. A record goes CREATED →
//! IN_PROGRESS → its outcome (SUCCEEDED, or what `POST /_local/records`
//! set) over `Faults::record_ms`; the product is UNDER_CHANGE meanwhile, so
//! another execution is InvalidStateException. An ExecuteToken is
//! idempotent: the same token returns the same record, and the same token
//! with other parameters is InvalidParametersException.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorKind};
use crate::render;
use crate::services::Service;
use crate::store::{CatalogRegion, Store, StoredRecord};

type Result<T> = std::result::Result<T, ApiError>;

/// Who calls and where: the account the credentials act in, the region
/// the request is signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub region: String,
}

impl Caller {
    fn key(&self) -> String {
        format!("{}/{}", self.account, self.region)
    }
}

/// A provisioned product to seed (`POST /_local/provisioned-products`):
/// DescribeProvisionedProduct's ProvisionedProductDetail, and where it lives.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ProvisionedProductRequest {
    pub account_id: String,
    pub region: String,
    pub id: String,
    pub name: String,
    pub product_id: String,
    pub provisioning_artifact_id: String,
    #[serde(default = "available")]
    pub status: String,
    #[serde(default = "cloudformation", rename = "Type")]
    pub product_type: String,
}

fn available() -> String {
    "AVAILABLE".into()
}

fn cloudformation() -> String {
    "CFN_STACK".into()
}

/// How a record ends (`POST /_local/records`): its status (SUCCEEDED,
/// FAILED or IN_PROGRESS_IN_ERROR) and RecordErrors
/// (`[{"Code": "…", "Description": "…"}]`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RecordOutcomeRequest {
    pub record_id: String,
    pub status: String,
    #[serde(default)]
    pub errors: Vec<Value>,
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn not_found(what: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::ResourceNotFound, what)
}

fn invalid(what: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::InvalidParameters, what)
}

/// A Service Catalog id: a prefix and 13 characters (`pp-…`, `act-…`, `rec-…`).
fn new_id(prefix: &str) -> String {
    use rand::{Rng, SeedableRng};
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::StdRng::from_os_rng();
    let tail: String = (0..13)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    format!("{prefix}-{tail}")
}

/// The record as DescribeRecord shows it now: its status follows the clock.
fn record_now(r: &StoredRecord, now: f64) -> Value {
    let mut detail = r.detail.clone();
    let (status, updated) = if now >= r.settles {
        (r.outcome.as_str(), r.settles)
    } else if now >= r.started {
        ("IN_PROGRESS", r.started)
    } else {
        ("CREATED", detail["CreatedTime"].as_f64().unwrap_or(now))
    };
    detail["Status"] = json!(status);
    detail["UpdatedTime"] = json!(updated);
    if now >= r.settles && !r.errors.is_empty() {
        detail["RecordErrors"] = json!(r.errors);
    }
    detail
}

fn busy(r: &StoredRecord, now: f64) -> bool {
    now < r.settles
}

impl Service {
    /// Seed a provisioned product.
    pub fn seed_provisioned_product(&self, p: &ProvisionedProductRequest) -> Result<()> {
        let ok_id = |id: &str, prefix: &str| {
            id.strip_prefix(prefix)
                .is_some_and(|t| !t.is_empty() && t.len() <= 50)
        };
        if !ok_id(&p.id, "pp-")
            || !ok_id(&p.product_id, "prod-")
            || !ok_id(&p.provisioning_artifact_id, "pa-")
        {
            return Err(invalid(
                "Id, ProductId and ProvisioningArtifactId are pp-…, prod-… and pa-… ids",
            ));
        }
        let caller = Caller {
            account: p.account_id.clone(),
            region: p.region.clone(),
        };
        self.write_store(|store| {
            let region = region_mut(store, &caller);
            if region
                .provisioned_products
                .values()
                .any(|pp| pp["Name"] == p.name.as_str() && pp["Id"] != p.id.as_str())
            {
                return Err(ApiError::new(
                    ErrorKind::DuplicateResource,
                    format!("A provisioned product named {} exists", p.name),
                ));
            }
            region.provisioned_products.insert(
                p.id.clone(),
                json!({
                    "Name": p.name,
                    "Arn": format!("arn:aws:servicecatalog:{}:{}:stack/{}/{}", p.region, p.account_id, p.name, p.id),
                    "Type": p.product_type,
                    "Id": p.id,
                    "Status": p.status,
                    "CreatedTime": render::now(),
                    "IdempotencyToken": p.id,
                    "LastRecordId": "",
                    "LastProvisioningRecordId": "",
                    "LastSuccessfulProvisioningRecordId": "",
                    "ProductId": p.product_id,
                    "ProvisioningArtifactId": p.provisioning_artifact_id,
                }),
            );
            Ok(())
        })
    }

    /// Decide how a record ends.
    pub fn set_record_outcome(&self, r: &RecordOutcomeRequest) -> Result<()> {
        if !matches!(
            r.status.as_str(),
            "SUCCEEDED" | "FAILED" | "IN_PROGRESS_IN_ERROR"
        ) {
            return Err(invalid(
                "Status is SUCCEEDED, FAILED or IN_PROGRESS_IN_ERROR",
            ));
        }
        self.write_store(|store| {
            let record = store
                .catalog
                .values_mut()
                .find_map(|c| c.records.get_mut(&r.record_id))
                .ok_or_else(|| not_found(format!("Record {} not found", r.record_id)))?;
            record.outcome.clone_from(&r.status);
            record.errors.clone_from(&r.errors);
            Ok(())
        })
    }

    /// Run one Service Catalog operation for `caller`.
    pub fn catalog_call(&self, operation: &str, input: &Value, caller: &Caller) -> Result<Value> {
        crate::shapes::SERVICE_CATALOG
            .validate(operation, input)
            .map_err(|e| invalid(e.message))?;
        self.check_catalog_access(operation, &caller.account, &caller.region)?;
        match operation {
            "ExecuteProvisionedProductServiceAction" => self.execute_service_action(input, caller),
            "DescribeRecord" => self.read_store(|store| describe_record(store, input, caller)),
            "ListRecordHistory" => {
                self.read_store(|store| list_record_history(store, input, caller))
            }
            "DescribeProvisionedProduct" => {
                self.read_store(|store| describe_provisioned_product(store, input, caller))
            }
            "SearchProvisionedProducts" => {
                self.read_store(|store| search_provisioned_products(store, input, caller))
            }
            "CreateServiceAction" => self.create_service_action(input, caller),
            "DescribeServiceAction" => self.read_store(|store| {
                let region = region_of(store, caller);
                let id = s(&input["Id"]);
                region
                    .and_then(|r| r.service_actions.get(id))
                    .map(|a| json!({ "ServiceActionDetail": a }))
                    .ok_or_else(|| not_found(format!("Service action {id} not found")))
            }),
            "AssociateServiceActionWithProvisioningArtifact" => self.associate(input, caller),
            "ListServiceActionsForProvisioningArtifact" => {
                self.read_store(|store| list_service_actions(store, input, caller))
            }
            _ => Err(ApiError::new(
                ErrorKind::UnknownOperation,
                format!("budgetctl-local does not answer Service Catalog's {operation}"),
            )),
        }
    }

    fn create_service_action(&self, input: &Value, caller: &Caller) -> Result<Value> {
        let token = s(&input["IdempotencyToken"]).to_owned();
        self.write_store(|store| {
            let region = region_mut(store, caller);
            if let Some(id) = region.action_tokens.get(&token) {
                return Ok(json!({ "ServiceActionDetail": region.service_actions[id] }));
            }
            let id = new_id("act");
            let detail = json!({
                "ServiceActionSummary": {
                    "Id": id,
                    "Name": input["Name"],
                    "Description": input["Description"].as_str().unwrap_or(""),
                    "DefinitionType": input["DefinitionType"],
                },
                "Definition": input["Definition"],
            });
            region.service_actions.insert(id.clone(), detail.clone());
            region.action_tokens.insert(token.clone(), id);
            Ok(json!({ "ServiceActionDetail": detail }))
        })
    }

    fn associate(&self, input: &Value, caller: &Caller) -> Result<Value> {
        let (product, artifact, action) = (
            s(&input["ProductId"]).to_owned(),
            s(&input["ProvisioningArtifactId"]).to_owned(),
            s(&input["ServiceActionId"]).to_owned(),
        );
        self.write_store(|store| {
            let region = region_mut(store, caller);
            if !region.service_actions.contains_key(&action) {
                return Err(not_found(format!("Service action {action} not found")));
            }
            let known = region.provisioned_products.values().any(|pp| {
                pp["ProductId"] == product.as_str()
                    && pp["ProvisioningArtifactId"] == artifact.as_str()
            });
            if !known {
                return Err(not_found(format!(
                    "Provisioning artifact {artifact} of product {product} not found"
                )));
            }
            let key = (product, artifact, action);
            if region.associations.contains(&key) {
                return Err(ApiError::new(
                    ErrorKind::DuplicateResource,
                    format!(
                        "Service action {} is already associated with provisioning artifact {}",
                        key.2, key.1
                    ),
                ));
            }
            region.associations.push(key);
            Ok(json!({}))
        })
    }

    fn execute_service_action(&self, input: &Value, caller: &Caller) -> Result<Value> {
        let token = s(&input["ExecuteToken"]).to_owned();
        let request = json!({
            "ProvisionedProductId": input["ProvisionedProductId"],
            "ServiceActionId": input["ServiceActionId"],
            "Parameters": input["Parameters"],
        });
        let faults = self.faults();
        let delay = faults.record_ms as f64 / 1000.0;
        let (outcome, errors) = if faults.record_fails {
            (
                "FAILED",
                vec![json!({
                    "Code": "AUTOMATION_FAILED",
                    "Description": "The service action's SSM document failed (record_fails fault)",
                })],
            )
        } else {
            ("SUCCEEDED", Vec::new())
        };
        self.write_store(|store| {
            let now = render::now();
            let region = region_mut(store, caller);
            if let Some(id) = region.execute_tokens.get(&token) {
                let r = &region.records[id];
                if r.request != request {
                    return Err(invalid(format!(
                        "ExecuteToken {token} was used with other parameters"
                    )));
                }
                return Ok(json!({ "RecordDetail": record_now(r, now) }));
            }
            let pp_id = s(&input["ProvisionedProductId"]);
            let pp = region
                .provisioned_products
                .get(pp_id)
                .cloned()
                .ok_or_else(|| not_found(format!("Provisioned product {pp_id} not found")))?;
            let action = s(&input["ServiceActionId"]);
            if !region.service_actions.contains_key(action) {
                return Err(not_found(format!("Service action {action} not found")));
            }
            let associated = region.associations.iter().any(|(p, a, x)| {
                pp["ProductId"] == p.as_str() && pp["ProvisioningArtifactId"] == a.as_str() && x == action
            });
            if !associated {
                return Err(invalid(format!(
                    "Service action {action} is not associated with the provisioning artifact of {pp_id}"
                )));
            }
            let in_flight = region.records.values().any(|r| {
                r.detail["ProvisionedProductId"] == pp_id && busy(r, now)
            });
            if pp["Status"] != "AVAILABLE" || in_flight {
                let status = if in_flight { "UNDER_CHANGE" } else { s(&pp["Status"]) };
                return Err(ApiError::new(
                    ErrorKind::InvalidState,
                    format!("Provisioned product {pp_id} is {status}; try again when it is AVAILABLE"),
                ));
            }
            let id = new_id("rec");
            let detail = json!({
                "RecordId": id,
                "ProvisionedProductName": pp["Name"],
                "Status": "CREATED",
                "CreatedTime": now,
                "UpdatedTime": now,
                "ProvisionedProductType": pp["Type"],
                "RecordType": "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION",
                "ProvisionedProductId": pp_id,
                "ProductId": pp["ProductId"],
                "ProvisioningArtifactId": pp["ProvisioningArtifactId"],
                "PathId": "",
                "RecordErrors": [],
                "RecordTags": [],
                "LaunchRoleArn": "",
            });
            let record = StoredRecord {
                detail,
                request,
                started: now + delay / 2.0,
                settles: now + delay,
                outcome: outcome.into(),
                errors,
            };
            let shown = record_now(&record, now);
            region.records.insert(id.clone(), record);
            region.execute_tokens.insert(token, id.clone());
            if let Some(pp) = region.provisioned_products.get_mut(pp_id) {
                pp["LastRecordId"] = json!(id);
            }
            Ok(json!({ "RecordDetail": shown }))
        })
    }

    fn read_store<R>(&self, f: impl FnOnce(&Store) -> Result<R>) -> Result<R> {
        self.with_store(|store| f(store))
    }
}

fn region_of<'s>(store: &'s Store, caller: &Caller) -> Option<&'s CatalogRegion> {
    store.catalog.get(&caller.key())
}

fn region_mut<'s>(store: &'s mut Store, caller: &Caller) -> &'s mut CatalogRegion {
    store.catalog.entry(caller.key()).or_default()
}

fn describe_record(store: &Store, input: &Value, caller: &Caller) -> Result<Value> {
    let id = s(&input["Id"]);
    let record = region_of(store, caller)
        .and_then(|r| r.records.get(id))
        .ok_or_else(|| not_found(format!("Record {id} not found")))?;
    Ok(json!({ "RecordDetail": record_now(record, render::now()), "RecordOutputs": [] }))
}

/// Newest first, optionally for one provisioned product
/// (`SearchFilter: {Key: provisionedproduct, Value: pp-…}`), paged by
/// PageSize (default 20) and an opaque PageToken.
fn list_record_history(store: &Store, input: &Value, caller: &Caller) -> Result<Value> {
    let now = render::now();
    let filter = &input["SearchFilter"];
    let only = match s(&filter["Key"]) {
        "" => None,
        "provisionedproduct" => Some(s(&filter["Value"])),
        other => {
            return Err(invalid(format!(
                "SearchFilter key {other} is not supported: use provisionedproduct"
            )));
        }
    };
    let mut records: Vec<Value> = region_of(store, caller)
        .map(|r| {
            r.records
                .values()
                .filter(|r| only.is_none_or(|pp| r.detail["ProvisionedProductId"] == pp))
                .map(|r| record_now(r, now))
                .collect()
        })
        .unwrap_or_default();
    records.sort_by(|a, b| {
        b["CreatedTime"]
            .as_f64()
            .unwrap_or(0.0)
            .total_cmp(&a["CreatedTime"].as_f64().unwrap_or(0.0))
    });
    let (page, next) = paged(records, input)?;
    Ok(with_page_token(json!({ "RecordDetails": page }), next))
}

fn paged(items: Vec<Value>, input: &Value) -> Result<(Vec<Value>, Option<String>)> {
    let size = input["PageSize"].as_u64().unwrap_or(20).max(1) as usize;
    let start = match input["PageToken"].as_str() {
        None | Some("") => 0,
        Some(t) => t
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| invalid(format!("PageToken {t} is not one this service gave")))?,
    };
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| format!("page-{end}"));
    Ok((items[start..end].to_vec(), next))
}

fn with_page_token(mut v: Value, next: Option<String>) -> Value {
    if let Some(next) = next {
        v["NextPageToken"] = json!(next);
    }
    v
}

fn describe_provisioned_product(store: &Store, input: &Value, caller: &Caller) -> Result<Value> {
    let (id, name) = (input["Id"].as_str(), input["Name"].as_str());
    if id.is_some() == name.is_some() {
        return Err(invalid("Give exactly one of Id and Name"));
    }
    let found = region_of(store, caller).and_then(|r| {
        r.provisioned_products.values().find(|pp| match (id, name) {
            (Some(id), _) => pp["Id"] == id,
            (_, Some(name)) => pp["Name"] == name,
            _ => false,
        })
    });
    let detail = found.ok_or_else(|| {
        not_found(format!(
            "Provisioned product {} not found",
            id.or(name).unwrap_or_default()
        ))
    })?;
    Ok(json!({ "ProvisionedProductDetail": detail, "CloudWatchDashboards": [] }))
}

/// Every provisioned product of the caller's account and region, or those
/// whose name or id a `Filters: {SearchQuery: [...]}` term names.
fn search_provisioned_products(store: &Store, input: &Value, caller: &Caller) -> Result<Value> {
    let terms: Vec<&str> = input["Filters"]["SearchQuery"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let products: Vec<Value> = region_of(store, caller)
        .map(|r| {
            r.provisioned_products
                .values()
                .filter(|pp| {
                    terms.is_empty()
                        || terms.iter().any(|t| {
                            let t = t.split_once(':').map_or(*t, |(_, v)| v);
                            pp["Name"] == t || pp["Id"] == t
                        })
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let total = products.len();
    let (page, next) = paged(products, input)?;
    Ok(with_page_token(
        json!({ "ProvisionedProducts": page, "TotalResultsCount": total }),
        next,
    ))
}

fn list_service_actions(store: &Store, input: &Value, caller: &Caller) -> Result<Value> {
    let (product, artifact) = (s(&input["ProductId"]), s(&input["ProvisioningArtifactId"]));
    let region = region_of(store, caller);
    let known = region.is_some_and(|r| {
        r.provisioned_products
            .values()
            .any(|pp| pp["ProductId"] == product && pp["ProvisioningArtifactId"] == artifact)
    });
    if !known {
        return Err(not_found(format!(
            "Provisioning artifact {artifact} of product {product} not found"
        )));
    }
    let summaries: Vec<Value> = region
        .map(|r| {
            r.associations
                .iter()
                .filter(|(p, a, _)| p == product && a == artifact)
                .filter_map(|(_, _, x)| r.service_actions.get(x))
                .map(|d| d["ServiceActionSummary"].clone())
                .collect()
        })
        .unwrap_or_default();
    let (page, next) = paged(summaries, input)?;
    Ok(with_page_token(
        json!({ "ServiceActionSummaries": page }),
        next,
    ))
}
