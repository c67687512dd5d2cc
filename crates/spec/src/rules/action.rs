//! The Budgets API model's rules for budget actions
//! (`CreateBudgetActionRequest` and the shapes under `Definition`), with the
//! model's patterns written for Rust's regex (`\u002F` is `/`, and `\w` is
//! ASCII, as in the model's Java flavour).

use super::*;

/// Greatest number of actions on one budget. Neither the API model nor the
/// API reference pages give a bound (ResourceTagList and Subscribers have
/// theirs; a budget's actions have none); AWS documents its Budgets quotas
/// in the user guide's "Quotas and restrictions" page, and budgetctl-local
/// refuses the eleventh with CreationLimitExceededException, so the files
/// are held to the same ten.
pub const MAX_ACTIONS: usize = 10;

/// Users, groups, roles, SCP targets and instances: 1 to 100 each (the
/// model's Users, Groups, Roles, TargetIds and InstanceIds).
pub const MAX_ACTION_LIST: usize = 100;

fn matches(re: &'static LazyLock<Regex>, text: &str) -> bool {
    re.is_match(text)
}

/// An action's name, which budgetctl writes as the value of the resource tag
/// `budgetctl:action` (ResourceTagValue: at most 256 characters) and which
/// `budgetctl action BUDGET/ACTION` takes after the slash.
pub fn action_name(name: &str) -> Result<(), Problem> {
    let chars = name.chars().count();
    if chars == 0 || chars > 256 {
        return Err(Problem::new(
            Code::ActionName,
            format!("action name is {chars} characters long; it must be 1 to 256 (it is stored as a tag value)"),
        )
        .help("name the action in a few words, e.g. freeze-sandbox"));
    }
    if name.contains('/') {
        return Err(Problem::new(
            Code::ActionName,
            format!("action name `{name}` contains `/`, which separates budget and action in `budgetctl action BUDGET/ACTION`"),
        )
        .help("use `-` or `_` instead of `/`"));
    }
    name_characters(name, "action name").map_err(|p| Problem {
        code: if p.code == Code::InvisibleCharacter {
            p.code
        } else {
            Code::ActionName
        },
        ..p
    })
}

/// PolicyArn: 25 to 684 characters,
/// `^arn:aws(-eusc|-cn|-us-gov|-iso|-iso-[a-z]{1})?:iam::(\d{12}|aws):policy(\u002F[\u0021-\u007F]+\u002F|\u002F)[\w+=,.@-]+$`.
pub fn policy_arn(arn: &str) -> Result<(), Problem> {
    static POLICY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^arn:aws(-eusc|-cn|-us-gov|-iso|-iso-[a-z])?:iam::([0-9]{12}|aws):policy(/[\x21-\x7F]+/|/)[A-Za-z0-9_+=,.@-]+$")
            .expect("valid regex")
    });
    if (25..=684).contains(&arn.len()) && matches(&POLICY, arn) {
        Ok(())
    } else {
        Err(
            Problem::new(Code::PolicyArn, format!("`{arn}` is not an IAM policy ARN"))
                .help("write arn:aws:iam::ACCOUNT_ID:policy/NAME, or arn:aws:iam::aws:policy/NAME for an AWS managed policy"),
        )
    }
}

/// RoleArn of the Budgets model (ExecutionRoleArn): 32 to 618 characters,
/// `^arn:aws(-eusc|-cn|-us-gov|-iso|-iso-[a-z]{1})?:iam::\d{12}:role(\u002F[\u0021-\u007F]+\u002F|\u002F)[\w+=,.@-]+$`.
pub fn execution_role(arn: &str) -> Result<(), Problem> {
    static ROLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^arn:aws(-eusc|-cn|-us-gov|-iso|-iso-[a-z])?:iam::[0-9]{12}:role(/[\x21-\x7F]+/|/)[A-Za-z0-9_+=,.@-]+$")
            .expect("valid regex")
    });
    if (32..=618).contains(&arn.len()) && matches(&ROLE, arn) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::RoleArn,
            format!("`{arn}` is not an IAM role ARN for the action to run as"),
        )
        .help("write arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME: a role AWS Budgets may assume, in the budget's account"))
    }
}

/// A user, group or role name (the model's User, Group, Role):
/// `^([\u0021-\u007F]+\u002F)?[\w+=,.@-]+$`, 1 to 576 characters (640 for groups).
pub fn iam_principal(kind: &str, name: &str) -> Result<(), Problem> {
    static PRINCIPAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([\x21-\x7F]+/)?[A-Za-z0-9_+=,.@-]+$").expect("valid regex")
    });
    let max = if kind == "group" { 640 } else { 576 };
    if (1..=max).contains(&name.len()) && matches(&PRINCIPAL, name) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::IamPrincipal,
            format!("`{name}` is not an IAM {kind} name"),
        )
        .help(format!(
            "write the {kind}'s name (letters, digits and +=,.@_-), optionally after a path: /path/NAME"
        )))
    }
}

/// PolicyId: `^p-[0-9a-zA-Z_]{8,128}$`.
pub fn scp_policy_id(id: &str) -> Result<(), Problem> {
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^p-[0-9a-zA-Z_]{8,128}$").expect("valid regex"));
    if matches(&ID, id) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::ScpPolicyId,
            format!("`{id}` is not a service control policy id"),
        )
        .help("write the policy's id as Organizations shows it: p- and 8 to 128 letters, digits or _, e.g. p-abcd1234"))
    }
}

/// TargetId: 12 to 68 characters, an OU id
/// (`ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}`) or an account id (12 digits).
pub fn scp_target(id: &str) -> Result<(), Problem> {
    static TARGET: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|[0-9]{12})$").expect("valid regex")
    });
    if matches(&TARGET, id) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::ScpTarget,
            format!("`{id}` is neither an organizational unit id nor an account id"),
        )
        .help("write an OU id (ou-ab12-cdef3456) or a 12-digit account id, quoted"))
    }
}

/// InstanceId: `^i-(\w{8}|\w{17})$|^[a-zA-Z]([\w-]{0,61}\w)?$`, 1 to 63
/// characters. budgetctl holds each service to its half of the pattern: an
/// EC2 instance is `i-…`, an RDS instance is named by its identifier.
pub fn instance_id(service: crate::model::InstanceService, id: &str) -> Result<(), Problem> {
    static EC2: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^i-([A-Za-z0-9_]{8}|[A-Za-z0-9_]{17})$").expect("valid regex")
    });
    static RDS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[a-zA-Z]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$").expect("valid regex")
    });
    let (re, help) = match service {
        crate::model::InstanceService::Ec2 => (
            &EC2,
            "an EC2 instance id is i- and 8 or 17 characters, e.g. i-0abc1234def567890",
        ),
        crate::model::InstanceService::Rds => (
            &RDS,
            "an RDS instance identifier starts with a letter and has at most 63 letters, digits and hyphens",
        ),
    };
    if id.len() <= 63 && matches(re, id) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::InstanceId,
            format!(
                "`{id}` is not an {} instance id",
                service.as_str().to_uppercase()
            ),
        )
        .help(help))
    }
}

/// Region: 9 to 20 characters, `^\w{2,4}-\w+(-\w+)?-\d$`.
pub fn region(region: &str) -> Result<(), Problem> {
    static REGION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^[A-Za-z0-9_]{2,4}-[A-Za-z0-9_]+(-[A-Za-z0-9_]+)?-[0-9]$")
            .expect("valid regex")
    });
    if (9..=20).contains(&region.len()) && matches(&REGION, region) {
        Ok(())
    } else {
        Err(
            Problem::new(Code::Region, format!("`{region}` is not an AWS region"))
                .help("write a region code such as eu-west-1 or us-gov-west-1"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::InstanceService;

    #[test]
    fn the_models_patterns_accept_what_aws_does() {
        assert!(policy_arn("arn:aws:iam::aws:policy/AWSDenyAll").is_ok());
        assert!(policy_arn("arn:aws-cn:iam::111122223333:policy/team/deny-ec2").is_ok());
        assert!(policy_arn("arn:aws:iam::aws:role/AWSDenyAll").is_err());
        assert!(execution_role("arn:aws:iam::111122223333:role/budgetctl-actions").is_ok());
        assert!(execution_role("arn:aws:iam::aws:role/x").is_err());
        assert!(scp_policy_id("p-abcd1234").is_ok());
        assert!(scp_policy_id("p-abc").is_err());
        assert!(scp_target("ou-ab12-cdef3456").is_ok());
        assert!(scp_target("111122223333").is_ok());
        assert!(scp_target("r-ab12").is_err());
        assert!(instance_id(InstanceService::Ec2, "i-0abc1234def567890").is_ok());
        assert!(instance_id(InstanceService::Ec2, "i-0abc12").is_err());
        assert!(instance_id(InstanceService::Rds, "reporting-db").is_ok());
        assert!(instance_id(InstanceService::Rds, "1db").is_err());
        assert!(region("eu-west-1").is_ok());
        assert!(region("us-gov-west-1").is_ok());
        assert!(region("europe").is_err());
        assert!(iam_principal("role", "developer").is_ok());
        assert!(iam_principal("role", "/team/developer").is_ok());
        assert!(iam_principal("role", "dev eloper").is_err());
        assert!(action_name("freeze-sandbox").is_ok());
        assert!(action_name("a/b").is_err());
        assert!(action_name("").is_err());
    }
}
