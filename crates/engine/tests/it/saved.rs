//! A saved plan is checked, not trusted, in the engine itself: made against
//! another target, from files that changed or are gone, with other roles,
//! edited after it was saved, or made before live state moved on, it is
//! refused before a single write.

use budgetctl_aws::{Clients, create_budget};
use budgetctl_diff::document::SavedPlan;
use budgetctl_diff::{Plan, PlanTarget};
use budgetctl_engine::apply::{SavedPlanRefusal, StaleError, check_saved_inputs, rederive_saved};
use budgetctl_engine::plan::{PlanOptions, plan};
use budgetctl_spec::{Loaded, Parsed, SourceFile, parse_sources};
use budgetctl_testkit::WRITE_OPERATIONS;

use crate::common::{ACCOUNT, Env, env, today};

const FILE: &str = "budgets.yaml";

fn budgets(limit: u32, role: Option<&str>) -> String {
    let accounts = role.map_or(String::new(), |r| {
        format!("accounts:\n  \"{ACCOUNT}\": {{ role: \"{r}\" }}\n")
    });
    format!(
        "version: 1\ndefaults: {{account: \"{ACCOUNT}\"}}\n{accounts}budgets:\n  - {{name: team, limit: {limit}}}\n  - {{name: other, limit: 50}}\n"
    )
}

fn parsed(text: &str) -> Parsed {
    parse_sources(vec![SourceFile {
        path: FILE.into(),
        text: text.to_owned(),
    }])
}

fn loaded(text: &str) -> Loaded {
    parsed(text).resolve(&Default::default())
}

fn options() -> PlanOptions<'static> {
    PlanOptions {
        today: today(),
        ..PlanOptions::today(4)
    }
}

/// The plan of `text` against what `env` serves, saved and read back as
/// `apply PLANFILE` reads it.
async fn saved(env: &Env, text: &str) -> (Plan, SavedPlan) {
    let clients = Clients::from(env.client.clone());
    let made = plan(&loaded(text), &clients, &Default::default(), &options())
        .await
        .unwrap();
    let json = serde_json::to_string(&made.document()).unwrap();
    (made, SavedPlan::parse(&json).unwrap())
}

fn writes(env: &Env) -> u64 {
    env.server
        .service()
        .applied_counts()
        .into_iter()
        .filter(|(op, _)| WRITE_OPERATIONS.contains(&op.as_str()))
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn a_saved_plan_checks_out_when_nothing_moved() {
    let env = env().await;
    let text = budgets(100, None);
    let (made, saved) = saved(&env, &text).await;
    check_saved_inputs(&saved, "plan.json", &PlanTarget::default(), &parsed(&text)).unwrap();
    let clients = Clients::from(env.client.clone());
    let now = rederive_saved(&saved, "plan.json", &loaded(&text), &clients, &options())
        .await
        .unwrap();
    assert_eq!(now.changes.len(), made.changes.len());
    assert_eq!(now.changes.len(), 2, "two creates");
}

#[tokio::test]
async fn a_saved_plan_made_against_another_target_is_refused() {
    let env = env().await;
    let text = budgets(100, None);
    let (_, saved) = saved(&env, &text).await;
    let here = PlanTarget {
        local: true,
        ..PlanTarget::default()
    };
    let refused = check_saved_inputs(&saved, "plan.json", &here, &parsed(&text));
    assert!(
        matches!(refused, Err(SavedPlanRefusal::OtherTarget { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_saved_plan_whose_files_changed_or_went_is_refused() {
    let env = env().await;
    let (_, saved) = saved(&env, &budgets(100, None)).await;
    let here = PlanTarget::default();
    match check_saved_inputs(&saved, "plan.json", &here, &parsed(&budgets(101, None))) {
        Err(SavedPlanRefusal::FilesChanged(files)) => {
            assert_eq!(files, [format!("{FILE} changed")]);
        }
        other => panic!("{other:?}"),
    }
    let gone = parse_sources(vec![]);
    match check_saved_inputs(&saved, "plan.json", &here, &gone) {
        Err(SavedPlanRefusal::FilesChanged(files)) => {
            assert_eq!(files, [format!("{FILE} is gone")]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_saved_plan_that_names_no_files_is_refused() {
    let env = env().await;
    let text = budgets(100, None);
    let (_, mut saved) = saved(&env, &text).await;
    saved.inputs.clear();
    let refused = check_saved_inputs(&saved, "plan.json", &PlanTarget::default(), &parsed(&text));
    assert!(
        matches!(refused, Err(SavedPlanRefusal::NoInputs { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_saved_plan_with_other_roles_is_refused_before_any_read() {
    let env = env().await;
    let text = budgets(100, None);
    let (_, saved) = saved(&env, &text).await;
    let clients = Clients::from(env.client.clone());
    let with_role = loaded(&budgets(
        100,
        Some("arn:aws:iam::111122223333:role/budgetctl"),
    ));
    let refused = rederive_saved(&saved, "plan.json", &with_role, &clients, &options()).await;
    assert!(
        matches!(refused, Err(SavedPlanRefusal::OtherRoles { .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_tampered_saved_plan_is_refused_and_nothing_is_written() {
    let env = env().await;
    let text = budgets(100, None);
    let (made, _) = saved(&env, &text).await;
    // The saved document with one change dropped: it no longer says what
    // the files say.
    let mut document = serde_json::to_value(made.document()).unwrap();
    document["changes"].as_array_mut().unwrap().pop();
    let tampered = SavedPlan::parse(&document.to_string()).unwrap();
    let clients = Clients::from(env.client.clone());
    let refused =
        rederive_saved(&tampered, "plan.json", &loaded(&text), &clients, &options()).await;
    match refused {
        Err(SavedPlanRefusal::Differs { at, .. }) => assert_eq!(at, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(writes(&env), 0);
}

#[tokio::test]
async fn a_saved_plan_made_before_live_state_moved_is_refused_as_stale() {
    let env = env().await;
    let text = budgets(100, None);
    let (_, saved) = saved(&env, &text).await;
    // Someone creates one of the budgets behind the plan's back.
    let config = loaded(&text).config;
    let d = &config.budgets[0];
    create_budget(&env.client, &d.account, &d.budget)
        .await
        .unwrap();
    env.server.service().reset_counts();
    let clients = Clients::from(env.client.clone());
    let refused = rederive_saved(&saved, "plan.json", &loaded(&text), &clients, &options()).await;
    assert!(
        matches!(
            refused,
            Err(SavedPlanRefusal::Stale(StaleError::Changed(_)))
        ),
        "{refused:?}"
    );
    assert_eq!(writes(&env), 0);
}

#[test]
fn a_saved_plan_of_another_format_is_refused() {
    let refused = SavedPlan::parse(r#"{"format_version": 99, "changes": []}"#);
    assert!(refused.is_err());
    let not_a_number = SavedPlan::parse(r#"{"format_version": "3", "changes": []}"#);
    assert!(not_a_number.is_err());
}
