//! Rendering: the one place an outcome becomes status, headers and body.
//!
//! Headers are pushed into a `Sink` in their final order. Values that many responses share
//! (content types, cache policies, fixed fields) are pushed by `SharedId`, so that a binding can
//! hand out objects it built once; values that belong to one response are pushed as bytes.

use crate::accept_encoding::Coding;
use crate::bytes::{push_u64, StackBuf};
use crate::decide::Outcome;
use crate::http_date::format_http_date;
use crate::router::{
    shared, Entry, EntryId, RedirectId, Router, VariantId, METHOD_NOT_ALLOWED_BODY, NOT_FOUND_BODY,
    PRECONDITION_FAILED_BODY, RANGE_NOT_SATISFIABLE_BODY,
};

/// A header (name and value) interned in the router: see `Router::shared_headers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SharedId(pub u32);

/// The name of a header whose value is computed per response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum OwnedName {
    ContentType = 0,
    ContentLength = 1,
    ContentRange = 2,
    ETag = 3,
    LastModified = 4,
    Location = 5,
}

impl OwnedName {
    pub const ALL: [Self; 6] = [
        Self::ContentType,
        Self::ContentLength,
        Self::ContentRange,
        Self::ETag,
        Self::LastModified,
        Self::Location,
    ];

    /// The field name as sent: lower case, like every name this router writes.
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            Self::ContentType => b"content-type",
            Self::ContentLength => b"content-length",
            Self::ContentRange => b"content-range",
            Self::ETag => b"etag",
            Self::LastModified => b"last-modified",
            Self::Location => b"location",
        }
    }
}

/// Receives a response's header fields in order.
pub trait Sink {
    fn shared(&mut self, id: SharedId);
    fn owned(&mut self, name: OwnedName, value: &[u8]);
}

/// A `Sink` that copies the fields into a list, for tests and for callers without interning.
#[derive(Debug)]
pub struct HeaderList<'r> {
    router: &'r Router,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
}

impl<'r> HeaderList<'r> {
    pub fn new(router: &'r Router) -> Self {
        Self {
            router,
            headers: Vec::new(),
        }
    }
}

impl Sink for HeaderList<'_> {
    fn shared(&mut self, id: SharedId) {
        let (name, value) = self.router.shared_header(id);
        self.headers.push((name.to_vec(), value.to_vec()));
    }

    fn owned(&mut self, name: OwnedName, value: &[u8]) {
        self.headers
            .push((name.as_bytes().to_vec(), value.to_vec()));
    }
}

/// One part of a multipart/byteranges body: `prefix`, then `length` bytes from `first`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub prefix: Vec<u8>,
    pub first: u64,
    pub length: u64,
}

/// A multipart/byteranges body: the parts in the order asked, then the closing delimiter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultipartBody {
    pub variant: VariantId,
    pub parts: Vec<Part>,
    pub closing: Vec<u8>,
}

/// The short text bodies of the error responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorText {
    NotFound,
    MethodNotAllowed,
    PreconditionFailed,
    RangeNotSatisfiable,
}

impl ErrorText {
    pub const ALL: [Self; 4] = [
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::PreconditionFailed,
        Self::RangeNotSatisfiable,
    ];

    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            Self::NotFound => NOT_FOUND_BODY,
            Self::MethodNotAllowed => METHOD_NOT_ALLOWED_BODY,
            Self::PreconditionFailed => PRECONDITION_FAILED_BODY,
            Self::RangeNotSatisfiable => RANGE_NOT_SATISFIABLE_BODY,
        }
    }
}

/// Where a response's body comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// No body (HEAD, 304, 301).
    Empty,
    /// A fixed text (the error responses).
    Text(ErrorText),
    /// `length` bytes of the selected variant from `first`; the whole of it when `length` is
    /// its size.
    Slice {
        variant: VariantId,
        first: u64,
        length: u64,
    },
    Multipart(MultipartBody),
}

/// A rendered response, its headers having gone to the sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub status: u16,
    pub body: Body,
    /// The selected representation, when the response depends on it (200, 206, 304, 412,
    /// 416, HEAD included): its coding is reported, and a file-backed one is named with the
    /// size and modification time the index saw, so that an adapter can detect a change.
    pub about: Option<VariantId>,
}

impl Rendered {
    const fn new(status: u16, body: Body, about: Option<VariantId>) -> Self {
        Self {
            status,
            body,
            about,
        }
    }
}

/// The query characters a Location may carry as they are (RFC 3986 §3.4, less the ones
/// browsers and proxies are known to mangle); `%` stays only where it starts an escape (§2.1).
const fn query_safe(c: u8) -> bool {
    0x21 <= c
        && c <= 0x7E
        && !matches!(
            c,
            b'"' | b'#'
                | b'<'
                | b'>'
                | b'['
                | b'\\'
                | b']'
                | b'^'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'%'
        )
}

fn starts_escape(rest: &[u8]) -> bool {
    matches!(rest, [b'%', a, b, ..] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn content_length<S: Sink>(sink: &mut S, length: u64) {
    let mut value = StackBuf::<20>::new();
    value.push_u64(length);
    sink.owned(OwnedName::ContentLength, value.as_bytes());
}

/// A boundary derived from the representation's `ETag`: stable, and absent from its bytes.
///
/// Only characters valid both in a token (RFC 9110 §5.6.2, the media-type parameter) and in a
/// MIME boundary (RFC 2046 §5.1.1) are kept, and at most 70 in all.
pub fn multipart_boundary(etag: &[u8]) -> Vec<u8> {
    let mut boundary = b"ferrostatic-".to_vec();
    boundary.extend(
        etag.iter()
            .copied()
            .filter(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')),
    );
    boundary.truncate(70);
    boundary
}

impl Router {
    /// Render an outcome: headers into `sink`, status and body plan returned; None passes the
    /// request through.
    pub fn render<S: Sink>(
        &self,
        outcome: &Outcome,
        query: &[u8],
        sink: &mut S,
    ) -> Option<Rendered> {
        Some(match *outcome {
            Outcome::PassThrough => return None,
            Outcome::NotFound { head } => {
                sink.shared(shared::TEXT_PLAIN);
                sink.shared(shared::LENGTH_404);
                Rendered::new(404, text(head, ErrorText::NotFound), None)
            }
            Outcome::MethodNotAllowed => {
                sink.shared(shared::TEXT_PLAIN);
                sink.shared(shared::LENGTH_405);
                sink.shared(shared::ALLOW);
                Rendered::new(405, Body::Text(ErrorText::MethodNotAllowed), None)
            }
            Outcome::Redirect(id) => self.render_redirect(id, query, sink),
            Outcome::NotModified { entry, variant } => {
                // §15.4.5: the validators and caching headers a 200 would carry.
                self.validators(self.entry(entry), variant, sink);
                Rendered::new(304, Body::Empty, Some(variant))
            }
            Outcome::PreconditionFailed {
                entry,
                variant,
                head,
            } => {
                let entry = self.entry(entry);
                sink.shared(shared::TEXT_PLAIN);
                sink.shared(shared::LENGTH_412);
                self.vary_and_extras(entry, sink);
                Rendered::new(
                    412,
                    text(head, ErrorText::PreconditionFailed),
                    Some(variant),
                )
            }
            Outcome::RangeNotSatisfiable { entry, variant } => {
                // §15.5.17, §14.4: name the selected representation's length.
                let entry = self.entry(entry);
                sink.shared(shared::TEXT_PLAIN);
                sink.shared(shared::LENGTH_416);
                let mut range = StackBuf::<28>::new();
                range.push(b"bytes */");
                range.push_u64(self.variant(variant).size);
                sink.owned(OwnedName::ContentRange, range.as_bytes());
                sink.shared(shared::ACCEPT_RANGES);
                self.vary_and_extras(entry, sink);
                Rendered::new(
                    416,
                    Body::Text(ErrorText::RangeNotSatisfiable),
                    Some(variant),
                )
            }
            Outcome::Full {
                entry,
                variant,
                head,
            } => {
                let size = self.variant(variant).size;
                self.representation(self.entry(entry), variant, size, sink);
                sink.shared(shared::ACCEPT_RANGES);
                self.validators(self.entry(entry), variant, sink);
                Self::slice(variant, 0, size, head)
            }
            Outcome::Partial {
                entry,
                variant,
                first,
                last,
                head,
            } => self.render_single_range(entry, variant, first, last, head, sink),
            Outcome::Multipart {
                entry,
                variant,
                ref ranges,
                head,
            } => self.render_multipart(entry, variant, ranges.as_slice(), head, sink),
        })
    }

    fn slice(variant: VariantId, first: u64, length: u64, head: bool) -> Rendered {
        if head {
            return Rendered::new(200, Body::Empty, Some(variant));
        }
        let body = Body::Slice {
            variant,
            first,
            length,
        };
        Rendered::new(200, body, Some(variant))
    }

    /// Content-Type, Content-Length and, for a coded variant, Content-Encoding.
    fn representation<S: Sink>(
        &self,
        entry: &Entry,
        variant: VariantId,
        length: u64,
        sink: &mut S,
    ) {
        sink.shared(entry.content_type);
        content_length(sink, length);
        let coding = self.variant(variant).coding;
        if coding != Coding::Identity {
            sink.shared(SharedId(shared::CONTENT_ENCODING + coding as u32 - 1));
        }
    }

    /// What a 304 carries (§15.4.5), and what every 200/206 ends with: `Cache-Control`, `ETag`
    /// and `Last-Modified` (the `ETag` after the first of the caching fields), `Vary`, and the
    /// extra headers.
    fn validators<S: Sink>(&self, entry: &Entry, variant: VariantId, sink: &mut S) {
        let etag = self.text(self.variant(variant).etag);
        let last_modified = entry.last_modified.map(format_http_date);
        match (entry.cache_control, &last_modified) {
            (Some(cache_control), _) => {
                sink.shared(cache_control);
                sink.owned(OwnedName::ETag, etag);
                if let Some(date) = &last_modified {
                    sink.owned(OwnedName::LastModified, date.as_bytes());
                }
            }
            (None, Some(date)) => {
                sink.owned(OwnedName::LastModified, date.as_bytes());
                sink.owned(OwnedName::ETag, etag);
            }
            (None, None) => sink.owned(OwnedName::ETag, etag),
        }
        self.vary_and_extras(entry, sink);
    }

    fn vary_and_extras<S: Sink>(&self, entry: &Entry, sink: &mut S) {
        if entry.variant_count > 1 {
            sink.shared(shared::VARY);
        }
        for &id in self.extras(entry.extras) {
            sink.shared(id);
        }
    }

    /// 206 with one range of the selected representation (RFC 9110 §14.4, §15.3.7).
    fn render_single_range<S: Sink>(
        &self,
        entry_id: EntryId,
        variant: VariantId,
        first: u64,
        last: u64,
        head: bool,
        sink: &mut S,
    ) -> Rendered {
        let entry = self.entry(entry_id);
        let size = self.variant(variant).size;
        let length = last - first + 1;
        self.representation(entry, variant, length, sink);
        let mut range = StackBuf::<68>::new();
        range.push(b"bytes ");
        range.push_u64(first);
        range.push(b"-");
        range.push_u64(last);
        range.push(b"/");
        range.push_u64(size);
        sink.owned(OwnedName::ContentRange, range.as_bytes());
        sink.shared(shared::ACCEPT_RANGES);
        self.validators(entry, variant, sink);
        let mut rendered = Self::slice(variant, first, length, head);
        rendered.status = 206;
        rendered
    }

    /// 206 multipart/byteranges, one part per range in the order asked (RFC 9110 §14.6).
    fn render_multipart<S: Sink>(
        &self,
        entry_id: EntryId,
        variant: VariantId,
        ranges: &[(u64, u64)],
        head: bool,
        sink: &mut S,
    ) -> Rendered {
        let entry = self.entry(entry_id);
        let selected = self.variant(variant);
        let boundary = multipart_boundary(self.text(selected.etag));
        let content_type = &self.shared_header(entry.content_type).1;
        let parts: Vec<Part> = ranges
            .iter()
            .enumerate()
            .map(|(index, &(first, last))| {
                let mut prefix = Vec::with_capacity(boundary.len() + content_type.len() + 90);
                if index > 0 {
                    prefix.extend_from_slice(b"\r\n");
                }
                prefix.extend_from_slice(b"--");
                prefix.extend_from_slice(&boundary);
                prefix.extend_from_slice(b"\r\ncontent-type: ");
                prefix.extend_from_slice(content_type);
                prefix.extend_from_slice(b"\r\ncontent-range: bytes ");
                push_u64(&mut prefix, first);
                prefix.push(b'-');
                push_u64(&mut prefix, last);
                prefix.push(b'/');
                push_u64(&mut prefix, selected.size);
                prefix.extend_from_slice(b"\r\n\r\n");
                Part {
                    prefix,
                    first,
                    length: last - first + 1,
                }
            })
            .collect();
        let mut closing = b"\r\n--".to_vec();
        closing.extend_from_slice(&boundary);
        closing.extend_from_slice(b"--\r\n");
        let length = parts.iter().fold(closing.len() as u64, |total, part| {
            total.saturating_add(part.prefix.len() as u64 + part.length)
        });

        let mut multipart = b"multipart/byteranges; boundary=".to_vec();
        multipart.extend_from_slice(&boundary);
        sink.owned(OwnedName::ContentType, &multipart);
        content_length(sink, length);
        sink.shared(shared::ACCEPT_RANGES);
        self.validators(entry, variant, sink);
        let body = if head {
            Body::Empty
        } else {
            Body::Multipart(MultipartBody {
                variant,
                parts,
                closing,
            })
        };
        Rendered::new(206, body, Some(variant))
    }

    /// 301 to the directory URL, keeping the query string (percent-encoded where unsafe).
    fn render_redirect<S: Sink>(&self, id: RedirectId, query: &[u8], sink: &mut S) -> Rendered {
        let redirect = self.redirect_entry(id);
        let location = self.text(redirect.location);
        if query.is_empty() {
            sink.owned(OwnedName::Location, location);
        } else {
            let mut value = Vec::with_capacity(location.len() + 1 + query.len() * 3);
            value.extend_from_slice(location);
            value.push(b'?');
            for (index, &c) in query.iter().enumerate() {
                if query_safe(c) || starts_escape(&query[index..]) {
                    value.push(c);
                } else {
                    value.extend_from_slice(&[
                        b'%',
                        HEX[usize::from(c >> 4)],
                        HEX[usize::from(c & 15)],
                    ]);
                }
            }
            sink.owned(OwnedName::Location, &value);
        }
        sink.shared(shared::NO_BODY);
        if let Some(cache_control) = redirect.cache_control {
            sink.shared(cache_control);
        }
        Rendered::new(301, Body::Empty, None)
    }
}

fn text(head: bool, body: ErrorText) -> Body {
    if head {
        Body::Empty
    } else {
        Body::Text(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::Fields;
    use crate::router::{Method, ResourceSpec, RouterBuilder, VariantSpec};

    type Headers = Vec<(String, String)>;

    fn latin1(bytes: &[u8]) -> String {
        bytes.iter().map(|&c| char::from(c)).collect()
    }

    fn router() -> Router {
        let identity = VariantSpec {
            coding: Coding::Identity,
            path: b"/srv/a.txt",
            size: 26,
            mtime_ns: 5,
            etag: b"\"abc\"",
        };
        let gzip = VariantSpec {
            coding: Coding::Gzip,
            path: b"/srv/a.txt.gz",
            size: 20,
            mtime_ns: 6,
            etag: b"\"gz\"",
        };
        let variants = [identity, gzip];
        let mut builder = RouterBuilder::new(true, 2026);
        let a = builder
            .resource(&ResourceSpec {
                last_modified: Some(784_111_777),
                content_type: b"text/plain",
                cache_control: Some(b"no-cache"),
                variants: &variants,
                headers: &[(b"x-extra", b"1")],
            })
            .unwrap();
        builder.route_url(b"/a.txt", a).unwrap();
        let plain = [identity];
        let b = builder
            .resource(&ResourceSpec {
                last_modified: Some(0),
                content_type: b"text/plain",
                cache_control: None,
                variants: &plain,
                headers: &[],
            })
            .unwrap();
        builder.route_url(b"/b.txt", b).unwrap();
        builder
            .redirect(b"/dir", b"./dir/", Some(b"no-cache"))
            .unwrap();
        builder.build()
    }

    fn run(
        method: &str,
        path: &str,
        query: &[u8],
        headers: &[(&str, &str)],
    ) -> (Rendered, Headers) {
        let router = router();
        let fields = headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes()));
        let outcome = match router.route(Method::from_bytes(method.as_bytes()), path.as_bytes()) {
            crate::router::Route::Done(outcome) => outcome,
            crate::router::Route::Decide { entry, head } => {
                router.decide(entry, head, &Fields::from_headers(fields))
            }
        };
        let mut sink = HeaderList::new(&router);
        let rendered = router.render(&outcome, query, &mut sink).unwrap();
        let headers = sink
            .headers
            .iter()
            .map(|(n, v)| (latin1(n), latin1(v)))
            .collect();
        (rendered, headers)
    }

    fn pairs(list: &[(&str, &str)]) -> Headers {
        list.iter()
            .map(|&(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn full_and_head() {
        let expected = pairs(&[
            ("content-type", "text/plain"),
            ("content-length", "20"),
            ("content-encoding", "gzip"),
            ("accept-ranges", "bytes"),
            ("cache-control", "no-cache"),
            ("etag", "\"gz\""),
            ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ("vary", "accept-encoding"),
            ("x-extra", "1"),
        ]);
        let (rendered, headers) = run("GET", "/a.txt", b"", &[("accept-encoding", "gzip")]);
        assert_eq!(headers, expected);
        let slice = Body::Slice {
            variant: VariantId(1),
            first: 0,
            length: 20,
        };
        assert_eq!(rendered, Rendered::new(200, slice, Some(VariantId(1))));
        let (rendered, headers) = run("HEAD", "/a.txt", b"", &[("accept-encoding", "gzip")]);
        assert_eq!(headers, expected);
        assert_eq!(
            rendered,
            Rendered::new(200, Body::Empty, Some(VariantId(1)))
        );
    }

    #[test]
    fn validators_order_without_cache_control() {
        let (rendered, headers) = run("GET", "/b.txt", b"", &[("if-none-match", "\"abc\"")]);
        assert_eq!(
            rendered,
            Rendered::new(304, Body::Empty, Some(VariantId(2)))
        );
        assert_eq!(
            headers,
            pairs(&[
                ("last-modified", "Thu, 01 Jan 1970 00:00:00 GMT"),
                ("etag", "\"abc\"")
            ])
        );
    }

    #[test]
    fn errors() {
        let (rendered, headers) = run("GET", "/nope", b"", &[]);
        assert_eq!(
            rendered,
            Rendered::new(404, Body::Text(ErrorText::NotFound), None)
        );
        assert_eq!(ErrorText::NotFound.as_bytes(), b"404 Not Found\n");
        assert_eq!(
            headers,
            pairs(&[
                ("content-type", "text/plain; charset=utf-8"),
                ("content-length", "14")
            ])
        );
        let (rendered, _) = run("HEAD", "/nope", b"", &[]);
        assert_eq!(rendered.body, Body::Empty);
        let (rendered, headers) = run("POST", "/a.txt", b"", &[]);
        assert_eq!(rendered.status, 405);
        assert_eq!(headers[2], ("allow".to_owned(), "GET, HEAD".to_owned()));
        let (rendered, headers) = run("HEAD", "/a.txt", b"", &[("if-match", "\"x\"")]);
        assert_eq!(
            rendered,
            Rendered::new(412, Body::Empty, Some(VariantId(0)))
        );
        assert_eq!(
            headers,
            pairs(&[
                ("content-type", "text/plain; charset=utf-8"),
                ("content-length", "24"),
                ("vary", "accept-encoding"),
                ("x-extra", "1"),
            ])
        );
        let (rendered, headers) = run("GET", "/a.txt", b"", &[("range", "bytes=26-")]);
        let text = Body::Text(ErrorText::RangeNotSatisfiable);
        assert_eq!(rendered, Rendered::new(416, text, Some(VariantId(0))));
        assert_eq!(
            headers[2],
            ("content-range".to_owned(), "bytes */26".to_owned())
        );
    }

    #[test]
    fn ranges() {
        let (rendered, headers) = run("GET", "/a.txt", b"", &[("range", "bytes=-3")]);
        let slice = Body::Slice {
            variant: VariantId(0),
            first: 23,
            length: 3,
        };
        assert_eq!(rendered, Rendered::new(206, slice, Some(VariantId(0))));
        assert_eq!(headers[1], ("content-length".to_owned(), "3".to_owned()));
        assert_eq!(
            headers[2],
            ("content-range".to_owned(), "bytes 23-25/26".to_owned())
        );

        let (rendered, headers) = run("GET", "/a.txt", b"", &[("range", "bytes=0-1,4-4")]);
        let Body::Multipart(body) = rendered.body else {
            panic!("{rendered:?}");
        };
        let prefix = |sep: &str, range: &str| {
            format!(
                "{sep}--ferrostatic-abc\r\ncontent-type: text/plain\r\ncontent-range: bytes {range}/26\r\n\r\n"
            )
            .into_bytes()
        };
        assert_eq!(body.parts[0].prefix, prefix("", "0-1"));
        assert_eq!(body.parts[1].prefix, prefix("\r\n", "4-4"));
        assert_eq!((body.parts[1].first, body.parts[1].length), (4, 1));
        assert_eq!(body.closing, b"\r\n--ferrostatic-abc--\r\n");
        let total: usize = body
            .parts
            .iter()
            .map(|p| p.prefix.len() + p.length as usize)
            .sum::<usize>()
            + body.closing.len();
        assert_eq!(
            headers[0],
            (
                "content-type".to_owned(),
                "multipart/byteranges; boundary=ferrostatic-abc".to_owned()
            )
        );
        assert_eq!(headers[1], ("content-length".to_owned(), total.to_string()));
    }

    #[test]
    fn redirect_query_encoding() {
        let (rendered, headers) = run("GET", "/dir", b"a=1&b=\"x y\"#\xff~", &[]);
        assert_eq!(rendered, Rendered::new(301, Body::Empty, None));
        assert_eq!(
            headers,
            pairs(&[
                ("location", "./dir/?a=1&b=%22x%20y%22%23%FF~"),
                ("content-length", "0"),
                ("cache-control", "no-cache"),
            ])
        );
        let (_, headers) = run("HEAD", "/dir", b"", &[]);
        assert_eq!(headers[0], ("location".to_owned(), "./dir/".to_owned()));
    }

    /// Arbitrary header bytes never panic (overflow checks are on in tests), and every
    /// response's Content-Length matches the body it plans.
    #[test]
    fn arbitrary_headers() {
        const ALPHABET: &[&[u8]] = &[
            b"bytes=",
            b"0",
            b"1",
            b"9",
            b"-",
            b",",
            b" ",
            b"\"",
            b"W/",
            b"abc",
            b"*",
            b"q=",
            b";",
            b"gzip",
            b"br",
            b"identity",
            b"Sun, 06 Nov 1994 08:49:37 GMT",
            b"\xff",
            b"99999999999999999999999",
            b"18446744073709551615",
            b"=",
        ];
        const NAMES: &[&str] = &[
            "range",
            "if-range",
            "if-match",
            "if-none-match",
            "if-modified-since",
            "if-unmodified-since",
            "accept-encoding",
        ];
        let router = router();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..20_000 {
            let mut values = Vec::new();
            for _ in 0..next(4) {
                let value: Vec<u8> = (0..next(8))
                    .flat_map(|_| ALPHABET[next(ALPHABET.len())].to_vec())
                    .collect();
                values.push((NAMES[next(NAMES.len())], value));
            }
            let path: &[u8] = [&b"/a.txt"[..], b"/b.txt", b"/dir", b"/x"][next(4)];
            let method = [Method::Get, Method::Head, Method::Other][next(3)];
            let outcome = router.resolve(
                method,
                path,
                values.iter().map(|(n, v)| (n.as_bytes(), v.as_slice())),
            );
            let mut sink = HeaderList::new(&router);
            let rendered = router.render(&outcome, b"q", &mut sink).unwrap();
            let declared = sink
                .headers
                .iter()
                .find(|(n, _)| n == b"content-length")
                .map(|(_, v)| v.clone());
            let planned = match &rendered.body {
                Body::Empty => 0,
                Body::Text(text) => text.as_bytes().len() as u64,
                Body::Slice { length, .. } => *length,
                Body::Multipart(m) => {
                    m.parts
                        .iter()
                        .map(|p| p.prefix.len() as u64 + p.length)
                        .sum::<u64>()
                        + m.closing.len() as u64
                }
            };
            if method != Method::Head && rendered.status != 304 && rendered.status != 301 {
                assert_eq!(
                    declared,
                    Some(planned.to_string().into_bytes()),
                    "{values:?}"
                );
            }
        }
    }

    #[test]
    fn boundary() {
        assert_eq!(multipart_boundary(b"\"abc\""), b"ferrostatic-abc");
        assert_eq!(multipart_boundary(b"\"\"a\"\""), b"ferrostatic-a");
        assert_eq!(multipart_boundary(b"\"\""), b"ferrostatic-");
        // Only token and MIME-boundary characters are kept, and 70 at most (RFC 2046 §5.1.1).
        assert_eq!(multipart_boundary(b"\"a/b=c@d<e\""), b"ferrostatic-abcde");
        assert_eq!(
            multipart_boundary(b"\"m1a-2b.c_d\""),
            b"ferrostatic-m1a-2b.c_d"
        );
        assert_eq!(multipart_boundary(&[b'x'; 100]).len(), 70);
    }
}
