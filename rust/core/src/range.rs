//! Range (RFC 9110 §14.1.1, §14.2) and the byte ranges it selects.
//!
//! ```text
//! Range            = ranges-specifier
//! ranges-specifier = range-unit "=" range-set
//! range-set        = 1#range-spec
//! range-spec       = int-range / suffix-range / other-range
//! int-range        = first-pos "-" [ last-pos ]
//! suffix-range     = "-" suffix-length
//! ```

use crate::bytes::strip_ows;

/// Numbers in a Range header saturate here, in both routers, so that a 40-digit position
/// compares the same way in Python (unbounded ints) and in Rust.
pub const SATURATED: u64 = u64::MAX;

/// More range-specs than this are an abuse signal (§14.2): the header is ignored.
pub const MAX_RANGE_SPECS: usize = 32;

/// Satisfiable ranges served as multipart at most; more is answered with the whole file.
pub const MAX_MULTIPART_RANGES: usize = 16;

/// One range-spec as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeSpec {
    /// `first-last` or `first-`.
    Int(u64, Option<u64>),
    /// `-length`: the last `length` bytes.
    Suffix(u64),
}

/// A 1*DIGIT position, saturating at `SATURATED`; None if not all digits.
fn position(text: &[u8]) -> Option<u64> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &c in text {
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
        {
            Some(next) => value = next,
            None => return Some(SATURATED),
        }
    }
    Some(value)
}

/// One comma-separated element of a range-set, stripped: Ok(None) when empty, Err when invalid.
fn range_spec(element: &[u8]) -> Result<Option<RangeSpec>, ()> {
    let element = strip_ows(element);
    if element.is_empty() {
        return Ok(None);
    }
    let dash = element.iter().position(|&c| c == b'-').ok_or(())?;
    let (first_text, last_text) = (&element[..dash], &element[dash + 1..]);
    if first_text.is_empty() {
        return position(last_text)
            .map(|n| Some(RangeSpec::Suffix(n)))
            .ok_or(());
    }
    let first = position(first_text).ok_or(())?;
    let last = if last_text.is_empty() {
        None
    } else {
        Some(position(last_text).ok_or(())?)
    };
    if last.is_some_and(|last| last < first) {
        return Err(());
    }
    Ok(Some(RangeSpec::Int(first, last)))
}

/// A range-set that has been checked whole; iterating it yields its range-specs in order.
#[derive(Clone, Debug)]
pub struct RangeSet<'a> {
    set: &'a [u8],
}

impl<'a> RangeSet<'a> {
    pub fn iter(&self) -> impl Iterator<Item = RangeSpec> + 'a {
        self.set
            .split(|&c| c == b',')
            .filter_map(|element| range_spec(element).ok().flatten())
    }
}

/// Parse a Range header into its range-specs; None when the header must be ignored.
///
/// The unit is compared case-insensitively; only `bytes` is understood, and any other unit is
/// ignored (§14.2). An int-range whose last-pos is below its first-pos is invalid (§14.1.1), and
/// an invalid range-set is ignored as a whole, as is one with more than `MAX_RANGE_SPECS`.
pub fn parse_range(value: &[u8]) -> Option<RangeSet<'_>> {
    let value = strip_ows(value);
    let equals = value.iter().position(|&c| c == b'=')?;
    if !value[..equals].eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    let set = &value[equals + 1..];
    let mut count = 0usize;
    for element in set.split(|&c| c == b',') {
        match range_spec(element) {
            Err(()) => return None,
            Ok(None) => {}
            Ok(Some(_)) => {
                count += 1;
                if count > MAX_RANGE_SPECS {
                    return None;
                }
            }
        }
    }
    (count > 0).then_some(RangeSet { set })
}

/// Up to `MAX_MULTIPART_RANGES` inclusive byte ranges, in the order asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ranges {
    ranges: [(u64, u64); MAX_MULTIPART_RANGES],
    len: usize,
}

impl Ranges {
    pub fn as_slice(&self) -> &[(u64, u64)] {
        &self.ranges[..self.len]
    }
}

/// What a Range header asks of a representation.
// Lives on the stack for one request; boxing the ranges would allocate per range request.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// Send the whole representation (200): the header is ignored.
    Ignore,
    /// Nothing is satisfiable: 416.
    Unsatisfiable,
    /// One or more (first, last) inclusive ranges: 206.
    Ranges(Ranges),
}

/// The byte ranges to send (RFC 9110 §14.1.2, §14.2).
///
/// `Ignore`: send 200 — the header is invalid, has too many ranges, the representation is
/// empty, or a multi-range request would cost more than the whole file (overlapping ranges,
/// §14.2's denial-of-service advice) or concerns a content-coded variant (the parts of a
/// multipart body carry no Content-Encoding). `Unsatisfiable`: nothing is satisfiable, 416.
pub fn resolve_ranges(value: &[u8], size: u64, identity: bool) -> Resolved {
    let Some(set) = parse_range(value) else {
        return Resolved::Ignore;
    };
    if size == 0 {
        return Resolved::Ignore;
    }
    let mut out = Ranges {
        ranges: [(0, 0); MAX_MULTIPART_RANGES],
        len: 0,
    };
    let mut total: u128 = 0;
    for spec in set.iter() {
        let range = match spec {
            RangeSpec::Suffix(0) => continue,
            RangeSpec::Suffix(length) => (size.saturating_sub(length), size - 1),
            RangeSpec::Int(first, _) if first >= size => continue,
            RangeSpec::Int(first, last) => (first, last.map_or(size - 1, |l| l.min(size - 1))),
        };
        if out.len == MAX_MULTIPART_RANGES {
            // A seventeenth satisfiable range: more than a multipart answer may carry.
            return Resolved::Ignore;
        }
        out.ranges[out.len] = range;
        out.len += 1;
        total += u128::from(range.1 - range.0) + 1;
    }
    if out.len == 0 {
        return Resolved::Unsatisfiable;
    }
    if out.len > 1 && (!identity || total > u128::from(size)) {
        return Resolved::Ignore;
    }
    Resolved::Ranges(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeSpec::{Int, Suffix};

    fn parsed(value: &[u8]) -> Option<Vec<RangeSpec>> {
        parse_range(value).map(|set| set.iter().collect())
    }

    #[test]
    fn parse_table() {
        let cases: Vec<(&[u8], Option<Vec<RangeSpec>>)> = vec![
            (b"bytes=0-0", Some(vec![Int(0, Some(0))])),
            (b" bytes=0-", Some(vec![Int(0, None)])),
            (b"BYTES=-5", Some(vec![Suffix(5)])),
            (
                b"Bytes=1-2, -3 ,4-",
                Some(vec![Int(1, Some(2)), Suffix(3), Int(4, None)]),
            ),
            (b"bytes=,,0-1,,", Some(vec![Int(0, Some(1))])),
            (b"bytes=\t0-1\t", Some(vec![Int(0, Some(1))])),
            (b"bytes=007-0010", Some(vec![Int(7, Some(10))])),
            (b"bytes=-0", Some(vec![Suffix(0)])),
            (
                b"bytes=18446744073709551615-",
                Some(vec![Int(SATURATED, None)]),
            ),
            (
                b"bytes=18446744073709551616-",
                Some(vec![Int(SATURATED, None)]),
            ),
            (
                b"bytes=00000000000000000000000000000001-99999999999999999999999999999",
                Some(vec![Int(1, Some(SATURATED))]),
            ),
            (
                b"bytes=-99999999999999999999999",
                Some(vec![Suffix(SATURATED)]),
            ),
            (b"bytes=", None),
            (b"bytes=,", None),
            (b"bytes =0-1", None),
            (b"bytes", None),
            (b"items=0-1", None),
            (b"bytes=5-4", None),
            (b"bytes=0-1,5-4", None),
            (b"bytes=1", None),
            (b"bytes=a-1", None),
            (b"bytes=1-a", None),
            (b"bytes=1-2-3", None),
            (b"bytes=--1", None),
            (b"bytes=- 1", None),
            (b"bytes=0 -1", None),
            (b"bytes=+1-2", None),
            (b"bytes=0-1;x", None),
            (b"bytes=\xff-1", None),
        ];
        for (value, expected) in cases {
            assert_eq!(
                parsed(value),
                expected,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn spec_count_limit() {
        let many = |n: usize, spec: &str| format!("bytes={}", vec![spec; n].join(","));
        assert_eq!(
            parsed(many(32, "0-0").as_bytes()).map(|v| v.len()),
            Some(32)
        );
        assert_eq!(parsed(many(33, "0-0").as_bytes()), None);
        // Suffix ranges count towards the limit like any other range-spec.
        assert_eq!(parsed(many(32, "-1").as_bytes()).map(|v| v.len()), Some(32));
        assert_eq!(parsed(many(33, "-1").as_bytes()), None);
    }

    /// None: ignored (200); an empty list: unsatisfiable (416); else the ranges (206).
    type Want = Option<Vec<(u64, u64)>>;

    fn resolved(value: &str, size: u64, identity: bool) -> Want {
        match resolve_ranges(value.as_bytes(), size, identity) {
            Resolved::Ignore => None,
            Resolved::Unsatisfiable => Some(vec![]),
            Resolved::Ranges(r) => Some(r.as_slice().to_vec()),
        }
    }

    #[test]
    fn resolve_table() {
        let cases: Vec<(&str, u64, bool, Want)> = vec![
            ("bytes=0-0", 10, true, Some(vec![(0, 0)])),
            ("bytes=0-", 10, true, Some(vec![(0, 9)])),
            ("bytes=2-100", 10, true, Some(vec![(2, 9)])),
            ("bytes=-3", 10, true, Some(vec![(7, 9)])),
            ("bytes=-30", 10, true, Some(vec![(0, 9)])),
            ("bytes=-18446744073709551615", 10, true, Some(vec![(0, 9)])),
            ("bytes=9-", 10, true, Some(vec![(9, 9)])),
            ("bytes=10-", 10, true, Some(vec![])),
            ("bytes=-0", 10, true, Some(vec![])),
            ("bytes=10-20, -0", 10, true, Some(vec![])),
            ("bytes=0-0", 0, true, None),
            ("bytes=-1", 0, true, None),
            ("bytes=x", 10, true, None),
            // A single range of a content-coded variant is fine; several are not.
            ("bytes=0-1", 10, false, Some(vec![(0, 1)])),
            ("bytes=0-1,3-4", 10, false, None),
            ("bytes=0-1,3-4", 10, true, Some(vec![(0, 1), (3, 4)])),
            ("bytes=3-4,0-1", 10, true, Some(vec![(3, 4), (0, 1)])),
            // Unsatisfiable members are dropped before counting.
            ("bytes=0-1,50-60", 10, true, Some(vec![(0, 1)])),
            // Overlaps are allowed while the total stays within the size.
            ("bytes=0-4,3-7", 10, true, Some(vec![(0, 4), (3, 7)])),
            ("bytes=0-5,3-7", 10, true, None),
            ("bytes=0-,0-", 10, true, None),
        ];
        for (value, size, identity, expected) in cases {
            assert_eq!(
                resolved(value, size, identity),
                expected,
                "{value} of {size}"
            );
        }
    }

    #[test]
    fn multipart_limit() {
        let ranges = |n: u64| {
            let specs: Vec<String> = (0..n).map(|i| format!("{}-{}", i * 2, i * 2)).collect();
            format!("bytes={}", specs.join(","))
        };
        assert_eq!(resolved(&ranges(16), 100, true).map(|v| v.len()), Some(16));
        assert_eq!(resolved(&ranges(17), 100, true), None);
        // Only satisfiable ranges count towards the limit.
        let padded = format!("{},90-95,200-300,-0", ranges(15));
        assert_eq!(resolved(&padded, 100, true).map(|v| v.len()), Some(16));
    }
}
