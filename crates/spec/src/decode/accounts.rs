//! `accounts:`: each account's role, prune and ignore.

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
}
