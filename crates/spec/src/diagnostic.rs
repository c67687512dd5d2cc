//! Diagnostics: what is wrong, where, and what would be right.
//!
//! Every problem found in a budget file becomes a [`Diagnostic`] that carries the
//! file, the 1-based line and column, the byte range (for carets), a stable
//! [`Code`], a message and an optional hint. Nothing here prints; the cli renders.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

/// How bad a diagnostic is. Errors make `validate` fail; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($variant:ident => $text:literal),* $(,)?) => {
        /// Stable identifiers for every kind of problem. Tools match on these;
        /// they are part of the JSON output and never change meaning.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $text),* }
            }
        }
    };
}

codes! {
    Io => "io",
    Syntax => "yaml-syntax",
    InputTooLarge => "input-too-large",
    NoFiles => "no-files",
    UnknownKey => "unknown-key",
    MissingKey => "missing-key",
    WrongType => "wrong-type",
    InvalidEnum => "invalid-enum",
    Version => "version",
    AccountId => "account-id",
    MissingAccount => "missing-account",
    AccountConflict => "account-conflict",
    RoleArn => "role-arn",
    IgnoreGlob => "ignore-glob",
    NameLength => "name-length",
    NamePattern => "name-pattern",
    DuplicateBudget => "duplicate-budget",
    Amount => "amount",
    Unit => "unit",
    LimitChoice => "limit-choice",
    LimitRequired => "limit-required",
    RiLimit => "ri-limit",
    CostTypesNotCost => "cost-types-not-cost",
    CostTypesBlendedAmortized => "cost-types-blended-amortized",
    CostTypesDuplicate => "cost-types-duplicate",
    PlannedPeriod => "planned-period",
    PlannedKey => "planned-key",
    PlannedCount => "planned-count",
    PlannedGap => "planned-gap",
    PlannedSchedule => "planned-schedule",
    InvisibleCharacter => "invisible-character",
    YamlTag => "yaml-tag",
    AutoAdjustPeriod => "auto-adjust-period",
    AutoAdjustNotAllowed => "auto-adjust-not-allowed",
    Date => "date",
    DateOrder => "date-order",
    DateMax => "date-max",
    CustomPeriodDates => "custom-period-dates",
    Filter => "filter",
    FilterExpression => "filter-expression",
    FilterExpressionWithoutMetrics => "filter-expression-without-metrics",
    FilterExpressionWithCostFilters => "filter-expression-with-cost-filters",
    DeprecatedCostFilters => "deprecated-cost-filters",
    Metrics => "metrics",
    BillingViewArn => "billing-view-arn",
    NotificationCount => "notification-count",
    NotificationForm => "notification-form",
    NotificationOperator => "notification-operator",
    DuplicateNotification => "duplicate-notification",
    Threshold => "threshold",
    SubscriberCount => "subscriber-count",
    DuplicateSubscriber => "duplicate-subscriber",
    Email => "email",
    SnsArn => "sns-arn",
    TagCount => "tag-count",
    TagKey => "tag-key",
    TagValue => "tag-value",
    ActionName => "action-name",
    DuplicateAction => "duplicate-action",
    ActionCount => "action-count",
    ActionForm => "action-form",
    ActionList => "action-list",
    PolicyArn => "policy-arn",
    IamPrincipal => "iam-principal",
    ScpPolicyId => "scp-policy-id",
    ScpTarget => "scp-target",
    InstanceId => "instance-id",
    Region => "region",
    ResponseName => "response-name",
    DuplicateResponse => "duplicate-response",
    ResponseForm => "response-form",
    ProvisionedProduct => "provisioned-product",
    ServiceAction => "service-action",
    ExecutionParameter => "execution-parameter",
    ApproveAction => "approve-action",
    SharedProduct => "shared-product",
    ProductNamedTwoWays => "product-named-two-ways",
    GroupName => "group-name",
    GroupConflict => "group-conflict",
    UnknownGroup => "unknown-group",
    AccountTarget => "account-target",
    Placeholder => "placeholder",
    TemplateCollision => "template-collision",
    OrganizationParent => "organization-parent",
    SnsCrossAccount => "sns-cross-account",
    PolicyForm => "policy-form",
    PolicyConflict => "policy-conflict",
    PolicyException => "policy-exception",
    PolicyBudgetPerAccount => "policy-budget-per-account",
    PolicyAlerts => "policy-alerts",
    PolicySubscribers => "policy-subscribers",
    PolicyTags => "policy-tags",
    PolicyLimits => "policy-limits",
    PolicySns => "policy-sns",
}

impl Code {
    /// Whether it is a violation of a `policy:` rule (not `policy-arn`, an
    /// IAM policy's ARN, nor a malformed policy).
    pub fn breaks_policy(self) -> bool {
        matches!(
            self,
            Code::PolicyBudgetPerAccount
                | Code::PolicyAlerts
                | Code::PolicySubscribers
                | Code::PolicyTags
                | Code::PolicyLimits
                | Code::PolicySns
        )
    }

    /// The code of a violation of `rule`: `policy-<rule>`.
    pub fn of_rule(rule: budgetctl_model::policy::PolicyRule) -> Code {
        use budgetctl_model::policy::PolicyRule;
        match rule {
            PolicyRule::BudgetPerAccount => Code::PolicyBudgetPerAccount,
            PolicyRule::Alerts => Code::PolicyAlerts,
            PolicyRule::Subscribers => Code::PolicySubscribers,
            PolicyRule::Tags => Code::PolicyTags,
            PolicyRule::Limits => Code::PolicyLimits,
            PolicyRule::Sns => Code::PolicySns,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A place in a source file: 1-based line and column (in characters), plus the
/// byte range the place covers so a renderer can draw a caret under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    #[serde(skip)]
    pub offset: usize,
    #[serde(skip)]
    pub len: usize,
}

/// A loaded budget file: its path and full text, shared by every diagnostic
/// that points into it.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// Where something is: a file and a position in it.
#[derive(Debug, Clone)]
pub struct Span {
    pub file: Arc<SourceFile>,
    pub pos: Pos,
}

impl Span {
    pub fn new(file: &Arc<SourceFile>, pos: Pos) -> Self {
        Span {
            file: Arc::clone(file),
            pos,
        }
    }

    /// A span that covers no text, for problems about a whole file.
    pub fn file_start(file: &Arc<SourceFile>) -> Self {
        Span::new(
            file,
            Pos {
                line: 1,
                column: 1,
                offset: 0,
                len: 0,
            },
        )
    }
}

impl Span {
    /// Where the span ends: the 1-based line and the column (in characters)
    /// just past its last character, as SARIF's `endColumn` counts. A span
    /// with no byte range ends where it starts.
    pub fn end(&self) -> (u32, u32) {
        let text = &self.file.text;
        let (start, len) = (self.pos.offset, self.pos.len);
        if len == 0 || start + len > text.len() || !text.is_char_boundary(start + len) {
            return (self.pos.line, self.pos.column);
        }
        let end = start + len;
        let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = self.pos.line as usize + text[start..end].matches('\n').count();
        let column = text[line_start..end].chars().count() + 1;
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.file.path.display(),
            self.pos.line,
            self.pos.column
        )
    }
}

/// One problem in the budget files.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// What would be right, e.g. "did you mean `period`?".
    pub help: Option<String>,
    pub span: Span,
    /// Other places the problem involves, e.g. the first declaration of a duplicate.
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            help: None,
            span,
            related: Vec::new(),
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{}: {severity}[{}]: {}",
            self.span, self.code, self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// The machine-readable form of a diagnostic, as `--format json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiagnosticRecord {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Where the problem ends: the line, and the column just past it.
    pub end_line: u32,
    pub end_column: u32,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl From<&Diagnostic> for DiagnosticRecord {
    fn from(d: &Diagnostic) -> Self {
        let (end_line, end_column) = d.span.end();
        DiagnosticRecord {
            file: d.span.file.path.display().to_string(),
            line: d.span.pos.line,
            column: d.span.pos.column,
            end_line,
            end_column,
            severity: d.severity,
            code: d.code.as_str(),
            message: d.message.clone(),
            help: d.help.clone(),
        }
    }
}

/// The candidate nearest to `input`, when it is near enough to be a likely typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&input, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
        }
    }

    #[test]
    fn did_you_mean_finds_close_keys_only() {
        let keys = ["name", "period", "limit", "notifications"];
        assert_eq!(did_you_mean("peroid", keys), Some("period"));
        assert_eq!(did_you_mean("notification", keys), Some("notifications"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
