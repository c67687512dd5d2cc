//! `import`: the budgets accounts already have, as budget files that
//! `budgetctl plan` finds unchanged. Every argument is checked before any
//! request; every document is rendered and read back before any is
//! returned, and refused whole when one does not mean what was read. The
//! caller writes what is returned.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use budgetctl_aws::organizations::read_organization;
use budgetctl_aws::{ReadError, ReadScope, read_accounts};
use budgetctl_diff::{LiveBudget, Unreadable, declare};
use budgetctl_spec::rules::{fill, organization_parent, role_arn, role_template};
use budgetctl_spec::{AccountId, Config, Loaded, OrganizationSource, load_str, to_yaml};
use chrono::NaiveDate;
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::AwsError;
use crate::session::{Session, SessionError, SessionOptions};

/// Where the YAML goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
    /// One `<account>.yaml` per account.
    Directory(PathBuf),
}

/// What to import, and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Accounts named (`--account`).
    pub accounts: Vec<AccountId>,
    /// Accounts of the organisation besides (`--organization`, `--ou`).
    pub organization: Option<OrganizationSource>,
    /// The role of the management account the organisation is read through.
    pub organizations_role: Option<String>,
    /// Each account's role, `{account}` filled in (`--role`).
    pub role: Option<String>,
    /// Only budgets whose names match one of these globs.
    pub patterns: Vec<String>,
    pub destination: Destination,
    /// Overwrite files that exist.
    pub force: bool,
    /// Requests in flight at once, across all the accounts read.
    pub parallelism: usize,
    /// The day that decides which planned periods are history.
    pub today: NaiveDate,
}

/// One document to write (or print), read back and checked.
#[derive(Debug)]
pub struct Document {
    /// `None`: standard output.
    pub path: Option<PathBuf>,
    pub config: Config,
    /// The YAML, with its header comment.
    pub text: String,
    /// The text read back (its warnings are worth showing).
    pub read_back: Loaded,
}

/// What an import made.
#[derive(Debug)]
pub struct Imported {
    /// Every account read, in order.
    pub accounts: Vec<AccountId>,
    pub documents: Vec<Document>,
    /// Budgets read that this budgetctl cannot express.
    pub skipped: Vec<Unreadable>,
}

/// Why nothing was imported. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An argument is wrong: which, and why.
    #[error("{flag}: {message}")]
    Argument { flag: &'static str, message: String },
    #[error("--match {pattern} is not a glob ({error}); e.g. `team-*` or `prod-?-monthly`")]
    Glob {
        pattern: String,
        error: globset::Error,
    },
    #[error("{} exists; import never overwrites a file unless given --force", .0.display())]
    Exists(PathBuf),
    #[error("nothing to import: {0} has no ACTIVE account")]
    EmptyOrganization(OrganizationSource),
    #[error("nothing to import: no budgets{} in {}", matching(.patterns), list(.accounts))]
    Nothing {
        accounts: Vec<AccountId>,
        patterns: Vec<String>,
    },
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Organizations(AwsError),
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A budget AWS accepts that the file format cannot express: the
    /// document read back has these errors.
    #[error(
        "the budgets read cannot be written as a valid budget file ({} error(s)); nothing was written",
        .0.errors().count()
    )]
    Inexpressible(Box<Loaded>),
    #[error(
        "budget {account}/{name} would not read back as it is in AWS; nothing was written (please report this)"
    )]
    NotAsRead { account: AccountId, name: String },
    #[error(
        "the written file would not declare every budget read; nothing was written (please report this)"
    )]
    Incomplete,
}

fn matching(patterns: &[String]) -> String {
    if patterns.is_empty() {
        String::new()
    } else {
        format!(" matching {}", patterns.join(", "))
    }
}

/// `account 111122223333`, `accounts 1…, 2…`.
pub fn list<'a>(accounts: impl IntoIterator<Item = &'a AccountId>) -> String {
    let ids: Vec<&str> = accounts.into_iter().map(AccountId::as_str).collect();
    match ids.as_slice() {
        [one] => format!("account {one}"),
        _ => format!("accounts {}", ids.join(", ")),
    }
}

/// Read the accounts `options` name and make their documents; `reading` is
/// told of each account before it is read.
pub async fn import(
    session: &SessionOptions,
    options: &ImportOptions,
    reading: &(dyn Fn(&AccountId) + Sync),
) -> Result<Imported, ImportError> {
    // Everything that can be wrong with the arguments is found before any request.
    let filter = globs(&options.patterns)?;
    check_arguments(options)?;

    let started = Session::start(session).await?;
    let accounts = match all_accounts(&started, options).await {
        Ok(accounts) => accounts,
        Err(e) => return started.finish(Err(e)).await,
    };
    if let Err(e) = refuse_existing(options, &accounts) {
        return started.finish(Err(e)).await;
    }
    let roles = roles(options, &accounts);
    let started = started.with_roles(&roles).await;
    let read = read_all(&started, &accounts, filter.as_ref(), options, reading).await;
    let (live, skipped) = started.finish(read).await?;
    if live.is_empty() {
        return Err(ImportError::Nothing {
            accounts,
            patterns: options.patterns.clone(),
        });
    }
    let documents = documents(options, &accounts, &roles, &live)?;
    Ok(Imported {
        accounts,
        documents,
        skipped,
    })
}

fn check_arguments(options: &ImportOptions) -> Result<(), ImportError> {
    let argument = |flag: &'static str| {
        move |p: budgetctl_spec::rules::Problem| ImportError::Argument {
            flag,
            message: p.message,
        }
    };
    if let Some(OrganizationSource::Ou { id, .. }) = &options.organization {
        organization_parent(id).map_err(argument("--ou"))?;
    }
    if let Some(role) = &options.organizations_role {
        role_arn(role).map_err(argument("--organizations-role"))?;
    }
    if let Some(template) = &options.role {
        role_template(template).map_err(argument("--role"))?;
    }
    Ok(())
}

/// The accounts named, and those of the organisation, sorted, each once.
async fn all_accounts(
    session: &Session,
    options: &ImportOptions,
) -> Result<Vec<AccountId>, ImportError> {
    let mut accounts = options.accounts.clone();
    if let Some(source) = &options.organization {
        let read = read_organization(
            session.connection(),
            options.organizations_role.as_deref(),
            std::slice::from_ref(source),
        )
        .await
        .map_err(ImportError::Organizations)?;
        let found = read.get(source).cloned().unwrap_or_default();
        if found.is_empty() {
            return Err(ImportError::EmptyOrganization(source.clone()));
        }
        accounts.extend(found);
        accounts.sort();
        accounts.dedup();
    }
    Ok(accounts)
}

/// Each account's role, from `--role`.
fn roles(options: &ImportOptions, accounts: &[AccountId]) -> BTreeMap<AccountId, String> {
    match &options.role {
        None => BTreeMap::new(),
        Some(template) => accounts
            .iter()
            .map(|a| (a.clone(), fill(template, a.as_str())))
            .collect(),
    }
}

fn file_in(dir: &Path, account: &AccountId) -> PathBuf {
    dir.join(format!("{account}.yaml"))
}

/// A file to write that exists already, without `--force`.
fn refuse_existing(options: &ImportOptions, accounts: &[AccountId]) -> Result<(), ImportError> {
    let paths: Vec<PathBuf> = match &options.destination {
        Destination::Stdout => vec![],
        Destination::File(p) => vec![p.clone()],
        Destination::Directory(dir) => accounts.iter().map(|a| file_in(dir, a)).collect(),
    };
    match paths.into_iter().find(|p| p.exists()) {
        Some(existing) if !options.force => Err(ImportError::Exists(existing)),
        _ => Ok(()),
    }
}

async fn read_all(
    session: &Session,
    accounts: &[AccountId],
    filter: Option<&GlobSet>,
    options: &ImportOptions,
    reading: &(dyn Fn(&AccountId) + Sync),
) -> Result<(Vec<LiveBudget>, Vec<Unreadable>), ImportError> {
    let scope = ReadScope {
        everything: true,
        ..ReadScope::default()
    };
    let mut live = read_accounts(
        session.clients(),
        accounts.iter().map(|a| (a, &scope)),
        options.parallelism,
        reading,
    )
    .await?;
    if let Some(set) = filter {
        live.budgets.retain(|b| set.is_match(&b.budget.name));
        live.unreadable.retain(|u| set.is_match(&u.name));
    }
    Ok((live.budgets, live.unreadable))
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, ImportError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|error| ImportError::Glob {
            pattern: pattern.clone(),
            error,
        })?;
        set.add(glob);
    }
    set.build().map(Some).map_err(|error| ImportError::Glob {
        pattern: patterns.join(", "),
        error,
    })
}

/// The documents the destination asks for, each account given its role as
/// it was read, each rendered and read back.
fn documents(
    options: &ImportOptions,
    accounts: &[AccountId],
    roles: &BTreeMap<AccountId, String>,
    live: &[LiveBudget],
) -> Result<Vec<Document>, ImportError> {
    let today = options.today;
    let declared: Vec<(Option<PathBuf>, Config)> = match &options.destination {
        Destination::Stdout => vec![(None, declare(live, "<stdout>", today))],
        Destination::File(p) => vec![(
            Some(p.clone()),
            declare(live, &p.display().to_string(), today),
        )],
        Destination::Directory(dir) => accounts
            .iter()
            .filter_map(|account| {
                let path = file_in(dir, account);
                let mine: Vec<LiveBudget> = live
                    .iter()
                    .filter(|l| &l.account == account)
                    .cloned()
                    .collect();
                (!mine.is_empty()).then(|| {
                    (
                        Some(path.clone()),
                        declare(&mine, &path.display().to_string(), today),
                    )
                })
            })
            .collect(),
    };
    declared
        .into_iter()
        .map(|(path, mut config)| {
            for account in config.budget_accounts() {
                if let Some(role) = roles.get(&account) {
                    config.accounts.entry(account).or_default().role = Some(role.clone());
                }
            }
            let text = render(&config, today);
            let read_back = read_back(path.as_deref(), &config, &text)?;
            Ok(Document {
                path,
                config,
                text,
                read_back,
            })
        })
        .collect()
}

fn render(config: &Config, today: NaiveDate) -> String {
    format!(
        "# Budgets of {}, imported by `budgetctl import` on {today}.\n\
         # `budgetctl plan` on this file reports no changes until the budgets or\n\
         # the file change. Reference: `budgetctl schema`, and docs/src/reference/yaml.md in budgetctl's repository.\n\n{}",
        list(&config.budget_accounts()),
        to_yaml(config)
    )
}

/// Read `text` back as budgetctl would and insist it declares exactly what
/// was imported. A budget that AWS accepts but the budget file format cannot
/// express stops the import with the validator's diagnostics.
fn read_back(path: Option<&Path>, config: &Config, text: &str) -> Result<Loaded, ImportError> {
    let name = path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<stdout>".to_owned());
    let loaded = load_str(&name, text);
    if loaded.has_errors() {
        return Err(ImportError::Inexpressible(Box::new(loaded)));
    }
    let expected = config.budgets.iter().map(|b| (&b.account, &b.budget));
    let got = loaded
        .config
        .budgets
        .iter()
        .map(|b| (&b.account, &b.budget));
    if let Some(((account, wanted), _)) = expected.zip(got).find(|(e, g)| e != g) {
        return Err(ImportError::NotAsRead {
            account: account.clone(),
            name: wanted.name.clone(),
        });
    }
    if loaded.config.budgets.len() != config.budgets.len() {
        return Err(ImportError::Incomplete);
    }
    Ok(loaded)
}
