//! Label restrictions: necessary conditions that every matching label set satisfies. An index
//! uses them to consider only endpoints that carry the right labels.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::Expr;

/// What a selector requires of one label.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelRestriction {
    /// The label must be present.
    pub must_be_present: bool,
    /// The label must be absent.
    pub must_be_absent: bool,
    /// If set, the label's value must be one of these (an empty set: no value can match).
    pub must_have_one_of_values: Option<BTreeSet<String>>,
}

type Restrictions = BTreeMap<String, LabelRestriction>;

/// `None` means "no restriction at all".
pub(crate) fn restrictions(expr: &Expr) -> Option<Restrictions> {
    let single = |k: &str, values: Option<BTreeSet<String>>| {
        let r = LabelRestriction {
            must_be_present: true,
            must_have_one_of_values: values,
            ..Default::default()
        };
        Some(BTreeMap::from([(k.to_string(), r)]))
    };
    match expr {
        Expr::Eq(k, v) => single(k, Some(BTreeSet::from([v.clone()]))),
        Expr::In(k, set) => single(k, Some(set.clone())),
        Expr::Has(k) | Expr::Contains(k, _) | Expr::StartsWith(k, _) | Expr::EndsWith(k, _) => {
            single(k, None)
        }
        Expr::Not(inner) => match inner.as_ref() {
            Expr::Has(k) => {
                let r = LabelRestriction {
                    must_be_absent: true,
                    ..Default::default()
                };
                Some(BTreeMap::from([(k.clone(), r)]))
            }
            _ => None,
        },
        Expr::And(es) => {
            let mut acc: Option<Restrictions> = None;
            for r in es.iter().filter_map(restrictions) {
                acc = Some(match acc {
                    None => r,
                    Some(mut a) => {
                        for (k, rb) in r {
                            let ra = a.entry(k).or_default();
                            ra.must_be_present |= rb.must_be_present;
                            ra.must_be_absent |= rb.must_be_absent;
                            ra.must_have_one_of_values = match (
                                ra.must_have_one_of_values.take(),
                                rb.must_have_one_of_values,
                            ) {
                                (Some(x), Some(y)) => Some(x.intersection(&y).cloned().collect()),
                                (x, y) => x.or(y),
                            };
                        }
                        a
                    }
                });
            }
            acc
        }
        Expr::Or(es) => {
            let mut parts = es.iter().map(restrictions);
            let mut acc = parts.next()??;
            for r in parts {
                let r = r?;
                acc = acc
                    .into_iter()
                    .filter_map(|(k, ra)| {
                        let rb = r.get(&k)?;
                        let merged = LabelRestriction {
                            must_be_present: ra.must_be_present && rb.must_be_present,
                            must_be_absent: ra.must_be_absent && rb.must_be_absent,
                            must_have_one_of_values: match (
                                ra.must_have_one_of_values,
                                &rb.must_have_one_of_values,
                            ) {
                                (Some(x), Some(y)) => Some(x.union(y).cloned().collect()),
                                _ => None,
                            },
                        };
                        let useful = merged.must_be_present || merged.must_be_absent;
                        useful.then_some((k, merged))
                    })
                    .collect();
            }
            (!acc.is_empty()).then_some(acc)
        }
        Expr::All | Expr::Global | Expr::Ne(..) | Expr::NotIn(..) => None,
    }
}
