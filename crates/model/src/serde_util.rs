//! Small serde helpers shared by the resource types.

use serde::Serializer;

/// Serializes an `order` the way Go prints a float64 through JSON: `1000`, not `1000.0`.
#[expect(
    clippy::ref_option,
    reason = "serde's serialize_with passes a reference to the field"
)]
pub(crate) fn ser_opt_float<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        None => s.serialize_none(),
        Some(f) => ser_float(f, s),
    }
}

/// See [`ser_opt_float`].
pub(crate) fn ser_float<S: Serializer>(f: &f64, s: S) -> Result<S::Ok, S::Error> {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "only whole numbers within i64 range take this path"
    )]
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        s.serialize_i64(*f as i64)
    } else {
        s.serialize_f64(*f)
    }
}

/// `skip_serializing_if` for plain bools.
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde passes a reference"
)]
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}
