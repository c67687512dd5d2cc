//! Fault injection, shared by every service: throttling, errors, lost
//! answers, latency, the per-account rate, and AccessDeniedException for
//! the accounts the faults deny.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::error::ErrorKind;
use crate::services::{Fault, FaultState, Result};
use crate::{ApiError, Faults, Service};

impl Service {
    pub fn set_faults(&self, faults: Faults) {
        let mut state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        state.rng = StdRng::seed_from_u64(faults.seed);
        state.faults = faults;
        state.buckets.clear();
    }

    /// Take a token from `account`'s bucket: `false` when it is empty (the
    /// account is over `Faults::account_rps`), to be answered with
    /// ThrottlingException.
    pub fn take_token(&self, account: &str) -> bool {
        let mut state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let rate = f64::from(state.faults.account_rps);
        if rate == 0.0 {
            return true;
        }
        let now = std::time::Instant::now();
        let (tokens, last) = state
            .buckets
            .entry(account.to_owned())
            .or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .faults
            .clone()
    }

    /// Draw the fault (if any) for the next request, and the latency to add.
    pub fn draw_fault(&self, operation: &str) -> (Fault, u64) {
        let mut state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let FaultState { faults, rng, .. } = &mut *state;
        let latency = match faults.latency_max_ms {
            Some(max) if max > faults.latency_ms => rng.random_range(faults.latency_ms..=max),
            _ => faults.latency_ms,
        };
        if !faults.operations.is_empty() && !faults.operations.iter().any(|o| o == operation) {
            return (Fault::None, latency);
        }
        let roll: f64 = rng.random();
        let fault = if roll < faults.throttle {
            Fault::Throttle
        } else if roll < faults.throttle + faults.error {
            Fault::InternalError
        } else if roll < faults.throttle + faults.error + faults.lost {
            Fault::Lost
        } else {
            Fault::None
        };
        (fault, latency)
    }

    /// AccessDeniedException for a Service Catalog call made in `account`
    /// and `region`, when the faults deny the account.
    pub(crate) fn check_catalog_access(
        &self,
        operation: &str,
        account: &str,
        region: &str,
    ) -> Result<()> {
        let action = format!("servicecatalog:{operation}");
        let resource = format!("arn:{}:servicecatalog:{region}:{account}:*", self.partition);
        self.deny(operation, &action, account, &resource)
    }

    /// Whether `account` may call Organizations' `operation`
    /// (`deny_accounts` applies to the caller's account).
    pub(crate) fn check_organizations_access(&self, operation: &str, account: &str) -> Result<()> {
        let action = format!("organizations:{operation}");
        let resource = format!("arn:{}:organizations::{account}:*", self.partition);
        self.deny(operation, &action, account, &resource)
    }

    pub(super) fn deny(
        &self,
        operation: &str,
        action: &str,
        account: &str,
        resource: &str,
    ) -> Result<()> {
        let state = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        let (denied, only) = (&state.faults.deny_accounts, &state.faults.operations);
        if denied.is_empty() || (!only.is_empty() && !only.iter().any(|o| o == operation)) {
            return Ok(());
        }
        if !denied.iter().any(|d| d == account) {
            return Ok(());
        }
        Err(ApiError::new(
            ErrorKind::AccessDenied,
            format!(
                "User: arn:{p}:iam::{account}:user/budgetctl-local is not authorized to perform: {action} on resource: {resource}",
                p = self.partition
            ),
        ))
    }
}
