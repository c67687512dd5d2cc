//! `budgetctl import`: write the budgets an account already has as a budget
//! file that `budgetctl plan` finds unchanged.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use budgetctl_engine::import::{Destination, ImportError, ImportOptions, import, list};
use budgetctl_spec::{AccountId, OrganizationSource};

use super::connect::{ConnectArgs, runtime};
use crate::error::CliError;

/// `budgetctl import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The account to read; repeatable.
    #[arg(long = "account", value_name = "ID", required_unless_present_any = ["organization", "ou"], help_heading = "Input")]
    pub accounts: Vec<AccountId>,
    /// Every ACTIVE account of the organisation (AWS Organizations'
    /// ListAccounts, in the management account).
    #[arg(long, conflicts_with = "ou", help_heading = "Input")]
    pub organization: bool,
    /// Every ACTIVE account in this OU (or root) of the organisation.
    #[arg(long, value_name = "ID", help_heading = "Input")]
    pub ou: Option<String>,
    /// With --ou: the accounts of every OU under it too.
    #[arg(long, requires = "ou", help_heading = "Input")]
    pub recursive: bool,
    /// Read the organisation through this role of the management account
    /// (default: the credentials import runs with).
    #[arg(long, value_name = "ARN", help_heading = "Input")]
    pub organizations_role: Option<String>,
    /// A file, or a directory for one `<account>.yaml` per account
    /// (an existing directory, or a path ending in `/`). Default: stdout.
    #[arg(long, value_name = "FILE|DIR", help_heading = "Output")]
    pub out: Option<PathBuf>,
    /// Only budgets whose name matches this glob, e.g. `team-*`; repeatable.
    #[arg(long = "match", value_name = "GLOB", help_heading = "Input")]
    pub patterns: Vec<String>,
    /// Overwrite files that exist.
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    /// Read each account through this role, `{account}` filled in with its
    /// id (arn:aws:iam::{account}:role/budgetctl); the files written give
    /// each account its role, so that plan reads as import did.
    #[arg(long, value_name = "ARN", help_heading = "Input")]
    pub role: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Requests in flight at once, across all the accounts read.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Performance")]
    pub parallelism: u16,
    /// Say what is being read.
    #[arg(short, long, help_heading = "Output")]
    pub verbose: bool,
}

pub fn run(args: ImportArgs, color: bool) -> Result<ExitCode, CliError> {
    let options = ImportOptions {
        accounts: args.accounts.clone(),
        organization: match (&args.ou, args.organization) {
            (Some(ou), _) => Some(OrganizationSource::Ou {
                id: ou.clone(),
                recursive: args.recursive,
            }),
            (None, true) => Some(OrganizationSource::All),
            (None, false) => None,
        },
        organizations_role: args.organizations_role.clone(),
        role: args.role.clone(),
        patterns: args.patterns.clone(),
        destination: match &args.out {
            None => Destination::Stdout,
            Some(p) if p.is_dir() || p.as_os_str().to_string_lossy().ends_with('/') => {
                Destination::Directory(p.clone())
            }
            Some(p) => Destination::File(p.clone()),
        },
        force: args.force,
        parallelism: usize::from(args.parallelism),
        today: chrono::Utc::now().date_naive(),
    };
    let verbose = args.verbose;
    let reading = move |account: &AccountId| {
        if verbose {
            note!("reading account {account}");
        }
    };
    let imported = match runtime()?.block_on(import(&args.connect.session(), &options, &reading)) {
        Ok(imported) => imported,
        Err(ImportError::Inexpressible(loaded)) => {
            // What the file format cannot say, in the validator's words.
            crate::print_diagnostics(&loaded, color);
            return Err(ImportError::Inexpressible(loaded).into());
        }
        Err(e) => return Err(e.into()),
    };
    for u in &imported.skipped {
        note!(
            "warning: {}/{}: skipped: {}, which this budgetctl cannot read",
            u.account,
            u.name,
            u.reason
        );
    }
    for doc in &imported.documents {
        crate::print_diagnostics(&doc.read_back, color);
    }
    for doc in &imported.documents {
        match &doc.path {
            None => {
                let _ = std::io::stdout().lock().write_all(doc.text.as_bytes());
            }
            Some(path) => crate::files::write_atomically(path, &doc.text)?,
        }
    }
    for doc in &imported.documents {
        let count = doc.config.budgets.len();
        let target = doc
            .path
            .as_ref()
            .map(|p| format!(" into {}", p.display()))
            .unwrap_or_default();
        note!(
            "Imported {count} budget{} from {}{target}.",
            if count == 1 { "" } else { "s" },
            list(&doc.config.budget_accounts()),
        );
    }
    if let Some(path) = imported.documents.iter().find_map(|d| d.path.as_ref()) {
        let shown = match &options.destination {
            Destination::Directory(dir) => dir.display().to_string(),
            _ => path.display().to_string(),
        };
        note!("Check it with `budgetctl plan -f {shown}`: it should report no changes.");
    }
    Ok(ExitCode::SUCCESS)
}
