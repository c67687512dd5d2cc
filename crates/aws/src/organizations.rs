//! Groups of accounts read from AWS Organizations: `organizations: all`
//! by ListAccounts, an OU by ListAccountsForParent, and with `recursive`
//! every OU under it by ListChildren, through the management account's
//! credentials (the base ones, or `organizations.role`). Only ACTIVE
//! accounts are kept: a suspended or closing account takes no budgets.

use std::collections::{BTreeMap, BTreeSet};

use aws_config::sts::AssumeRoleProvider;
use aws_sdk_organizations::Client;
use aws_sdk_organizations::types::{AccountState, AccountStatus, ChildType};
use budgetctl_model::{AccountId, OrganizationAccounts, OrganizationSource};

use crate::clients::{Connection, ROLE_SESSION_NAME, sdk_config};
use crate::error::AwsError;

/// The account errors name when the management account is not known
/// (no role, and STS could not say whose the credentials are).
const UNKNOWN_ACCOUNT: &str = "000000000000";

/// Every source's ACTIVE accounts, each sorted, read as `connection`
/// says, through `role` when given. An error names the management
/// account: the role's, or whose the base credentials are (STS).
pub async fn read_organization(
    connection: &Connection,
    role: Option<&str>,
    sources: &[OrganizationSource],
) -> Result<OrganizationAccounts, AwsError> {
    let sdk = sdk_config(connection).await;
    let client = organizations_client(&sdk, role).await;
    let account = role
        .and_then(|r| r.split(':').nth(4))
        .and_then(AccountId::parse);
    let known = account.is_some();
    let account = account
        .or_else(|| AccountId::parse(UNKNOWN_ACCOUNT))
        .expect("twelve digits");
    match read_sources(&client, &account, sources).await {
        Err(mut e) if !known => {
            if let Ok(who) = aws_sdk_sts::Client::new(&sdk)
                .get_caller_identity()
                .send()
                .await
                && let Some(id) = who.account().and_then(AccountId::parse)
            {
                e.account = id;
            }
            Err(e)
        }
        read => read,
    }
}

/// An Organizations client, through `role` when given.
async fn organizations_client(sdk: &aws_config::SdkConfig, role: Option<&str>) -> Client {
    let mut config = aws_sdk_organizations::config::Builder::from(sdk);
    if let Some(role) = role {
        let provider = AssumeRoleProvider::builder(role)
            .session_name(ROLE_SESSION_NAME)
            .configure(sdk)
            .build()
            .await;
        config = config.credentials_provider(
            aws_sdk_organizations::config::SharedCredentialsProvider::new(provider),
        );
    }
    Client::from_conf(config.build())
}

/// How deep OUs nest under an OU at most: Organizations allows five
/// levels under the root.
const MAX_OU_DEPTH: usize = 5;

async fn read_sources(
    client: &Client,
    account: &AccountId,
    sources: &[OrganizationSource],
) -> Result<OrganizationAccounts, AwsError> {
    let mut out = BTreeMap::new();
    for source in sources {
        let mut accounts = match source {
            OrganizationSource::All => list_accounts(client, account).await?,
            OrganizationSource::Ou { id, recursive } => {
                // An OU is walked once however often it is listed, and no
                // deeper than Organizations nests OUs: an endpoint that
                // answers a cycle cannot make the walk endless.
                let mut parents = vec![(id.clone(), 0)];
                let mut visited = BTreeSet::from([id.clone()]);
                let mut accounts = Vec::new();
                while let Some((parent, depth)) = parents.pop() {
                    accounts.extend(accounts_for_parent(client, account, &parent).await?);
                    if *recursive && depth < MAX_OU_DEPTH {
                        for child in child_units(client, account, &parent).await? {
                            if visited.insert(child.clone()) {
                                parents.push((child, depth + 1));
                            }
                        }
                    }
                }
                accounts
            }
        };
        accounts.sort();
        accounts.dedup();
        out.insert(source.clone(), accounts);
    }
    Ok(out)
}

/// Whether an account is ACTIVE: by its `State`, or where an older
/// endpoint sends only `Status` (retired on 9 September 2026), by that.
fn is_active(a: &aws_sdk_organizations::types::Account) -> bool {
    match (a.state(), a.status()) {
        (Some(state), _) => *state == AccountState::Active,
        (None, Some(status)) => *status == AccountStatus::Active,
        (None, None) => false,
    }
}

fn active_ids(accounts: &[aws_sdk_organizations::types::Account]) -> Vec<AccountId> {
    accounts
        .iter()
        .filter(|a| is_active(a))
        .filter_map(|a| AccountId::parse(a.id()?))
        .collect()
}

async fn list_accounts(client: &Client, account: &AccountId) -> Result<Vec<AccountId>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk(account, "ListAccounts", e))?;
        out.extend(active_ids(page.accounts()));
    }
    Ok(out)
}

async fn accounts_for_parent(
    client: &Client,
    account: &AccountId,
    parent: &str,
) -> Result<Vec<AccountId>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_accounts_for_parent()
        .parent_id(parent)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk(account, "ListAccountsForParent", e))?;
        out.extend(active_ids(page.accounts()));
    }
    Ok(out)
}

async fn child_units(
    client: &Client,
    account: &AccountId,
    parent: &str,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut pages = client
        .list_children()
        .parent_id(parent)
        .child_type(ChildType::OrganizationalUnit)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk(account, "ListChildren", e))?;
        out.extend(
            page.children()
                .iter()
                .filter_map(|c| c.id().map(str::to_owned)),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// An Organizations endpoint on 127.0.0.1 whose ListChildren answers
    /// two OUs that are each other's child, a cycle no real organisation
    /// has (budgetctl-local refuses to hold one); it counts ListChildren.
    async fn cyclic_organization() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let children = Arc::new(AtomicUsize::new(0));
        let counted = children.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 8192];
                    loop {
                        let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => seen.extend_from_slice(&buf[..n]),
                            }
                            continue;
                        };
                        let head = String::from_utf8_lossy(&seen[..end]).to_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        while seen.len() < end + 4 + length {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => seen.extend_from_slice(&buf[..n]),
                            }
                        }
                        let request =
                            String::from_utf8_lossy(&seen[end + 4..end + 4 + length]).into_owned();
                        seen.drain(..end + 4 + length);
                        let body = if head.contains(".listchildren") {
                            counted.fetch_add(1, Ordering::SeqCst);
                            let child = if request.contains("ou-aaaa-11111111") {
                                "ou-aaaa-22222222"
                            } else {
                                "ou-aaaa-11111111"
                            };
                            format!(
                                r#"{{"Children": [{{"Id": "{child}", "Type": "ORGANIZATIONAL_UNIT"}}]}}"#
                            )
                        } else {
                            r#"{"Accounts": []}"#.to_owned()
                        };
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (url, children)
    }

    #[tokio::test]
    async fn a_recursive_walk_visits_each_ou_once_even_round_a_cycle() {
        let (url, children) = cyclic_organization().await;
        let connection = Connection {
            endpoint_url: Some(url),
            local: true,
            ..Connection::default()
        };
        let sources = [OrganizationSource::Ou {
            id: "ou-aaaa-11111111".into(),
            recursive: true,
        }];
        let read = tokio::time::timeout(
            Duration::from_secs(60),
            read_organization(&connection, None, &sources),
        )
        .await
        .expect("the walk ends");
        assert_eq!(read.unwrap()[&sources[0]], Vec::<AccountId>::new());
        assert_eq!(children.load(Ordering::SeqCst), 2, "each OU listed once");
    }
}
