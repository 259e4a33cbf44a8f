//! The per-request decision: the request fields that matter, the preconditions of RFC 9110
//! §13.2.2 in their order, If-Range, and the closed set of outcomes the renderer turns into a
//! response.

use std::borrow::Cow;

use crate::accept_encoding::{select_variant, Coding};
use crate::bytes::strip_ows;
use crate::etag::{etag_matches, parse_etag_list, EtagList};
use crate::http_date::parse_http_date;
use crate::range::{resolve_ranges, Ranges, Resolved};
use crate::router::{EntryId, Method, RedirectId, Route, Router, VariantId};

/// The request header fields the decision reads; every other field is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Field {
    IfMatch = 0,
    IfNoneMatch = 1,
    IfModifiedSince = 2,
    IfUnmodifiedSince = 3,
    Range = 4,
    IfRange = 5,
    AcceptEncoding = 6,
}

impl Field {
    /// The field a header name denotes, compared case-insensitively (RFC 9110 §5.1).
    #[inline]
    pub fn from_name(name: &[u8]) -> Option<Self> {
        let (field, wanted): (Self, &[u8]) = match name.len() {
            5 => (Self::Range, b"range"),
            8 if name[3] == b'm' || name[3] == b'M' => (Self::IfMatch, b"if-match"),
            8 => (Self::IfRange, b"if-range"),
            13 => (Self::IfNoneMatch, b"if-none-match"),
            15 => (Self::AcceptEncoding, b"accept-encoding"),
            17 => (Self::IfModifiedSince, b"if-modified-since"),
            19 => (Self::IfUnmodifiedSince, b"if-unmodified-since"),
            _ => return None,
        };
        name.eq_ignore_ascii_case(wanted).then_some(field)
    }
}

/// The values of the fields the decision reads, a repeated field combined into one list.
#[derive(Clone, Debug, Default)]
pub struct Fields<'a> {
    values: [Option<Cow<'a, [u8]>>; 7],
}

impl<'a> Fields<'a> {
    /// Collect the wanted fields from request headers given as (name, value) pairs.
    pub fn from_headers<I>(headers: I) -> Self
    where
        I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
    {
        let mut fields = Self::default();
        for (name, value) in headers {
            if let Some(field) = Field::from_name(name) {
                fields.push(field, value);
            }
        }
        fields
    }

    /// Add one field line: repeated fields combine into one list, in order (RFC 9110 §5.3).
    pub fn push(&mut self, field: Field, value: &'a [u8]) {
        let slot = &mut self.values[field as usize];
        match slot {
            None => *slot = Some(Cow::Borrowed(value)),
            Some(previous) => {
                let joined = previous.to_mut();
                joined.extend_from_slice(b", ");
                joined.extend_from_slice(value);
            }
        }
    }

    /// Set a field's value, already combined.
    pub fn set(&mut self, field: Field, value: Cow<'a, [u8]>) {
        self.values[field as usize] = Some(value);
    }

    pub fn get(&self, field: Field) -> Option<&[u8]> {
        self.values[field as usize].as_deref()
    }
}

/// The outcome of the precondition steps (RFC 9110 §13.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Proceed,
    NotModified,
    PreconditionFailed,
}

/// Evaluate the conditional headers in the order of RFC 9110 §13.2.2.
///
/// 1. If-Match present: false → 412 (§13.1.1, strong comparison; `*` is true).
/// 2. Else If-Unmodified-Since present and a valid date: modified after it → 412 (§13.1.4).
/// 3. If-None-Match present: false → 304 (GET/HEAD only reach here; §13.1.2, weak comparison).
/// 4. Else If-Modified-Since present and a valid date: not modified since → 304 (§13.1.3).
/// 5. Otherwise proceed (If-Range is evaluated with the Range header, §13.1.5).
pub fn check_preconditions(
    etag: &[u8],
    last_modified: Option<i64>,
    fields: &Fields<'_>,
    current_year: i64,
) -> Condition {
    if let Some(if_match) = fields.get(Field::IfMatch) {
        if !etag_matches(parse_etag_list(if_match), etag, true) {
            return Condition::PreconditionFailed;
        }
    } else if let (Some(value), Some(last_modified)) =
        (fields.get(Field::IfUnmodifiedSince), last_modified)
    {
        if parse_http_date(value, current_year).is_some_and(|date| last_modified > date) {
            return Condition::PreconditionFailed;
        }
    }
    if let Some(if_none_match) = fields.get(Field::IfNoneMatch) {
        if etag_matches(parse_etag_list(if_none_match), etag, false) {
            return Condition::NotModified;
        }
    } else if let (Some(value), Some(last_modified)) =
        (fields.get(Field::IfModifiedSince), last_modified)
    {
        if parse_http_date(value, current_year).is_some_and(|date| last_modified <= date) {
            return Condition::NotModified;
        }
    }
    Condition::Proceed
}

/// Whether the Range header may be honoured (RFC 9110 §13.1.5).
///
/// An entity-tag must match strongly (a weak one never does); a date must equal Last-Modified
/// exactly. Anything else, garbage included, is false: the full representation is sent.
pub fn if_range_passes(
    value: &[u8],
    etag: &[u8],
    last_modified: Option<i64>,
    current_year: i64,
) -> bool {
    let value = strip_ows(value);
    if value.first() == Some(&b'"') {
        // The whole value must be exactly one well-formed entity-tag, and ours.
        let EtagList::Tags(mut tags) = parse_etag_list(value) else {
            return false;
        };
        return match (tags.next(), tags.next()) {
            (Some((_, tag)), None) => tag == value && value == etag,
            _ => false,
        };
    }
    if value.starts_with(b"W/") {
        return false;
    }
    parse_http_date(value, current_year).is_some_and(|date| Some(date) == last_modified)
}

/// How to answer one request, before it is rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Not ours (a miss or another method, when not standalone): the wrapped app answers.
    PassThrough,
    /// 404, for a standalone miss.
    NotFound { head: bool },
    /// 405, for a standalone method other than GET or HEAD.
    MethodNotAllowed,
    /// 301 to the directory URL.
    Redirect(RedirectId),
    /// 304 (§15.4.5).
    NotModified { entry: EntryId, variant: VariantId },
    /// 412 (§15.5.13).
    PreconditionFailed {
        entry: EntryId,
        variant: VariantId,
        head: bool,
    },
    /// 416 (§15.5.17).
    RangeNotSatisfiable { entry: EntryId, variant: VariantId },
    /// 200 with the whole selected representation.
    Full {
        entry: EntryId,
        variant: VariantId,
        head: bool,
    },
    /// 206 with one range, `first` to `last` inclusive (§14.4).
    Partial {
        entry: EntryId,
        variant: VariantId,
        first: u64,
        last: u64,
        head: bool,
    },
    /// 206 multipart/byteranges (§14.6); boxed so that the common outcomes stay small.
    Multipart {
        entry: EntryId,
        variant: VariantId,
        ranges: Box<Ranges>,
        head: bool,
    },
}

impl Router {
    /// Decide the answer to a GET or HEAD of a resource, given the request's fields.
    pub fn decide(&self, entry_id: EntryId, head: bool, fields: &Fields<'_>) -> Outcome {
        let entry = self.entry(entry_id);
        let variants = self.variants_of(entry_id);
        let offset = select_variant(
            variants.iter().map(|v| (v.coding, v.size)),
            fields.get(Field::AcceptEncoding),
        );
        let variant_id = VariantId(entry.first_variant + offset as u32);
        let variant = &variants[offset];
        let etag = self.text(variant.etag);
        let year = self.current_year();
        match check_preconditions(etag, entry.last_modified, fields, year) {
            Condition::Proceed => {}
            Condition::NotModified => {
                return Outcome::NotModified {
                    entry: entry_id,
                    variant: variant_id,
                }
            }
            Condition::PreconditionFailed => {
                return Outcome::PreconditionFailed {
                    entry: entry_id,
                    variant: variant_id,
                    head,
                }
            }
        }
        let full = Outcome::Full {
            entry: entry_id,
            variant: variant_id,
            head,
        };
        let Some(range) = fields.get(Field::Range).filter(|_| !head) else {
            return full;
        };
        if let Some(if_range) = fields.get(Field::IfRange) {
            if !if_range_passes(if_range, etag, entry.last_modified, year) {
                return full;
            }
        }
        match resolve_ranges(range, variant.size, variant.coding == Coding::Identity) {
            Resolved::Ignore => full,
            Resolved::Unsatisfiable => Outcome::RangeNotSatisfiable {
                entry: entry_id,
                variant: variant_id,
            },
            Resolved::Ranges(ranges) => match *ranges.as_slice() {
                [(first, last)] => Outcome::Partial {
                    entry: entry_id,
                    variant: variant_id,
                    first,
                    last,
                    head,
                },
                _ => Outcome::Multipart {
                    entry: entry_id,
                    variant: variant_id,
                    ranges: Box::new(ranges),
                    head,
                },
            },
        }
    }

    /// Decide the answer to `method path` with the given request headers, in one call.
    pub fn resolve<'h, I>(&self, method: Method, path: &[u8], headers: I) -> Outcome
    where
        I: IntoIterator<Item = (&'h [u8], &'h [u8])>,
    {
        match self.route(method, path) {
            Route::Done(outcome) => outcome,
            Route::Decide { entry, head } => {
                self.decide(entry, head, &Fields::from_headers(headers))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &[u8] = b"\"abc\"";
    const LM: i64 = 784_111_777;
    const DATE: &[u8] = b"Sun, 06 Nov 1994 08:49:37 GMT";
    const EARLIER: &[u8] = b"Sun, 06 Nov 1994 08:49:36 GMT";

    fn fields<'a>(pairs: &[(&'a str, &'a str)]) -> Fields<'a> {
        Fields::from_headers(pairs.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
    }

    #[test]
    fn field_names() {
        let cases: &[(&[u8], Option<Field>)] = &[
            (b"range", Some(Field::Range)),
            (b"Range", Some(Field::Range)),
            (b"IF-MATCH", Some(Field::IfMatch)),
            (b"if-range", Some(Field::IfRange)),
            (b"if-none-match", Some(Field::IfNoneMatch)),
            (b"Accept-Encoding", Some(Field::AcceptEncoding)),
            (b"if-modified-since", Some(Field::IfModifiedSince)),
            (b"if-unmodified-since", Some(Field::IfUnmodifiedSince)),
            (b"ranges", None),
            (b"if-matcx", None),
            (b"accept", None),
            (b"", None),
            (b"r\xc3\xa1nge", None),
        ];
        for &(name, expected) in cases {
            assert_eq!(
                Field::from_name(name),
                expected,
                "{}",
                String::from_utf8_lossy(name)
            );
        }
    }

    #[test]
    fn repeated_fields_join() {
        let f = fields(&[
            ("if-none-match", "\"a\""),
            ("accept", "x"),
            ("If-None-Match", "\"b\""),
            ("IF-NONE-MATCH", ""),
        ]);
        assert_eq!(f.get(Field::IfNoneMatch), Some(&b"\"a\", \"b\", "[..]));
        assert_eq!(f.get(Field::Range), None);
    }

    #[test]
    fn preconditions_table() {
        use Condition::{NotModified as C304, PreconditionFailed as C412, Proceed as GO};
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<i64>, Condition);
        let cases: &[Case] = &[
            (&[], Some(LM), GO),
            (&[("if-match", "\"abc\"")], Some(LM), GO),
            (&[("if-match", "*")], Some(LM), GO),
            (&[("if-match", "W/\"abc\"")], Some(LM), C412),
            (&[("if-match", "\"x\"")], Some(LM), C412),
            (&[("if-match", "")], Some(LM), C412),
            // Step 2 only without If-Match.
            (
                &[("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT")],
                Some(LM),
                C412,
            ),
            (
                &[("if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
                Some(LM),
                GO,
            ),
            (
                &[("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT")],
                None,
                GO,
            ),
            (&[("if-unmodified-since", "garbage")], Some(LM), GO),
            (
                &[
                    ("if-match", "\"abc\""),
                    ("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT"),
                ],
                Some(LM),
                GO,
            ),
            // Step 3: weak comparison.
            (&[("if-none-match", "W/\"abc\"")], Some(LM), C304),
            (&[("if-none-match", "\"abc\"")], Some(LM), C304),
            (&[("if-none-match", "*")], Some(LM), C304),
            (&[("if-none-match", "\"x\"")], Some(LM), GO),
            // Step 4 only without If-None-Match.
            (
                &[("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
                Some(LM),
                C304,
            ),
            (
                &[("if-modified-since", "Sun, 06 Nov 1994 08:49:36 GMT")],
                Some(LM),
                GO,
            ),
            (
                &[("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT")],
                None,
                GO,
            ),
            (
                &[
                    ("if-none-match", "\"x\""),
                    ("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ],
                Some(LM),
                GO,
            ),
            // 412 takes precedence over 304.
            (
                &[("if-match", "\"x\""), ("if-none-match", "\"abc\"")],
                Some(LM),
                C412,
            ),
        ];
        for (pairs, last_modified, expected) in cases {
            let got = check_preconditions(ETAG, *last_modified, &fields(pairs), 2026);
            assert_eq!(got, *expected, "{pairs:?}");
        }
    }

    #[test]
    fn if_range_table() {
        let cases: &[(&[u8], Option<i64>, bool)] = &[
            (b"\"abc\"", Some(LM), true),
            (b" \"abc\"\t", Some(LM), true),
            (b"W/\"abc\"", Some(LM), false),
            (b"\"abc\", \"abc\"", Some(LM), false),
            (b"\"abc\" x", Some(LM), false),
            (b"\"abd\"", Some(LM), false),
            (b"\"ab", Some(LM), false),
            (DATE, Some(LM), true),
            (DATE, None, false),
            (EARLIER, Some(LM), false),
            (b"Sunday, 06-Nov-94 08:49:37 GMT", Some(LM), true),
            (b"", Some(LM), false),
            (b"*", Some(LM), false),
        ];
        for &(value, last_modified, expected) in cases {
            assert_eq!(
                if_range_passes(value, ETAG, last_modified, 2026),
                expected,
                "{}",
                String::from_utf8_lossy(value)
            );
        }
        // An ETag that is not a well-formed opaque-tag never matches.
        assert!(!if_range_passes(b"\"a b\"", b"\"a b\"", None, 2026));
    }
}
