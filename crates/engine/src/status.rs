//! `status`: where every budget of the accounts in scope stands, declared
//! or not. The bulk reads only (DescribeBudgets, the account's
//! notifications for their states, its actions; the names of actions
//! PENDING or executed), plus one DescribeBudgetPerformanceHistory per
//! budget for `--history`, paced as plan paces its reads. What each row
//! says is decided by [`budgetctl_diff::status`].

use budgetctl_aws::{Clients, HistoryOf, ReadError, ReadScope, read_accounts};
use budgetctl_diff::status::{BudgetStatus, Sort, status as decide};
use budgetctl_diff::{PlanScope, Unreadable};
use budgetctl_spec::{AccountId, Loaded};
use chrono::NaiveDate;

use crate::plan::accounts;

/// Why no status could be made.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The files have errors: which accounts they name is not known.
    #[error(
        "the budget files have {errors} error(s): fix them (budgetctl validate shows each) before status reads their accounts"
    )]
    Invalid { errors: usize },
    /// Live state could not be read; `role` is the account's role, when
    /// the files give it one.
    #[error("{error}")]
    Read {
        error: ReadError,
        role: Option<String>,
    },
}

/// How a status is made.
pub struct StatusOptions<'a> {
    /// Requests in flight across the accounts read.
    pub parallelism: usize,
    /// Which period is current (diff reads no clock).
    pub today: NaiveDate,
    /// Past periods of history to read per budget (0: none).
    pub history: u32,
    pub sort: Sort,
    /// Told of each account, with its role, before it is read.
    pub reading: &'a (dyn Fn(&AccountId, Option<&str>) + Sync),
}

/// Where every budget stands, and what could not be read.
#[derive(Debug, Clone)]
pub struct Status {
    pub rows: Vec<BudgetStatus>,
    /// Budgets holding a value this budgetctl cannot read.
    pub unreadable: Vec<Unreadable>,
    /// The day the status is of.
    pub today: NaiveDate,
    /// How many accounts were read.
    pub accounts: usize,
}

/// Read every account of `scope` and say where each budget stands.
pub async fn status(
    loaded: &Loaded,
    clients: &Clients,
    scope: &PlanScope,
    options: &StatusOptions<'_>,
) -> Result<Status, StatusError> {
    if loaded.has_errors() {
        return Err(StatusError::Invalid {
            errors: loaded.errors().count(),
        });
    }
    let config = &loaded.config;
    let accounts = accounts(config, scope);
    let read = ReadScope {
        only_active_action_names: true,
        history: (options.history > 0).then_some(HistoryOf {
            periods: options.history,
            today: options.today,
        }),
        ..ReadScope::default()
    };
    let role = |account: &AccountId| config.accounts.get(account).and_then(|s| s.role.clone());
    let live = read_accounts(
        clients,
        accounts.iter().map(|a| (a, &read)),
        options.parallelism,
        &|account| (options.reading)(account, role(account).as_deref()),
    )
    .await
    .map_err(|error| StatusError::Read {
        role: match &error {
            ReadError::Aws(e) => role(&e.account),
            ReadError::Convert(_) => None,
        },
        error,
    })?;
    Ok(Status {
        rows: decide(config, &live, &accounts, options.today, options.sort),
        unreadable: live.unreadable,
        today: options.today,
        accounts: accounts.len(),
    })
}
