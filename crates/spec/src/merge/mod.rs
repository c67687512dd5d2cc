//! Merging decoded files into one [`Config`]: accounts' settings, groups,
//! budgets with their identities, and templates (`accounts:`) expanded into
//! one budget per account, an explicit entry of the same name replacing
//! the expanded one for its account; then `defaults.role` filled in for
//! the accounts each file names, and the checks that need every budget
//! placed (two responses on one provisioned product).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use crate::decode::{
    DecodedAccount, DecodedBudget, DecodedFile, DecodedGroup, GroupMembers, Placement,
    ResponseTarget,
};
use crate::diagnostic::{Code, Diagnostic, Span, did_you_mean};
use crate::model::{AccountId, Config, DesiredBudget, Group, OrganizationAccounts, Origin};
use crate::rules;

mod policy;

/// A file's `defaults.role` (with where it is) and the accounts the file names.
type Named = (Option<(String, Span)>, Vec<AccountId>);

/// A template budget, with the index of its file (for its diagnostics).
struct Template {
    file: usize,
    budget: DecodedBudget,
}

/// Merge the files' decoded contents (in order) into one [`Config`]; each
/// file's diagnostics are returned in its slot, to be sorted and kept in
/// order. Groups from AWS Organizations take their accounts from
/// `organization` (one not in it is unresolved, and its templates expand
/// to nothing).
pub(crate) fn merge(
    files: Vec<DecodedFile>,
    diagnostics: &mut [Vec<Diagnostic>],
    organization: &OrganizationAccounts,
) -> Config {
    let mut merger = Merger::new(diagnostics);
    for (file, decoded) in files.into_iter().enumerate() {
        merger.file(file, decoded);
    }
    merger.resolve_groups(organization);
    let all = merger.all_accounts();
    merger.expand_templates(&all);
    merger.fill_default_roles();
    merger.check_response_targets();
    merger.resolve_policy(&all);
    merger.check_sns_accounts();
    merger.check_policy(&all);
    merger.config
}

/// What merging has gathered so far, file after file.
struct Merger<'d> {
    config: Config,
    diagnostics: &'d mut [Vec<Diagnostic>],
    /// Where each account's settings were first declared.
    accounts: BTreeMap<AccountId, Span>,
    groups: BTreeMap<String, (GroupMembers, Span)>,
    organizations_role: Option<Span>,
    /// Explicit budgets: (account, name) → where declared, and their index
    /// in `config.budgets` (`None` for one left out for its errors).
    names: HashMap<(AccountId, String), (Span, Option<usize>)>,
    templates: Vec<Template>,
    /// Per file: its role template and the accounts it names.
    named_by_file: Vec<Named>,
    /// Where Service Catalog responses act, per budget placed.
    targets: Vec<(usize, AccountId, Vec<ResponseTarget>)>,
    /// The file and place of each budget of `config.budgets`, in order.
    budget_spans: Vec<(usize, Span)>,
    /// The first `policy:`, with its file.
    policy: Option<(usize, crate::decode::DecodedPolicy)>,
}

impl<'d> Merger<'d> {
    fn new(diagnostics: &'d mut [Vec<Diagnostic>]) -> Self {
        Merger {
            config: Config::default(),
            diagnostics,
            accounts: BTreeMap::new(),
            groups: BTreeMap::new(),
            organizations_role: None,
            names: HashMap::new(),
            templates: Vec::new(),
            named_by_file: Vec::new(),
            targets: Vec::new(),
            budget_spans: Vec::new(),
            policy: None,
        }
    }

    /// One file: its accounts' settings, `organizations.role`, groups and
    /// budgets (templates kept for later, when every group is known).
    fn file(&mut self, file: usize, decoded: DecodedFile) {
        let mut named: Vec<AccountId> = Vec::new();
        self.account_settings(file, decoded.accounts, &mut named);
        if let Some(role) = decoded.organizations_role {
            self.organizations_role(file, role);
        }
        self.declare_groups(file, decoded.groups);
        if let Some(policy) = decoded.policy {
            self.declare_policy(file, policy);
        }
        self.place_budgets(
            file,
            decoded.budgets,
            decoded.invalid_budget_names,
            &mut named,
        );
        self.named_by_file.push((decoded.role_template, named));
    }

    /// Each account's settings, declared once or identically.
    fn account_settings(
        &mut self,
        file: usize,
        accounts: Vec<DecodedAccount>,
        named: &mut Vec<AccountId>,
    ) {
        let out = &mut self.diagnostics[file];
        for account in accounts {
            named.push(account.id.clone());
            match self.config.accounts.get(&account.id) {
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
                        .with_related(self.accounts[&account.id].clone(), "also configured here"),
                    );
                }
                Some(_) => {}
                None => {
                    self.config
                        .accounts
                        .insert(account.id.clone(), account.settings.clone());
                    self.config.settings_at.insert(
                        account.id.clone(),
                        Origin {
                            file: account.span.file.path.display().to_string(),
                            line: account.span.pos.line,
                            column: account.span.pos.column,
                        },
                    );
                    self.accounts.insert(account.id, account.span);
                }
            }
        }
    }

    /// `organizations.role`, given once or identically.
    fn organizations_role(&mut self, file: usize, (role, span): (String, Span)) {
        match (&self.config.organizations_role, &self.organizations_role) {
            (Some(other), Some(first)) if *other != role => self.diagnostics[file].push(
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
                self.config.organizations_role = Some(role);
                self.organizations_role = Some(span);
            }
        }
    }

    /// `account_groups`, each declared once or identically.
    fn declare_groups(&mut self, file: usize, groups: Vec<DecodedGroup>) {
        for g in groups {
            match self.groups.get(&g.name) {
                Some((members, first))
                    if *members != g.members
                        && !matches!(
                            (members, &g.members),
                            (GroupMembers::Invalid, _) | (_, GroupMembers::Invalid)
                        ) =>
                {
                    self.diagnostics[file].push(
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
                    self.groups.insert(g.name, (g.members, g.span));
                }
            }
        }
    }

    /// Budgets placed in one account each, identities unique per account;
    /// templates kept for [`Merger::expand_templates`].
    fn place_budgets(
        &mut self,
        file: usize,
        budgets: Vec<DecodedBudget>,
        invalid_names: Vec<(AccountId, String, Span)>,
        named: &mut Vec<AccountId>,
    ) {
        let mut identities: Vec<(AccountId, String, Span, Option<DecodedBudget>)> = Vec::new();
        for b in budgets {
            match &b.placement {
                Placement::Account(a) => identities.push((
                    a.clone(),
                    b.budget.name.clone(),
                    b.name_span.clone(),
                    Some(b),
                )),
                Placement::Accounts(_) => self.templates.push(Template { file, budget: b }),
            }
        }
        identities.extend(
            invalid_names
                .into_iter()
                .map(|(account, name, span)| (account, name, span, None)),
        );
        identities.sort_by_key(|(_, _, span, _)| span.pos.offset);
        for (account, name, span, decoded) in identities {
            named.push(account.clone());
            match self.names.entry((account, name)) {
                Entry::Occupied(first) => {
                    let (account, name) = first.key();
                    self.diagnostics[file].push(
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
                    slot.insert((span, decoded.is_some().then_some(self.config.budgets.len())));
                    if let Some(b) = decoded {
                        self.targets
                            .push((file, account.clone(), b.response_targets));
                        self.budget_spans.push((file, b.name_span.clone()));
                        self.config.budgets.push(DesiredBudget {
                            account,
                            budget: b.budget,
                            origin: b.origin,
                            template: None,
                        });
                    }
                }
            }
        }
    }

    /// Each group's accounts: listed, or as read from Organizations.
    fn resolve_groups(&mut self, organization: &OrganizationAccounts) {
        // Each group's accounts: listed, or as read from Organizations.
        self.config.groups = self
            .groups
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
    }

    /// `all`: every account the files name, explicitly or in a group.
    fn all_accounts(&self) -> Vec<AccountId> {
        // `all`: every account the files name, explicitly or in a group.
        let mut all: Vec<AccountId> = self.config.accounts.keys().cloned().collect();
        all.extend(self.names.keys().map(|(a, _)| a.clone()));
        all.extend(
            self.config
                .groups
                .values()
                .flat_map(|g| g.accounts.iter().cloned()),
        );
        for t in &self.templates {
            if let Placement::Accounts(list) = &t.budget.placement {
                all.extend(list.iter().filter_map(|(id, _)| AccountId::parse(id)));
            }
        }
        all.sort();
        all.dedup();
        all
    }

    /// Templates, in file order: one budget per account, unless an explicit
    /// entry of the name replaces it there.
    fn expand_templates(&mut self, all: &[AccountId]) {
        // Templates, in file order: one budget per account, unless an explicit
        // entry of the name replaces it there.
        let mut expanded: HashMap<(AccountId, String), Span> = HashMap::new();
        for Template { file, budget: b } in std::mem::take(&mut self.templates) {
            let Placement::Accounts(list) = &b.placement else {
                continue;
            };
            let members = self.template_members(file, list, all);
            let origin = b.origin.clone();
            for account in members {
                self.named_by_file[file].1.push(account.clone());
                let key = (account.clone(), b.budget.name.clone());
                if let Some((_, index)) = self.names.get(&key) {
                    // An explicit entry replaces the template's for its account
                    // (one with errors too: it is reported, and nothing applies).
                    if let Some(replaced) = index.and_then(|i| self.config.budgets.get_mut(i)) {
                        replaced.template = Some(origin.clone());
                    }
                    continue;
                }
                match expanded.entry(key) {
                    Entry::Occupied(first) => {
                        self.diagnostics[file].push(
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
                        self.diagnostics[file].push(
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
                self.targets.push((
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
                self.budget_spans.push((file, b.name_span.clone()));
                self.config.budgets.push(DesiredBudget {
                    account,
                    budget,
                    origin: origin.clone(),
                    template: Some(origin.clone()),
                });
            }
        }
    }

    /// The accounts a template names (ids, groups, `all`), sorted, each
    /// once; a group no file declares is an error at its place.
    fn template_members(
        &mut self,
        file: usize,
        list: &[(String, Span)],
        all: &[AccountId],
    ) -> Vec<AccountId> {
        let mut members: Vec<AccountId> = Vec::new();
        for (target, span) in list {
            if let Some(id) = AccountId::parse(target) {
                members.push(id);
            } else if target == "all" {
                members.extend(all.iter().cloned());
            } else if let Some(group) = self.config.groups.get(target) {
                members.extend(group.accounts.iter().cloned());
            } else {
                let help = match did_you_mean(target, self.groups.keys().map(String::as_str)) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None if self.groups.is_empty() => {
                        "declare it under `account_groups:` (a name and its account ids)".to_owned()
                    }
                    None => format!(
                        "the groups are: {}",
                        self.groups.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                self.diagnostics[file].push(
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
        members
    }

    /// `defaults.role`: a role for each account the file names that has
    /// none of its own.
    fn fill_default_roles(&mut self) {
        // `defaults.role`: a role for each account the file names that has
        // none of its own.
        let mut filled: HashMap<AccountId, (String, Span)> = HashMap::new();
        for (file, (template, named)) in std::mem::take(&mut self.named_by_file)
            .into_iter()
            .enumerate()
        {
            let Some((template, span)) = template else {
                continue;
            };
            for account in named {
                let role = rules::fill(&template, account.as_str());
                let settings = self.config.accounts.entry(account.clone()).or_default();
                match filled.get(&account) {
                    Some((other, first)) if *other != role => self.diagnostics[file].push(
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
    }

    /// Two responses acting on one provisioned product of an account.
    fn check_response_targets(&mut self) {
        // Two responses acting on one provisioned product of an account.
        let mut products: HashMap<(AccountId, String, String), Span> = HashMap::new();
        // Per account and region, the first response naming a product by its
        // pp- id and the first naming one by name: those two may be one
        // product, which only Service Catalog can tell.
        let mut kinds: HashMap<(AccountId, String, bool), Span> = HashMap::new();
        for (file, account, list) in std::mem::take(&mut self.targets) {
            for t in list {
                let by_id = t.product.starts_with("pp-");
                let other = kinds
                    .get(&(account.clone(), t.region.clone(), !by_id))
                    .cloned();
                match other {
                    Some(first)
                        if !kinds.contains_key(&(account.clone(), t.region.clone(), by_id)) =>
                    {
                        self.diagnostics[file].push(
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
                    Entry::Occupied(first) => self.diagnostics[file].push(
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
    }
}
