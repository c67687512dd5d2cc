//! `budgetctl respond`: read the declared budgets' spend in bulk, decide
//! which responses are due (purely, in `budgetctl_diff::respond`), and run
//! each due one at most once per budget period.
//!
//! Once means: a Service Catalog response first looks for a record of its
//! provisioned product made this period (ListRecordHistory), so a run after
//! a crash, or after Service Catalog forgot the token, reports it as done;
//! then it executes with an ExecuteToken derived from (account, budget,
//! response, period), so a concurrent run or the SDK's retry after a lost
//! answer gets the same record back rather than a second execution.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use budgetctl_aws::catalog::{
    self, CatalogClients, ProvisionedProduct, describe_record, execute_service_action,
    find_provisioned_product, records_since, service_action_exists, service_actions,
};
use budgetctl_aws::{AwsError, Clients, ErrorKind, read_spend, reserved_tags};
use budgetctl_diff::ActionField;
use budgetctl_diff::respond::{Assessment, BudgetSpend, ResponseMark, Verdict, assess, token_of};
use budgetctl_spec::rules::inert;
use budgetctl_spec::{
    AccountId, ActionStatus, Budget, BudgetAction, Config, ExecutionType, Response, ResponseAction,
    ServiceCatalogAction, Spend,
};
use chrono::NaiveDate;

use crate::actions::{ActionError, execute, find_action};
use crate::session::Session;

pub use budgetctl_aws::catalog::Record;

/// Accounts whose spend is read at once.
const SPEND_READS_AT_ONCE: usize = 16;

/// How `respond` runs.
#[derive(Debug, Clone)]
pub struct RespondOptions {
    /// The day that decides the budget period (the clock's, but for tests).
    pub today: NaiveDate,
    /// Decide and show; read only the budgets' spend, change nothing.
    pub dry_run: bool,
    /// Follow each record until it settles, polling this often, for at most
    /// this long.
    pub wait: Option<(Duration, Duration)>,
    /// Run again a response whose record this period FAILED.
    pub retry_failed: bool,
}

/// The record type of a service action's execution.
pub const EXECUTE_RECORD: &str = "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION";

/// What became of one response.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Spend is at or under the line.
    NotDue,
    /// AWS has no spend figure (or forecast) for the budget this period.
    NoSpend,
    /// A percentage of a limit not known (an auto-adjusting budget AWS has
    /// not sized yet).
    NoLimit,
    /// The budget does not exist in AWS yet (apply makes it).
    NoBudget,
    /// `--dry-run`: it would run now.
    WouldRun,
    /// Executed by this run: the record as last seen.
    Ran(Record),
    /// A record of this period was there already: not run again.
    AlreadyRan(Record),
    /// The record of this run, or of an earlier one this period, failed.
    Failed { record: Record, earlier: bool },
    /// Executed (or found again through its token), but the mark that
    /// tells the next run could not be kept on the budget: the next run
    /// finds the record again through its ExecuteToken while Service
    /// Catalog remembers it.
    Unmarked { record: Record, error: AwsError },
    /// `approve_action`: ExecuteBudgetAction APPROVE accepted.
    Approved,
    /// `approve_action`: the action is not PENDING.
    NothingToApprove(ActionStatus),
    /// Nothing was run: why, and what to do.
    Refused(String),
    /// A call failed (access denied, throttled past the retries, an
    /// unreachable endpoint): the response may run next time.
    Aws(AwsError),
}

impl Outcome {
    /// The word the text and JSON outputs use.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::NotDue | Outcome::NoSpend | Outcome::NoLimit | Outcome::NoBudget => "not-due",
            Outcome::WouldRun => "due",
            Outcome::Ran(r) if settling(&r.status) => "running",
            Outcome::Ran(_) | Outcome::Unmarked { .. } | Outcome::Approved => "ran",
            Outcome::AlreadyRan(_) | Outcome::NothingToApprove(_) => "already-ran",
            Outcome::Failed { .. } => "failed",
            Outcome::Refused(_) | Outcome::Aws(_) => "error",
        }
    }

    /// Whether the run as a whole fails because of it.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Outcome::Failed { .. }
                | Outcome::Unmarked { .. }
                | Outcome::Refused(_)
                | Outcome::Aws(_)
        )
    }
}

/// One response, decided and carried out.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseReport {
    pub account: AccountId,
    pub budget: String,
    pub response: Response,
    /// The budget's unit, for phrasing absolute thresholds.
    pub unit: Option<String>,
    pub period: NaiveDate,
    pub limit: Option<Spend>,
    pub verdict: Verdict,
    /// The ExecuteToken of a due Service Catalog response.
    pub token: Option<String>,
    pub outcome: Outcome,
}

/// Whether a record's status is still moving.
pub fn settling(status: &str) -> bool {
    matches!(status, "CREATED" | "IN_PROGRESS")
}

fn failed(status: &str) -> bool {
    matches!(status, "FAILED" | "IN_PROGRESS_IN_ERROR")
}

/// [`respond`] in `session`: Service Catalog reached as its Budgets are.
pub async fn respond_in(
    session: &Session,
    config: &Config,
    options: &RespondOptions,
) -> Vec<ResponseReport> {
    let catalog = catalog_clients(session.connection(), config).await;
    respond(config, session.clients(), &catalog, options).await
}

/// Decide and carry out every response of `config`'s budgets, account by
/// account, in declaration order. An account whose spend cannot be read
/// reports each of its responses as refused and the others go on: a
/// scheduled job should not skip every account for one broken role.
pub async fn respond(
    config: &Config,
    clients: &Clients,
    catalog: &CatalogClients,
    options: &RespondOptions,
) -> Vec<ResponseReport> {
    let mut by_account: BTreeMap<&AccountId, Vec<&budgetctl_spec::DesiredBudget>> = BTreeMap::new();
    for d in config
        .budgets
        .iter()
        .filter(|d| !d.budget.responses.is_empty())
    {
        by_account.entry(&d.account).or_default().push(d);
    }
    // Every account's spend read first, several accounts at once (one
    // DescribeBudgets pass each, in the accounts' order); the responses then
    // run one after another.
    let reads = by_account.iter().map(|(account, budgets)| {
        let names: HashSet<&str> = budgets.iter().map(|d| d.budget.name.as_str()).collect();
        async move { read_spend(clients.for_account(account), account, &names).await }
    });
    let mut spends_of =
        futures_util::StreamExt::buffered(futures_util::stream::iter(reads), SPEND_READS_AT_ONCE);
    let mut all_spends = Vec::with_capacity(by_account.len());
    while let Some(spends) = futures_util::StreamExt::next(&mut spends_of).await {
        all_spends.push(spends);
    }
    drop(spends_of);
    // Every response decided first (purely), so that only what is due
    // costs a request.
    let decided: Vec<_> = by_account
        .iter()
        .zip(&all_spends)
        .flat_map(|((account, budgets), spends)| {
            budgets.iter().map(move |d| {
                let (live, read_error) = match spends {
                    Ok(spends) => (spends.iter().find(|s| s.name == d.budget.name), None),
                    Err(e) => (None, Some(e)),
                };
                (
                    *account,
                    *d,
                    live,
                    read_error,
                    assess(&d.budget, live, options.today),
                )
            })
        })
        .collect();
    // Two responses may name one product two ways (`dev-env` and its pp-
    // id), which validate cannot tell: resolved where one of them is due,
    // and both refused.
    let due: HashSet<(&AccountId, &str)> = decided
        .iter()
        .filter(|(.., assessed)| assessed.iter().any(|a| a.verdict.is_due()))
        .map(|(account, d, ..)| (*account, d.budget.name.as_str()))
        .collect();
    let shared = if options.dry_run {
        HashMap::new()
    } else {
        shared_products(catalog, &by_account, &due).await
    };
    let mut reports = Vec::new();
    for (account, d, live, read_error, assessed) in decided {
        for a in assessed {
            let token = matches!(a.response.action, ResponseAction::ServiceCatalog(_))
                .then(|| token_of(account, &d.budget.name, &a, 0));
            let refused = shared.get(&(
                (*account).clone(),
                d.budget.name.clone(),
                a.response.name.clone(),
            ));
            let outcome = match (read_error, refused) {
                (Some(e), _) => Outcome::Aws(e.clone()),
                (None, Some(message)) if a.verdict.is_due() => Outcome::Refused(message.clone()),
                (None, _) => {
                    carry_out(clients, catalog, options, account, &d.budget, live, &a).await
                }
            };
            reports.push(ResponseReport {
                account: account.clone(),
                budget: d.budget.name.clone(),
                response: a.response.clone(),
                unit: d.budget.limit_unit().map(str::to_owned),
                period: a.period,
                limit: a.limit.clone(),
                verdict: a.verdict.clone(),
                token,
                outcome,
            });
        }
    }
    reports
}

/// The Service Catalog responses that share a provisioned product under
/// different handles (its name and its pp- id), resolved through Service
/// Catalog, each with why it is refused. Only where an account and region
/// have responses naming different handles and one of their budgets has a
/// response due (so an hourly run where nothing is due reads nothing); a
/// handle that does not resolve is left to the response's own run to report.
async fn shared_products(
    catalog: &CatalogClients,
    by_account: &BTreeMap<&AccountId, Vec<&budgetctl_spec::DesiredBudget>>,
    due: &HashSet<(&AccountId, &str)>,
) -> HashMap<(AccountId, String, String), String> {
    let mut out = HashMap::new();
    for (account, budgets) in by_account {
        let mut by_region: BTreeMap<&str, Vec<(&str, &str, &str)>> = BTreeMap::new();
        for d in budgets {
            for r in &d.budget.responses {
                if let ResponseAction::ServiceCatalog(sc) = &r.action {
                    by_region.entry(&sc.region).or_default().push((
                        &d.budget.name,
                        &r.name,
                        &sc.provisioned_product,
                    ));
                }
            }
        }
        for (region, responses) in by_region {
            let handles: HashSet<&str> = responses.iter().map(|(_, _, h)| *h).collect();
            let any_due = responses
                .iter()
                .any(|(b, ..)| due.contains(&(*account, *b)));
            if handles.len() < 2 || !any_due {
                continue;
            }
            let client = catalog.for_account(account, region);
            let mut by_id: BTreeMap<String, Vec<(&str, &str, &str)>> = BTreeMap::new();
            for (budget, response, handle) in responses {
                if let Ok(Some(product)) = find_provisioned_product(&client, account, handle).await
                {
                    by_id
                        .entry(product.id)
                        .or_default()
                        .push((budget, response, handle));
                }
            }
            for (id, sharing) in by_id.into_iter().filter(|(_, s)| s.len() > 1) {
                let named: Vec<String> = sharing
                    .iter()
                    .map(|(b, r, h)| format!("response `{r}` of budget `{b}` (as `{}`)", inert(h)))
                    .collect();
                let message = format!(
                    "{} name one provisioned product, {id}, in {region} of account {account}: nothing was run; a product runs one execution at a time and a lost answer is settled by the one record that appears on it, so each product takes one response: keep one of them",
                    named.join(" and ")
                );
                for (budget, response, _) in sharing {
                    out.insert(
                        ((*account).clone(), budget.to_owned(), response.to_owned()),
                        message.clone(),
                    );
                }
            }
        }
    }
    out
}

async fn carry_out(
    clients: &Clients,
    catalog: &CatalogClients,
    options: &RespondOptions,
    account: &AccountId,
    desired: &Budget,
    live: Option<&BudgetSpend>,
    a: &Assessment<'_>,
) -> Outcome {
    let budget = desired.name.as_str();
    let declared = desired.actions.as_deref().unwrap_or_default();
    if live.is_none() {
        return Outcome::NoBudget;
    }
    match a.verdict {
        Verdict::Due { .. } => {}
        Verdict::NotDue { .. } => return Outcome::NotDue,
        Verdict::NoSpend => return Outcome::NoSpend,
        Verdict::NoLimit => return Outcome::NoLimit,
    }
    if options.dry_run {
        return Outcome::WouldRun;
    }
    match &a.response.action {
        ResponseAction::ApproveAction(name) => {
            approve(clients, account, budget, declared, name).await
        }
        ResponseAction::ServiceCatalog(sc) => {
            // Service Catalog has no AccountId: it acts wherever the
            // credentials are. Never run a budget's response in another account.
            match catalog.acting_account(account).await {
                Ok(acting) if acting == account.as_str() => {}
                Ok(acting) => {
                    return Outcome::Refused(format!(
                        "Service Catalog would act in account {acting}, whose credentials these are, not in the budget's account {account}: nothing was run; give account {account} a role (`accounts: {{\"{account}\": {{role: ...}}}}`) or run with its credentials"
                    ));
                }
                Err(e) => return Outcome::Aws(e),
            }
            let client = catalog.for_account(account, &sc.region);
            let run = ServiceCatalogRun {
                client: &client,
                budgets: clients.for_account(account),
                account,
                budget,
                assessment: a,
                action: sc,
                options,
            };
            run.go().await.unwrap_or_else(|e| match e.kind {
                ErrorKind::Locked => Outcome::Refused(format!(
                    "provisioned product {} is busy ({}): nothing was run; the next respond run tries again",
                    sc.provisioned_product, e.message
                )),
                _ => Outcome::Aws(e),
            })
        }
    }
}

/// Approve the budget's PENDING action `name`, but only as the files
/// declare it: a live action whose definition, execution role or approval
/// model drifted from the declared one would run what no one reviewed.
async fn approve(
    clients: &Clients,
    account: &AccountId,
    budget: &str,
    declared: &[BudgetAction],
    name: &str,
) -> Outcome {
    let action = match find_action(clients, account, budget, name).await {
        Ok(action) => action,
        Err(ActionError::Aws(e) | ActionError::Read(budgetctl_aws::ReadError::Aws(e))) => {
            return Outcome::Aws(e);
        }
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let Some(want) = declared.iter().find(|a| a.name == name) else {
        return Outcome::Refused(format!(
            "action `{name}` is not declared in budget `{budget}`'s `actions:`, so what it runs was never reviewed: nothing was approved"
        ));
    };
    let drift: Vec<String> = budgetctl_diff::action_fields(want, &action.action, None)
        .into_iter()
        .filter(|f| {
            matches!(
                f.field,
                ActionField::Definition | ActionField::ExecutionRole | ActionField::Approval
            )
        })
        .map(|f| format!("{} is {} live, {} in the files", f.field, f.before, f.after))
        .collect();
    if !drift.is_empty() {
        return Outcome::Refused(format!(
            "action `{name}` of budget `{budget}` in account {account} differs from the files ({}): nothing was approved; run `budgetctl plan` to see the drift and `budgetctl apply` to put the declared action back",
            drift.join("; ")
        ));
    }
    if action.status != ActionStatus::Pending {
        return Outcome::NothingToApprove(action.status);
    }
    match execute(clients, account, budget, &action, ExecutionType::Approve).await {
        Ok(_) => Outcome::Approved,
        Err(ActionError::Overtaken { status, .. }) => Outcome::NothingToApprove(status),
        Err(ActionError::Aws(e) | ActionError::Read(budgetctl_aws::ReadError::Aws(e))) => {
            Outcome::Aws(e)
        }
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

/// One Service Catalog response being carried out.
struct ServiceCatalogRun<'a> {
    client: &'a catalog::Client,
    /// The Budgets client of the account, for the response's mark.
    budgets: &'a budgetctl_aws::Client,
    account: &'a AccountId,
    budget: &'a str,
    assessment: &'a Assessment<'a>,
    action: &'a ServiceCatalogAction,
    options: &'a RespondOptions,
}

impl ServiceCatalogRun<'_> {
    async fn go(&self) -> Result<Outcome, AwsError> {
        let (client, account, sc) = (self.client, self.account, self.action);
        let Some(product) =
            find_provisioned_product(client, account, &sc.provisioned_product).await?
        else {
            return Ok(Outcome::Refused(format!(
                "provisioned product `{}` is not in account {account}, region {}: nothing was run; check the name (or pp- id) in Service Catalog's provisioned products",
                inert(&sc.provisioned_product),
                sc.region
            )));
        };
        // This response's own record of this period, from its mark: other
        // records on the product (another response's, a person's) never
        // change the verdict, and the period is the one its token was made
        // for, whenever the record was created.
        let name = &self.assessment.response.name;
        let marks = reserved_tags(self.budgets, account, self.budget).await?;
        let mark = marks
            .get(&ResponseMark::tag_key(name))
            .and_then(|v| ResponseMark::parse(v))
            .filter(|m| m.period == self.assessment.period);
        let mut attempt = 0;
        if let Some(mark) = mark {
            let record = describe_record(client, account, &mark.record)
                .await?
                .unwrap_or_else(|| Record::gone(&mark.record));
            if let Some(settled) = self.earlier_run(record).await? {
                return Ok(settled);
            }
            attempt = mark.attempt + 1;
        }
        let Some(action_id) = self.action_id(&product).await? else {
            return Ok(Outcome::Refused(self.not_associated(&product).await?));
        };
        // The product's records of the period before this run executes: a
        // record its token answers with that is among them was made by an
        // earlier run that stopped before marking it (Service Catalog
        // answers a repeated ExecuteToken with the record it made).
        let known: HashSet<String> = records_since(client, account, &product.id, self.began())
            .await?
            .into_iter()
            .filter(|r| r.record_type == EXECUTE_RECORD)
            .map(|r| r.id)
            .collect();
        loop {
            let token = token_of(account, self.budget, self.assessment, attempt);
            let record = self.execute(&product, &action_id, &token, &known).await?;
            let earlier = known.contains(&record.id);
            let mark = ResponseMark {
                period: self.assessment.period,
                attempt,
                record: record.id.clone(),
            };
            if let Err(error) = self.mark(&mark).await {
                return Ok(Outcome::Unmarked { record, error });
            }
            if earlier {
                // An earlier run's execution, found again through its token.
                if let Some(settled) = self.earlier_run(record).await? {
                    return Ok(settled);
                }
                attempt += 1;
                continue;
            }
            let record = self.follow(record).await?;
            return Ok(if failed(&record.status) {
                Outcome::Failed {
                    record,
                    earlier: false,
                }
            } else {
                Outcome::Ran(record)
            });
        }
    }

    /// ExecuteProvisionedProductServiceAction with `token`: the record it
    /// made, or the one an earlier call with that token made. The SDK's
    /// retries carry the same token; when every answer was lost, the one
    /// EXECUTE record that appeared on the product since `known` was read
    /// is taken for this call's (the product runs one execution at a time,
    /// so no other can have started meanwhile without this one being
    /// refused).
    async fn execute(
        &self,
        product: &ProvisionedProduct,
        action_id: &str,
        token: &str,
        known: &HashSet<String>,
    ) -> Result<Record, AwsError> {
        let (client, account, sc) = (self.client, self.account, self.action);
        let executed = execute_service_action(
            client,
            account,
            &product.id,
            action_id,
            token,
            &sc.parameters,
            sc.language.map(|l| l.aws_name()),
        )
        .await;
        match executed {
            Ok(record) => Ok(record),
            Err(e) if e.kind == ErrorKind::Ambiguous => {
                let made: Vec<Record> = records_since(client, account, &product.id, self.began())
                    .await?
                    .into_iter()
                    .filter(|r| r.record_type == EXECUTE_RECORD && !known.contains(&r.id))
                    .collect();
                match <[Record; 1]>::try_from(made) {
                    Ok([record]) => Ok(record),
                    Err(_) => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// What an earlier run's record of this period makes of this run: it
    /// ran (already-ran), or it failed (reported, unless `--retry-failed`:
    /// then `None`, and the next attempt runs).
    async fn earlier_run(&self, record: Record) -> Result<Option<Outcome>, AwsError> {
        if !failed(&record.status) {
            return Ok(Some(Outcome::AlreadyRan(self.follow(record).await?)));
        }
        Ok((!self.options.retry_failed).then_some(Outcome::Failed {
            record,
            earlier: true,
        }))
    }

    /// When the period of the decision began, in seconds since the epoch.
    fn began(&self) -> i64 {
        self.assessment
            .period
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .timestamp()
    }

    /// Keep `mark` on the budget (TagResource): the next run reads it.
    async fn mark(&self, mark: &ResponseMark) -> Result<(), AwsError> {
        let at = budgetctl_aws::BudgetAt {
            client: self.budgets,
            account: self.account,
            name: self.budget,
        };
        at.tag(&std::collections::BTreeMap::from([(
            ResponseMark::tag_key(&self.assessment.response.name),
            mark.to_tag_value(),
        )]))
        .await
    }

    /// The id of the declared service action among those associated with
    /// the product's provisioning artifact, by id or by name.
    async fn action_id(&self, product: &ProvisionedProduct) -> Result<Option<String>, AwsError> {
        let associated = service_actions(self.client, self.account, product).await?;
        let wanted = &self.action.action;
        Ok(associated
            .iter()
            .find(|(id, _)| id == wanted)
            .or_else(|| associated.iter().find(|(_, name)| name == wanted))
            .map(|(id, _)| id.clone()))
    }

    /// Why the declared service action cannot run on the product.
    async fn not_associated(&self, product: &ProvisionedProduct) -> Result<String, AwsError> {
        let wanted = &self.action.action;
        let associated = service_actions(self.client, self.account, product).await?;
        let names: Vec<&str> = associated.iter().map(|(_, n)| n.as_str()).collect();
        let exists = wanted.starts_with("act-")
            && service_action_exists(self.client, self.account, wanted).await?;
        let fix = format!(
            "associate it with product {} artifact {} (AssociateServiceActionWithProvisioningArtifact), or name one that is",
            product.product_id, product.artifact_id
        );
        Ok(if exists {
            format!(
                "service action {wanted} exists but is not associated with provisioned product `{}`'s provisioning artifact: nothing was run; {fix}",
                product.name
            )
        } else if names.is_empty() {
            format!(
                "no service action is associated with provisioned product `{}`, so `{wanted}` cannot run on it: nothing was run; {fix}",
                product.name
            )
        } else {
            format!(
                "`{wanted}` is not a service action of provisioned product `{}` (it has: {}): nothing was run; {fix}",
                product.name,
                names.join(", ")
            )
        })
    }

    /// With `--wait`, DescribeRecord until the record settles or the wait
    /// runs out; without, the record as it is.
    async fn follow(&self, mut record: Record) -> Result<Record, AwsError> {
        let Some((poll, timeout)) = self.options.wait else {
            return Ok(record);
        };
        let deadline = tokio::time::Instant::now() + timeout;
        while settling(&record.status) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(poll).await;
            if let Some(now) = describe_record(self.client, self.account, &record.id).await? {
                record = now;
            }
        }
        Ok(record)
    }
}

/// The Service Catalog clients for a config's accounts.
pub async fn catalog_clients(
    connection: &budgetctl_aws::Connection,
    config: &Config,
) -> CatalogClients {
    catalog::CatalogClients::new(connection, &config.roles()).await
}
