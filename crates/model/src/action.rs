//! Budget actions: what AWS Budgets does on its own when spend crosses a
//! threshold (attach an IAM policy or an SCP, or stop instances through
//! SSM), and who approves it.

use super::*;

aws_enum! {
    /// Who lets an action run once its threshold is crossed.
    pub enum ApprovalModel {
        Manual => "manual", "MANUAL";
        Automatic => "automatic", "AUTOMATIC";
    }
}

aws_enum! {
    /// The kind of action, which decides the shape of its definition
    /// (AWS's ActionType).
    pub enum ActionType {
        ApplyIamPolicy => "apply_iam_policy", "APPLY_IAM_POLICY";
        ApplyScp => "apply_scp", "APPLY_SCP_POLICY";
        StopInstances => "stop_instances", "RUN_SSM_DOCUMENTS";
    }
}

aws_enum! {
    /// What `stop_instances` stops (AWS's ActionSubType).
    pub enum InstanceService {
        Ec2 => "ec2", "STOP_EC2_INSTANCES";
        Rds => "rds", "STOP_RDS_INSTANCES";
    }
}

aws_enum! {
    /// Where an action is in its life (AWS's ActionStatus).
    pub enum ActionStatus {
        Standby => "standby", "STANDBY";
        Pending => "pending", "PENDING";
        ExecutionInProgress => "execution_in_progress", "EXECUTION_IN_PROGRESS";
        ExecutionSuccess => "execution_success", "EXECUTION_SUCCESS";
        ExecutionFailure => "execution_failure", "EXECUTION_FAILURE";
        ReverseInProgress => "reverse_in_progress", "REVERSE_IN_PROGRESS";
        ReverseSuccess => "reverse_success", "REVERSE_SUCCESS";
        ReverseFailure => "reverse_failure", "REVERSE_FAILURE";
        ResetInProgress => "reset_in_progress", "RESET_IN_PROGRESS";
        ResetFailure => "reset_failure", "RESET_FAILURE";
    }
}

aws_enum! {
    /// What ExecuteBudgetAction is asked to do (AWS's ExecutionType).
    pub enum ExecutionType {
        Approve => "approve", "APPROVE_BUDGET_ACTION";
        Retry => "retry", "RETRY_BUDGET_ACTION";
        Reverse => "reverse", "REVERSE_BUDGET_ACTION";
        Reset => "reset", "RESET_BUDGET_ACTION";
    }
}

impl ActionStatus {
    /// Whether AWS is carrying out a step: it refuses every change until
    /// the step settles (ResourceLockedException).
    pub fn in_progress(self) -> bool {
        matches!(
            self,
            ActionStatus::ExecutionInProgress
                | ActionStatus::ReverseInProgress
                | ActionStatus::ResetInProgress
        )
    }

    /// Whether the action's effect is in place: a policy attached, instances
    /// stopped. Deleting it leaves that effect behind.
    pub fn is_executed(self) -> bool {
        self == ActionStatus::ExecutionSuccess
    }

    /// Whether a step failed and may be retried.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            ActionStatus::ExecutionFailure
                | ActionStatus::ReverseFailure
                | ActionStatus::ResetFailure
        )
    }
}

impl ExecutionType {
    /// Whether ExecuteBudgetAction may run `self` on an action in `status`,
    /// following AWS's lifecycle: approve a PENDING action; retry a failed
    /// execution, reversal or reset; reverse an executed action; reset a
    /// reversed one (back to STANDBY, to wait for its threshold again).
    /// budgetctl-local keeps the same table, and a test holds the two to it.
    pub fn allowed_from(self, status: ActionStatus) -> bool {
        use ActionStatus::*;
        match self {
            ExecutionType::Approve => status == Pending,
            ExecutionType::Retry => status.is_failure(),
            ExecutionType::Reverse => status == ExecutionSuccess,
            ExecutionType::Reset => status == ReverseSuccess,
        }
    }

    /// The statuses `self` may start from, as people read them.
    pub fn allowed_statuses(self) -> Vec<ActionStatus> {
        ActionStatus::ALL
            .iter()
            .copied()
            .filter(|s| self.allowed_from(*s))
            .collect()
    }
}

/// What an action does when it runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionDefinition {
    /// Attach an IAM policy to users, groups and roles.
    IamPolicy {
        policy: String,
        users: Vec<String>,
        groups: Vec<String>,
        roles: Vec<String>,
    },
    /// Attach a service control policy to accounts or OUs.
    Scp {
        policy: String,
        targets: Vec<String>,
    },
    /// Stop EC2 or RDS instances in one region, through SSM.
    StopInstances {
        service: InstanceService,
        region: String,
        instances: Vec<String>,
    },
}

impl ActionDefinition {
    pub fn action_type(&self) -> ActionType {
        match self {
            ActionDefinition::IamPolicy { .. } => ActionType::ApplyIamPolicy,
            ActionDefinition::Scp { .. } => ActionType::ApplyScp,
            ActionDefinition::StopInstances { .. } => ActionType::StopInstances,
        }
    }

    /// The definition with its lists sorted: AWS may return them in any
    /// order, and the order means nothing.
    pub fn normalized(&self) -> ActionDefinition {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v.dedup();
            v
        };
        match self {
            ActionDefinition::IamPolicy {
                policy,
                users,
                groups,
                roles,
            } => ActionDefinition::IamPolicy {
                policy: policy.clone(),
                users: sorted(users),
                groups: sorted(groups),
                roles: sorted(roles),
            },
            ActionDefinition::Scp { policy, targets } => ActionDefinition::Scp {
                policy: policy.clone(),
                targets: sorted(targets),
            },
            ActionDefinition::StopInstances {
                service,
                region,
                instances,
            } => ActionDefinition::StopInstances {
                service: *service,
                region: region.clone(),
                instances: sorted(instances),
            },
        }
    }

    /// What running the action does, in a sentence: "attach
    /// arn:…/AWSDenyAll to roles developer".
    pub fn describe(&self) -> String {
        let list =
            |what: &str, v: &[String]| (!v.is_empty()).then(|| format!("{what} {}", v.join(", ")));
        match self {
            ActionDefinition::IamPolicy {
                policy,
                users,
                groups,
                roles,
            } => {
                let to: Vec<String> = [
                    list("users", users),
                    list("groups", groups),
                    list("roles", roles),
                ]
                .into_iter()
                .flatten()
                .collect();
                format!("attach IAM policy {policy} to {}", to.join("; "))
            }
            ActionDefinition::Scp { policy, targets } => {
                format!("attach SCP {policy} to {}", targets.join(", "))
            }
            ActionDefinition::StopInstances {
                service,
                region,
                instances,
            } => format!(
                "stop {} instances {} in {region}",
                match service {
                    InstanceService::Ec2 => "EC2",
                    InstanceService::Rds => "RDS",
                },
                instances.join(", ")
            ),
        }
    }
}

/// A budget action as declared: AWS names it only by a server-made id, so
/// budgetctl names it with the resource tag [`ACTION_TAG`] = `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetAction {
    pub name: String,
    pub notification_type: NotificationType,
    pub threshold: Decimal,
    pub threshold_type: ThresholdType,
    pub definition: ActionDefinition,
    pub approval: ApprovalModel,
    pub execution_role: String,
    /// Kept in declaration order; compared as a set by the diff.
    pub subscribers: Vec<Subscriber>,
}

/// The resource tag that names an action: `budgetctl:action` = its name.
pub const ACTION_TAG: &str = "budgetctl:action";

impl BudgetAction {
    pub fn action_type(&self) -> ActionType {
        self.definition.action_type()
    }

    /// When it triggers, as a budget file says it: `actual > 100%`.
    pub fn when(&self, unit: Option<&str>) -> String {
        NotificationKey::over(self.notification_type, self.threshold, self.threshold_type)
            .phrase(unit)
    }
}
