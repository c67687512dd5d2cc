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
            let Value::Seq(items) = &v.value else {
                self.wrong_type(v, &format!("group `{name}`"), "a list of account ids");
                continue;
            };
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
            out.push(DecodedGroup {
                name,
                accounts,
                span: self.span(k.pos),
            });
        }
        out
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
