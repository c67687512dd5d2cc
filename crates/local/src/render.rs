//! How AWS writes values back: amounts re-rendered, defaults filled in.
//! These quirks are what the reconciler must survive, so they live in one place.

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

/// AWS's default budget end: 2087-06-15 00:00 UTC.
pub fn default_end() -> f64 {
    Utc.with_ymd_and_hms(2087, 6, 15, 0, 0, 0)
        .single()
        .map(|t| t.timestamp() as f64)
        .unwrap_or(3_706_473_600.0)
}

/// Seconds since the epoch, now.
pub fn now() -> f64 {
    let now = Utc::now();
    now.timestamp() as f64 + f64::from(now.timestamp_subsec_millis()) / 1000.0
}

pub fn to_datetime(secs: f64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs.floor() as i64, 0)
        .single()
        .unwrap_or_default()
}

/// The first instant of the period (per TimeUnit) that contains `at`.
pub fn period_start(time_unit: &str, at: f64) -> f64 {
    let t = to_datetime(at);
    let (y, m, d) = (t.year(), t.month(), t.day());
    let date = match time_unit {
        "MONTHLY" => NaiveDate::from_ymd_opt(y, m, 1),
        "QUARTERLY" => NaiveDate::from_ymd_opt(y, (m - 1) / 3 * 3 + 1, 1),
        "ANNUALLY" => NaiveDate::from_ymd_opt(y, 1, 1),
        _ => NaiveDate::from_ymd_opt(y, m, d),
    };
    date.and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp() as f64)
        .unwrap_or(at)
}

/// An amount the way AWS returns it: at least one decimal place (`100` →
/// `100.0`), and from ten million on in exponent form (`15300000` → `1.53E+7`).
pub fn amount(text: &str) -> String {
    let Ok(value) =
        Decimal::from_str(text.trim()).or_else(|_| Decimal::from_scientific(text.trim()))
    else {
        return text.to_owned();
    };
    let value = value.normalize();
    if value.abs() >= Decimal::from(10_000_000) {
        let digits = value.abs().trunc().to_string();
        let exponent = digits.len() - 1;
        let all: String = value.abs().to_string().replace('.', "");
        let mantissa_digits = all.trim_end_matches('0');
        let (first, rest) = mantissa_digits.split_at(1.min(mantissa_digits.len()));
        let rest = if rest.is_empty() { "0" } else { rest };
        let sign = if value.is_sign_negative() { "-" } else { "" };
        return format!("{sign}{first}.{rest}E+{exponent}");
    }
    let s = value.to_string();
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// Decimal value of an amount string, for comparisons (spend against thresholds).
pub fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_come_back_like_aws_writes_them() {
        assert_eq!(amount("100"), "100.0");
        assert_eq!(amount("100.50"), "100.5");
        assert_eq!(amount("0.01"), "0.01");
        assert_eq!(amount("15300000"), "1.53E+7");
        assert_eq!(amount("10000000"), "1.0E+7");
        assert_eq!(amount("9999999.5"), "9999999.5");
        assert_eq!(amount("123456789.25"), "1.2345678925E+8");
    }

    #[test]
    fn periods_start_where_aws_starts_them() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 22, 15, 4, 5)
            .unwrap()
            .timestamp() as f64;
        let day = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap().timestamp() as f64;
        assert_eq!(period_start("DAILY", at), day(2026, 11, 22));
        assert_eq!(period_start("MONTHLY", at), day(2026, 11, 1));
        assert_eq!(period_start("QUARTERLY", at), day(2026, 10, 1));
        assert_eq!(period_start("ANNUALLY", at), day(2026, 1, 1));
    }
}
