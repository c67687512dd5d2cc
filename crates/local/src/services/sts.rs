//! The STS operations clients need: AssumeRole, so that per-account roles
//! (`accounts.<id>.role`) work against budgetctl-local as against AWS, and
//! GetCallerIdentity, which Terraform's AWS provider asks to learn its
//! account (it builds budget action ARNs from it).
//!
//! STS speaks the awsQuery protocol: a form-encoded `Action=AssumeRole` POST,
//! answered in XML. Each AssumeRole issues session credentials bound to the
//! role's account; a Budgets call signed with them for another account is
//! refused with AccessDeniedException, as AWS refuses it. Calls signed with
//! any other key are the caller's own credentials and are accepted, as
//! before. Which credentials called which account is counted, so tests can
//! see that each account was reached through its role.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{ApiError, ErrorKind};

/// How long issued credentials claim to live (AssumeRole's default).
const SESSION_SECONDS: i64 = 3600;

/// What `/_local/requests` calls credentials that no AssumeRole issued.
pub const BASE_CREDENTIALS: &str = "base credentials";

/// The account GetCallerIdentity reports for credentials that no
/// AssumeRole issued: the account the README and the tests use.
pub const BASE_ACCOUNT: &str = "111122223333";

#[derive(Debug, Clone)]
struct Session {
    role_arn: String,
    account: String,
    principal: String,
}

/// Sessions issued by AssumeRole and what each caller reached.
#[derive(Debug, Default)]
pub struct Sessions {
    issued: Mutex<HashMap<String, Session>>,
    /// Caller (role ARN or [`BASE_CREDENTIALS`]) → account → Budgets calls.
    callers: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    next: AtomicU64,
}

/// An AssumeRole refusal, in STS's XML error form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl StsError {
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        StsError {
            status: 400,
            code: "ValidationError",
            message: message.into(),
        }
    }

    pub fn to_xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            self.code,
            xml_escape(&self.message)
        )
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether a request body is an STS query rather than a Budgets JSON call.
pub fn is_query(body: &[u8]) -> bool {
    body.starts_with(b"Action=") || body.windows(8).any(|w| w == b"&Action=")
}

/// The access key id of a SigV4 `Authorization` header.
fn access_key(authorization: &str) -> Option<&str> {
    let credential = authorization.split("Credential=").nth(1)?;
    credential.split('/').next()
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` → (account, name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn
        .strip_prefix("arn:")?
        .split_once(':')?
        .1
        .strip_prefix("iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && name_ok)
        .then_some((account, name))
}

impl Sessions {
    /// The STS action a query asks for.
    pub fn action_of(body: &[u8]) -> String {
        form_urlencoded::parse(body)
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }

    /// Answer one STS query, signed with `authorization`: AssumeRole issues
    /// credentials for the role's account, GetCallerIdentity says whose the
    /// signing credentials are; any other action is refused as STS refuses it.
    pub fn query(&self, body: &[u8], authorization: &str) -> Result<String, StsError> {
        let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        match form.get("Action").map(String::as_str) {
            Some("AssumeRole") => {}
            Some("GetCallerIdentity") => return Ok(self.caller_identity(authorization)),
            other => {
                return Err(StsError {
                    status: 400,
                    code: "InvalidAction",
                    message: format!(
                        "budgetctl-local answers only STS AssumeRole and GetCallerIdentity, not {}",
                        other.unwrap_or("(no Action)")
                    ),
                });
            }
        }
        let role_arn = form.get("RoleArn").map(String::as_str).unwrap_or("");
        let Some((account, role_name)) = parse_role_arn(role_arn) else {
            return Err(StsError::validation(format!(
                "{role_arn:?} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            )));
        };
        let session_name = form
            .get("RoleSessionName")
            .map(String::as_str)
            .unwrap_or("");
        let session_ok = (2..=64).contains(&session_name.len())
            && session_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !session_ok {
            return Err(StsError::validation(
                "RoleSessionName must be 2 to 64 characters of [\\w+=,.@-]",
            ));
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let access_key = format!("ASIALOCAL{n:011}");
        let principal = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}");
        self.issued
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                access_key.clone(),
                Session {
                    role_arn: role_arn.to_owned(),
                    account: account.to_owned(),
                    principal: principal.clone(),
                },
            );
        let expiration = (chrono::Utc::now() + chrono::Duration::seconds(SESSION_SECONDS))
            .format("%Y-%m-%dT%H:%M:%SZ");
        Ok(format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials><AccessKeyId>{access_key}</AccessKeyId><SecretAccessKey>local-secret-{n}</SecretAccessKey><SessionToken>local-session-{n}</SessionToken><Expiration>{expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROALOCAL{n:011}:{session_name}</AssumedRoleId><Arn>{principal}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>local-sts-{n}</RequestId></ResponseMetadata></AssumeRoleResponse>"
        ))
    }

    /// The account credentials act in: a session's role account, or
    /// `default` for credentials no AssumeRole issued.
    pub fn account_of(&self, authorization: &str, default: &str) -> String {
        access_key(authorization)
            .and_then(|key| {
                self.issued
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(key)
                    .map(|s| s.account.clone())
            })
            .unwrap_or_else(|| default.to_owned())
    }

    fn caller_identity(&self, authorization: &str) -> String {
        let session = access_key(authorization).and_then(|key| {
            self.issued
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(key)
                .cloned()
        });
        let (account, arn) = match session {
            Some(s) => (s.account, s.principal),
            None => (
                BASE_ACCOUNT.to_owned(),
                format!("arn:aws:iam::{BASE_ACCOUNT}:user/local"),
            ),
        };
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>AIDALOCAL{n:011}</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>local-sts-{n}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
            xml_escape(&arn)
        )
    }

    /// Count a Budgets call by who signed it, and refuse session credentials
    /// of one account used for another, naming the IAM action as AWS does.
    pub fn authorize(
        &self,
        authorization: &str,
        action: &str,
        account: &str,
    ) -> Result<(), ApiError> {
        let session = access_key(authorization).and_then(|key| {
            self.issued
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(key)
                .cloned()
        });
        let caller = session
            .as_ref()
            .map_or(BASE_CREDENTIALS.to_owned(), |s| s.role_arn.clone());
        *self
            .callers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(caller)
            .or_default()
            .entry(account.to_owned())
            .or_default() += 1;
        match session {
            Some(s) if !account.is_empty() && s.account != account => Err(ApiError::new(
                ErrorKind::AccessDenied,
                format!(
                    "User: {} is not authorized to perform: {action} on resource: arn:aws:budgets::{account}:budget/*",
                    s.principal
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Budgets calls per caller and account since start or the last reset.
    pub fn callers(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.callers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn reset_callers(&self) {
        self.callers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// The region a SigV4 `Authorization` header signs for
/// (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`).
pub fn signed_region(authorization: &str) -> Option<&str> {
    let credential = authorization.split("Credential=").nth(1)?;
    credential.split('/').nth(2).filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assume(sessions: &Sessions, role: &str) -> Result<String, StsError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "AssumeRole")
            .append_pair("Version", "2011-06-15")
            .append_pair("RoleArn", role)
            .append_pair("RoleSessionName", "budgetctl")
            .finish();
        sessions.query(body.as_bytes(), "")
    }

    #[test]
    fn issued_credentials_reach_only_their_account() {
        let sessions = Sessions::default();
        let xml = assume(&sessions, "arn:aws:iam::111122223333:role/budgetctl").unwrap();
        let key = xml
            .split("<AccessKeyId>")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .unwrap();
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={key}/20261123/us-east-1/budgets/aws4_request, SignedHeaders=host, Signature=0"
        );
        assert!(
            sessions
                .authorize(&auth, "budgets:ViewBudget", "111122223333")
                .is_ok()
        );
        let denied = sessions
            .authorize(&auth, "budgets:ViewBudget", "444455556666")
            .unwrap_err();
        assert!(
            denied.message.contains(
                "arn:aws:sts::111122223333:assumed-role/budgetctl/budgetctl is not authorized"
            ),
            "{}",
            denied.message
        );
        // Keys no AssumeRole issued are the caller's own: accepted, counted apart.
        let own = "AWS4-HMAC-SHA256 Credential=AKIDOWN/20261123/us-east-1/budgets/aws4_request";
        assert!(
            sessions
                .authorize(own, "budgets:ViewBudget", "444455556666")
                .is_ok()
        );
        let callers = sessions.callers();
        assert_eq!(
            callers["arn:aws:iam::111122223333:role/budgetctl"]["444455556666"],
            1
        );
        assert_eq!(callers[BASE_CREDENTIALS]["444455556666"], 1);
        // GetCallerIdentity says whose the signing credentials are.
        let identity = sessions.query(b"Action=GetCallerIdentity", &auth).unwrap();
        assert!(
            identity.contains("<Account>111122223333</Account>"),
            "{identity}"
        );
        assert!(
            identity.contains("assumed-role/budgetctl/budgetctl"),
            "{identity}"
        );
        let identity = sessions.query(b"Action=GetCallerIdentity", own).unwrap();
        assert!(
            identity.contains(&format!("<Account>{BASE_ACCOUNT}</Account>")),
            "{identity}"
        );
    }

    #[test]
    fn malformed_requests_are_refused_like_sts() {
        let sessions = Sessions::default();
        let e = assume(&sessions, "arn:aws:iam::1111:role/x").unwrap_err();
        assert_eq!(e.code, "ValidationError");
        let e = sessions.query(b"Action=GetSessionToken", "").unwrap_err();
        assert_eq!(e.code, "InvalidAction");
        assert!(e.to_xml("r").starts_with("<ErrorResponse"));
        assert!(is_query(b"Action=AssumeRole&Version=2011-06-15"));
        assert!(!is_query(b"{\"AccountId\": \"111122223333\"}"));
    }
}
