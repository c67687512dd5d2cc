//! `budgetctl accounts`: the accounts the files resolve to (named,
//! listed in groups, or read from AWS Organizations), each with its
//! groups, role and budgets, and with `--shards N` the shard of each and
//! the list of shards, for a CI matrix that fans plan and apply out.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use budgetctl_diff::Shard;
use budgetctl_engine::accounts::{accounts, shards};
use serde::Serialize;

use super::connect::{ConnectArgs, load_resolving};
use crate::error::CliError;
use crate::views;
use crate::views::escape::escape_text;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// `budgetctl accounts`.
#[derive(clap::Args)]
pub struct AccountsArgs {
    #[arg(short = 'f', long = "file", value_name = "PATH", help = super::connect::FILES_HELP, help_heading = "Input")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Say which of N shards (`plan --shard K/N`) each account is in, and
    /// list the shards.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(Shard::MAX)), help_heading = "Output")]
    pub shards: Option<u32>,
    #[arg(long, value_enum, default_value_t = Format::Text, help = super::connect::FORMAT_HELP, help_heading = "Output")]
    pub format: Format,
}

#[derive(Serialize)]
struct AccountDoc<'a> {
    id: &'a str,
    groups: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'a str>,
    budgets: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<String>,
}

pub fn run(args: AccountsArgs, colors: crate::Colors) -> Result<ExitCode, CliError> {
    // Groups from AWS Organizations are read through the endpoint; files
    // without any are answered offline.
    let loaded = load_resolving(&args.connect, &args.files)?;
    crate::print_diagnostics(&loaded, colors.stderr);
    if loaded.has_errors() {
        return Ok(ExitCode::FAILURE);
    }
    let rows = accounts(&loaded.config, args.shards);
    let docs: Vec<AccountDoc> = rows
        .iter()
        .map(|a| AccountDoc {
            id: a.id.as_str(),
            groups: a.groups.iter().map(String::as_str).collect(),
            role: a.role.as_deref(),
            budgets: a.budgets,
            shard: a.shard.map(|s| s.to_string()),
        })
        .collect();
    let shards: Option<Vec<String>> = args
        .shards
        .map(|count| shards(count).iter().map(ToString::to_string).collect());
    let text = match args.format {
        Format::Json => {
            let mut out = serde_json::json!({ "accounts": docs });
            if let Some(shards) = &shards {
                out["shards"] = serde_json::json!(shards);
            }
            views::json::json(&out)? + "\n"
        }
        Format::Text => {
            let mut headers = vec!["ACCOUNT", "BUDGETS", "GROUPS", "ROLE"];
            if shards.is_some() {
                headers.push("SHARD");
            }
            let mut table = views::table::Table::new(&headers, views::table::Overflow::Cut)
                .numeric(1)
                .elastic(2)
                .elastic(3);
            for d in &docs {
                let plain = |text: String| (text, views::table::Tone::Plain);
                let mut row = vec![
                    plain(d.id.to_owned()),
                    plain(d.budgets.to_string()),
                    plain(escape_text(&d.groups.join(", ")).into_owned()),
                    plain(escape_text(d.role.unwrap_or("")).into_owned()),
                ];
                if let Some(shard) = &d.shard {
                    row.push(plain(shard.clone()));
                }
                table.row(row);
            }
            let mut text = table.render(views::table::width(), colors.stdout);
            text.push_str(&format!(
                "{} account{}\n",
                docs.len(),
                if docs.len() == 1 { "" } else { "s" }
            ));
            text
        }
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(ExitCode::SUCCESS)
}
