//! A saved plan (`plan --out`) is checked, not trusted: it must have been
//! made against this target, from the budget files on disk now, with the
//! same roles, and the plan derived again from those files against live
//! state must promise exactly its changes. Any difference refuses it
//! before a single write.

use budgetctl_aws::Clients;
use budgetctl_diff::document::SavedPlan;
use budgetctl_diff::{Plan, PlanTarget};
use budgetctl_spec::{Loaded, Parsed};

use super::fresh::{StaleError, stale_against};
use crate::plan::{PlanError, PlanOptions, file_digest, plan};

/// Why a saved plan is refused. Nothing was applied.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanRefusal {
    #[error(
        "{path} was made against {saved}, and this apply targets {here}; nothing was shown or applied. Apply it against the same target, or run plan again against this one."
    )]
    OtherTarget {
        path: String,
        saved: Box<PlanTarget>,
        here: Box<PlanTarget>,
    },
    #[error(
        "{path} names no budget files, so it cannot be checked against them; nothing was applied. Save plans with `budgetctl plan --out`."
    )]
    NoInputs { path: String },
    /// Each file that changed or is gone since the plan was made.
    #[error(
        "the plan was made from other budget files than are on disk now ({}); nothing was applied. Run plan again.",
        .0.join(", ")
    )]
    FilesChanged(Vec<String>),
    #[error("the budget files the plan names do not validate; nothing was applied")]
    Invalid,
    #[error(
        "{path} names other roles than the files it was made from; nothing was applied. Run plan again."
    )]
    OtherRoles { path: String },
    /// The plan could not be derived again (live state unreadable).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Live state moved on since the plan was made.
    #[error(transparent)]
    Stale(#[from] StaleError),
    /// Derived again, the files now have changes AWS cannot make.
    #[error(
        "the files the plan was made from now have changes AWS cannot make ({}); nothing was applied. Run plan again.",
        .0.join("; ")
    )]
    Blocked(Vec<String>),
    #[error(
        "{path} does not match what the files say against live state: {saved} saved, {derived} derived from the files now, the first difference at change {at} ({which}); nothing was applied. A saved plan is checked, not trusted: run plan again."
    )]
    Differs {
        path: String,
        saved: String,
        derived: String,
        at: usize,
        which: String,
    },
}

/// What can be checked before anything is read: the saved plan (read from
/// `path`) names its budget files, each is on disk as it was (`parsed`, the
/// parse of the files it names), and it was made against `here`.
pub fn check_saved_inputs(
    saved: &SavedPlan,
    path: &str,
    here: &PlanTarget,
    parsed: &Parsed,
) -> Result<(), SavedPlanRefusal> {
    if saved.inputs.is_empty() {
        return Err(SavedPlanRefusal::NoInputs {
            path: path.to_owned(),
        });
    }
    let changed: Vec<String> = saved
        .inputs
        .iter()
        .filter_map(|(file, digest)| {
            let now = parsed
                .files()
                .iter()
                .find(|f| f.path.display().to_string() == *file);
            match now {
                Some(now) if &file_digest(&now.text) == digest => None,
                Some(_) => Some(format!("{file} changed")),
                None => Some(format!("{file} is gone")),
            }
        })
        .collect();
    if !changed.is_empty() {
        return Err(SavedPlanRefusal::FilesChanged(changed));
    }
    if here != &saved.target {
        return Err(SavedPlanRefusal::OtherTarget {
            path: path.to_owned(),
            saved: Box::new(saved.target.clone()),
            here: Box::new(here.clone()),
        });
    }
    Ok(())
}

/// The plan derived again from `loaded` (the files the saved plan names)
/// against live state, when it promises what the saved one does: the same
/// roles, a world that has not moved on, the same changes change for
/// change.
pub async fn rederive_saved(
    saved: &SavedPlan,
    path: &str,
    loaded: &Loaded,
    clients: &Clients,
    options: &PlanOptions<'_>,
) -> Result<Plan, SavedPlanRefusal> {
    if loaded.config.roles() != saved.roles {
        return Err(SavedPlanRefusal::OtherRoles {
            path: path.to_owned(),
        });
    }
    let now = plan(loaded, clients, &saved.scope, options).await?;
    stale_against(saved, &now)?;
    if now.has_errors() {
        return Err(SavedPlanRefusal::Blocked(
            now.errors
                .iter()
                .map(|e| format!("{}: {}", e.budget.address(), e.message))
                .collect(),
        ));
    }
    if let Some(differs) = saved.first_difference(&now) {
        let which = saved
            .changes
            .get(differs)
            .map(|(kind, budget)| (*kind, budget))
            .or_else(|| now.changes.get(differs).map(|c| (c.kind, &c.budget)))
            .map(|(kind, budget)| format!("{} {}", kind.as_str(), budget.address()))
            .unwrap_or_default();
        return Err(SavedPlanRefusal::Differs {
            path: path.to_owned(),
            saved: count(saved.len()),
            derived: count(now.changes.len()),
            at: differs + 1,
            which,
        });
    }
    Ok(now)
}

/// `1 change`, `3 changes`.
fn count(n: usize) -> String {
    format!("{n} change{}", if n == 1 { "" } else { "s" })
}
