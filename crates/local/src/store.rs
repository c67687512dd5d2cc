//! What budgetctl-local remembers, per account, and how it is saved.
//!
//! Budgets are kept in their AWS JSON form, normalised when written
//! (defaults filled in, amounts as plain decimals) so that responses only
//! need the read-time quirks of `render`. On disk the state is a snapshot
//! (`local.json`, written to a temporary file, flushed and renamed over the
//! old one, so a crash never leaves half a file) and a log beside it
//! (`local.json.log`): one JSON line per changed budget, its whole new state,
//! appended and flushed before a change is acknowledged. Loading replays the
//! log over the snapshot; a snapshot empties the log. So a save costs what
//! changed, not the whole state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Store {
    /// Format version of the state file.
    #[serde(default = "version")]
    pub version: u32,
    pub accounts: BTreeMap<String, Account>,
    /// Service Catalog, per `ACCOUNT/REGION` (it is regional).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub catalog: BTreeMap<String, CatalogRegion>,
    /// The organisation Organizations answers about (seeded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationRequest>,
    /// SNS topics by ARN, with their attributes (`Policy` among them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub topics: BTreeMap<String, BTreeMap<String, String>>,
}

/// One account's Service Catalog in one region: provisioned products (seeded:
/// provisioning them for real needs CloudFormation), service actions and
/// their associations, and the records of executions.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct CatalogRegion {
    /// ProvisionedProductDetail by id.
    #[serde(default)]
    pub provisioned_products: BTreeMap<String, Value>,
    /// ServiceActionDetail by id.
    #[serde(default)]
    pub service_actions: BTreeMap<String, Value>,
    /// (ProductId, ProvisioningArtifactId, ServiceActionId).
    #[serde(default)]
    pub associations: Vec<(String, String, String)>,
    /// Records by id, in the order made.
    #[serde(default)]
    pub records: BTreeMap<String, StoredRecord>,
    /// IdempotencyToken of CreateServiceAction → the action's id.
    #[serde(default)]
    pub action_tokens: BTreeMap<String, String>,
    /// ExecuteToken → the record it made.
    #[serde(default)]
    pub execute_tokens: BTreeMap<String, String>,
}

/// A record and how it ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRecord {
    /// RecordDetail as of creation (Status CREATED).
    pub detail: Value,
    /// What the execute asked for (ServiceActionId, Parameters), to tell a
    /// reused ExecuteToken with other parameters.
    pub request: Value,
    /// Seconds since the epoch: IN_PROGRESS from `started`, settled from `settles`.
    pub started: f64,
    pub settles: f64,
    /// The status it ends in (SUCCEEDED unless set), and its RecordErrors.
    pub outcome: String,
    #[serde(default)]
    pub errors: Vec<Value>,
}

fn version() -> u32 {
    1
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Account {
    /// Budgets by name; sorted, which is the order Describe calls page through.
    pub budgets: BTreeMap<String, StoredBudget>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredBudget {
    /// The Budget shape, normalised, without CalculatedSpend.
    pub budget: Value,
    pub notifications: Vec<StoredNotification>,
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub actions: Vec<StoredAction>,
    /// Deleted actions, whose histories (ending in DELETE_ACTION) can still be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_actions: Vec<StoredAction>,
    #[serde(default)]
    pub spend: SpendSeed,
    /// HealthStatus as seeded (`/_local/spend`): `{Status, StatusReason}`,
    /// returned with LastUpdatedTime as AWS returns it; none until seeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Value>,
    /// Seeded past periods, for DescribeBudgetPerformanceHistory.
    #[serde(default)]
    pub history: Vec<PeriodSpend>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredNotification {
    /// NotificationType, ComparisonOperator, Threshold and ThresholdType (always set here).
    pub notification: Value,
    pub subscribers: Vec<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredAction {
    pub action: Value,
    pub history: Vec<Value>,
    /// Its resource tags (CreateBudgetAction's ResourceTags, TagResource).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// An execution still in progress, and the status it ends in.
    #[serde(default)]
    pub settles: Option<Settle>,
}

/// The end of an in-progress execution step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settle {
    /// Seconds since the epoch when the step finishes.
    pub at: f64,
    pub status: String,
    pub message: String,
}

/// Spend of the current period, as tests seed it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SpendSeed {
    pub actual: Option<String>,
    pub forecasted: Option<String>,
}

/// One past period: what was budgeted and what was spent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeriodSpend {
    pub start: f64,
    pub end: f64,
    pub budgeted: String,
    pub actual: String,
}

/// One line of the log: a budget's whole state after a change, or `None`
/// once it is deleted. Replaying a line twice changes nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogRecord {
    pub account: String,
    pub name: String,
    pub budget: Option<StoredBudget>,
}

/// The log beside a state file (`local.json` → `local.json.log`).
pub fn log_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".log");
    PathBuf::from(name)
}

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "state file {path} is not a budgetctl-local state file ({source}); it was left untouched: move it away or pass another --state"
    )]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "state file {path} holds {entry}, which {problem}; it was left untouched: fix or remove that entry, move the file away, or pass another --state"
    )]
    Invalid {
        path: PathBuf,
        entry: String,
        problem: String,
    },
    #[error("cannot write state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Store {
    /// Load a state file; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Store, StateError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut store = Store::default();
                store.replay(&log_path(path))?;
                return Ok(store);
            }
            Err(source) => {
                return Err(StateError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let mut store: Store =
            serde_json::from_str(&text).map_err(|source| StateError::Corrupt {
                path: path.to_owned(),
                source,
            })?;
        store.replay(&log_path(path))?;
        store
            .check()
            .map_err(|(entry, problem)| StateError::Invalid {
                path: path.to_owned(),
                entry,
                problem,
            })?;
        Ok(store)
    }

    /// Apply the log's records in order. A last line without its newline is
    /// a write that never finished (and so was never acknowledged): it is
    /// left out; any other line that does not read is a corrupt log.
    fn replay(&mut self, log: &Path) -> Result<(), StateError> {
        let text = match std::fs::read_to_string(log) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(StateError::Read {
                    path: log.to_owned(),
                    source,
                });
            }
        };
        let complete = text.rfind('\n').map_or("", |end| &text[..=end]);
        for line in complete.lines().filter(|l| !l.trim().is_empty()) {
            let record: LogRecord =
                serde_json::from_str(line).map_err(|source| StateError::Corrupt {
                    path: log.to_owned(),
                    source,
                })?;
            self.apply(record);
        }
        Ok(())
    }

    /// One log record, applied.
    pub fn apply(&mut self, record: LogRecord) {
        match record.budget {
            Some(b) => {
                self.accounts
                    .entry(record.account)
                    .or_default()
                    .budgets
                    .insert(record.name, b);
            }
            None => {
                if let Some(a) = self.accounts.get_mut(&record.account) {
                    a.budgets.remove(&record.name);
                }
            }
        }
    }

    /// Append records to the log beside `path` and flush them to the disk.
    pub fn append_log(path: &Path, records: &[LogRecord]) -> Result<(), StateError> {
        use std::io::Write as _;
        let log = log_path(path);
        let write_err = |source| StateError::Write {
            path: log.clone(),
            source,
        };
        let mut lines = Vec::new();
        for r in records {
            serde_json::to_writer(&mut lines, r)
                .map_err(|e| write_err(std::io::Error::other(e)))?;
            lines.push(b'\n');
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(write_err)?;
        file.write_all(&lines).map_err(write_err)?;
        file.sync_data().map_err(write_err)
    }

    /// Every entry in the shape the service reads: the entry's path and
    /// what is wrong with it otherwise. A state file is JSON anyone can edit;
    /// the service must never meet a budget that is not an object.
    pub fn check(&self) -> Result<(), (String, String)> {
        fn object<'v>(
            v: &'v Value,
            entry: &str,
            strings: &[&str],
        ) -> Result<&'v serde_json::Map<String, Value>, (String, String)> {
            let Some(obj) = v.as_object() else {
                return Err((entry.to_owned(), format!("is {v}, not a JSON object")));
            };
            for key in strings {
                if !obj.get(*key).is_some_and(Value::is_string) {
                    return Err((
                        format!("{entry}.{key}"),
                        "is missing or not a string".into(),
                    ));
                }
            }
            Ok(obj)
        }
        for (id, account) in &self.accounts {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err((
                    format!("accounts.{id}"),
                    "is not a 12-digit account id".into(),
                ));
            }
            for (name, b) in &account.budgets {
                let at = format!("accounts.{id}.budgets.{name}");
                let budget = object(
                    &b.budget,
                    &format!("{at}.budget"),
                    &["BudgetName", "BudgetType", "TimeUnit"],
                )?;
                if budget.get("BudgetName").and_then(Value::as_str) != Some(name.as_str()) {
                    return Err((
                        format!("{at}.budget.BudgetName"),
                        format!("is not {name:?}, the name it is stored under"),
                    ));
                }
                for (i, n) in b.notifications.iter().enumerate() {
                    let at = format!("{at}.notifications[{i}]");
                    let notification = object(
                        &n.notification,
                        &format!("{at}.notification"),
                        &["NotificationType", "ComparisonOperator"],
                    )?;
                    if !notification.get("Threshold").is_some_and(Value::is_number) {
                        return Err((
                            format!("{at}.notification.Threshold"),
                            "is missing or not a number".into(),
                        ));
                    }
                    for (j, sub) in n.subscribers.iter().enumerate() {
                        object(
                            sub,
                            &format!("{at}.subscribers[{j}]"),
                            &["SubscriptionType", "Address"],
                        )?;
                    }
                }
                for (i, a) in b.actions.iter().enumerate() {
                    object(
                        &a.action,
                        &format!("{at}.actions[{i}].action"),
                        &["ActionId"],
                    )?;
                }
            }
        }
        // An organisation is checked as the control checks a seeded one: a
        // cycle of OUs or a root id too short to name would otherwise hang
        // a recursive walk or panic the service. The management account
        // defaults at run time; any twelve digits stand for it here.
        if let Some(org) = &self.organization {
            org.check("000000000000")
                .map_err(|e| ("organization".to_owned(), e.message))?;
        }
        Ok(())
    }

    /// Save durably and atomically: write a temporary file beside the
    /// target and flush it to the disk, rename it over the target, and flush
    /// the directory, so that once this returns the state survives a crash
    /// or a power cut, and a crash midway leaves the old file whole.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        use std::io::Write as _;
        let write_err = |source| StateError::Write {
            path: path.to_owned(),
            source,
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(write_err)?;
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let bytes = serde_json::to_vec(self).map_err(|e| write_err(std::io::Error::other(e)))?;
        let mut file = std::fs::File::create(&tmp).map_err(write_err)?;
        file.write_all(&bytes).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(write_err)?;
        // The rename itself is durable once the directory is.
        #[cfg(unix)]
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(write_err)?;
        // Everything the log held is in the snapshot now.
        let log = log_path(path);
        match std::fs::OpenOptions::new().write(true).open(&log) {
            Ok(file) => file
                .set_len(0)
                .and_then(|()| file.sync_all())
                .map_err(|source| StateError::Write { path: log, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StateError::Write { path: log, source }),
        }
    }
}

/// The organisation Organizations answers about, as seeded (`POST
/// /_local/organization`) and as the state file keeps it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OrganizationRequest {
    /// The management account, the one account Organizations answers
    /// (default: budgetctl-local's own account, 000000000000's base).
    #[serde(default)]
    pub management_account_id: Option<String>,
    /// The root, `r-` and 4 to 32 lowercase letters or digits.
    pub root_id: String,
    #[serde(default)]
    pub organizational_units: Vec<OuSeed>,
    #[serde(default)]
    pub accounts: Vec<AccountSeed>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct OuSeed {
    pub id: String,
    pub parent_id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AccountSeed {
    pub id: String,
    pub parent_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default = "active")]
    pub state: String,
}

fn active() -> String {
    "ACTIVE".into()
}
