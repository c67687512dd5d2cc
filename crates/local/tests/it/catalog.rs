//! Service Catalog, the part `budgetctl respond` needs, over HTTP as the
//! SDK and the AWS CLI send it (JSON 1.1, `AWS242ServiceCatalogService.*`).

use crate::common;

use budgetctl_local::{LocalServer, ProvisionedProductRequest, RecordOutcomeRequest};
use common::*;
use serde_json::{Value, json};

/// One Service Catalog call signed with `key` for `region`: the HTTP status
/// and the JSON body.
async fn sc(server: &LocalServer, key: &str, region: &str, op: &str, body: Value) -> (u16, Value) {
    let target = format!("AWS242ServiceCatalogService.{op}");
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={key}/20261201/{region}/servicecatalog/aws4_request, SignedHeaders=host, Signature=0"
    );
    let (status, _, body) = http(
        server,
        "POST",
        "/",
        &[
            ("X-Amz-Target", target.as_str()),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Authorization", auth.as_str()),
        ],
        &body.to_string(),
    )
    .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A call as the default account's caller in eu-west-1.
async fn call(server: &LocalServer, op: &str, body: Value) -> (u16, Value) {
    sc(server, "AKIDLOCAL", "eu-west-1", op, body).await
}

fn error_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or("no error")
}

fn seed(server: &LocalServer, account: &str, status: &str) {
    server
        .service()
        .seed_provisioned_product(&ProvisionedProductRequest {
            account_id: account.into(),
            region: "eu-west-1".into(),
            id: "pp-abcd1234efgh5".into(),
            name: "dev-env".into(),
            product_id: "prod-abcd1234efgh5".into(),
            provisioning_artifact_id: "pa-abcd1234efgh5".into(),
            status: status.into(),
            product_type: "CFN_STACK".into(),
        })
        .unwrap();
}

/// A service action associated with the seeded product; its id.
async fn scale_to_zero(server: &LocalServer) -> String {
    let (status, created) = call(
        server,
        "CreateServiceAction",
        json!({
            "Name": "scale-to-zero",
            "DefinitionType": "SSM_AUTOMATION",
            "Definition": {"Name": "AWS-StopEC2Instance", "Version": "1", "AssumeRole": "LAUNCH_ROLE", "Parameters": "[{\"Name\":\"InstanceId\",\"Type\":\"TARGET\"}]"},
            "IdempotencyToken": "create-scale-to-zero",
        }),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = call(
        server,
        "AssociateServiceActionWithProvisioningArtifact",
        json!({"ProductId": "prod-abcd1234efgh5", "ProvisioningArtifactId": "pa-abcd1234efgh5", "ServiceActionId": id}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    id
}

async fn execute(server: &LocalServer, action: &str, token: &str, mode: &str) -> (u16, Value) {
    call(
        server,
        "ExecuteProvisionedProductServiceAction",
        json!({
            "ProvisionedProductId": "pp-abcd1234efgh5",
            "ServiceActionId": action,
            "ExecuteToken": token,
            "Parameters": {"Mode": [mode]},
        }),
    )
    .await
}

#[tokio::test]
async fn an_execute_token_makes_one_record_that_settles_succeeded() {
    let server = server().await;
    seed(&server, ACCOUNT, "AVAILABLE");
    let action = scale_to_zero(&server).await;
    let (status, first) = execute(&server, &action, "tok-2026-12", "full").await;
    assert_eq!(status, 200, "{first}");
    let record = first["RecordDetail"]["RecordId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(record.starts_with("rec-"), "{record}");
    assert_eq!(
        first["RecordDetail"]["RecordType"],
        "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION"
    );
    // The same token is the same record; with other parameters, refused.
    let (_, again) = execute(&server, &action, "tok-2026-12", "full").await;
    assert_eq!(again["RecordDetail"]["RecordId"], record.as_str());
    let (status, other) = execute(&server, &action, "tok-2026-12", "half").await;
    assert_eq!(
        (status, error_type(&other)),
        (400, "InvalidParametersException")
    );
    let (_, described) = call(&server, "DescribeRecord", json!({"Id": record})).await;
    assert_eq!(
        described["RecordDetail"]["Status"], "SUCCEEDED",
        "{described}"
    );
    let (_, history) = call(
        &server,
        "ListRecordHistory",
        json!({"SearchFilter": {"Key": "provisionedproduct", "Value": "pp-abcd1234efgh5"}}),
    )
    .await;
    assert_eq!(
        history["RecordDetails"].as_array().unwrap().len(),
        1,
        "{history}"
    );
    assert_eq!(
        server.service().applied_counts()["ExecuteProvisionedProductServiceAction"],
        2,
        "two calls carried out, one record made"
    );
}

#[tokio::test]
async fn names_resolve_and_mistakes_are_service_catalogs_errors() {
    let server = server().await;
    seed(&server, ACCOUNT, "AVAILABLE");
    let (_, pp) = call(
        &server,
        "DescribeProvisionedProduct",
        json!({"Name": "dev-env"}),
    )
    .await;
    assert_eq!(
        pp["ProvisionedProductDetail"]["Id"], "pp-abcd1234efgh5",
        "{pp}"
    );
    let (status, missing) = call(
        &server,
        "DescribeProvisionedProduct",
        json!({"Name": "prod-env"}),
    )
    .await;
    assert_eq!(
        (status, error_type(&missing)),
        (400, "ResourceNotFoundException")
    );
    // An action not associated with the product's artifact is refused.
    let (_, created) = call(
        &server,
        "CreateServiceAction",
        json!({"Name": "loose", "DefinitionType": "SSM_AUTOMATION", "Definition": {"Name": "AWS-RestartEC2Instance", "Version": "1"}, "IdempotencyToken": "loose"}),
    )
    .await;
    let loose = created["ServiceActionDetail"]["ServiceActionSummary"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, refused) = execute(&server, &loose, "t1", "full").await;
    assert_eq!(
        (status, error_type(&refused)),
        (400, "InvalidParametersException"),
        "{refused}"
    );
    let (status, unknown) = execute(&server, "act-nosuchaction0", "t2", "full").await;
    assert_eq!(
        (status, error_type(&unknown)),
        (400, "ResourceNotFoundException"),
        "{unknown}"
    );
    let action = scale_to_zero(&server).await;
    let (status, twice) = call(
        &server,
        "AssociateServiceActionWithProvisioningArtifact",
        json!({"ProductId": "prod-abcd1234efgh5", "ProvisioningArtifactId": "pa-abcd1234efgh5", "ServiceActionId": action}),
    )
    .await;
    assert_eq!(
        (status, error_type(&twice)),
        (400, "DuplicateResourceException")
    );
    let (_, listed) = call(
        &server,
        "ListServiceActionsForProvisioningArtifact",
        json!({"ProductId": "prod-abcd1234efgh5", "ProvisioningArtifactId": "pa-abcd1234efgh5"}),
    )
    .await;
    let names: Vec<&str> = listed["ServiceActionSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["scale-to-zero"]);
    // The model validates every request: ExecuteToken is required.
    let (status, invalid) = call(
        &server,
        "ExecuteProvisionedProductServiceAction",
        json!({"ProvisionedProductId": "pp-abcd1234efgh5", "ServiceActionId": action}),
    )
    .await;
    assert_eq!(
        (status, error_type(&invalid)),
        (400, "InvalidParametersException"),
        "{invalid}"
    );
    assert!(
        !server
            .service()
            .applied_counts()
            .contains_key("ExecuteProvisionedProductServiceAction")
    );
}

#[tokio::test]
async fn a_busy_product_refuses_another_execution_and_a_record_ends_as_told() {
    let server = server().await;
    seed(&server, ACCOUNT, "AVAILABLE");
    let action = scale_to_zero(&server).await;
    server.service().set_faults(budgetctl_local::Faults {
        record_ms: 600_000,
        ..Default::default()
    });
    let (_, first) = execute(&server, &action, "t1", "full").await;
    assert_eq!(first["RecordDetail"]["Status"], "CREATED");
    let (status, busy) = execute(&server, &action, "t2", "full").await;
    assert_eq!(
        (status, error_type(&busy)),
        (400, "InvalidStateException"),
        "{busy}"
    );

    let fresh = common::server().await;
    seed(&fresh, ACCOUNT, "AVAILABLE");
    let action = scale_to_zero(&fresh).await;
    let (_, made) = execute(&fresh, &action, "t1", "full").await;
    let record = made["RecordDetail"]["RecordId"]
        .as_str()
        .unwrap()
        .to_owned();
    fresh
        .service()
        .set_record_outcome(&RecordOutcomeRequest {
            record_id: record.clone(),
            status: "FAILED".into(),
            errors: vec![
                json!({"Code": "AutomationFailed", "Description": "the instance is gone"}),
            ],
        })
        .unwrap();
    let (_, described) = call(&fresh, "DescribeRecord", json!({"Id": record})).await;
    assert_eq!(described["RecordDetail"]["Status"], "FAILED");
    assert_eq!(
        described["RecordDetail"]["RecordErrors"][0]["Code"],
        "AutomationFailed"
    );
    // A product that is not AVAILABLE takes no execution.
    let tainted = common::server().await;
    seed(&tainted, ACCOUNT, "TAINTED");
    let action = scale_to_zero(&tainted).await;
    let (status, refused) = execute(&tainted, &action, "t1", "full").await;
    assert_eq!(
        (status, error_type(&refused)),
        (400, "InvalidStateException")
    );
}

/// Service Catalog has no AccountId: the credentials decide the account (a
/// role session acts in its role's), and the signed region the region.
#[tokio::test]
async fn the_credentials_decide_the_account_and_the_signature_the_region() {
    let server = server().await;
    seed(&server, "444455556666", "AVAILABLE");
    let find = json!({"Name": "dev-env"});
    let (status, _) = call(&server, "DescribeProvisionedProduct", find.clone()).await;
    assert_eq!(status, 400, "the default account has no such product");
    let (_, _, xml) = http(
        &server,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261201/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0"),
        ],
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2Fbudgetctl&RoleSessionName=respond",
    )
    .await;
    let key = xml
        .split("<AccessKeyId>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    let (status, found) = sc(
        &server,
        &key,
        "eu-west-1",
        "DescribeProvisionedProduct",
        find.clone(),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    let (status, _) = sc(
        &server,
        &key,
        "us-east-1",
        "DescribeProvisionedProduct",
        find,
    )
    .await;
    assert_eq!(status, 400, "another region has no such product");
}
