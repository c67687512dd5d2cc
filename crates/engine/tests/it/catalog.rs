//! Service Catalog through the real aws-sdk-servicecatalog client, against
//! budgetctl-local: the AWS layer `budgetctl respond` will use.

use std::collections::BTreeMap;

use budgetctl_aws::catalog::{
    CatalogClients, describe_record, execute_service_action, find_provisioned_product,
    records_since, service_actions,
};
use budgetctl_aws::{Clients, Connection, ErrorKind};
use budgetctl_engine::respond::{Outcome, RespondOptions, respond};
use budgetctl_local::{LocalOptions, LocalServer, ProvisionedProductRequest};
use budgetctl_spec::AccountId;

const SANDBOX: &str = "444455556666";

fn seed(server: &LocalServer, account: &str) {
    server
        .service()
        .seed_provisioned_product(&ProvisionedProductRequest {
            account_id: account.into(),
            region: "eu-west-1".into(),
            id: "pp-abcd1234efgh5".into(),
            name: "dev-env".into(),
            product_id: "prod-abcd1234efgh5".into(),
            provisioning_artifact_id: "pa-abcd1234efgh5".into(),
            status: "AVAILABLE".into(),
            product_type: "CFN_STACK".into(),
        })
        .unwrap();
}

/// CreateServiceAction `scale-to-zero`, associated with the seeded
/// product's artifact; its id.
async fn scale_to_zero(client: &budgetctl_aws::catalog::Client) -> String {
    let created = client
        .create_service_action()
        .name("scale-to-zero")
        .definition_type(aws_sdk_servicecatalog::types::ServiceActionDefinitionType::SsmAutomation)
        .definition(
            aws_sdk_servicecatalog::types::ServiceActionDefinitionKey::Name,
            "AWS-StopEC2Instance",
        )
        .idempotency_token("create-1")
        .send()
        .await
        .unwrap();
    let action = created
        .service_action_detail()
        .and_then(|d| d.service_action_summary())
        .and_then(|s| s.id())
        .unwrap()
        .to_owned();
    client
        .associate_service_action_with_provisioning_artifact()
        .product_id("prod-abcd1234efgh5")
        .provisioning_artifact_id("pa-abcd1234efgh5")
        .service_action_id(&action)
        .send()
        .await
        .unwrap();
    action
}

async fn clients(server: &LocalServer, roles: &[(&str, &str)]) -> CatalogClients {
    let connection = Connection {
        endpoint_url: Some(server.url()),
        local: true,
        ..Connection::default()
    };
    let roles: BTreeMap<AccountId, String> = roles
        .iter()
        .map(|(a, r)| (AccountId::parse(a).unwrap(), (*r).to_owned()))
        .collect();
    CatalogClients::new(&connection, &roles).await
}

/// An account with a role is reached through it: the product seeded there
/// is found by name, its associated action listed, executed once per
/// token, and its record read back and found in the history.
#[tokio::test]
async fn a_service_action_runs_once_per_token_in_the_roles_account() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    seed(&server, SANDBOX);
    let sandbox = AccountId::parse(SANDBOX).unwrap();
    let catalog = clients(
        &server,
        &[(SANDBOX, "arn:aws:iam::444455556666:role/budgetctl")],
    )
    .await;
    let client = catalog.for_account(&sandbox, "eu-west-1");
    let action = scale_to_zero(&client).await;

    let product = find_provisioned_product(&client, &sandbox, "dev-env")
        .await
        .unwrap()
        .expect("found by name");
    assert_eq!(product.id, "pp-abcd1234efgh5");
    assert_eq!(
        find_provisioned_product(&client, &sandbox, "pp-abcd1234efgh5")
            .await
            .unwrap(),
        Some(product.clone())
    );
    assert_eq!(
        service_actions(&client, &sandbox, &product).await.unwrap(),
        [(action.clone(), "scale-to-zero".to_owned())]
    );
    let parameters = BTreeMap::from([("Mode".to_owned(), vec!["full".to_owned()])]);
    let first = execute_service_action(
        &client,
        &sandbox,
        &product.id,
        &action,
        "tok-1",
        &parameters,
        None,
    )
    .await
    .unwrap();
    let again = execute_service_action(
        &client,
        &sandbox,
        &product.id,
        &action,
        "tok-1",
        &parameters,
        None,
    )
    .await
    .unwrap();
    assert_eq!(first.id, again.id, "one record per token");
    let record = describe_record(&client, &sandbox, &first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.status, "SUCCEEDED");
    assert_eq!(
        record.record_type,
        "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"
    );
    let history = records_since(&client, &sandbox, &product.id, first.created)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    // A busy or unknown product is a typed error, not text.
    let unknown = execute_service_action(
        &client,
        &sandbox,
        &product.id,
        "act-nosuchaction0",
        "tok-2",
        &parameters,
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.kind, ErrorKind::NotFound, "{unknown}");
}

/// Without the role, the base credentials act in the default account,
/// where the sandbox's product is not.
#[tokio::test]
async fn another_accounts_product_is_not_found_without_its_role() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    seed(&server, SANDBOX);
    let sandbox = AccountId::parse(SANDBOX).unwrap();
    let catalog = clients(&server, &[]).await;
    let client = catalog.for_account(&sandbox, "eu-west-1");
    assert_eq!(
        find_provisioned_product(&client, &sandbox, "dev-env")
            .await
            .unwrap(),
        None
    );
}

/// Every answer of ExecuteProvisionedProductServiceAction lost, and no
/// retry left (one attempt): the call went through, and respond settles it
/// by reading the record history, reporting the one record as run; the
/// next run finds it already run.
#[tokio::test]
async fn a_lost_execute_answer_is_settled_by_reading_the_history() {
    let server = LocalServer::start(LocalOptions::default()).await.unwrap();
    let account = budgetctl_testkit::ACCOUNT;
    seed(&server, account);
    let config = budgetctl_testkit::config(
        "budgets:\n  - name: dev-env-monthly\n    limit: 2000\n    responses:\n      - {name: scale, when: actual > 100%, service_catalog: {region: eu-west-1, provisioned_product: dev-env, action: scale-to-zero}}\n",
    );
    let connection = Connection {
        endpoint_url: Some(server.url()),
        local: true,
        max_attempts: Some(1),
        ..Connection::default()
    };
    let budgets = Clients::new(&connection, &BTreeMap::new()).await;
    let d = &config.budgets[0];
    budgetctl_aws::create_budget(budgets.for_account(&d.account), &d.account, &d.budget)
        .await
        .unwrap();
    server
        .service()
        .seed_spend(&budgetctl_local::SpendRequest {
            account_id: account.into(),
            budget_name: "dev-env-monthly".into(),
            actual_spend: Some("2500".into()),
            forecasted_spend: None,
            history: Vec::new(),
            health_status: None,
        })
        .unwrap();
    let catalog = CatalogClients::new(&connection, &BTreeMap::new()).await;
    let client = catalog.for_account(&d.account, "eu-west-1");
    scale_to_zero(&client).await;
    server.service().set_faults(budgetctl_local::Faults {
        lost: 1.0,
        operations: vec!["ExecuteProvisionedProductServiceAction".into()],
        ..budgetctl_local::Faults::default()
    });
    let options = RespondOptions {
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        dry_run: false,
        wait: None,
        retry_failed: false,
    };
    let reports = respond(&config, &budgets, &catalog, &options).await;
    let Outcome::Ran(record) = &reports[0].outcome else {
        panic!("{:?}", reports[0].outcome);
    };
    assert_eq!(
        server.service().request_counts()["ExecuteProvisionedProductServiceAction"],
        1,
        "one attempt, its answer lost"
    );
    let history = records_since(&client, &d.account, "pp-abcd1234efgh5", 0)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].id, record.id);
    let again = respond(&config, &budgets, &catalog, &options).await;
    assert!(
        matches!(&again[0].outcome, Outcome::AlreadyRan(r) if r.id == record.id),
        "{:?}",
        again[0].outcome
    );
}
