//! AWS's rules for single values, from the Budgets API model
//! (`budgets-2016-10-20.service.json`): lengths, patterns and bounds. Each
//! check says what is wrong and what would be right; `decode` attaches the place.

use std::sync::LazyLock;

use regex::Regex;
use rust_decimal::Decimal;

use crate::diagnostic::Code;

mod accounts;
mod action;
mod response;

pub use accounts::*;
pub use action::*;
pub use response::*;

/// A broken rule: its code, what is wrong, and what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Problem {
            code,
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// BudgetName: 1 to 100 characters, pattern
/// `^(?![^:\\]*/action/|(?i).*<script>.*</script>.*)[^:\\]+$`.
/// Bidirectional controls and invisible characters: they make text read as
/// other text (`ev\u{202e}latot-dorp` shows as "evprod-total" in a review), so
/// no name, tag key or tag value may hold one.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// Characters that show as blank or as nothing in a name but are not the
/// space: a no-break space, the typographic spaces, fillers. Two names that
/// differ only in them look the same in a review, so no name holds one.
fn is_look_alike_blank(c: char) -> bool {
    (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{115f}' | '\u{1160}' | '\u{2800}' | '\u{3164}' | '\u{ffa0}' | '\u{034f}'
        )
}

/// A name's characters: visible ones (see [`visible`]) and no blank but the
/// space, so that two names never differ only in what cannot be seen.
pub(crate) fn name_characters(text: &str, what: &str) -> Result<(), Problem> {
    visible(text, what)?;
    match text.chars().find(|c| is_look_alike_blank(*c)) {
        Some(c) => Err(Problem::new(
            Code::InvisibleCharacter,
            format!(
                "{what} contains U+{:04X}, a blank that is not the space: two names that differ only in it look the same",
                c as u32
            ),
        )
        .help("write a plain space (U+0020) or `-` instead")),
        None => Ok(()),
    }
}

/// `text` as one line of inert text: every control (a line break among
/// them), bidirectional and invisible character written as its escape
/// (`\u{a}`, `\u{202e}`). The one escaping path for what a user, a plan
/// file or AWS wrote, wherever it is put into a message: a value with a
/// line break stays on its line and cannot forge one.
pub fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write as _;
    let unsafe_char = |c: char| c.is_control() || is_invisible(c);
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A control, bidirectional or invisible character in `text`, as a problem
/// naming `what` and the character's code point.
pub(crate) fn visible(text: &str, what: &str) -> Result<(), Problem> {
    match text.chars().find(|c| c.is_control() || is_invisible(*c)) {
        Some(c) if c.is_control() => Err(Problem::new(
            Code::NamePattern,
            format!("{what} contains a control character (U+{:04X})", c as u32),
        )
        .help("use printable characters only")),
        Some(c) => Err(Problem::new(
            Code::InvisibleCharacter,
            format!(
                "{what} contains U+{:04X}, an invisible or bidirectional character that makes text read as other text",
                c as u32
            ),
        )
        .help("remove it (type the text again rather than pasting it)")),
        None => Ok(()),
    }
}

pub fn budget_name(name: &str) -> Result<(), Problem> {
    let chars = name.chars().count();
    if chars == 0 || chars > 100 {
        return Err(Problem::new(
            Code::NameLength,
            format!("budget name is {chars} characters long; AWS allows 1 to 100"),
        )
        .help("shorten the name"));
    }
    if let Some(c) = name.chars().find(|c| *c == ':' || *c == '\\') {
        return Err(Problem::new(
            Code::NamePattern,
            format!("budget name `{name}` contains `{c}`, which AWS does not allow"),
        )
        .help("use `-` or `_` instead of `:` and `\\`"));
    }
    if name.contains("/action/") {
        return Err(Problem::new(
            Code::NamePattern,
            format!("budget name `{name}` contains `/action/`, which AWS reserves"),
        )
        .help("rename the budget so that it does not contain `/action/`"));
    }
    static SCRIPT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)<script>.*</script>").expect("valid regex"));
    if SCRIPT.is_match(name) {
        return Err(Problem::new(
            Code::NamePattern,
            format!("budget name `{name}` contains a <script> element, which AWS rejects"),
        )
        .help("remove the markup from the name"));
    }
    name_characters(name, "budget name")
}

/// An email subscriber: one `@`, a non-empty local part, a dotted domain, no
/// spaces or line breaks (AWS refuses addresses with line breaks).
pub fn email(address: &str) -> Result<(), Problem> {
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
            .expect("valid regex")
    });
    if address.len() <= 254 && EMAIL.is_match(address) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::Email,
            format!("`{address}` is not a valid email address"),
        )
        .help("write an address like finops@example.com, or an SNS topic ARN like arn:aws:sns:us-east-1:111122223333:alerts"))
    }
}

/// An SNS topic subscriber: `arn:PARTITION:sns:REGION:ACCOUNT:TOPIC`.
pub fn sns_arn(arn: &str) -> Result<(), Problem> {
    static SNS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^arn:aws[a-z-]*:sns:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,256}$",
        )
        .expect("valid regex")
    });
    if SNS.is_match(arn) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::SnsArn,
            format!("`{arn}` is not an SNS topic ARN"),
        )
        .help("write arn:aws:sns:REGION:ACCOUNT_ID:TOPIC_NAME, e.g. arn:aws:sns:us-east-1:111122223333:alerts"))
    }
}

/// BillingViewArn: 20 to 2048 characters, pattern from the API model.
pub fn billing_view_arn(arn: &str) -> Result<(), Problem> {
    static VIEW: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^arn:aws[a-z-]*:(billing)::[0-9]{12}:billingview/[a-zA-Z0-9/:_\+=\.\-@]{0,75}[a-zA-Z0-9]$")
            .expect("valid regex")
    });
    if (20..=2048).contains(&arn.len()) && VIEW.is_match(arn) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::BillingViewArn,
            format!("`{arn}` is not a billing view ARN"),
        )
        .help("write arn:aws:billing::ACCOUNT_ID:billingview/NAME, as ListBillingViews returns it"))
    }
}

/// An IAM role ARN to assume for an account.
pub fn role_arn(arn: &str) -> Result<(), Problem> {
    static ROLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$")
            .expect("valid regex")
    });
    // IAM role names are at most 64 characters; a path may precede the name.
    let name_fits = arn.rsplit('/').next().is_some_and(|n| n.len() <= 64);
    if arn.len() <= 2048 && ROLE.is_match(arn) && name_fits {
        Ok(())
    } else {
        Err(
            Problem::new(Code::RoleArn, format!("`{arn}` is not an IAM role ARN"))
                .help("write arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME (a role name has at most 64 characters)"),
        )
    }
}

/// The largest notification threshold AWS accepts (NotificationThreshold max).
pub fn max_threshold() -> Decimal {
    Decimal::from(15_000_000_000_000_i64)
}

/// A notification threshold: 0 to 15,000,000,000,000.
pub fn threshold(value: Decimal) -> Result<(), Problem> {
    if value.is_sign_negative() && !value.is_zero() || value > max_threshold() {
        Err(Problem::new(
            Code::Threshold,
            format!("threshold {value} is outside 0 to 15,000,000,000,000"),
        )
        .help("use a threshold between 0 and 15000000000000"))
    } else if !crate::amount::threshold_is_exact(value) {
        let kept = crate::amount::threshold_to_f64(value);
        Err(Problem::new(
            Code::Threshold,
            format!(
                "threshold {value} cannot be stored exactly: AWS keeps thresholds as doubles, which hold about 15 significant digits, so it would read back as {kept} and show as changed in every plan"
            ),
        )
        .help(format!(
            "write the threshold with at most 15 significant digits, e.g. {kept}"
        )))
    } else {
        Ok(())
    }
}

/// Tag keys budgetctl keeps for itself: `budgetctl:action` names an action,
/// `budgetctl:response:<name>` holds a response's latest run. Files cannot
/// declare them, and plan neither reads nor changes them on a budget.
pub use budgetctl_model::{RESERVED_TAG_PREFIX, is_reserved_tag};

/// A resource tag key: 1 to 128 characters, not starting with `aws:` (or
/// budgetctl's own `budgetctl:`).
pub fn tag_key(key: &str) -> Result<(), Problem> {
    let chars = key.chars().count();
    if chars == 0 || chars > 128 {
        return Err(Problem::new(
            Code::TagKey,
            format!("tag key is {chars} characters long; AWS allows 1 to 128"),
        )
        .help("shorten the key to at most 128 characters"));
    }
    // `get`, not indexing: the fourth byte may fall inside a character.
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(Problem::new(
            Code::TagKey,
            format!("tag key `{key}` starts with `aws:`, which AWS reserves for its own tags"),
        )
        .help("choose a key without the `aws:` prefix"));
    }
    if is_reserved_tag(key) {
        return Err(Problem::new(
            Code::TagKey,
            format!("tag key `{key}` starts with `budgetctl:`, which budgetctl keeps for its own tags (an action's name, a response's latest run)"),
        )
        .help("choose a key without the `budgetctl:` prefix"));
    }
    visible(key, "tag key").map_err(|p| Problem {
        code: if p.code == Code::InvisibleCharacter {
            p.code
        } else {
            Code::TagKey
        },
        ..p
    })
}

/// A resource tag value: 0 to 256 characters.
pub fn tag_value(key: &str, value: &str) -> Result<(), Problem> {
    let chars = value.chars().count();
    if chars > 256 {
        return Err(Problem::new(
            Code::TagValue,
            format!("value of tag `{key}` is {chars} characters long; AWS allows at most 256"),
        )
        .help("shorten the value to at most 256 characters"));
    }
    visible(value, &format!("value of tag `{key}`")).map_err(|p| Problem {
        code: if p.code == Code::InvisibleCharacter {
            p.code
        } else {
            Code::TagValue
        },
        ..p
    })
}

/// Greatest number of tags on one budget (ResourceTagList max).
pub const MAX_TAGS: usize = 200;
/// Greatest number of notifications on one budget.
pub const MAX_NOTIFICATIONS: usize = 10;
/// Greatest number of email subscribers on one notification.
pub const MAX_EMAIL_SUBSCRIBERS: usize = 10;
/// Greatest number of SNS subscribers on one notification.
pub const MAX_SNS_SUBSCRIBERS: usize = 1;
/// Longest filter value (Value max).
pub const MAX_FILTER_VALUE_CHARS: usize = 1024;

/// The CostFilters keys the Budgets API accepts. The model documents the
/// map's values as `DimensionValues` and names `Region`, `Service`,
/// `LinkedAccount`, `Tag` and `CostCategory` (Budget.CostFilters in
/// budgets-2016-10-20.service.json); the keys are the Cost Explorer
/// dimensions of the model's `Dimension` enum in AWS's CamelCase spelling
/// (`SERVICE` → `Service`, `AZ` → `AZ`), plus `TagKeyValue` (values
/// `user:KEY$VALUE`) and `CostCategory`.
pub fn cost_filter_keys() -> &'static [(String, Option<crate::model::Dimension>)] {
    static KEYS: LazyLock<Vec<(String, Option<crate::model::Dimension>)>> = LazyLock::new(|| {
        let mut keys: Vec<_> = crate::model::Dimension::ALL
            .iter()
            .map(|d| (camel_case(d.aws_name()), Some(*d)))
            .collect();
        keys.push(("TagKeyValue".to_owned(), None));
        keys.push(("CostCategory".to_owned(), None));
        keys
    });
    &KEYS
}

fn camel_case(aws: &str) -> String {
    if aws == "AZ" {
        return aws.to_owned();
    }
    aws.split('_')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_string() + &chars.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_key_with_a_character_across_its_fourth_byte_is_checked_not_a_panic() {
        assert!(tag_key("aa€x").is_ok());
        assert!(tag_key("€").is_ok());
        assert_eq!(tag_key("AWS:€").unwrap_err().code, Code::TagKey);
        assert_eq!(
            tag_key("budgetctl:response:x").unwrap_err().code,
            Code::TagKey
        );
    }

    #[test]
    fn names_follow_the_api_pattern() {
        assert!(budget_name("total-monthly").is_ok());
        assert!(budget_name("Team A / prod (EUR)").is_ok());
        assert_eq!(budget_name("a:b").unwrap_err().code, Code::NamePattern);
        assert_eq!(budget_name("a\\b").unwrap_err().code, Code::NamePattern);
        assert_eq!(
            budget_name("x/action/y").unwrap_err().code,
            Code::NamePattern
        );
        assert_eq!(
            budget_name("a<SCRIPT>alert(1)</script>").unwrap_err().code,
            Code::NamePattern
        );
        assert_eq!(budget_name("").unwrap_err().code, Code::NameLength);
        assert_eq!(
            budget_name(&"x".repeat(101)).unwrap_err().code,
            Code::NameLength
        );
        assert!(budget_name(&"é".repeat(100)).is_ok());
    }

    #[test]
    fn role_arns_name_an_iam_role_of_at_most_64_characters() {
        assert!(role_arn("arn:aws:iam::111122223333:role/budgetctl").is_ok());
        assert!(role_arn("arn:aws:iam::111122223333:role/ci/budgetctl").is_ok());
        assert!(
            role_arn(&format!(
                "arn:aws:iam::111122223333:role/{}",
                "r".repeat(64)
            ))
            .is_ok()
        );
        let long = format!("arn:aws:iam::111122223333:role/{}", "r".repeat(65));
        assert_eq!(role_arn(&long).unwrap_err().code, Code::RoleArn);
        assert_eq!(
            role_arn("arn:aws:iam::1111:role/x").unwrap_err().code,
            Code::RoleArn
        );
    }

    #[test]
    fn subscribers_are_checked_by_shape() {
        assert!(email("finops@example.com").is_ok());
        assert!(email("a.b+c@sub.example.co.uk").is_ok());
        assert!(email("finops@example").is_err());
        assert!(email("fin ops@example.com").is_err());
        assert!(email("finops@@example.com").is_err());
        assert!(sns_arn("arn:aws:sns:us-east-1:111122223333:alerts").is_ok());
        assert!(sns_arn("arn:aws-us-gov:sns:us-gov-west-1:111122223333:a_b-c").is_ok());
        assert!(sns_arn("arn:aws:sqs:us-east-1:111122223333:alerts").is_err());
        assert!(sns_arn("arn:aws:sns:us-east-1:1111:alerts").is_err());
    }

    #[test]
    fn tags_follow_aws_limits() {
        assert!(tag_key("owner").is_ok());
        assert!(tag_key("AWS:owner").is_err());
        assert!(tag_key("").is_err());
        assert!(tag_key(&"k".repeat(129)).is_err());
        assert!(tag_value("k", &"v".repeat(256)).is_ok());
        assert!(tag_value("k", &"v".repeat(257)).is_err());
    }

    #[test]
    fn thresholds_are_bounded() {
        assert!(threshold(Decimal::ZERO).is_ok());
        assert!(threshold(max_threshold()).is_ok());
        assert!(threshold(max_threshold() + Decimal::ONE).is_err());
    }
}
