//! Syntax predicates for free-form strings: names, interface filters, rate limits, key=value
//! lists and Go regular expressions.

/// 1 to `max` characters, each alphanumeric or one of `extra`.
pub(super) fn is_name(s: &str, max: usize, extra: &str) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || extra.contains(ch))
}

/// Calico's `interface` rule: `*` or `^[a-zA-Z0-9_.-]{1,15}$`.
pub(super) fn is_interface_name(s: &str) -> bool {
    s == "*" || is_name(s, 15, "_.-")
}

/// Calico's `ifaceFilter` rule: `^[a-zA-Z0-9:._+-]{1,15}$` (iptables names, `+` wildcard).
pub(super) fn is_iface_filter(s: &str) -> bool {
    is_name(s, 15, ":._+-")
}

pub(super) fn iface_filter_message(v: &str) -> String {
    format!(
        "`{v}` is not an interface name or `+` pattern (1 to 15 of letters, digits, `:`, `.`, \
         `_`, `+` and `-`)"
    )
}

/// `^[1-9]\d{0,3}/(?:second|minute|hour|day)$`.
pub(super) fn is_rate_limit(s: &str) -> bool {
    let Some((count, unit)) = s.split_once('/') else {
        return false;
    };
    (1..=4).contains(&count.len())
        && count.bytes().all(|b| b.is_ascii_digit())
        && !count.starts_with('0')
        && matches!(unit, "second" | "minute" | "hour" | "day")
}

/// The CRD patterns of `featureDetectOverride` (values `true`, `false` or empty:
/// `^([a-zA-Z0-9-_]+=(true|false|),)*([a-zA-Z0-9-_]+=(true|false|))?$`) and `featureGates`
/// (any non-empty values without `=`: `^([a-zA-Z0-9-_]+=([^=]+),)*([a-zA-Z0-9-_]+=([^=]+))?$`).
pub(in crate::kinds::felix) fn is_key_value_list(s: &str, boolean_values: bool) -> bool {
    let is_key = |k: &str| is_name(k, usize::MAX, "-_");
    let is_value = |v: &str| {
        if boolean_values {
            matches!(v, "true" | "false" | "")
        } else {
            !v.is_empty()
        }
    };
    // Split at each `=`: a key, then pieces of the form `value,key`, then a last value.
    let pieces: Vec<&str> = s.split('=').collect();
    let Some((first, rest)) = pieces.split_first() else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return s.is_empty();
    };
    if !is_key(first) {
        return false;
    }
    for piece in middle {
        // A value can hold commas only in featureGates, so the key follows the last comma.
        let split = if boolean_values {
            piece.find(',')
        } else {
            piece.rfind(',')
        };
        let Some(comma) = split else { return false };
        if !is_value(&piece[..comma]) || !is_key(&piece[comma + 1..]) {
            return false;
        }
    }
    // A trailing comma after the last value is allowed (in featureGates it is part of the value).
    is_value(last.strip_suffix(',').unwrap_or(last)) || is_value(last)
}

/// A light syntax check of a Go (RE2) regular expression: escapes, brackets, parentheses and
/// repetition operators. Returns why the text is not a regular expression.
pub(in crate::kinds::felix) fn regex_problem(re: &str) -> Option<String> {
    let mut depth = 0usize;
    // Whether the previous item can take a repetition operator, and whether it is one.
    let mut can_repeat = false;
    let mut after_repeat = false;
    let mut chars = re.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                if chars.next().is_none() {
                    return Some("it ends with a lone `\\`".to_string());
                }
                (can_repeat, after_repeat) = (true, false);
            }
            '[' => {
                // A class; `]` right after `[` or `[^` is a literal.
                if chars.peek() == Some(&'^') {
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                }
                let mut closed = false;
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' if chars.next().is_none() => {
                            return Some("it ends with a lone `\\`".to_string());
                        }
                        ']' => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if !closed {
                    return Some("a `[` is not closed".to_string());
                }
                (can_repeat, after_repeat) = (true, false);
            }
            '(' => {
                depth += 1;
                if chars.peek() == Some(&'?') {
                    chars.next();
                }
                (can_repeat, after_repeat) = (false, false);
            }
            ')' => {
                if depth == 0 {
                    return Some("a `)` has no matching `(`".to_string());
                }
                depth -= 1;
                (can_repeat, after_repeat) = (true, false);
            }
            '|' => (can_repeat, after_repeat) = (false, false),
            '*' | '+' | '?' => {
                if after_repeat && ch == '?' {
                    // A lazy operator such as `*?`.
                    after_repeat = false;
                    can_repeat = false;
                } else if after_repeat {
                    return Some(format!("a repetition operator is repeated at `{ch}`"));
                } else if !can_repeat {
                    return Some(format!("`{ch}` has nothing to repeat"));
                } else {
                    (can_repeat, after_repeat) = (false, true);
                }
            }
            _ => (can_repeat, after_repeat) = (true, false),
        }
    }
    (depth > 0).then(|| "a `(` is not closed".to_string())
}
