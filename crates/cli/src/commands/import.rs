//! `budgetctl import`: write the budgets an account already has as a budget
//! file that `budgetctl plan` finds unchanged.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use budgetctl_apply::{ReadScope, read_accounts};
use budgetctl_diff::{LiveBudget, accounts_of, declare};
use budgetctl_spec::{AccountId, Config, OrganizationSource, load_str, to_yaml};
use globset::{Glob, GlobSet, GlobSetBuilder};

use super::connect::{ConnectArgs, Endpoint, runtime};
use crate::error::CliError;

/// `budgetctl import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The account to read; repeatable.
    #[arg(long = "account", value_name = "ID", required_unless_present_any = ["organization", "ou"])]
    pub accounts: Vec<String>,
    /// Every ACTIVE account of the organisation (AWS Organizations'
    /// ListAccounts, in the management account).
    #[arg(long, conflicts_with = "ou")]
    pub organization: bool,
    /// Every ACTIVE account in this OU (or root) of the organisation.
    #[arg(long, value_name = "ID")]
    pub ou: Option<String>,
    /// With --ou: the accounts of every OU under it too.
    #[arg(long, requires = "ou")]
    pub recursive: bool,
    /// Read the organisation through this role of the management account
    /// (default: the credentials import runs with).
    #[arg(long, value_name = "ARN")]
    pub organizations_role: Option<String>,
    /// A file, or a directory for one `<account>.yaml` per account
    /// (an existing directory, or a path ending in `/`). Default: stdout.
    #[arg(long, value_name = "FILE|DIR")]
    pub out: Option<PathBuf>,
    /// Only budgets whose name matches this glob, e.g. `team-*`; repeatable.
    #[arg(long = "match", value_name = "GLOB")]
    pub patterns: Vec<String>,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
    /// Read each account through this role, `{account}` filled in with its
    /// id (arn:aws:iam::{account}:role/budgetctl); the files written give
    /// each account its role, so that plan reads as import did.
    #[arg(long, value_name = "ARN")]
    pub role: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Requests in flight at once, across all the accounts read.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,
    /// Say what is being read.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Where the YAML goes.
enum Destination {
    Stdout,
    File(PathBuf),
    /// One `<account>.yaml` per account.
    Directory(PathBuf),
}

/// One file to write (or stdout), with what it declares.
struct Document {
    path: Option<PathBuf>,
    config: Config,
}

pub fn run(args: ImportArgs, color: bool) -> Result<ExitCode, CliError> {
    runtime()?.block_on(import(&args, color))
}

async fn import(args: &ImportArgs, color: bool) -> Result<ExitCode, CliError> {
    // Everything that can be wrong with the arguments is found before any request.
    let mut accounts: Vec<AccountId> = args
        .accounts
        .iter()
        .map(|a| {
            AccountId::parse(a).ok_or_else(|| {
                format!(
                    "--account {a} is not an account id: write its 12 digits, e.g. 111122223333"
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let filter = globs(&args.patterns)?;
    let source = match (&args.ou, args.organization) {
        (Some(ou), _) => {
            budgetctl_spec::rules::organization_parent(ou)
                .map_err(|p| format!("--ou: {}", p.message))?;
            Some(OrganizationSource::Ou {
                id: ou.clone(),
                recursive: args.recursive,
            })
        }
        (None, true) => Some(OrganizationSource::All),
        (None, false) => None,
    };
    if let Some(role) = &args.organizations_role {
        budgetctl_spec::rules::role_arn(role)
            .map_err(|p| format!("--organizations-role: {}", p.message))?;
    }
    if let Some(template) = &args.role {
        budgetctl_spec::rules::role_template(template)
            .map_err(|p| format!("--role: {}", p.message))?;
    }

    let endpoint = Endpoint::start(&args.connect).await?;
    let prepared = match &source {
        None => Ok(()),
        Some(source) => organization_accounts(&endpoint, args, source)
            .await
            .map(|found| {
                accounts.extend(found);
                accounts.sort();
                accounts.dedup();
            }),
    }
    .and_then(|()| prepare(args, &accounts));
    let (roles, destination) = match prepared {
        Ok(prepared) => prepared,
        Err(e) => {
            endpoint.close().await?;
            return Err(e);
        }
    };
    let endpoint = endpoint.with_roles(&roles).await;
    let read = read_all(&endpoint, &accounts, &filter, args).await;
    endpoint.close().await?;
    let live = read?;
    if live.is_empty() {
        let which = if args.patterns.is_empty() {
            String::new()
        } else {
            format!(" matching {}", args.patterns.join(", "))
        };
        return Err(format!(
            "nothing to import: no budgets{which} in {}",
            list(&accounts)
        )
        .into());
    }
    write_all(args, &accounts, live, destination, color)
}

/// The ACTIVE accounts of `source` in the organisation, read through the endpoint.
async fn organization_accounts(
    endpoint: &Endpoint,
    args: &ImportArgs,
    source: &OrganizationSource,
) -> Result<Vec<AccountId>, CliError> {
    let read = budgetctl_apply::aws::organizations::read_organization(
        &endpoint.connection,
        args.organizations_role.as_deref(),
        std::slice::from_ref(source),
    )
    .await
    .map_err(CliError::Aws)?;
    let found = read.get(source).cloned().unwrap_or_default();
    if found.is_empty() {
        return Err(format!("nothing to import: {source} has no ACTIVE account").into());
    }
    Ok(found)
}

/// Each account's role, from `--role`.
fn prepare_roles(args: &ImportArgs, accounts: &[AccountId]) -> BTreeMap<AccountId, String> {
    match &args.role {
        None => BTreeMap::new(),
        Some(template) => accounts
            .iter()
            .map(|a| (a.clone(), budgetctl_spec::rules::fill(template, a.as_str())))
            .collect(),
    }
}

/// Each account's role (from `--role`), and where the files go, refused
/// when a file to write exists (without `--force`).
fn prepare(
    args: &ImportArgs,
    accounts: &[AccountId],
) -> Result<(BTreeMap<AccountId, String>, Destination), CliError> {
    let roles = prepare_roles(args, accounts);
    let destination = match &args.out {
        None => Destination::Stdout,
        Some(p) if p.is_dir() || p.as_os_str().to_string_lossy().ends_with('/') => {
            Destination::Directory(p.clone())
        }
        Some(p) => Destination::File(p.clone()),
    };
    let planned_paths: Vec<PathBuf> = match &destination {
        Destination::Stdout => vec![],
        Destination::File(p) => vec![p.clone()],
        Destination::Directory(dir) => accounts.iter().map(|a| file_in(dir, a)).collect(),
    };
    if !args.force
        && let Some(existing) = planned_paths.iter().find(|p| p.exists())
    {
        return Err(format!(
            "{} exists; import never overwrites a file unless given --force",
            existing.display()
        )
        .into());
    }
    Ok((roles, destination))
}

/// Write what was read as `destination` says: each document rendered and
/// read back first, all refused if one does not mean what was read.
fn write_all(
    args: &ImportArgs,
    accounts: &[AccountId],
    live: Vec<LiveBudget>,
    destination: Destination,
    color: bool,
) -> Result<ExitCode, CliError> {
    let roles: BTreeMap<AccountId, String> = prepare_roles(args, accounts);
    let today = chrono::Utc::now().date_naive();
    let mut documents: Vec<Document> = match &destination {
        Destination::Stdout => vec![Document {
            path: None,
            config: declare(&live, "<stdout>", today),
        }],
        Destination::File(p) => vec![Document {
            path: Some(p.clone()),
            config: declare(&live, &p.display().to_string(), today),
        }],
        Destination::Directory(dir) => accounts
            .iter()
            .filter_map(|account| {
                let path = file_in(dir, account);
                let mine: Vec<LiveBudget> = live
                    .iter()
                    .filter(|l| &l.account == account)
                    .cloned()
                    .collect();
                (!mine.is_empty()).then(|| Document {
                    config: declare(&mine, &path.display().to_string(), today),
                    path: Some(path),
                })
            })
            .collect(),
    };

    // Each account's role, as it was read.
    for doc in &mut documents {
        for account in accounts_of(&doc.config) {
            if let Some(role) = roles.get(&account) {
                doc.config.accounts.entry(account).or_default().role = Some(role.clone());
            }
        }
    }

    // Render and re-read every document before writing any: a file import
    // writes must validate and mean exactly the live budgets.
    let mut rendered = Vec::new();
    for doc in &documents {
        let text = render(&doc.config, today);
        check_round_trip(doc, &text, color)?;
        rendered.push(text);
    }

    for (doc, text) in documents.iter().zip(&rendered) {
        match &doc.path {
            None => {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
            }
            Some(path) => write_file(path, text)?,
        }
    }
    for doc in &documents {
        let count = doc.config.budgets.len();
        let target = doc
            .path
            .as_ref()
            .map(|p| format!(" into {}", p.display()))
            .unwrap_or_default();
        note!(
            "Imported {count} budget{} from {}{target}.",
            if count == 1 { "" } else { "s" },
            list(&accounts_of(&doc.config)),
        );
    }
    if let Some(path) = documents.iter().find_map(|d| d.path.as_ref()) {
        let shown = match &destination {
            Destination::Directory(dir) => dir.display().to_string(),
            _ => path.display().to_string(),
        };
        note!("Check it with `budgetctl plan -f {shown}`: it should report no changes.");
    }
    Ok(ExitCode::SUCCESS)
}

async fn read_all(
    endpoint: &Endpoint,
    accounts: &[AccountId],
    filter: &Option<GlobSet>,
    args: &ImportArgs,
) -> Result<Vec<LiveBudget>, CliError> {
    let scope = ReadScope {
        everything: true,
        ..ReadScope::default()
    };
    let reading = |account: &AccountId| {
        if args.verbose {
            note!("reading account {account}");
        }
    };
    let mut live = read_accounts(
        &endpoint.clients,
        accounts.iter().map(|a| (a, &scope)),
        usize::from(args.parallelism),
        &reading,
    )
    .await?;
    if let Some(set) = filter {
        live.budgets.retain(|b| set.is_match(&b.budget.name));
        live.unreadable.retain(|u| set.is_match(&u.name));
    }
    for u in &live.unreadable {
        note!(
            "warning: {}/{}: skipped: {}, which this budgetctl cannot read",
            u.account,
            u.name,
            u.reason
        );
    }
    Ok(live.budgets)
}

fn globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| {
            format!("--match {p} is not a glob ({e}); e.g. `team-*` or `prod-?-monthly`")
        })?;
        set.add(glob);
    }
    set.build().map(Some).map_err(|e| format!("--match: {e}"))
}

fn file_in(dir: &Path, account: &AccountId) -> PathBuf {
    dir.join(format!("{account}.yaml"))
}

fn list(accounts: &[AccountId]) -> String {
    let ids: Vec<&str> = accounts.iter().map(AccountId::as_str).collect();
    match ids.len() {
        1 => format!("account {}", ids[0]),
        _ => format!("accounts {}", ids.join(", ")),
    }
}

fn render(config: &Config, today: chrono::NaiveDate) -> String {
    let accounts = list(&accounts_of(config));
    format!(
        "# Budgets of {accounts}, imported by `budgetctl import` on {today}.\n\
         # `budgetctl plan` on this file reports no changes until the budgets or\n\
         # the file change. Reference: `budgetctl schema`, README.md.\n\n{}",
        to_yaml(config)
    )
}

/// Read `text` back as budgetctl would and insist it declares exactly what
/// was imported. A budget that AWS accepts but the budget file format cannot
/// express stops the import with the validator's diagnostics.
fn check_round_trip(doc: &Document, text: &str, color: bool) -> Result<(), String> {
    let name = doc
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "<stdout>".to_owned());
    let loaded = load_str(&name, text);
    if loaded.has_errors() {
        crate::print_diagnostics(&loaded, color);
        return Err(format!(
            "the budgets read cannot be written as a valid budget file ({} error(s) above); nothing was written",
            loaded.errors().count()
        ));
    }
    let expected = doc.config.budgets.iter().map(|b| (&b.account, &b.budget));
    let got = loaded
        .config
        .budgets
        .iter()
        .map(|b| (&b.account, &b.budget));
    if let Some(((account, wanted), _)) = expected.zip(got).find(|(e, g)| e != g) {
        return Err(format!(
            "budget {account}/{} would not read back as it is in AWS; nothing was written (please report this)",
            wanted.name
        ));
    }
    if loaded.config.budgets.len() != doc.config.budgets.len() {
        return Err("the written file would not declare every budget read; nothing was written (please report this)".into());
    }
    crate::print_diagnostics(&loaded, color);
    Ok(())
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    crate::files::write_atomically(path, text)
}
