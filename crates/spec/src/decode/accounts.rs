//! `accounts:`: each account's role, prune and ignore; `account_groups:`,
//! named lists of accounts that budgets' `accounts:` expand.

use super::*;

impl<'a> Decoder<'a> {
    pub(super) fn accounts(&mut self, node: &Node) -> Vec<DecodedAccount> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "`accounts`", "a mapping of account ids to settings");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(id) = self.account_id(k, "account") else {
                continue;
            };
            let mut settings = AccountSettings::default();
            if !matches!(v.value, Value::Null) {
                let Some(f) = self.fields(v, "an account", ACCOUNT_KEYS) else {
                    continue;
                };
                if let Some(r) = f.get("role")
                    && let Some(role) = self.string(r, "role")
                {
                    match rules::role_arn(&role) {
                        Ok(()) => settings.role = Some(role),
                        Err(p) => self.problem(r.pos, p),
                    }
                }
                if let Some(p) = f.get("prune") {
                    settings.prune = self.boolean(p, "prune").unwrap_or(false);
                }
                if let Some(i) = f.get("ignore")
                    && let Some(globs) = self.string_list(i, "ignore")
                {
                    for (glob, pos) in globs {
                        match globset::Glob::new(&glob) {
                            Ok(_) => settings.ignore.push(glob),
                            Err(e) => self.error_help(
                                Code::IgnoreGlob,
                                pos,
                                format!("`{glob}` is not a valid glob: {}", e.kind()),
                                "use `*` for any run of characters and `?` for one, e.g. legacy-*",
                            ),
                        }
                    }
                }
            }
            out.push(DecodedAccount {
                id,
                settings,
                span: self.span(k.pos),
            });
        }
        out
    }

    pub(super) fn account_groups(&mut self, node: &Node) -> Vec<DecodedGroup> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(
                node,
                "`account_groups`",
                "a mapping of group names to lists of account ids",
            );
            return Vec::new();
        };
        let mut out: Vec<DecodedGroup> = Vec::new();
        for (k, v) in entries {
            let name = k.scalar_text().unwrap_or("").to_owned();
            if let Err(p) = rules::group_name(&name) {
                self.problem(k.pos, p);
                continue;
            }
            let members = match &v.value {
                Value::Seq(items) => GroupMembers::Listed(self.group_list(&name, items)),
                Value::Map(_) => match self.organization_group(&name, v) {
                    Some(source) => GroupMembers::Organization(source),
                    None => GroupMembers::Invalid,
                },
                _ => {
                    self.wrong_type(
                        v,
                        &format!("group `{name}`"),
                        "a list of account ids, or `organizations:` with an OU or `all`",
                    );
                    GroupMembers::Invalid
                }
            };
            out.push(DecodedGroup {
                name,
                members,
                span: self.span(k.pos),
            });
        }
        out
    }

    fn group_list(&mut self, name: &str, items: &[Node]) -> Vec<AccountId> {
        let mut accounts: Vec<AccountId> = Vec::with_capacity(items.len());
        for item in items {
            if let Some(id) = self.account_id(item, &format!("an account of group `{name}`")) {
                if accounts.contains(&id) {
                    self.error_help(
                        Code::AccountTarget,
                        item.pos,
                        format!("account {id} is listed twice in group `{name}`"),
                        "list each account once",
                    );
                } else {
                    accounts.push(id);
                }
            }
        }
        accounts
    }

    /// `{ organizations: all }` or `{ organizations: { ou: ID, recursive: BOOL } }`.
    fn organization_group(&mut self, name: &str, node: &Node) -> Option<OrganizationSource> {
        let f = self.fields(node, &format!("group `{name}`"), GROUP_KEYS)?;
        let Some(source) = f.get("organizations") else {
            if matches!(&node.value, Value::Map(entries) if !entries.is_empty()) {
                // Its unknown keys are reported already.
                return None;
            }
            self.error_help(
                Code::MissingKey,
                node.pos,
                format!("group `{name}` lists no accounts"),
                "write a list of account ids, or `organizations: { ou: ou-ab12-cdef3456, recursive: true }`, or `organizations: all`",
            );
            return None;
        };
        if source.scalar_text() == Some("all") {
            return Some(OrganizationSource::All);
        }
        if !matches!(source.value, Value::Map(_)) {
            self.wrong_type(
                source,
                &format!("`organizations` of group `{name}`"),
                "`all`, or a mapping with `ou` (and `recursive`)",
            );
            return None;
        }
        let f = self.fields(source, "`organizations`", ORGANIZATION_SOURCE_KEYS)?;
        let Some(ou) = f.get("ou") else {
            self.error_help(
                Code::MissingKey,
                source.pos,
                format!("`organizations` of group `{name}` names no `ou`"),
                "name the OU (ou-…) or root (r-…) whose accounts the group holds, or write `organizations: all`",
            );
            return None;
        };
        let id = self.string(ou, "ou")?;
        if let Err(p) = rules::organization_parent(&id) {
            self.problem(ou.pos, p);
            return None;
        }
        let recursive = match f.get("recursive") {
            Some(r) => self.boolean(r, "recursive")?,
            None => false,
        };
        Some(OrganizationSource::Ou { id, recursive })
    }

    /// The top-level `organizations:`: the role groups from AWS
    /// Organizations are read through.
    pub(super) fn organizations(&mut self, node: &Node) -> Option<(String, Span)> {
        let f = self.fields(node, "`organizations`", ORGANIZATIONS_KEYS)?;
        let r = f.get("role")?;
        let role = self.string(r, "organizations.role")?;
        match rules::role_arn(&role) {
            Ok(()) => Some((role, self.span(r.pos))),
            Err(p) => {
                self.problem(r.pos, p);
                None
            }
        }
    }

    /// A budget's `accounts:`: 12-digit ids, group names and `all`, each
    /// resolved once every file's groups are known.
    pub(super) fn account_targets(&mut self, node: &Node) -> Option<Vec<(String, Span)>> {
        let items = self.string_list(node, "`accounts`")?;
        if items.is_empty() {
            self.error_help(
                Code::AccountTarget,
                node.pos,
                "`accounts` lists no account",
                "list account ids, group names from `account_groups`, or `all`",
            );
            return None;
        }
        let mut ok = true;
        let mut out: Vec<(String, Span)> = Vec::with_capacity(items.len());
        for (item, pos) in items {
            let known = AccountId::parse(&item).is_some()
                || item == "all"
                || rules::group_name(&item).is_ok();
            if !known {
                self.error_help(
                    Code::AccountTarget,
                    pos,
                    format!("`{item}` is neither a 12-digit account id, a group name nor `all`"),
                    "quote account ids (\"011122223333\"), and name groups declared under `account_groups`",
                );
                ok = false;
            } else if out.iter().any(|(t, _)| *t == item) {
                self.error_help(
                    Code::AccountTarget,
                    pos,
                    format!("`{item}` is listed twice in `accounts`"),
                    "list each once",
                );
                ok = false;
            } else {
                out.push((item, self.span(pos)));
            }
        }
        ok.then_some(out)
    }
}
