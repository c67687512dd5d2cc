//! Pagination with signed, expiring tokens, as AWS pages.

use std::hash::{BuildHasher, Hasher};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::services::Result;
use crate::services::budgets::TOKEN_TTL_MS;
use crate::{ApiError, ErrorKind, Service, render};

impl Service {
    /// One page of `items` per the request's MaxResults and NextToken.
    pub(super) fn page<T: Clone>(
        &self,
        items: &[T],
        input: &Value,
        default_max: usize,
        scope: &str,
    ) -> Result<(Vec<T>, Option<String>)> {
        let max = input["MaxResults"]
            .as_u64()
            .map(|m| m as usize)
            .unwrap_or(default_max)
            .max(1);
        let start = match input["NextToken"].as_str() {
            None => 0,
            Some(token) => self.read_token(token, scope)?,
        };
        let end = (start + max).min(items.len());
        let page = items.get(start..end).map(<[T]>::to_vec).unwrap_or_default();
        let next = (end < items.len()).then(|| self.make_token(scope, end));
        Ok((page, next))
    }

    pub(super) fn sign(&self, scope: &str, index: usize, issued_ms: u64) -> u64 {
        let mut h = self.token_key.build_hasher();
        h.write(scope.as_bytes());
        h.write_usize(index);
        h.write_u64(issued_ms);
        h.finish()
    }

    /// A token names the listing, the position and when it was issued, signed.
    pub(super) fn make_token(&self, scope: &str, index: usize) -> String {
        let issued = (render::now() * 1000.0) as u64;
        URL_SAFE_NO_PAD.encode(format!(
            "{index}:{issued}:{:016x}",
            self.sign(scope, index, issued)
        ))
    }

    pub(super) fn read_token(&self, token: &str, scope: &str) -> Result<usize> {
        let invalid = || {
            ApiError::new(
                ErrorKind::InvalidNextToken,
                "The pagination token is invalid.",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(3, ':');
        let (Some(index), Some(issued), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let index: usize = index.parse().map_err(|_| invalid())?;
        let issued: u64 = issued.parse().map_err(|_| invalid())?;
        if format!("{:016x}", self.sign(scope, index, issued)) != signature {
            return Err(invalid());
        }
        let age_ms = ((render::now() * 1000.0) as u64).saturating_sub(issued);
        if age_ms > self.faults().token_ttl_ms.unwrap_or(TOKEN_TTL_MS) {
            return Err(ApiError::new(
                ErrorKind::ExpiredNextToken,
                "The pagination token has expired: start the listing again.",
            ));
        }
        Ok(index)
    }
}

pub(super) fn with_token(mut body: Value, next: Option<String>) -> Value {
    if let Some(token) = next {
        body["NextToken"] = json!(token);
    }
    body
}
