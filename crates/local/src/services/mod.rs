//! The services budgetctl-local answers: AWS Budgets, the part of AWS
//! Service Catalog that `budgetctl respond` needs, the part of AWS
//! Organizations that groups of accounts are read from, and the STS calls
//! that per-account roles and Terraform's provider need.

mod access;
pub mod budgets;
pub mod catalog;
pub mod organizations;
pub mod sns;
pub mod sts;

// The emulator itself, shared by the services: the store, counters, fault
// injection and STS sessions. Each service adds its operations to it
// (`impl Service` in its module); Budgets' dispatch is `budgets::call`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::store::{LogRecord, Store};
use budgets::DEFAULT_PARTITION;

/// Fault injection: probabilities per request, added latency, and a seed so
/// that a run repeats.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct Faults {
    /// Probability (0..=1) of answering ThrottlingException.
    #[serde(default)]
    pub throttle: f64,
    /// Probability (0..=1) of answering HTTP 500 InternalErrorException.
    #[serde(default)]
    pub error: f64,
    /// Probability (0..=1) of carrying a request out and then answering HTTP
    /// 500 all the same, as when a response is lost after the service acted:
    /// the ambiguous outcome a client must resolve by reading, not by
    /// repeating a create.
    #[serde(default)]
    pub lost: f64,
    /// Milliseconds added to every AWS-protocol request.
    #[serde(default)]
    pub latency_ms: u64,
    /// With it, each request's latency is drawn uniformly from
    /// `latency_ms..=latency_max_ms`, as real round trips vary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_max_ms: Option<u64>,
    /// Requests per second each account may make before ThrottlingException
    /// (a token bucket per account, as large as one second's worth); 0: no
    /// limit. AWS documents no figure for Budgets (its ThrottlingException
    /// says only "the maximum allowed API request throttling limit for the
    /// account"), so it is configurable; `local serve --rate-limit` takes 5
    /// by default, a conservative guess.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub account_rps: u32,
    /// Milliseconds an executed budget action stays `*_IN_PROGRESS` (0: it
    /// finishes within the ExecuteBudgetAction call).
    #[serde(default)]
    pub action_ms: u64,
    /// Executed budget actions end in their step's failure status
    /// (EXECUTION_FAILURE, REVERSE_FAILURE, RESET_FAILURE), for retry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub action_fails: bool,
    /// Accounts whose every call is AccessDeniedException, as for a caller
    /// without the IAM permission.
    #[serde(default)]
    pub deny_accounts: Vec<String>,
    /// How long pagination tokens stay valid, in ms (default one hour);
    /// older ones are ExpiredNextTokenException.
    #[serde(default)]
    pub token_ttl_ms: Option<u64>,
    /// Milliseconds a Service Catalog record takes from CREATED (half of it
    /// IN_PROGRESS) to its outcome (0: settled when first described).
    #[serde(default)]
    pub record_ms: u64,
    /// Service Catalog records end FAILED, with a RecordError, unless
    /// `POST /_local/records` says otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub record_fails: bool,
    /// Operations the faults above apply to (empty: every operation), so a
    /// test can lose the answer of one write while its read-back goes through.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<String>,
    #[serde(default)]
    pub seed: u64,
}

/// What a fault draw decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttle,
    InternalError,
    /// Carry the request out, then answer InternalError.
    Lost,
}

struct FaultState {
    faults: Faults,
    rng: StdRng,
    /// Each account's token bucket: tokens left, and when last filled.
    buckets: HashMap<String, (f64, std::time::Instant)>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// budgetctl-local's behaviour: the store, counters and fault injection.
pub struct Service {
    store: Mutex<Store>,
    counts: Mutex<BTreeMap<String, u64>>,
    /// Operations carried out (the service acted), per operation.
    applied: Mutex<BTreeMap<String, u64>>,
    faults: Mutex<FaultState>,
    /// Keys the hash that signs pagination tokens, so forged ones are refused.
    token_key: std::hash::RandomState,
    /// Changes made so far; the server saves up to a generation.
    generation: AtomicU64,
    /// Requests answered ThrottlingException by the per-account rate limit.
    throttled: AtomicU64,
    /// Budgets changed since the last `take_changes`, or everything.
    changed: Mutex<Changed>,
    /// Credentials issued by STS AssumeRole, and who called which account.
    sessions: crate::services::sts::Sessions,
    /// The partition served (`aws`, `aws-cn`, …): budget ARNs of another are refused.
    partition: String,
}

type Result<T> = std::result::Result<T, ApiError>;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

impl Service {
    pub fn new(store: Store) -> Self {
        Service {
            store: Mutex::new(store),
            counts: Mutex::new(BTreeMap::new()),
            applied: Mutex::new(BTreeMap::new()),
            faults: Mutex::new(FaultState {
                faults: Faults::default(),
                rng: StdRng::seed_from_u64(0),
                buckets: HashMap::new(),
            }),
            token_key: std::hash::RandomState::new(),
            sessions: crate::services::sts::Sessions::default(),
            generation: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            changed: Mutex::new(Changed::default()),
            partition: DEFAULT_PARTITION.to_owned(),
        }
    }

    /// The same service, answering for `partition` (`aws-cn` for China).
    pub fn in_partition(mut self, partition: &str) -> Self {
        partition.clone_into(&mut self.partition);
        self
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the state.
    pub fn snapshot(&self) -> Store {
        self.lock().clone()
    }

    /// What changed since the last call, for saving, and the generation it
    /// covers: read under the store's lock, and a change counts only once it
    /// is in the store (`mark` and `touch` follow it).
    pub fn take_changes(&self) -> (Changes, u64) {
        let store = self.lock();
        let generation = self.generation.load(Ordering::Acquire);
        let changed = std::mem::take(&mut *self.changed.lock().unwrap_or_else(|e| e.into_inner()));
        let changes = if changed.everything {
            Changes::Full(store.clone())
        } else {
            Changes::Records(
                changed
                    .budgets
                    .into_iter()
                    .map(|(account, name)| {
                        let budget = store
                            .accounts
                            .get(&account)
                            .and_then(|a| a.budgets.get(&name))
                            .cloned();
                        LogRecord {
                            account,
                            name,
                            budget,
                        }
                    })
                    .collect(),
            )
        };
        (changes, generation)
    }

    /// How many budgets the state holds.
    pub fn budget_count(&self) -> usize {
        self.lock().accounts.values().map(|a| a.budgets.len()).sum()
    }

    /// After a failed save: the next one writes the whole state.
    pub fn mark_everything(&self) {
        self.mark(None);
    }

    /// Record that a budget changed (`None`: anything may have).
    fn mark(&self, budget: Option<(String, String)>) {
        let mut changed = self.changed.lock().unwrap_or_else(|e| e.into_inner());
        match budget {
            Some(key) => {
                changed.budgets.insert(key);
            }
            None => changed.everything = true,
        }
    }

    /// How many changes the state has seen; grows with every change.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn touch(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Count one request of `operation` (every request received, faulted or not).
    pub fn count(&self, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(operation.to_owned()).or_default() += 1;
    }

    /// Requests received per operation since start or the last reset.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Operations carried out per operation since start or the last reset:
    /// requests that succeeded, including those whose answer was lost
    /// (`Faults::lost`), and not those refused or faulted.
    pub fn applied_counts(&self) -> BTreeMap<String, u64> {
        self.applied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Role sessions issued by STS AssumeRole, and who called which account.
    pub fn sessions(&self) -> &crate::services::sts::Sessions {
        &self.sessions
    }

    /// A request over its account's rate limit was refused.
    pub fn count_throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests the per-account rate limit refused since start or the last reset.
    pub fn throttled_count(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    pub fn reset_counts(&self) {
        self.throttled.store(0, Ordering::Relaxed);
        self.sessions.reset_callers();
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.applied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Read the store.
    pub(crate) fn with_store<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        f(&self.lock())
    }

    /// Change the store; a change that succeeded is saved with the whole
    /// state (Service Catalog's is not in the per-budget log).
    pub(crate) fn write_store<R>(&self, f: impl FnOnce(&mut Store) -> Result<R>) -> Result<R> {
        let result = f(&mut self.lock());
        if result.is_ok() {
            self.mark(None);
            self.touch();
        }
        result
    }

    /// Forget every budget and counter, and turn faults off.
    pub fn reset(&self) {
        *self.lock() = Store::default();
        self.reset_counts();
        self.set_faults(Faults::default());
        self.mark(None);
        self.touch();
    }

    /// Count one operation carried out.
    pub(crate) fn applied(&self, operation: &str) {
        let mut applied = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        *applied.entry(operation.to_owned()).or_default() += 1;
    }
}

/// Budgets changed since the last save.
#[derive(Debug, Default)]
struct Changed {
    budgets: std::collections::BTreeSet<(String, String)>,
    everything: bool,
}

/// What a save writes: the changed budgets, or the whole state.
pub enum Changes {
    Records(Vec<LogRecord>),
    Full(Store),
}
