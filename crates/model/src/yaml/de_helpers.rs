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
    is_base60(body)
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
