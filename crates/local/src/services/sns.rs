//! SNS, as much as budgetctl and its tests need (awsQuery: a form in, XML
//! out): CreateTopic, GetTopicAttributes and SetTopicAttributes, topics
//! kept per account in the store, each with its access policy. A new topic
//! has AWS's default policy: its owner's account may publish, and the
//! budgets service principal may not until a statement says so. Budgets
//! notifications accept any topic ARN, as AWS's do.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use crate::Service;
use crate::services::sts::StsError;

const NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// Whether a form-encoded request is for SNS: signed for the `sns` service.
pub fn is_sns(authorization: &str) -> bool {
    authorization
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').nth(3))
        == Some("sns")
}

/// AWS's default policy of a new topic: the owner account may act on it.
fn default_policy(arn: &str, account: &str) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:Publish"],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    })
    .to_string()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn not_found(arn: &str) -> StsError {
    StsError {
        status: 404,
        code: "NotFound",
        message: format!("Topic does not exist: {arn}"),
    }
}

impl Service {
    /// Answer one SNS query as `account` in `region`: the XML body, or the
    /// error SNS would send.
    pub fn sns_query(
        &self,
        body: &[u8],
        account: &str,
        region: &str,
        request_id: &str,
    ) -> Result<String, StsError> {
        let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        let action = form.get("Action").map(String::as_str).unwrap_or("");
        let arn = || form.get("TopicArn").cloned().unwrap_or_default();
        let metadata =
            format!("<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>");
        let mut store = self.lock();
        match action {
            "CreateTopic" => {
                let name = form.get("Name").cloned().unwrap_or_default();
                let name_ok = (1..=256).contains(&name.len())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !name_ok {
                    return Err(StsError::validation(
                        "Invalid parameter: Topic Name: 1 to 256 letters, digits, hyphens and underscores",
                    ));
                }
                let arn = format!("arn:aws:sns:{region}:{account}:{name}");
                store.topics.entry(arn.clone()).or_insert_with(|| {
                    BTreeMap::from([("Policy".to_owned(), default_policy(&arn, account))])
                });
                drop(store);
                self.mark(None);
                self.touch();
                Ok(format!(
                    "<CreateTopicResponse xmlns=\"{NAMESPACE}\"><CreateTopicResult><TopicArn>{}</TopicArn></CreateTopicResult>{metadata}</CreateTopicResponse>",
                    xml_escape(&arn)
                ))
            }
            "GetTopicAttributes" => {
                let arn = arn();
                let attributes = store.topics.get(&arn).ok_or_else(|| not_found(&arn))?;
                let owner = arn.split(':').nth(4).unwrap_or_default();
                let mut entries = String::new();
                let mut all = attributes.clone();
                all.insert("TopicArn".into(), arn.clone());
                all.insert("Owner".into(), owner.to_owned());
                for (k, v) in &all {
                    entries.push_str(&format!(
                        "<entry><key>{}</key><value>{}</value></entry>",
                        xml_escape(k),
                        xml_escape(v)
                    ));
                }
                Ok(format!(
                    "<GetTopicAttributesResponse xmlns=\"{NAMESPACE}\"><GetTopicAttributesResult><Attributes>{entries}</Attributes></GetTopicAttributesResult>{metadata}</GetTopicAttributesResponse>"
                ))
            }
            "SetTopicAttributes" => {
                let arn = arn();
                let name = form.get("AttributeName").cloned().unwrap_or_default();
                let value = form.get("AttributeValue").cloned().unwrap_or_default();
                if name == "Policy" && serde_json::from_str::<serde_json::Value>(&value).is_err() {
                    return Err(StsError::validation(
                        "Invalid parameter: Policy Error: the policy is not JSON",
                    ));
                }
                let attributes = store.topics.get_mut(&arn).ok_or_else(|| not_found(&arn))?;
                attributes.insert(name, value);
                drop(store);
                self.mark(None);
                self.touch();
                Ok(format!(
                    "<SetTopicAttributesResponse xmlns=\"{NAMESPACE}\">{metadata}</SetTopicAttributesResponse>"
                ))
            }
            other => Err(StsError {
                status: 400,
                code: "InvalidAction",
                message: format!(
                    "budgetctl-local answers only SNS CreateTopic, GetTopicAttributes and SetTopicAttributes, not {other}"
                ),
            }),
        }
    }
}
