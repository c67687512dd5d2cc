//! Amounts: the one place that decides what an amount is and how it is written.
//!
//! AWS sends amounts as strings and re-renders them ("100" comes back as "100.0",
//! and 15300000 as "1.53E+7"). Amounts are therefore decimals, never floats:
//! "100", "100.0" and "1.0E+2" are the same amount, and AWS always receives a
//! plain decimal string.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Why a piece of text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("`{0}` is negative; amounts are zero or more")]
    Negative(String),
    #[error(
        "`{0}` cannot be kept exactly: amounts have at most 28 significant digits and 28 after the point"
    )]
    TooPrecise(String),
}

/// Parse an amount as people and AWS write it: `1000`, `1000.50`, `.5`, `1.53E+7`.
pub fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    let t = text.trim();
    let has_digit = t.bytes().any(|b| b.is_ascii_digit());
    let well_formed = has_digit
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'));
    if !well_formed {
        return Err(AmountError::NotANumber(text.to_owned()));
    }
    let t = t.replace('_', "");
    let value = exact(&t).ok_or_else(|| {
        // The lenient parsers tell a number that does not fit exactly
        // (they round it, or overflow) from text that is no number.
        let lenient = if t.contains(['e', 'E']) {
            Decimal::from_scientific(&t)
        } else {
            Decimal::from_str(&t)
        };
        match lenient {
            Ok(_) => AmountError::TooPrecise(text.to_owned()),
            Err(e) => {
                let msg = e.to_string();
                if msg.contains("overflow") || msg.contains("precision") || msg.contains("too") {
                    AmountError::TooPrecise(text.to_owned())
                } else {
                    AmountError::NotANumber(text.to_owned())
                }
            }
        }
    })?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(AmountError::Negative(text.to_owned()));
    }
    Ok(canonical(value))
}

/// `text` as a decimal, exactly: `None` where it would have to be rounded
/// (more than 28 digits after the point, or more than 28 significant digits)
/// or overflows. `rust_decimal`'s own parsers round silently.
fn exact(text: &str) -> Option<Decimal> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let mut value = Decimal::from_str_exact(mantissa).ok()?;
    if exponent >= 0 {
        for _ in 0..exponent {
            value = value.checked_mul(Decimal::TEN)?;
        }
    } else {
        let scale = value.scale().checked_add(exponent.unsigned_abs())?;
        if scale > 28 {
            // Trailing zeros of the mantissa may still make room.
            let n = value.normalize();
            let scale = n.scale().checked_add(exponent.unsigned_abs())?;
            if scale > 28 {
                return None;
            }
            value = n;
            value.set_scale(scale).ok()?;
            return Some(value);
        }
        value.set_scale(scale).ok()?;
    }
    Some(value)
}

/// A whole number, by the same rule as amounts (`1_000`, `1e3`): one number
/// rule for every number in a file. `None` for anything that is not a whole
/// number from 0 to `u32::MAX`.
pub fn parse_whole(text: &str) -> Option<u32> {
    use rust_decimal::prelude::ToPrimitive as _;
    let value = parse_amount(text).ok()?;
    if value.fract().is_zero() {
        value.to_u32()
    } else {
        None
    }
}

/// The canonical form of an amount: no trailing zeros, no negative zero.
pub fn canonical(value: Decimal) -> Decimal {
    let mut v = value.normalize();
    if v.is_zero() {
        v = Decimal::ZERO;
    }
    v
}

/// The amount as AWS accepts it: a plain decimal string (`1000`, `1000.5`),
/// matching the API's pattern `([0-9]*\.)?[0-9]+`.
pub fn to_aws_string(value: Decimal) -> String {
    canonical(value).to_string()
}

/// An amount as people read it in a plan or a report: thousands
/// separated by commas, and cents where there are any (`25,000`,
/// `1,243.37`, `75.50`); more precise amounts are rounded to the cent.
pub fn grouped(value: Decimal) -> String {
    let rounded = value.round_dp(2);
    let whole = rounded.trunc().abs().to_string();
    let mut out = String::with_capacity(whole.len() + whole.len() / 3 + 4);
    if rounded.is_sign_negative() && !rounded.is_zero() {
        out.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    let cents = rounded.fract().abs();
    if !cents.is_zero() {
        let mut cents = cents;
        cents.rescale(2);
        out.push_str(cents.to_string().trim_start_matches('0'));
    }
    out
}

/// A threshold as AWS keeps it: a double, the nearest to the decimal.
pub fn threshold_to_f64(value: Decimal) -> f64 {
    // A Decimal's text is always a valid float literal; parsing it rounds
    // correctly, where arithmetic conversion may be off by one ulp.
    // (NaN, never reached, would fail `threshold_is_exact` and validation.)
    canonical(value).to_string().parse().unwrap_or(f64::NAN)
}

/// A threshold read from AWS (a double) as the decimal people wrote: the
/// shortest text that reads back as the same double. `None` for a value no
/// decimal amount can be (NaN, infinite, negative, out of range).
pub fn threshold_from_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    parse_amount(&value.to_string()).ok()
}

/// Whether a threshold survives the trip through a double unchanged: one
/// that does not would read back as another number and diff forever.
pub fn threshold_is_exact(value: Decimal) -> bool {
    threshold_from_f64(threshold_to_f64(value)) == Some(canonical(value))
}

/// Two amounts are the same when their values are, whatever their spelling.
pub fn same_amount(a: &str, b: &str) -> bool {
    match (parse_amount(a), parse_amount(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_separates_thousands_and_keeps_cents() {
        let g = |t: &str| grouped(parse_amount(t).unwrap());
        assert_eq!(g("0"), "0");
        assert_eq!(g("999"), "999");
        assert_eq!(g("1000"), "1,000");
        assert_eq!(g("25000"), "25,000");
        assert_eq!(g("1243.37"), "1,243.37");
        assert_eq!(g("75.5"), "75.50");
        assert_eq!(g("1234567.891"), "1,234,567.89");
        assert_eq!(g("0.004"), "0");
        assert_eq!(grouped(Decimal::from(-10000)), "-10,000");
    }

    #[test]
    fn spellings_aws_uses_are_equal() {
        assert!(same_amount("100", "100.0"));
        assert!(same_amount("100", "1.0E+2"));
        assert!(same_amount("15300000", "1.53E+7"));
        assert!(!same_amount("100", "100.01"));
    }

    #[test]
    fn aws_strings_are_plain_decimals() {
        for (input, sent) in [
            ("1.53E+7", "15300000"),
            ("100.0", "100"),
            ("0.50", "0.5"),
            (".5", "0.5"),
            ("1_000", "1000"),
            ("0", "0"),
            ("-0", "0"),
        ] {
            assert_eq!(to_aws_string(parse_amount(input).unwrap()), sent, "{input}");
        }
    }

    #[test]
    fn junk_and_negatives_are_refused() {
        assert!(matches!(
            parse_amount("ten"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(
            parse_amount("1.2.3"),
            Err(AmountError::NotANumber(_))
        ));
        assert!(matches!(parse_amount(""), Err(AmountError::NotANumber(_))));
        assert!(matches!(parse_amount("-5"), Err(AmountError::Negative(_))));
        assert!(matches!(
            parse_amount("123456789012345678901234567890"),
            Err(AmountError::TooPrecise(_))
        ));
    }

    /// An amount is kept exactly or refused: never rounded without a word.
    #[test]
    fn amounts_that_cannot_be_kept_exactly_are_refused() {
        for text in [
            "0.00000000000000000000000000001",
            "1000.000000000000000000000000001",
            "1e-29",
            "1.5e-28",
            "1e29",
        ] {
            assert!(
                matches!(parse_amount(text), Err(AmountError::TooPrecise(_))),
                "{text}: {:?}",
                parse_amount(text)
            );
        }
        for (text, exact) in [
            (
                "0.0000000000000000000000000001",
                "0.0000000000000000000000000001",
            ),
            ("1.53E+7", "15300000"),
            ("1.0E+2", "100"),
            ("25e-3", "0.025"),
        ] {
            assert_eq!(parse_amount(text).unwrap().to_string(), exact, "{text}");
        }
    }
}
