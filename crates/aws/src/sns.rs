//! SNS for `budgetctl lint --check-sns`: a topic's access policy
//! (GetTopicAttributes), read in the topic's region through the client
//! that reaches the budget's account (its role, when it has one), so that
//! lint can tell whether budgets.amazonaws.com may publish to it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use aws_sdk_budgets::config::SharedCredentialsProvider;
use aws_sdk_sns::Client;
use aws_sdk_sns::config::Region;
use budgetctl_model::AccountId;

use crate::clients::{Connection, role_providers, sdk_config};
use crate::error::{AwsError, ErrorKind};

/// SNS clients, one per account and region, made on first use.
#[derive(Debug)]
pub struct SnsClients {
    sdk: aws_config::SdkConfig,
    roles: HashMap<String, SharedCredentialsProvider>,
    made: Mutex<HashMap<(String, String), Client>>,
}

impl SnsClients {
    /// Connected as `connection` says; accounts in `roles` through their role.
    pub async fn new(connection: &Connection, roles: &BTreeMap<AccountId, String>) -> Self {
        let sdk = sdk_config(connection).await;
        let roles = role_providers(&sdk, roles).await;
        SnsClients {
            sdk,
            roles,
            made: Mutex::new(HashMap::new()),
        }
    }

    fn client(&self, account: &AccountId, region: &str) -> Client {
        let key = (account.as_str().to_owned(), region.to_owned());
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        made.entry(key)
            .or_insert_with(|| {
                let mut config = aws_sdk_sns::config::Builder::from(&self.sdk)
                    .region(Region::new(region.to_owned()));
                if let Some(provider) = self.roles.get(account.as_str()) {
                    config = config.credentials_provider(provider.clone());
                }
                Client::from_conf(config.build())
            })
            .clone()
    }

    /// The access policy of the topic `arn` (its `Policy` attribute), read
    /// as `account`; `None` when the topic does not exist.
    pub async fn topic_policy(
        &self,
        account: &AccountId,
        arn: &str,
    ) -> Result<Option<String>, AwsError> {
        let region = arn.split(':').nth(3).unwrap_or("us-east-1");
        let answer = self
            .client(account, region)
            .get_topic_attributes()
            .topic_arn(arn)
            .send()
            .await;
        match answer {
            Ok(out) => Ok(Some(
                out.attributes()
                    .and_then(|a| a.get("Policy"))
                    .cloned()
                    .unwrap_or_default(),
            )),
            Err(e) => {
                let e = AwsError::from_sdk(account, "GetTopicAttributes", e);
                if e.kind == ErrorKind::NotFound || e.code.as_deref() == Some("NotFound") {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Whether a topic policy lets AWS Budgets publish: a statement that
/// allows the service principal budgets.amazonaws.com `SNS:Publish` (or
/// `SNS:*`, `*`). Conditions are not evaluated: one that narrows the
/// grant to the budgets' account is what AWS documents.
pub fn lets_budgets_publish(policy: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let list = |v: &serde_json::Value| -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        s @ serde_json::Value::Object(_) => vec![s.clone()],
        _ => Vec::new(),
    };
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && list(&s["Principal"]["Service"])
                .iter()
                .any(|p| p == "budgets.amazonaws.com")
            && list(&s["Action"]).iter().any(|a| {
                let a = a.to_ascii_lowercase();
                a == "sns:publish" || a == "sns:*" || a == "*"
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_grant_to_the_budgets_principal_lets_it_publish() {
        let allowed = r#"{"Version":"2012-10-17","Statement":[{"Sid":"budgets","Effect":"Allow","Principal":{"Service":"budgets.amazonaws.com"},"Action":"SNS:Publish","Resource":"arn:aws:sns:us-east-1:111122223333:alerts"}]}"#;
        assert!(lets_budgets_publish(allowed));
        let owner_only = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish"],"Condition":{"StringEquals":{"AWS:SourceOwner":"111122223333"}}}]}"#;
        assert!(!lets_budgets_publish(owner_only));
        let denied = r#"{"Statement":{"Effect":"Deny","Principal":{"Service":["budgets.amazonaws.com"]},"Action":"SNS:Publish"}}"#;
        assert!(!lets_budgets_publish(denied));
        assert!(!lets_budgets_publish("not json"));
    }
}
