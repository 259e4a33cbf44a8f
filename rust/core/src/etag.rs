//! Entity tags (RFC 9110 §8.8.3) and the lists in If-Match / If-None-Match.
//!
//! ```text
//! entity-tag = [ weak ] opaque-tag
//! weak       = %s"W/"
//! opaque-tag = DQUOTE *etagc DQUOTE
//! etagc      = %x21 / %x23-7E / obs-text
//!
//! If-Match / If-None-Match = "*" / #entity-tag
//! ```

use crate::bytes::{is_ows, strip_ows};

const fn is_etagc(octet: u8) -> bool {
    octet == 0x21 || (0x23 <= octet && octet <= 0x7E) || octet >= 0x80
}

/// A parsed If-Match / If-None-Match value.
#[derive(Clone, Debug)]
pub enum EtagList<'a> {
    /// `*`: any current representation.
    Any,
    /// The entity-tags in order, up to the first malformed member.
    Tags(Tags<'a>),
}

/// The entity-tags of a list, parsed lazily as `(weak, opaque_tag)` with the quotes kept.
///
/// Parsing stops at the first malformed member: the members before it count, the rest match
/// nothing. Commas inside a quoted tag are part of the tag.
#[derive(Clone, Debug)]
pub struct Tags<'a> {
    value: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Iterator for Tags<'a> {
    type Item = (bool, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let value = self.value;
        let end = value.len();
        let mut pos = self.pos;
        while pos < end && (is_ows(value[pos]) || value[pos] == b',') {
            pos += 1;
        }
        // Every exit below but the last ends the list.
        self.done = true;
        if pos == end {
            return None;
        }
        let weak = value[pos..].starts_with(b"W/");
        if weak {
            pos += 2;
        }
        if pos == end || value[pos] != b'"' {
            return None;
        }
        let close = pos + 1 + value[pos + 1..].iter().position(|&c| c == b'"')?;
        if !value[pos + 1..close].iter().all(|&c| is_etagc(c)) {
            return None;
        }
        let tag = &value[pos..=close];
        pos = close + 1;
        while pos < end && is_ows(value[pos]) {
            pos += 1;
        }
        // A member followed by anything but a comma is the last one that counts.
        self.done = pos < end && value[pos] != b',';
        self.pos = pos;
        Some((weak, tag))
    }
}

/// Parse an If-Match / If-None-Match value: `*`, or the entity-tags in order.
pub fn parse_etag_list(value: &[u8]) -> EtagList<'_> {
    if strip_ows(value) == b"*" {
        return EtagList::Any;
    }
    EtagList::Tags(Tags {
        value,
        pos: 0,
        done: false,
    })
}

/// Whether a parsed list matches our (always strong) `ETag` (RFC 9110 §8.8.3.2).
///
/// Strong comparison: both strong and equal. Weak comparison: equal opaque tags, `W/` or not.
/// `*` matches any current representation.
pub fn etag_matches(list: EtagList<'_>, etag: &[u8], strong: bool) -> bool {
    match list {
        EtagList::Any => true,
        EtagList::Tags(mut tags) => tags.any(|(weak, tag)| tag == etag && !(strong && weak)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = Option<Vec<(bool, Vec<u8>)>>;

    fn tags(value: &[u8]) -> Parsed {
        match parse_etag_list(value) {
            EtagList::Any => None,
            EtagList::Tags(tags) => Some(tags.map(|(w, t)| (w, t.to_vec())).collect()),
        }
    }

    #[test]
    fn parse_table() {
        let s = |t: &str| (false, t.as_bytes().to_vec());
        let w = |t: &str| (true, t.as_bytes().to_vec());
        let cases: Vec<(&[u8], Parsed)> = vec![
            (b"*", None),
            (b" \t* ", None),
            (b"*, \"a\"", Some(vec![])),
            (b"", Some(vec![])),
            (b" , ,", Some(vec![])),
            (b"\"a\"", Some(vec![s("\"a\"")])),
            (b"W/\"a\"", Some(vec![w("\"a\"")])),
            (
                b"\"a\", W/\"b\" ,\"c\"",
                Some(vec![s("\"a\""), w("\"b\""), s("\"c\"")]),
            ),
            (b"\"a,b\"", Some(vec![s("\"a,b\"")])),
            (b"\"\"", Some(vec![s("\"\"")])),
            // Stops at the first malformed member.
            (b"\"a\", b, \"c\"", Some(vec![s("\"a\"")])),
            (b"\"a\" x", Some(vec![s("\"a\"")])),
            (b"\"a\"\"b\"", Some(vec![s("\"a\"")])),
            (b"\"a b\"", Some(vec![])),
            (b"\"a", Some(vec![])),
            (b"w/\"a\"", Some(vec![])),
            (b"W/ \"a\"", Some(vec![])),
            (b"W/", Some(vec![])),
            (
                b"\"\xff\x80\"",
                Some(vec![(false, b"\"\xff\x80\"".to_vec())]),
            ),
            (b"\"\x7f\"", Some(vec![])),
        ];
        for (value, expected) in cases {
            assert_eq!(
                tags(value),
                expected,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn comparison_table() {
        let cases: &[(&[u8], bool, bool)] = &[
            // (list, strong result, weak result) against "a"
            (b"\"a\"", true, true),
            (b"W/\"a\"", false, true),
            (b"\"b\", W/\"a\"", false, true),
            (b"\"b\", \"a\"", true, true),
            (b"*", true, true),
            (b"\"b\"", false, false),
            (b"x, \"a\"", false, false),
            (b"a", false, false),
        ];
        for &(value, strong, weak) in cases {
            assert_eq!(etag_matches(parse_etag_list(value), b"\"a\"", true), strong);
            assert_eq!(etag_matches(parse_etag_list(value), b"\"a\"", false), weak);
        }
    }
}
