//! Reading a line back: its prefix and the fields of the packet itself (not those of a packet
//! an ICMP error quotes in brackets). For tests, `tortie logs` filters and scenario checks.

/// A LOG-style line split into prefix and fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineFields<'a> {
    /// Everything before `IN=`.
    pub prefix: &'a str,
    /// The top-level words, `KEY=value` or bare flags (`DF`, `SYN`).
    words: Vec<&'a str>,
}

impl<'a> LineFields<'a> {
    /// Splits a line (a log prefix cannot contain `=`, so the first `IN=` starts the fields);
    /// `None` when there is no `IN=`.
    #[must_use]
    pub fn parse(line: &'a str) -> Option<LineFields<'a>> {
        let start = line.find("IN=")?;
        let mut depth = 0usize;
        let mut words = Vec::new();
        for word in line[start..].split(' ').filter(|w| !w.is_empty()) {
            if word == "]" {
                depth = depth.saturating_sub(1);
            } else if word.starts_with('[') {
                depth += 1;
            } else if depth == 0 {
                words.push(word);
            }
        }
        Some(LineFields {
            prefix: &line[..start],
            words,
        })
    }

    /// The value of `KEY=` (empty for `OUT=` with no device), if the field is there.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.words
            .iter()
            .find_map(|w| w.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
    }

    /// Whether a bare flag (`DF`, `SYN`, `ACK`, ...) is there.
    #[must_use]
    pub fn has(&self, flag: &str) -> bool {
        self.words.contains(&flag)
    }

    /// The keys in order, flags included, for comparing field sets.
    #[must_use]
    pub fn keys(&self) -> Vec<&'a str> {
        self.words
            .iter()
            .map(|w| w.split_once('=').map_or(*w, |(k, _)| k))
            .collect()
    }
}
