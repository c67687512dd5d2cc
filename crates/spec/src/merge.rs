//! Merging decoded files into one [`Config`]: accounts' settings, groups,
//! budgets with their identities, and templates (`accounts:`) expanded into
//! one budget per account, an explicit entry of the same name replacing
//! the expanded one for its account; then `defaults.role` filled in for
//! the accounts each file names, and the checks that need every budget
//! placed (two responses on one provisioned product).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use crate::decode::{DecodedBudget, DecodedFile, GroupMembers, Placement, ResponseTarget};
use crate::diagnostic::{Code, Diagnostic, Span, did_you_mean};
use crate::model::{
    AccountId, AccountSettings, Config, DesiredBudget, Group, OrganizationAccounts,
};
use crate::rules;

/// A file's `defaults.role` (with where it is) and the accounts the file names.
type Named = (Option<(String, Span)>, Vec<AccountId>);

/// A template budget, with the index of its file (for its diagnostics).
struct Template {
    file: usize,
    budget: DecodedBudget,
}

/// Merge the files' decoded contents (in order) into `config`; each file's
/// diagnostics are returned in its slot, to be sorted and kept in order.
/// Groups from AWS Organizations take their accounts from `organization`
/// (one not in it is unresolved, and its templates expand to nothing).
pub(crate) fn merge(
    files: Vec<DecodedFile>,
    diagnostics: &mut [Vec<Diagnostic>],
    organization: &OrganizationAccounts,
) -> Config {
    let mut config = Config::default();
    let mut accounts: BTreeMap<AccountId, Span> = BTreeMap::new();
    let mut groups: BTreeMap<String, (GroupMembers, Span)> = BTreeMap::new();
    let mut organizations_role: Option<Span> = None;
    // Explicit budgets: (account, name) → where declared, and their index
    // in `config.budgets` (`None` for one left out for its errors).
    let mut names: HashMap<(AccountId, String), (Span, Option<usize>)> = HashMap::new();
    let mut templates: Vec<Template> = Vec::new();
    // Per file: its role template and the accounts it names.
    let mut named_by_file: Vec<Named> = Vec::new();
    // Where Service Catalog responses act, per budget placed.
    let mut targets: Vec<(usize, AccountId, Vec<ResponseTarget>)> = Vec::new();

    for (i, decoded) in files.into_iter().enumerate() {
        let out = &mut diagnostics[i];
        let mut named: Vec<AccountId> = Vec::new();
        for account in decoded.accounts {
            named.push(account.id.clone());
            match config.accounts.get(&account.id) {
                Some(settings) if *settings != account.settings => {
                    out.push(
                        Diagnostic::error(
                            Code::AccountConflict,
                            account.span.clone(),
                            format!(
                                "account {} is configured differently in two places",
                                account.id
                            ),
                        )
                        .with_help(
                            "declare each account's role, prune and ignore once, or identically",
                        )
                        .with_related(accounts[&account.id].clone(), "also configured here"),
                    );
                }
                Some(_) => {}
                None => {
                    config
                        .accounts
                        .insert(account.id.clone(), account.settings.clone());
                    accounts.insert(account.id, account.span);
                }
            }
        }
        if let Some((role, span)) = decoded.organizations_role {
            match (&config.organizations_role, &organizations_role) {
                (Some(other), Some(first)) if *other != role => out.push(
                    Diagnostic::error(
                        Code::AccountConflict,
                        span,
                        "`organizations.role` is configured differently in two places",
                    )
                    .with_help("give the files one `organizations.role`")
                    .with_related(first.clone(), "also configured here"),
                ),
                (Some(_), _) => {}
                (None, _) => {
                    config.organizations_role = Some(role);
                    organizations_role = Some(span);
                }
            }
        }
        for g in decoded.groups {
            match groups.get(&g.name) {
                Some((members, first))
                    if *members != g.members
                        && !matches!(
                            (members, &g.members),
                            (GroupMembers::Invalid, _) | (_, GroupMembers::Invalid)
                        ) =>
                {
                    out.push(
                        Diagnostic::error(
                            Code::GroupConflict,
                            g.span.clone(),
                            format!("group `{}` is declared differently in two places", g.name),
                        )
                        .with_help("declare each group once (or identically in every file)")
                        .with_related(first.clone(), "also declared here"),
                    );
                }
                Some(_) => {}
                None => {
                    groups.insert(g.name, (g.members, g.span));
                }
            }
        }

        let mut identities: Vec<(AccountId, String, Span, Option<DecodedBudget>)> = Vec::new();
        for b in decoded.budgets {
            match &b.placement {
                Placement::Account(a) => identities.push((
                    a.clone(),
                    b.budget.name.clone(),
                    b.name_span.clone(),
                    Some(b),
                )),
                Placement::Accounts(_) => templates.push(Template { file: i, budget: b }),
            }
        }
        identities.extend(
            decoded
                .invalid_budget_names
                .into_iter()
                .map(|(account, name, span)| (account, name, span, None)),
        );
        identities.sort_by_key(|(_, _, span, _)| span.pos.offset);
        for (account, name, span, decoded) in identities {
            named.push(account.clone());
            match names.entry((account, name)) {
                Entry::Occupied(first) => {
                    let (account, name) = first.key();
                    out.push(
                        Diagnostic::error(
                            Code::DuplicateBudget,
                            span,
                            format!("budget `{name}` is declared twice for account {account}"),
                        )
                        .with_help("budget names are unique per account: rename or remove one")
                        .with_related(first.get().0.clone(), "first declared here"),
                    );
                }
                Entry::Vacant(slot) => {
                    let account = slot.key().0.clone();
                    slot.insert((span, decoded.is_some().then_some(config.budgets.len())));
                    if let Some(b) = decoded {
                        targets.push((i, account.clone(), b.response_targets));
                        config.budgets.push(DesiredBudget {
                            account,
                            budget: b.budget,
                            origin: b.origin,
                            template: None,
                        });
                    }
                }
            }
        }
        named_by_file.push((decoded.role_template, named));
    }

    // Each group's accounts: listed, or as read from Organizations.
    config.groups = groups
        .iter()
        .map(|(name, (members, _))| {
            let group = match members {
                GroupMembers::Listed(ids) => {
                    let mut accounts = ids.clone();
                    accounts.sort();
                    Group {
                        accounts,
                        organization: None,
                        resolved: true,
                    }
                }
                GroupMembers::Invalid => Group {
                    resolved: true,
                    ..Group::default()
                },
                GroupMembers::Organization(source) => {
                    let read = organization.get(source);
                    let mut accounts = read.cloned().unwrap_or_default();
                    accounts.sort();
                    accounts.dedup();
                    Group {
                        accounts,
                        organization: Some(source.clone()),
                        resolved: read.is_some(),
                    }
                }
            };
            (name.clone(), group)
        })
        .collect();

    // `all`: every account the files name, explicitly or in a group.
    let mut all: Vec<AccountId> = config.accounts.keys().cloned().collect();
    all.extend(names.keys().map(|(a, _)| a.clone()));
    all.extend(
        config
            .groups
            .values()
            .flat_map(|g| g.accounts.iter().cloned()),
    );
    for t in &templates {
        if let Placement::Accounts(list) = &t.budget.placement {
            all.extend(list.iter().filter_map(|(id, _)| AccountId::parse(id)));
        }
    }
    all.sort();
    all.dedup();

    // Templates, in file order: one budget per account, unless an explicit
    // entry of the name replaces it there.
    let mut expanded: HashMap<(AccountId, String), Span> = HashMap::new();
    for Template { file, budget: b } in templates {
        let out = &mut diagnostics[file];
        let Placement::Accounts(list) = &b.placement else {
            continue;
        };
        let mut members: Vec<AccountId> = Vec::new();
        for (target, span) in list {
            if let Some(id) = AccountId::parse(target) {
                members.push(id);
            } else if target == "all" {
                members.extend(all.iter().cloned());
            } else if let Some(group) = config.groups.get(target) {
                members.extend(group.accounts.iter().cloned());
            } else {
                let help = match did_you_mean(target, groups.keys().map(String::as_str)) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None if groups.is_empty() => {
                        "declare it under `account_groups:` (a name and its account ids)".to_owned()
                    }
                    None => format!(
                        "the groups are: {}",
                        groups.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                out.push(
                    Diagnostic::error(
                        Code::UnknownGroup,
                        span.clone(),
                        format!("no group is named `{target}`"),
                    )
                    .with_help(help),
                );
            }
        }
        members.sort();
        members.dedup();
        let origin = b.origin.clone();
        for account in members {
            named_by_file[file].1.push(account.clone());
            let key = (account.clone(), b.budget.name.clone());
            if let Some((_, index)) = names.get(&key) {
                // An explicit entry replaces the template's for its account
                // (one with errors too: it is reported, and nothing applies).
                if let Some(replaced) = index.and_then(|i| config.budgets.get_mut(i)) {
                    replaced.template = Some(origin.clone());
                }
                continue;
            }
            match expanded.entry(key) {
                Entry::Occupied(first) => {
                    out.push(
                        Diagnostic::error(
                            Code::TemplateCollision,
                            b.name_span.clone(),
                            format!(
                                "budget `{}` for account {account} comes from two templates",
                                b.budget.name
                            ),
                        )
                        .with_help("give the templates other names, or take the account out of one of them (an explicit entry with `account:` replaces a template's for its account)")
                        .with_related(first.get().clone(), "the other template"),
                    );
                    continue;
                }
                Entry::Vacant(slot) => {
                    slot.insert(b.name_span.clone());
                }
            }
            let mut budget = b.budget.clone();
            for a in budget.actions.iter_mut().flatten() {
                a.execution_role = rules::fill(&a.execution_role, account.as_str());
                let role_account = a.execution_role.split(':').nth(4).unwrap_or_default();
                if role_account != account.as_str() {
                    out.push(
                        Diagnostic::error(
                            Code::RoleArn,
                            b.name_span.clone(),
                            format!(
                                "the execution role of action `{}` is in account {role_account}, and this template's budget for account {account}",
                                a.name
                            ),
                        )
                        .with_help("write the role with `{account}`, e.g. arn:aws:iam::{account}:role/budgetctl-actions: AWS runs an action as a role of the budget's own account"),
                    );
                }
            }
            targets.push((
                file,
                account.clone(),
                b.response_targets
                    .iter()
                    .map(|t| ResponseTarget {
                        region: t.region.clone(),
                        product: t.product.clone(),
                        span: t.span.clone(),
                    })
                    .collect(),
            ));
            config.budgets.push(DesiredBudget {
                account,
                budget,
                origin: origin.clone(),
                template: Some(origin.clone()),
            });
        }
    }

    // `defaults.role`: a role for each account the file names that has
    // none of its own.
    let mut filled: HashMap<AccountId, (String, Span)> = HashMap::new();
    for (file, (template, named)) in named_by_file.into_iter().enumerate() {
        let Some((template, span)) = template else {
            continue;
        };
        for account in named {
            let role = rules::fill(&template, account.as_str());
            let settings = config
                .accounts
                .entry(account.clone())
                .or_insert_with(AccountSettings::default);
            match filled.get(&account) {
                Some((other, first)) if *other != role => diagnostics[file].push(
                    Diagnostic::error(
                        Code::AccountConflict,
                        span.clone(),
                        format!("account {account} gets two roles from `defaults.role`: {other} and {role}"),
                    )
                    .with_help("give the account its role under accounts.<id>.role, or the files one `defaults.role`")
                    .with_related(first.clone(), "the other `defaults.role`"),
                ),
                Some(_) => {}
                None if settings.role.is_none() => {
                    settings.role = Some(role.clone());
                    filled.insert(account, (role, span.clone()));
                }
                None => {}
            }
        }
    }

    // Two responses acting on one provisioned product of an account.
    let mut products: HashMap<(AccountId, String, String), Span> = HashMap::new();
    // Per account and region, the first response naming a product by its
    // pp- id and the first naming one by name: those two may be one
    // product, which only Service Catalog can tell.
    let mut kinds: HashMap<(AccountId, String, bool), Span> = HashMap::new();
    for (file, account, list) in targets {
        for t in list {
            let by_id = t.product.starts_with("pp-");
            let other = kinds
                .get(&(account.clone(), t.region.clone(), !by_id))
                .cloned();
            match other {
                Some(first) if !kinds.contains_key(&(account.clone(), t.region.clone(), by_id)) => {
                    diagnostics[file].push(
                        Diagnostic::warning(
                            Code::ProductNamedTwoWays,
                            t.span.clone(),
                            format!(
                                "this response names provisioned product `{}`, and another in {} of account {account} names one by its {}: whether they are one product is known only at run time",
                                t.product,
                                t.region,
                                if by_id { "name" } else { "pp- id" }
                            ),
                        )
                        .with_help("name each product the same way (its pp- id, or its name) so validate can tell; if they are one product, respond refuses both")
                        .with_related(first, "the other response"),
                    );
                }
                _ => {}
            }
            kinds
                .entry((account.clone(), t.region.clone(), by_id))
                .or_insert_with(|| t.span.clone());
            match products.entry((account.clone(), t.region.clone(), t.product.clone())) {
                Entry::Occupied(first) => diagnostics[file].push(
                    Diagnostic::error(
                        Code::SharedProduct,
                        t.span.clone(),
                        format!(
                            "another response already acts on provisioned product `{}` in {} of account {account}",
                            t.product, t.region
                        ),
                    )
                    .with_help("a product runs one execution at a time, and a response's lost answer is settled by the one record that appears on the product: give each provisioned product one response")
                    .with_related(first.get().clone(), "first response on it"),
                ),
                Entry::Vacant(slot) => {
                    slot.insert(t.span);
                }
            }
        }
    }
    config
}
