//! What budgetctl-local remembers, per account, and how it is saved.
//!
//! Budgets are kept in their AWS JSON form, normalised when written
//! (defaults filled in, amounts as plain decimals) so that responses only
//! need the read-time quirks of `render`. The whole store is saved as one
//! JSON file, written to a temporary file and renamed over the old one so a
//! crash never leaves half a file.

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
    #[serde(default)]
    pub spend: SpendSeed,
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Store::default()),
            Err(source) => {
                return Err(StateError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let store: Store = serde_json::from_str(&text).map_err(|source| StateError::Corrupt {
            path: path.to_owned(),
            source,
        })?;
        store
            .check()
            .map_err(|(entry, problem)| StateError::Invalid {
                path: path.to_owned(),
                entry,
                problem,
            })?;
        Ok(store)
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
        Ok(())
    }

    /// Save atomically: write a temporary file beside the target, then rename.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let write_err = |source| StateError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let bytes = serde_json::to_vec(self).map_err(|e| write_err(std::io::Error::other(e)))?;
        std::fs::write(&tmp, bytes).map_err(write_err)?;
        std::fs::rename(&tmp, path).map_err(write_err)
    }
}
