//! Doubles as Redis reads and prints them: sorted-set scores, increments, weights, ranges.
//!
//! Printing differs by version (measured on the real servers): 6.0 and 7.0 print `%.17g`
//! (`0.1` → `0.10000000000000001`, `1e17` → `1e+17`); 8.0 and Valkey 8.1 print an integral
//! value in the `long long` range as an integer and anything else as the shortest round-trip
//! digits, plain while the exponent is small (`0.000001`, `123456789012345680`) and
//! scientific otherwise (`1e-7`, `1.25e-5`, `1e+19`).

use crate::profile::Profile;
use crate::scripting::format_g17;

/// A score as `ZSCORE`, `WITHSCORES`, `ZINCRBY` and `ZADD INCR` print it.
pub fn format_score(d: f64, profile: Profile) -> String {
    if profile.shortest_doubles() {
        format_shortest(d)
    } else {
        format_g17(d)
    }
}

fn format_shortest(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.into();
    }
    if d.fract() == 0.0 && d > -9.2e18 && d < 9.2e18 {
        return format!("{}", d as i64);
    }
    let neg = d < 0.0;
    // Rust's `{:e}` gives the shortest digits that read back as `d`.
    let sci = format!("{:e}", d.abs());
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let n = digits.len() as i32;
    let point: i32 = exp.parse::<i32>().expect("an integer exponent");
    // The value is digits × 10^k.
    let k = point - (n - 1);
    let e = (k + n - 1).abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if k >= 0 && e < n + 7 {
        out.push_str(&digits);
        out.push_str(&"0".repeat(k as usize));
    } else if k < 0 && (k > -7 || e < 4) {
        let whole = n + k;
        if whole <= 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-whole) as usize));
            out.push_str(&digits);
        } else {
            out.push_str(&digits[..whole as usize]);
            out.push('.');
            out.push_str(&digits[whole as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if n > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if point < 0 { '-' } else { '+' });
        out.push_str(&point.abs().to_string());
    }
    out
}

/// C's `strtod` over the whole text: the value and whether the text was consumed to its end.
/// Accepts what glibc does for the inputs the model meets: decimal with optional sign,
/// fraction and exponent, `inf`/`infinity`, hexadecimal integers (`0x10`). `None` when no
/// number starts the text. Leading whitespace is skipped, as strtod does.
fn strtod(s: &str) -> Option<(f64, bool, bool)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let sign = if neg { -1.0 } else { 1.0 };
    for word in ["infinity", "inf"] {
        if lower.starts_with(word) {
            return Some((sign * f64::INFINITY, lower.len() == word.len(), false));
        }
    }
    if lower.starts_with("nan") {
        return Some((f64::NAN, lower.len() == 3, false));
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        let len = hex.bytes().take_while(u8::is_ascii_hexdigit).count();
        if len > 0 {
            let v = hex[..len].bytes().fold(0.0, |acc, b| {
                acc * 16.0 + (b as char).to_digit(16).unwrap() as f64
            });
            return Some((sign * v, len == hex.len(), false));
        }
    }
    // The longest prefix that is a decimal number: digits [. digits] [e [sign] digits].
    let b = body.as_bytes();
    let mut i = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut mantissa_digits = i;
    if b.get(i) == Some(&b'.') {
        let frac = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        mantissa_digits += frac;
        if mantissa_digits > 0 {
            i += 1 + frac;
        }
    }
    if mantissa_digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp = b[j.min(b.len())..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if exp > 0 {
            i = j + exp;
        }
    }
    let text = &body[..i];
    let v: f64 = text.parse().ok()?;
    // ERANGE: an overflow to infinity, or a non-zero number that underflowed to zero.
    let mantissa = text.split(['e', 'E']).next().unwrap_or("");
    let nonzero = mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c));
    let range_error = v.is_infinite() || (v == 0.0 && nonzero);
    Some((sign * v, i == body.len(), range_error))
}

/// getDoubleFromObject: the whole text is a number, no leading space, not NaN, no overflow
/// or underflow to zero. Used for scores, increments and weights.
pub fn parse_double(s: &str) -> Option<f64> {
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let (v, whole, range_error) = strtod(s)?;
    (whole && !range_error && !v.is_nan()).then_some(v)
}

/// One end of a score range (`ZRANGEBYSCORE`, `ZCOUNT`, `ZRANGE … BYSCORE`): `(` makes it
/// exclusive; the rest goes through plain strtod (leading spaces, an empty text as 0 and an
/// overflow to ±inf accepted, except where the profile is stricter), only NaN and trailing
/// text are refused.
pub fn parse_bound(s: &str, profile: Profile) -> Option<(f64, bool)> {
    let (exclusive, text) = match s.strip_prefix('(') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if profile.strict_score_bounds() && text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let (v, whole, _) = strtod(text).unwrap_or((0.0, text.is_empty(), false));
    (whole && !v.is_nan()).then_some((v, exclusive))
}
