//! The protocol around the operations: pagination, authentication, errors on
//! the wire, persistence, fault injection and the `/_local/` test controls.

use crate::common;

use std::time::Duration;

use aws_smithy_types::retry::RetryConfig;
use budgetctl_local::{LocalOptions, LocalServer};
use common::*;

const SIGNED: (&str, &str) = (
    "Authorization",
    "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/budgets/aws4_request, SignedHeaders=host, Signature=abc",
);

async fn create_many(c: &aws_sdk_budgets::Client, n: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(n.div_ceil(8)) {
        let c = c.clone();
        let chunk = chunk.to_vec();
        tasks.spawn(async move {
            for i in chunk {
                c.create_budget()
                    .account_id(ACCOUNT)
                    .budget(cost_budget(&format!("budget-{i:05}"), "10"))
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

#[tokio::test]
async fn describe_budgets_pages_through_2500_budgets() {
    let server = server().await;
    let c = client(&server);
    create_many(&c, 2500).await;
    for (max, pages) in [(1000, 3), (7, 358)] {
        let mut names = Vec::new();
        let mut token = None;
        let mut calls = 0;
        loop {
            let page = c
                .describe_budgets()
                .account_id(ACCOUNT)
                .max_results(max)
                .set_next_token(token.clone())
                .send()
                .await
                .unwrap();
            calls += 1;
            assert!(page.budgets().len() <= max as usize);
            names.extend(page.budgets().iter().map(|b| b.budget_name().to_owned()));
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        assert_eq!(calls, pages, "MaxResults {max}");
        let expected: Vec<String> = (0..2500).map(|i| format!("budget-{i:05}")).collect();
        assert_eq!(
            names, expected,
            "every budget once, in order, with MaxResults {max}"
        );
    }
    // The SDK's paginator follows the same tokens.
    let all: Vec<_> = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .max_results(1000)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all.len(), 2500);
    let too_many = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .max_results(1001)
        .send()
        .await;
    assert_eq!(code(too_many), "InvalidParameterException");
}

#[tokio::test]
async fn a_forged_or_foreign_next_token_is_refused() {
    let server = server().await;
    let c = client(&server);
    create_many(&c, 3).await;
    let page = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .max_results(1)
        .send()
        .await
        .unwrap();
    let token = page.next_token().unwrap().to_owned();
    let forged = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .next_token("MTpkZWFkYmVlZg")
        .send()
        .await;
    assert_eq!(code(forged), "InvalidNextTokenException");
    let garbage = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .next_token("not a token")
        .send()
        .await;
    assert_eq!(code(garbage), "InvalidNextTokenException");
    // A token is bound to the listing it came from.
    let elsewhere = c
        .describe_budgets()
        .account_id("444455556666")
        .next_token(&token)
        .send()
        .await;
    assert_eq!(code(elsewhere), "InvalidNextTokenException");
    let fine = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .next_token(&token)
        .send()
        .await;
    assert!(fine.is_ok());
}

#[tokio::test]
async fn notifications_for_account_page_by_1000() {
    let server = server().await;
    let c = client(&server);
    create_many(&c, 1200).await;
    let mut tasks = tokio::task::JoinSet::new();
    for part in 0..4 {
        let c = c.clone();
        tasks.spawn(async move {
            for i in (part * 300)..((part + 1) * 300) {
                c.create_notification()
                    .account_id(ACCOUNT)
                    .budget_name(format!("budget-{i:05}"))
                    .notification(notification(80.0))
                    .subscribers(email("a@example.com"))
                    .send()
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let first = c
        .describe_budget_notifications_for_account()
        .account_id(ACCOUNT)
        .max_results(1000)
        .send()
        .await
        .unwrap();
    assert_eq!(first.budget_notifications_for_account().len(), 1000);
    let second = c
        .describe_budget_notifications_for_account()
        .account_id(ACCOUNT)
        .max_results(1000)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.budget_notifications_for_account().len(), 200);
    assert!(second.next_token().is_none());
}

#[tokio::test]
async fn requests_without_a_signature_are_refused() {
    let server = server().await;
    let (status, head, body) = http(
        &server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", "AWSBudgetServiceGateway.DescribeBudgets"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        r#"{"AccountId":"111122223333"}"#,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        head.to_ascii_lowercase()
            .contains("x-amzn-errortype: missingauthenticationtokenexception"),
        "{head}"
    );
    assert!(body.contains("MissingAuthenticationTokenException"));
}

#[tokio::test]
async fn errors_carry_type_message_and_header_like_aws() {
    let server = server().await;
    let (status, head, body) = http(
        &server,
        "POST",
        "/",
        &[
            SIGNED,
            ("X-Amz-Target", "AWSBudgetServiceGateway.DescribeBudget"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        r#"{"AccountId":"111122223333","BudgetName":"none"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        head.to_ascii_lowercase()
            .contains("x-amzn-errortype: notfoundexception"),
        "{head}"
    );
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["__type"], "NotFoundException");
    assert!(body["Message"].as_str().unwrap().contains("none"));

    let (status, _, body) = http(
        &server,
        "POST",
        "/",
        &[SIGNED, ("X-Amz-Target", "AWSBudgetServiceGateway.Nope")],
        "{}",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("UnknownOperationException"));
    let (status, _, body) = http(
        &server,
        "POST",
        "/",
        &[
            SIGNED,
            ("X-Amz-Target", "AWSBudgetServiceGateway.DescribeBudgets"),
        ],
        "[1]",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("SerializationException"));
}

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/local.json");
    let options = LocalOptions {
        state: Some(path.clone()),
        ..LocalOptions::default()
    };
    let first = LocalServer::start(options.clone()).await.unwrap();
    let c = client(&first);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("kept", "12.5"))
        .send()
        .await
        .unwrap();
    c.create_notification()
        .account_id(ACCOUNT)
        .budget_name("kept")
        .notification(notification(80.0))
        .subscribers(email("a@example.com"))
        .send()
        .await
        .unwrap();
    first.shutdown().await.unwrap();
    assert!(path.exists());

    let second = LocalServer::start(options).await.unwrap();
    let c = client(&second);
    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("kept")
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    assert_eq!(b.budget_limit().unwrap().amount(), "12.5");
    let n = c
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(n.notifications().len(), 1);
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn state_is_saved_while_running_not_only_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.json");
    let server = LocalServer::start(LocalOptions {
        state: Some(path.clone()),
        ..LocalOptions::default()
    })
    .await
    .unwrap();
    client(&server)
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("soon", "1"))
        .send()
        .await
        .unwrap();
    let mut saved = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The snapshot and its log, as a restart reads them.
        if budgetctl_local::Store::load(&path).is_ok_and(|s| {
            s.accounts
                .get(ACCOUNT)
                .is_some_and(|a| a.budgets.contains_key("soon"))
        }) {
            saved = true;
            break;
        }
    }
    assert!(saved, "the state file gets the new budget within a second");
    drop(server);
}

/// Why budgetctl-local refuses to start on the state file at `path`.
async fn startup_refusal(path: &std::path::Path) -> String {
    LocalServer::start(LocalOptions {
        state: Some(path.to_path_buf()),
        ..LocalOptions::default()
    })
    .await
    .err()
    .expect("startup fails")
    .to_string()
}

#[tokio::test]
async fn a_corrupt_state_file_stops_startup_and_is_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.json");
    std::fs::write(&path, "{ not json").unwrap();
    let message = startup_refusal(&path).await;
    assert!(message.contains("local.json"), "{message}");
    assert!(message.contains("left untouched"), "{message}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
}

/// A state file of the right JSON but the wrong shape (`"budget": 5`) is
/// refused at startup, naming the entry, instead of failing every request.
#[tokio::test]
async fn a_state_file_entry_of_the_wrong_shape_stops_startup_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("local.json");
    let text = r#"{"version":1,"accounts":{"111122223333":{"budgets":{"b":{"budget":5,"notifications":[],"tags":{}}}}}}"#;
    std::fs::write(&path, text).unwrap();
    let message = startup_refusal(&path).await;
    assert!(
        message.contains("accounts.111122223333.budgets.b.budget"),
        "{message}"
    );
    assert!(message.contains("not a JSON object"), "{message}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[tokio::test]
async fn injected_faults_reach_the_sdk_and_repeat_with_the_seed() {
    let server = server().await;
    let (status, _, _) = http(
        &server,
        "POST",
        "/_local/faults",
        &[],
        r#"{"throttle": 1.0}"#,
    )
    .await;
    assert_eq!(status, 204);
    let c = client(&server);
    let throttled = c.describe_budgets().account_id(ACCOUNT).send().await;
    assert_eq!(code(throttled), "ThrottlingException");

    http(&server, "POST", "/_local/faults", &[], r#"{"error": 1.0}"#).await;
    let failed = c.describe_budgets().account_id(ACCOUNT).send().await;
    assert_eq!(code(failed), "InternalErrorException");

    // With the SDK's retries, 30% throttling and 5% errors are survived; the
    // counters show the extra attempts.
    http(
        &server,
        "POST",
        "/_local/faults",
        &[],
        r#"{"throttle": 0.3, "error": 0.05, "seed": 7}"#,
    )
    .await;
    http(&server, "DELETE", "/_local/requests", &[], "").await;
    let patient = client_with_retries(
        &server,
        RetryConfig::standard()
            .with_max_attempts(10)
            .with_initial_backoff(Duration::from_millis(1)),
    );
    for i in 0..40 {
        patient
            .create_budget()
            .account_id(ACCOUNT)
            .budget(cost_budget(&format!("b{i}"), "1"))
            .send()
            .await
            .unwrap();
    }
    let counts = server.service().request_counts();
    assert!(
        counts["CreateBudget"] > 40,
        "retries were needed: {counts:?}"
    );

    // The same seed gives the same sequence of faults.
    let draws = |seed: u64| {
        server.service().set_faults(budgetctl_local::Faults {
            throttle: 0.5,
            seed,
            ..Default::default()
        });
        (0..20)
            .map(|_| server.service().draw_fault("DescribeBudgets").0)
            .collect::<Vec<_>>()
    };
    assert_eq!(draws(42), draws(42));
}

#[tokio::test]
async fn a_lost_answer_is_an_error_for_an_operation_that_was_carried_out() {
    let server = server().await;
    let (status, _, _) = http(&server, "POST", "/_local/faults", &[], r#"{"lost": 1.0}"#).await;
    assert_eq!(status, 204);
    let c = client(&server);
    let created = c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("lost", "10"))
        .send()
        .await;
    assert_eq!(code(created), "InternalErrorException");

    server
        .service()
        .set_faults(budgetctl_local::Faults::default());
    // The budget exists: the service acted before the answer was lost, and
    // the counters say so while the client only saw an error.
    let read = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("lost")
        .send()
        .await
        .unwrap();
    assert_eq!(read.budget().unwrap().budget_name(), "lost");
    let again = c
        .create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("lost", "10"))
        .send()
        .await;
    assert_eq!(code(again), "DuplicateRecordException");
    let applied = server.service().applied_counts();
    assert_eq!(applied.get("CreateBudget"), Some(&1), "{applied:?}");
    assert_eq!(server.service().request_counts()["CreateBudget"], 2);
    let (_, _, body) = http(&server, "GET", "/_local/requests", &[], "").await;
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["applied"]["CreateBudget"], 1, "{body}");
}

#[tokio::test]
async fn latency_is_added_to_every_call() {
    let server = server().await;
    server.service().set_faults(budgetctl_local::Faults {
        latency_ms: 150,
        ..Default::default()
    });
    let started = std::time::Instant::now();
    client(&server)
        .describe_budgets()
        .account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn test_controls_seed_count_and_reset() {
    let server = server().await;
    let c = client(&server);
    c.create_budget()
        .account_id(ACCOUNT)
        .budget(cost_budget("b", "100"))
        .send()
        .await
        .unwrap();
    c.describe_budgets()
        .account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    c.describe_budgets()
        .account_id(ACCOUNT)
        .send()
        .await
        .unwrap();
    let (status, _, body) = http(&server, "GET", "/_local/requests", &[], "").await;
    assert_eq!(status, 200);
    let counts: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(counts["counts"]["DescribeBudgets"], 2);
    assert_eq!(counts["counts"]["CreateBudget"], 1);
    assert_eq!(counts["total"], 3);

    let (status, _, _) = http(
        &server,
        "POST",
        "/_local/spend",
        &[],
        r#"{"AccountId":"111122223333","BudgetName":"b","ActualSpend":"55.5","ForecastedSpend":"120"}"#,
    )
    .await;
    assert_eq!(status, 204);
    let b = c
        .describe_budget()
        .account_id(ACCOUNT)
        .budget_name("b")
        .send()
        .await
        .unwrap()
        .budget
        .unwrap();
    assert_eq!(
        b.calculated_spend()
            .unwrap()
            .actual_spend()
            .unwrap()
            .amount(),
        "55.5"
    );
    let (status, _, _) = http(
        &server,
        "POST",
        "/_local/spend",
        &[],
        r#"{"AccountId":"111122223333","BudgetName":"none"}"#,
    )
    .await;
    assert_eq!(status, 400);

    let (status, _, _) = http(&server, "POST", "/_local/reset", &[], "").await;
    assert_eq!(status, 204);
    assert!(
        c.describe_budgets()
            .account_id(ACCOUNT)
            .send()
            .await
            .unwrap()
            .budgets()
            .is_empty()
    );
    assert_eq!(server.service().request_counts()["DescribeBudgets"], 1);
    let (status, _, body) = http(&server, "GET", "/_local/health", &[], "").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
}

#[tokio::test]
async fn concurrent_writers_lose_nothing() {
    let server = server().await;
    let c = client(&server);
    create_many(&c, 400).await;
    let listed: Vec<_> = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .max_results(1000)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(listed.len(), 400);
}

#[tokio::test]
async fn a_denied_account_gets_access_denied_naming_the_permission() {
    let server = server().await;
    server.service().set_faults(budgetctl_local::Faults {
        deny_accounts: vec!["444455556666".into()],
        ..Default::default()
    });
    let c = client(&server);
    let denied = c.describe_budgets().account_id("444455556666").send().await;
    let msg = message(c.describe_budgets().account_id("444455556666").send().await);
    assert_eq!(code(denied), "AccessDeniedException");
    assert!(
        msg.contains("budgets:ViewBudget") && msg.contains("444455556666"),
        "{msg}"
    );
    let write = c
        .create_budget()
        .account_id("444455556666")
        .budget(cost_budget("x", "1"))
        .send()
        .await;
    assert!(message(write).contains("budgets:ModifyBudget"));
    assert!(
        c.describe_budgets()
            .account_id(ACCOUNT)
            .send()
            .await
            .is_ok(),
        "other accounts are served"
    );
}

#[tokio::test]
async fn an_old_next_token_has_expired() {
    let server = server().await;
    let c = client(&server);
    create_many(&c, 3).await;
    server.service().set_faults(budgetctl_local::Faults {
        token_ttl_ms: Some(50),
        ..Default::default()
    });
    let page = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .max_results(1)
        .send()
        .await
        .unwrap();
    let token = page.next_token().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let expired = c
        .describe_budgets()
        .account_id(ACCOUNT)
        .next_token(&token)
        .send()
        .await;
    assert_eq!(code(expired), "ExpiredNextTokenException");
}

/// `account_rps`: each account has its own token bucket of one second's
/// requests; over it, ThrottlingException, counted in `/_local/requests`;
/// another account is not slowed by the first.
#[tokio::test]
async fn each_account_is_rate_limited_on_its_own() {
    let server = server().await;
    server.service().set_faults(budgetctl_local::Faults {
        account_rps: 1,
        ..budgetctl_local::Faults::default()
    });
    let service = server.service();
    let c = client(&server);
    // The client's first call sets its connection up: not in the window.
    let warm = c.describe_budgets().account_id("555566667777").send().await;
    assert!(warm.is_ok(), "{warm:?}");
    // A full bucket of one second's requests (1), then empty: a token
    // comes back a second later, far slower than these calls.
    let taken = (0..3)
        .filter(|_| service.take_token("111122223333"))
        .count();
    assert_eq!(taken, 1);
    let r = c.describe_budgets().account_id("111122223333").send().await;
    assert_eq!(code(r), "ThrottlingException");
    assert_eq!(service.throttled_count(), 1);
    let other = c.describe_budgets().account_id("444455556666").send().await;
    assert!(other.is_ok(), "{other:?}");
    // A second later the bucket is full again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = c.describe_budgets().account_id("111122223333").send().await;
    assert!(again.is_ok(), "{again:?}");
}

/// A latency range: every request waits at least its low end.
#[tokio::test]
async fn latency_is_drawn_from_its_range() {
    let server = server().await;
    server.service().set_faults(budgetctl_local::Faults {
        latency_ms: 30,
        latency_max_ms: Some(60),
        ..budgetctl_local::Faults::default()
    });
    let c = client(&server);
    for _ in 0..5 {
        let started = std::time::Instant::now();
        c.describe_budgets()
            .account_id("111122223333")
            .send()
            .await
            .unwrap();
        assert!(started.elapsed() >= std::time::Duration::from_millis(30));
    }
}

/// An organisation in a state file is checked as a seeded one is: a cycle
/// of OUs (which would make a recursive walk endless) and a root id too
/// short to name one (which panicked the service) stop startup, naming
/// the entry.
#[tokio::test]
async fn an_organisation_a_seed_would_refuse_stops_startup_from_a_state_file() {
    let cycle = r#"{"RootId": "r-abcd", "OrganizationalUnits": [
        {"Id": "ou-a", "ParentId": "ou-b"}, {"Id": "ou-b", "ParentId": "ou-a"}]}"#;
    for organization in [cycle, r#"{"RootId": "r"}"#] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("local.json");
        let text = format!(r#"{{"version": 1, "accounts": {{}}, "organization": {organization}}}"#);
        std::fs::write(&path, &text).unwrap();
        let message = startup_refusal(&path).await;
        assert!(message.contains("holds organization"), "{message}");
        assert!(message.contains("left untouched"), "{message}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
