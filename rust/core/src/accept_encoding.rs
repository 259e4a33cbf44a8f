//! Accept-Encoding (RFC 9110 §12.5.3, §12.4.2) and the choice among pre-compressed variants.
//!
//! ```text
//! Accept-Encoding = #( codings [ weight ] )
//! codings         = content-coding / "identity" / "*"
//! weight          = OWS ";" OWS "q=" qvalue
//! qvalue          = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
//! ```

use crate::bytes::strip_ows;

/// The content codings a variant may have, in tie-break order when two variants are equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Coding {
    Identity = 0,
    Br = 1,
    Zstd = 2,
    Gzip = 3,
}

/// Every coding, in `Coding` order.
pub const CODINGS: [Coding; 4] = [Coding::Identity, Coding::Br, Coding::Zstd, Coding::Gzip];

impl Coding {
    pub const fn name(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Br => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
        }
    }

    /// The coding a variant declares, exactly as written (the index writes lower case).
    pub fn from_name(name: &str) -> Option<Self> {
        CODINGS.into_iter().find(|c| c.name() == name)
    }
}

const fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// A qvalue in thousandths, or None if it does not match the grammar.
fn qvalue(text: &[u8]) -> Option<u16> {
    if text.is_empty() || !matches!(text[0], b'0' | b'1') || text.len() > 5 {
        return None;
    }
    let units = u16::from(text[0] - b'0') * 1000;
    if text.len() == 1 {
        return Some(units);
    }
    if text[1] != b'.' || !text[2..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut fraction = 0;
    for i in 2..5 {
        fraction = fraction * 10 + text.get(i).map_or(0, |&c| u16::from(c - b'0'));
    }
    let thousandths = units + fraction;
    (thousandths <= 1000).then_some(thousandths)
}

/// The client's weights for content codings; `weight(coding)` is the one predicate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcceptEncoding {
    explicit: [Option<u16>; 4],
    star: Option<u16>,
}

enum Listed {
    Coding(Coding),
    Star,
    Other,
}

fn listed(coding: &[u8]) -> Listed {
    if coding == b"*" {
        return Listed::Star;
    }
    if coding.eq_ignore_ascii_case(b"x-gzip") {
        return Listed::Coding(Coding::Gzip);
    }
    CODINGS
        .into_iter()
        .find(|c| coding.eq_ignore_ascii_case(c.name().as_bytes()))
        .map_or(Listed::Other, Listed::Coding)
}

impl AcceptEncoding {
    /// Parse the field; `None` (absent) and an empty value both list nothing.
    ///
    /// An element whose coding is not a token, or whose qvalue does not match the grammar, is
    /// skipped; the last `q` parameter of an element is its weight; a coding listed twice gets
    /// the larger weight.
    pub fn parse(value: Option<&[u8]>) -> Self {
        let mut accepted = Self::default();
        let Some(value) = value else {
            return accepted;
        };
        for element in value.split(|&c| c == b',') {
            let mut parts = element.split(|&c| c == b';');
            let coding = strip_ows(parts.next().unwrap_or_default());
            if coding.is_empty() || !coding.iter().all(|&c| is_tchar(c)) {
                continue;
            }
            let mut weight = Some(1000);
            for param in parts {
                let param = strip_ows(param);
                if param.len() >= 2 && (param[0] == b'q' || param[0] == b'Q') && param[1] == b'=' {
                    weight = qvalue(&param[2..]);
                }
            }
            let Some(weight) = weight else {
                continue;
            };
            match listed(coding) {
                Listed::Star => {
                    accepted.star = Some(accepted.star.map_or(weight, |w| w.max(weight)));
                }
                Listed::Coding(c) => {
                    let slot = &mut accepted.explicit[c as usize];
                    *slot = Some(slot.unwrap_or(0).max(weight));
                }
                Listed::Other => {}
            }
        }
        accepted
    }

    /// The client's weight (0-1000) for a content coding, 0 when it is not acceptable.
    ///
    /// An explicit entry wins; otherwise `*` applies to any coding not listed, identity
    /// included (so `*;q=0` excludes identity unless identity is listed). Identity that is not
    /// listed weighs 0 here: §12.5.3 makes it acceptable by default but gives it no weight, and
    /// a client that lists only `gzip;q=0.5` wants gzip, so unlisted identity is the fallback
    /// `select_variant` sends when nothing listed is acceptable.
    pub fn weight(&self, coding: Coding) -> u16 {
        self.explicit[coding as usize].or(self.star).unwrap_or(0)
    }
}

/// Pick the representation to send (RFC 9110 §12.5.3) among `(coding, size)` variants.
///
/// 1. Each variant gets the client's weight for its coding; weight 0 ("q=0") excludes it.
/// 2. The highest weight wins; among equal weights, the smallest file; then `CODINGS` order.
/// 3. When nothing listed is acceptable (no Accept-Encoding, identity not listed, or
///    `identity;q=0` and no acceptable variant), the first variant (identity) is sent: a
///    response without content coding is the RFC's fallback.
pub fn select_variant<I>(variants: I, accept_encoding: Option<&[u8]>) -> usize
where
    I: ExactSizeIterator<Item = (Coding, u64)>,
{
    if variants.len() == 1 || accept_encoding.is_none() {
        return 0;
    }
    let accepted = AcceptEncoding::parse(accept_encoding);
    let mut best = 0;
    let mut best_key = None;
    for (index, (coding, size)) in variants.enumerate() {
        let weight = accepted.weight(coding);
        if weight == 0 {
            continue;
        }
        let key = (std::cmp::Reverse(weight), size, coding);
        if best_key.map_or(true, |best_key| key < best_key) {
            best = index;
            best_key = Some(key);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use Coding::{Br, Gzip, Identity, Zstd};

    fn weights(value: Option<&[u8]>) -> [u16; 4] {
        let accepted = AcceptEncoding::parse(value);
        CODINGS.map(|c| accepted.weight(c))
    }

    #[test]
    fn qvalue_table() {
        let cases: &[(&[u8], Option<u16>)] = &[
            (b"1", Some(1000)),
            (b"0", Some(0)),
            (b"1.", Some(1000)),
            (b"1.000", Some(1000)),
            (b"1.001", None),
            (b"0.", Some(0)),
            (b"0.5", Some(500)),
            (b"0.05", Some(50)),
            (b"0.005", Some(5)),
            (b"0.0005", None),
            (b"0.999", Some(999)),
            (b"2", None),
            (b".5", None),
            (b"0,5", None),
            (b"0.a", None),
            (b"", None),
            (b" 1", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(qvalue(text), expected, "{}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn weight_table() {
        // [identity, br, zstd, gzip]
        let cases: &[(Option<&[u8]>, [u16; 4])] = &[
            (None, [0, 0, 0, 0]),
            (Some(b""), [0, 0, 0, 0]),
            (Some(b"gzip, deflate, br, zstd"), [0, 1000, 1000, 1000]),
            (Some(b"GZIP;Q=0.5"), [0, 0, 0, 500]),
            (Some(b"x-gzip"), [0, 0, 0, 1000]),
            (Some(b"x-gzip;q=0.2, gzip;q=0.1"), [0, 0, 0, 200]),
            (Some(b"gzip;q=0, gzip;q=0.3"), [0, 0, 0, 300]),
            (Some(b"*"), [1000, 1000, 1000, 1000]),
            (Some(b"*;q=0"), [0, 0, 0, 0]),
            (Some(b"*;q=0, identity"), [1000, 0, 0, 0]),
            (Some(b"*;q=0.1, *;q=0.4, br"), [400, 1000, 400, 400]),
            (Some(b"identity;q=0"), [0, 0, 0, 0]),
            (Some(b"identity;q=0.5, br;q=0.5;q=0.7"), [500, 700, 0, 0]),
            (Some(b"br;q=0.5;q=x"), [0, 0, 0, 0]),
            (Some(b"br;q=2"), [0, 0, 0, 0]),
            (Some(b"br ; q=0.25 ; level=1"), [0, 250, 0, 0]),
            (Some(b"br;level=1"), [0, 1000, 0, 0]),
            (Some(b"br;q = 0.5"), [0, 1000, 0, 0]),
            (Some(b"b r, zstd"), [0, 0, 1000, 0]),
            (Some(b"br\xff, zstd"), [0, 0, 1000, 0]),
            (Some(b";q=0.5, gzip"), [0, 0, 0, 1000]),
            (Some(b"  ,,gzip ,"), [0, 0, 0, 1000]),
            (Some(b"IDENTITY, Br;q=0.001"), [1000, 1, 0, 0]),
        ];
        for &(value, expected) in cases {
            assert_eq!(
                weights(value),
                expected,
                "{:?}",
                value.map(String::from_utf8_lossy)
            );
        }
    }

    #[test]
    fn select_table() {
        type Case<'a> = (&'a [(Coding, u64)], Option<&'a [u8]>, usize);
        let all = [(Identity, 100), (Br, 30), (Zstd, 35), (Gzip, 40)];
        let cases: &[Case] = &[
            (&all, None, 0),
            (&all, Some(b""), 0),
            (&all, Some(b"gzip, deflate, br, zstd"), 1),
            (&all, Some(b"gzip, zstd"), 2),
            (&all, Some(b"gzip;q=1, br;q=0.9"), 3),
            (&all, Some(b"gzip;q=0.5"), 3),
            (&all, Some(b"identity, gzip;q=0.5"), 0),
            (&all, Some(b"deflate"), 0),
            (&all, Some(b"identity;q=0"), 0),
            (&all, Some(b"identity;q=0, gzip;q=0.001"), 3),
            (&all, Some(b"*;q=0"), 0),
            (&[(Identity, 10), (Gzip, 10)], Some(b"gzip"), 1),
            (&[(Identity, 10), (Gzip, 10)], Some(b"gzip, identity"), 0),
            (&[(Identity, 10), (Gzip, 9)], Some(b"gzip"), 1),
            (&[(Identity, 10), (Br, 5), (Gzip, 5)], Some(b"gzip, br"), 1),
            (&[(Identity, 10), (Gzip, 5), (Br, 5)], Some(b"gzip, br"), 2),
            (&[(Gzip, 5)], Some(b"identity"), 0),
        ];
        for &(variants, value, expected) in cases {
            let got = select_variant(variants.iter().copied(), value);
            assert_eq!(got, expected, "{:?}", value.map(String::from_utf8_lossy));
        }
    }
}
