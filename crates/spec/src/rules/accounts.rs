//! The rules for budgets declared once for many accounts: group names,
//! the targets of a budget's `accounts:`, and templates that hold
//! `{account}` (a role ARN filled in per account).

use super::*;

/// The placeholder a template is filled in with, per account.
pub const ACCOUNT_PLACEHOLDER: &str = "{account}";

/// A group's name: 1 to 64 lowercase letters, digits, `_` and `-`, starting
/// with a letter; `all` is taken (every account the files name).
pub fn group_name(name: &str) -> Result<(), Problem> {
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[a-z][a-z0-9_-]{0,63}$").expect("valid regex"));
    if name == "all" {
        return Err(Problem::new(
            Code::GroupName,
            "`all` names every account the files name: it cannot be a group",
        )
        .help("give the group another name, e.g. all-workloads"));
    }
    if NAME.is_match(name) {
        Ok(())
    } else {
        Err(Problem::new(Code::GroupName, format!("`{name}` is not a group name"))
            .help("use 1 to 64 lowercase letters, digits, `_` and `-`, starting with a letter, e.g. sandboxes"))
    }
}

/// An OU or root of AWS Organizations, as a group names it: the ParentId
/// pattern of the Organizations API (`ou-` then 4 to 32 lowercase letters
/// or digits, `-`, 8 to 32 more; or `r-` then 4 to 32).
pub fn organization_parent(id: &str) -> Result<(), Problem> {
    static PARENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$").expect("valid regex")
    });
    if PARENT.is_match(id) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::OrganizationParent,
            format!("`{id}` is not an OU or root id of AWS Organizations"),
        )
        .help("write the OU's id as Organizations shows it, e.g. ou-ab12-cdef3456, or a root's, e.g. r-ab12"))
    }
}

/// `text` with every `{account}` filled in with `account`.
pub fn fill(text: &str, account: &str) -> String {
    text.replace(ACCOUNT_PLACEHOLDER, account)
}

/// A template's braces: each `{` opens exactly `{account}`. `Ok(true)` when
/// it holds the placeholder.
pub fn placeholders(text: &str, what: &str) -> Result<bool, Problem> {
    let mut found = false;
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix(ACCOUNT_PLACEHOLDER) {
            found = true;
            rest = after;
            continue;
        }
        let shown: String = tail
            .chars()
            .take_while(|c| *c != '}')
            .chain(['}'])
            .take(24)
            .collect();
        return Err(Problem::new(
            Code::Placeholder,
            format!("{what} has `{shown}`; the only placeholder is `{{account}}`"),
        )
        .help("write `{account}` where the account id goes, e.g. arn:aws:iam::{account}:role/budgetctl"));
    }
    Ok(found)
}

/// `defaults.role`: a role ARN with `{account}` for the account id.
pub fn role_template(template: &str) -> Result<(), Problem> {
    if !placeholders(template, "`defaults.role`")? {
        return Err(Problem::new(
            Code::Placeholder,
            format!("`defaults.role` `{template}` does not say where the account goes"),
        )
        .help("write `{account}` for the account id, e.g. arn:aws:iam::{account}:role/budgetctl; a role for one account belongs under accounts.<id>.role"));
    }
    role_arn(&fill(template, "111122223333"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_only_the_account_placeholder() {
        assert!(role_template("arn:aws:iam::{account}:role/budgetctl").is_ok());
        assert!(role_template("arn:aws:iam::111122223333:role/budgetctl").is_err());
        let p = role_template("arn:aws:iam::{acount}:role/x").unwrap_err();
        assert_eq!(p.code, Code::Placeholder);
        assert!(p.message.contains("`{acount}`"), "{}", p.message);
        assert!(role_template("arn:aws:iam::{account:role/x").is_err());
        assert!(role_template("arn:aws:iam::{account}}:role/x").is_err());
        assert!(role_template("arn:aws:iam::{account}:user/x").is_err());
        assert_eq!(fill("a-{account}-{account}", "1"), "a-1-1");
        assert!(group_name("sandboxes").is_ok());
        assert!(group_name("all").is_err());
        assert!(group_name("Sandboxes").is_err());
        assert!(group_name("111122223333").is_err());
    }
}
