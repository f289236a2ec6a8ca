//! Scalar classification shared by the reader and the writer.

/// Whether a plain scalar with this text would be read as something other than a string
/// (null, bool, number, or a YAML 1.1 base-60 number such as `1:20`).
pub(crate) fn looks_like_non_string(s: &str) -> bool {
    if super::node::is_null_text(s) {
        return true;
    }
    let bools = [
        "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
        "y", "Y", "n", "N", "on", "On", "ON", "off", "Off", "OFF",
    ];
    if bools.contains(&s) {
        return true;
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.starts_with('.') && matches!(&body[1..], "inf" | "Inf" | "INF" | "nan" | "NaN" | "NAN")
    {
        return true;
    }
    let numeric_chars =
        |b: u8| b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'e' | b'E' | b'+' | b'-');
    if body
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().all(numeric_chars)
        && body.bytes().any(|b| b.is_ascii_digit())
    {
        return true;
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    is_base60(body) || is_timestamp(s)
}

/// YAML 1.1 timestamps (`2001-12-14`, `2026-11-23T10:36:05Z`), which go-yaml quotes.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if !(digits(0..4) && b.get(4) == Some(&b'-')) {
        return false;
    }
    let rest = &s[5..];
    let mut parts = rest.splitn(2, '-');
    let month = parts.next().unwrap_or_default();
    let Some(tail) = parts.next() else {
        return false;
    };
    let day_len = tail.bytes().take_while(u8::is_ascii_digit).count();
    let month_ok = (1..=2).contains(&month.len()) && month.bytes().all(|c| c.is_ascii_digit());
    month_ok && (1..=2).contains(&day_len) && {
        let after = &tail[day_len..];
        after.is_empty() || after.starts_with(['T', 't', ' ', '\t']) && after.contains(':')
    }
}

/// `[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`
fn is_base60(s: &str) -> bool {
    let (int_part, frac) = s.split_once('.').unwrap_or((s, ""));
    if !frac.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        return false;
    }
    let mut parts = int_part.split(':');
    let Some(head) = parts.next() else {
        return false;
    };
    let head_ok = head.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && head.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let mut tails = 0;
    for part in parts {
        tails += 1;
        let ok = match part.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    head_ok && tails > 0
}

/// Whether the text can be written as a plain scalar in block context.
pub(crate) fn plain_allowed(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    !(s.contains(": ") || s.contains(" #") || s.contains('\t'))
}
