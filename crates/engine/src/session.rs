//! The session every command runs in: where the Budgets API is and as whom
//! to call it ([`SessionOptions`]), the clients of one run (one per account
//! role), budgetctl-local started in process for `--local`, and groups of
//! accounts read from AWS Organizations while the files are loaded.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::PathBuf;

use budgetctl_aws::organizations::read_organization;
use budgetctl_aws::{BUDGETS_SIGNING_REGION, Clients, Connection, partition};
use budgetctl_diff::PlanTarget;
use budgetctl_local::{LocalError, LocalOptions, LocalServer};
use budgetctl_spec::{AccountId, Loaded, OrganizationAccounts, Parsed};

use crate::error::AwsError;

/// The state file `--local` keeps, relative to the working directory.
pub const LOCAL_STATE: &str = ".budgetctl/local.json";

/// Where the Budgets API is and as whom to call it.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// budgetctl-local, started in this process with its state in
    /// [`LOCAL_STATE`].
    pub local: bool,
    /// Another Budgets endpoint; `AWS_ENDPOINT_URL` works too.
    pub endpoint_url: Option<String>,
    /// A named AWS profile; `AWS_PROFILE` works too.
    pub profile: Option<String>,
    /// The signing region (us-east-1 unless the partition needs another).
    pub region: Option<String>,
    /// Requests per second to each account when reading (`None`: no limit).
    pub account_rps: Option<NonZeroU32>,
    /// Requests per second across the run when reading (`None`: no limit).
    pub max_rps: Option<NonZeroU32>,
}

impl SessionOptions {
    /// The target these options reach, as a saved plan records it: the
    /// environment's endpoint and profile count, except under `--local`.
    pub fn target(&self) -> PlanTarget {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        PlanTarget {
            local: self.local,
            endpoint_url: self
                .endpoint_url
                .clone()
                .or_else(|| env("AWS_ENDPOINT_URL"))
                .filter(|_| !self.local),
            profile: self
                .profile
                .clone()
                .or_else(|| env("AWS_PROFILE"))
                .filter(|_| !self.local),
            region: self.region.clone(),
        }
    }
}

/// Why a session could not start, load its files or stop.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// budgetctl-local could not start, or could not save its state.
    #[error(transparent)]
    Local(#[from] LocalError),
    /// A group from AWS Organizations could not be read.
    #[error(transparent)]
    Organizations(AwsError),
}

/// The clients of one run, and the budgetctl-local started for them.
pub struct Session {
    server: Option<LocalServer>,
    clients: Clients,
    connection: Connection,
}

/// Files loaded in a session: ready to use, or with errors (the session
/// is closed then, and nothing remote was read past the groups).
pub enum Opened {
    Ready(Box<Session>, Loaded),
    Invalid(Loaded),
}

impl Session {
    /// Connect as `options` say, every account through the base credentials.
    pub async fn start(options: &SessionOptions) -> Result<Session, SessionError> {
        // --local runs the same code path against an endpoint started here.
        let server = if options.local {
            Some(
                LocalServer::start(LocalOptions {
                    state: Some(PathBuf::from(LOCAL_STATE)),
                    // The in-process endpoint serves the partition of the
                    // region asked for, as AWS would.
                    partition: partition(
                        options.region.as_deref().unwrap_or(BUDGETS_SIGNING_REGION),
                    )
                    .to_owned(),
                    // Two --local runs in one directory take turns.
                    wait_for_lock: true,
                    ..LocalOptions::default()
                })
                .await?,
            )
        } else {
            None
        };
        let connection = Connection {
            profile: options.profile.clone(),
            endpoint_url: server
                .as_ref()
                .map(LocalServer::url)
                .or_else(|| options.endpoint_url.clone()),
            local: options.local,
            region: options.region.clone(),
            account_rps: options.account_rps,
            max_rps: options.max_rps,
            ..Connection::default()
        };
        Ok(Session::over(connection, server).await)
    }

    /// The account the session's base credentials belong to (STS
    /// GetCallerIdentity): `budgetctl init` writes its first budget there.
    pub async fn caller_account(&self) -> Result<AccountId, AwsError> {
        budgetctl_aws::caller_account(&self.connection).await
    }

    /// A session over `connection` (for tests: an endpoint they started).
    pub async fn connect(connection: Connection) -> Session {
        Session::over(connection, None).await
    }

    async fn over(connection: Connection, server: Option<LocalServer>) -> Session {
        let clients = Clients::new(&connection, &BTreeMap::new()).await;
        Session {
            server,
            clients,
            connection,
        }
    }

    /// Connect, and load the files whose parse is `parsed`, their groups
    /// from AWS Organizations read through this session; the accounts
    /// with a role are reached through it from then on.
    pub async fn open(options: &SessionOptions, parsed: Parsed) -> Result<Opened, SessionError> {
        Session::open_unless(options, parsed, &|loaded: &Loaded| loaded.has_errors()).await
    }

    /// [`Session::open`], for `lint`: files whose only errors break the
    /// policy are what it reports on, and open.
    pub async fn open_despite_policy(
        options: &SessionOptions,
        parsed: Parsed,
    ) -> Result<Opened, SessionError> {
        Session::open_unless(options, parsed, &|loaded: &Loaded| {
            loaded.errors().any(|d| !d.code.breaks_policy())
        })
        .await
    }

    async fn open_unless(
        options: &SessionOptions,
        parsed: Parsed,
        invalid: &(dyn Fn(&Loaded) -> bool + Sync),
    ) -> Result<Opened, SessionError> {
        if parsed.has_errors() {
            return Ok(Opened::Invalid(
                parsed.resolve(&OrganizationAccounts::new()),
            ));
        }
        let session = Session::start(options).await?;
        let loaded = match session.resolve(parsed).await {
            Ok(loaded) => loaded,
            Err(e) => return session.finish(Err(e)).await,
        };
        if invalid(&loaded) {
            session.close().await?;
            return Ok(Opened::Invalid(loaded));
        }
        let session = session.with_roles(&loaded.config.roles()).await;
        Ok(Opened::Ready(Box::new(session), loaded))
    }

    /// Load `parsed` for a command that needs no session but for the
    /// groups from AWS Organizations: those are read through one opened for
    /// the purpose (only when the files have some).
    pub async fn load(options: &SessionOptions, parsed: Parsed) -> Result<Loaded, SessionError> {
        if parsed.has_errors() || parsed.organization_sources().is_empty() {
            return Ok(parsed.resolve(&OrganizationAccounts::new()));
        }
        let session = Session::start(options).await?;
        let loaded = session.resolve(parsed).await;
        session.finish(loaded).await
    }

    /// The accounts in `roles` reached through their role from now on.
    pub async fn with_roles(mut self, roles: &BTreeMap<AccountId, String>) -> Session {
        self.clients = Clients::new(&self.connection, roles).await;
        self
    }

    /// Load the files whose parse is `parsed`, their groups from AWS
    /// Organizations read through this session (only when they have some).
    pub async fn resolve(&self, parsed: Parsed) -> Result<Loaded, SessionError> {
        let sources = parsed.organization_sources();
        if sources.is_empty() {
            return Ok(parsed.resolve(&OrganizationAccounts::new()));
        }
        let organization =
            read_organization(&self.connection, parsed.organizations_role(), &sources)
                .await
                .map_err(SessionError::Organizations)?;
        Ok(parsed.resolve(&organization))
    }

    /// Budgets clients, one per account role.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// How the clients connect, for clients of other services.
    pub(crate) fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Stop the embedded endpoint, saving its state.
    pub async fn close(self) -> Result<(), SessionError> {
        match self.server {
            Some(server) => Ok(server.shutdown().await?),
            None => Ok(()),
        }
    }

    /// Close the session and return `result`: its error first, then the
    /// session's own.
    pub async fn finish<T, E: From<SessionError>>(self, result: Result<T, E>) -> Result<T, E> {
        let closed = self.close().await;
        let value = result?;
        closed?;
        Ok(value)
    }
}
