//! The lookup table: URL path → resource or redirect, built once and never changed.
//!
//! Per-file state is kept compact (the router is meant to index 100,000 files in a few tens of
//! megabytes): entity-tags, paths and redirect locations live in one byte arena addressed by 32-bit
//! spans, and header values shared by many responses are interned once.

use std::collections::HashMap;
use std::fmt;

use crate::accept_encoding::Coding;
use crate::decide::Outcome;
use crate::render::SharedId;
use crate::table::UrlTable;

/// A header field as stored: name and value.
pub type HeaderPair = (Box<[u8]>, Box<[u8]>);

/// A resource in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EntryId(pub(crate) u32);

/// A variant, numbered in the order variants were added across all resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VariantId(pub u32);

/// A redirect in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RedirectId(pub(crate) u32);

/// The request method, as far as the decision cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Other,
}

impl Method {
    pub fn from_bytes(method: &[u8]) -> Self {
        match method {
            b"GET" => Self::Get,
            b"HEAD" => Self::Head,
            _ => Self::Other,
        }
    }
}

/// Where a request goes after the table lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Decided without the request headers.
    Done(Outcome),
    /// A GET or HEAD of a resource: collect the fields and call `Router::decide`.
    Decide { entry: EntryId, head: bool },
}

/// Why a table could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// A resource without variants: there would be nothing to send.
    NoVariants,
    /// More variants than a resource may have.
    TooManyVariants,
    /// The byte arena would outgrow 32-bit offsets.
    TooLarge,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoVariants => "a resource needs at least one variant",
            Self::TooManyVariants => "a resource has at most 255 variants",
            Self::TooLarge => "the table's ETags, paths and locations exceed 4 GiB",
        })
    }
}

impl std::error::Error for BuildError {}

/// One representation of a resource, as handed to the builder.
#[derive(Clone, Copy, Debug)]
pub struct VariantSpec<'a> {
    pub coding: Coding,
    /// Where the bytes are on disk, as the caller encodes it; handed back with file bodies.
    pub path: &'a [u8],
    pub size: u64,
    pub mtime_ns: i64,
    /// The strong entity-tag, quotes included.
    pub etag: &'a [u8],
}

/// A file and its variants, as handed to the builder; its URLs are added with `route_url`.
#[derive(Clone, Copy, Debug)]
pub struct ResourceSpec<'a> {
    /// Seconds since the epoch, or None when unknown.
    pub last_modified: Option<i64>,
    pub content_type: &'a [u8],
    pub cache_control: Option<&'a [u8]>,
    /// The identity variant first, then the pre-compressed ones.
    pub variants: &'a [VariantSpec<'a>],
    /// Extra response headers for every response about this file (200, 206, 304, 412, 416).
    pub headers: &'a [(&'a [u8], &'a [u8])],
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    start: u32,
    len: u32,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) last_modified: Option<i64>,
    pub(crate) first_variant: u32,
    pub(crate) content_type: SharedId,
    pub(crate) cache_control: Option<SharedId>,
    pub(crate) extras: u32,
    pub(crate) variant_count: u8,
}

#[derive(Debug)]
pub(crate) struct Variant {
    pub(crate) size: u64,
    pub(crate) mtime_ns: i64,
    pub(crate) etag: Span,
    /// The path after its directory prefix.
    pub(crate) name: Span,
    /// Index into `Router::dirs`.
    pub(crate) dir: u32,
    pub(crate) coding: Coding,
}

#[derive(Debug)]
pub(crate) struct RedirectEntry {
    pub(crate) location: Span,
    pub(crate) cache_control: Option<SharedId>,
}

/// A table value: an `EntryId`, or a `RedirectId` with this bit set.
const REDIRECT: u32 = 1 << 31;

/// Shared header ids that every table has, in this order.
pub(crate) mod shared {
    use crate::render::SharedId;

    pub(crate) const TEXT_PLAIN: SharedId = SharedId(0);
    pub(crate) const ACCEPT_RANGES: SharedId = SharedId(1);
    pub(crate) const VARY: SharedId = SharedId(2);
    pub(crate) const ALLOW: SharedId = SharedId(3);
    pub(crate) const NO_BODY: SharedId = SharedId(4);
    pub(crate) const LENGTH_404: SharedId = SharedId(5);
    pub(crate) const LENGTH_405: SharedId = SharedId(6);
    pub(crate) const LENGTH_412: SharedId = SharedId(7);
    pub(crate) const LENGTH_416: SharedId = SharedId(8);
    /// Content-Encoding for br, zstd, gzip (`Coding as u32 - 1` from here).
    pub(crate) const CONTENT_ENCODING: u32 = 9;
}

pub(crate) const NOT_FOUND_BODY: &[u8] = b"404 Not Found\n";
pub(crate) const METHOD_NOT_ALLOWED_BODY: &[u8] = b"405 Method Not Allowed\n";
pub(crate) const PRECONDITION_FAILED_BODY: &[u8] = b"412 Precondition Failed\n";
pub(crate) const RANGE_NOT_SATISFIABLE_BODY: &[u8] = b"416 Range Not Satisfiable\n";

fn fixed_shared() -> Vec<HeaderPair> {
    let length = |body: &[u8]| body.len().to_string().into_bytes().into_boxed_slice();
    let pair = |name: &[u8], value: &[u8]| (Box::from(name), Box::from(value));
    vec![
        pair(b"content-type", b"text/plain; charset=utf-8"),
        pair(b"accept-ranges", b"bytes"),
        pair(b"vary", b"accept-encoding"),
        pair(b"allow", b"GET, HEAD"),
        pair(b"content-length", b"0"),
        (Box::from(&b"content-length"[..]), length(NOT_FOUND_BODY)),
        (
            Box::from(&b"content-length"[..]),
            length(METHOD_NOT_ALLOWED_BODY),
        ),
        (
            Box::from(&b"content-length"[..]),
            length(PRECONDITION_FAILED_BODY),
        ),
        (
            Box::from(&b"content-length"[..]),
            length(RANGE_NOT_SATISFIABLE_BODY),
        ),
        pair(b"content-encoding", b"br"),
        pair(b"content-encoding", b"zstd"),
        pair(b"content-encoding", b"gzip"),
    ]
}

/// Builds a `Router`: resources first, then their URLs and the redirects, in any order; a URL
/// added twice keeps the last target, as a Python dict would.
#[derive(Debug)]
pub struct RouterBuilder {
    router: Router,
    interned: HashMap<HeaderPair, SharedId>,
    interned_extras: HashMap<Box<[SharedId]>, u32>,
    interned_dirs: HashMap<Box<[u8]>, u32>,
}

impl RouterBuilder {
    /// `standalone` answers misses with 404 and other methods with 405; otherwise both pass
    /// through. `current_year` resolves two-digit years in obsolete rfc850 dates.
    pub fn new(standalone: bool, current_year: i64) -> Self {
        let shared = fixed_shared();
        let interned = shared
            .iter()
            .enumerate()
            .map(|(i, pair)| (pair.clone(), SharedId(i as u32)))
            .collect();
        Self {
            router: Router {
                table: UrlTable::default(),
                dirs: Vec::new(),
                entries: Vec::new(),
                variants: Vec::new(),
                redirects: Vec::new(),
                arena: Vec::new(),
                shared,
                extras: vec![Box::default()],
                standalone,
                current_year,
            },
            interned,
            interned_extras: HashMap::new(),
            interned_dirs: HashMap::new(),
        }
    }

    fn intern(&mut self, name: &[u8], value: &[u8]) -> SharedId {
        let shared = &mut self.router.shared;
        *self
            .interned
            .entry((Box::from(name), Box::from(value)))
            .or_insert_with(|| {
                shared.push((Box::from(name), Box::from(value)));
                SharedId(shared.len() as u32 - 1)
            })
    }

    fn store(&mut self, bytes: &[u8]) -> Result<Span, BuildError> {
        let arena = &mut self.router.arena;
        let start = u32::try_from(arena.len()).map_err(|_| BuildError::TooLarge)?;
        let len = u32::try_from(bytes.len()).map_err(|_| BuildError::TooLarge)?;
        start.checked_add(len).ok_or(BuildError::TooLarge)?;
        arena.extend_from_slice(bytes);
        Ok(Span { start, len })
    }

    fn intern_dir(&mut self, dir: &[u8]) -> Result<u32, BuildError> {
        if let Some(&id) = self.interned_dirs.get(dir) {
            return Ok(id);
        }
        let id = u32::try_from(self.router.dirs.len()).map_err(|_| BuildError::TooLarge)?;
        let span = self.store(dir)?;
        self.router.dirs.push(span);
        self.interned_dirs.insert(Box::from(dir), id);
        Ok(id)
    }

    /// Add a resource; its variants get the next `VariantId`s, in order.
    ///
    /// # Errors
    ///
    /// A resource without variants, with more than 255, or too large a table.
    pub fn resource(&mut self, spec: &ResourceSpec<'_>) -> Result<EntryId, BuildError> {
        if spec.variants.is_empty() {
            return Err(BuildError::NoVariants);
        }
        let variant_count =
            u8::try_from(spec.variants.len()).map_err(|_| BuildError::TooManyVariants)?;
        let first_variant =
            u32::try_from(self.router.variants.len()).map_err(|_| BuildError::TooLarge)?;
        let entry_id =
            EntryId(u32::try_from(self.router.entries.len()).map_err(|_| BuildError::TooLarge)?);
        for variant in spec.variants {
            let etag = self.store(variant.etag)?;
            let split = variant
                .path
                .iter()
                .rposition(|&c| c == b'/')
                .map_or(0, |i| i + 1);
            let (dir, name) = variant.path.split_at(split);
            let dir = self.intern_dir(dir)?;
            let name = self.store(name)?;
            self.router.variants.push(Variant {
                size: variant.size,
                mtime_ns: variant.mtime_ns,
                etag,
                name,
                dir,
                coding: variant.coding,
            });
        }
        let content_type = self.intern(b"content-type", spec.content_type);
        let cache_control = spec
            .cache_control
            .map(|value| self.intern(b"cache-control", value));
        let extras = if spec.headers.is_empty() {
            0
        } else {
            let ids: Box<[SharedId]> = spec
                .headers
                .iter()
                .map(|&(name, value)| self.intern(name, value))
                .collect();
            let lists = &mut self.router.extras;
            *self.interned_extras.entry(ids.clone()).or_insert_with(|| {
                lists.push(ids);
                lists.len() as u32 - 1
            })
        };
        self.router.entries.push(Entry {
            last_modified: spec.last_modified,
            first_variant,
            content_type,
            cache_control,
            extras,
            variant_count,
        });
        Ok(entry_id)
    }

    /// Serve a resource under a decoded URL path.
    ///
    /// # Errors
    ///
    /// Too large a table.
    pub fn route_url(&mut self, url: &[u8], entry: EntryId) -> Result<(), BuildError> {
        if entry.0 >= REDIRECT {
            return Err(BuildError::TooLarge);
        }
        self.router
            .table
            .insert(url, entry.0)
            .map_err(|_| BuildError::TooLarge)
    }

    /// Answer a URL with 301 to `location` (a relative reference), keeping the query.
    ///
    /// # Errors
    ///
    /// Too large a table.
    pub fn redirect(
        &mut self,
        url: &[u8],
        location: &[u8],
        cache_control: Option<&[u8]>,
    ) -> Result<RedirectId, BuildError> {
        let id = RedirectId(
            u32::try_from(self.router.redirects.len()).map_err(|_| BuildError::TooLarge)?,
        );
        let location = self.store(location)?;
        let cache_control = cache_control.map(|value| self.intern(b"cache-control", value));
        self.router.redirects.push(RedirectEntry {
            location,
            cache_control,
        });
        if id.0 >= REDIRECT {
            return Err(BuildError::TooLarge);
        }
        self.router
            .table
            .insert(url, id.0 | REDIRECT)
            .map_err(|_| BuildError::TooLarge)?;
        Ok(id)
    }

    pub fn build(mut self) -> Router {
        let router = &mut self.router;
        router.table.shrink_to_fit();
        router.dirs.shrink_to_fit();
        router.entries.shrink_to_fit();
        router.variants.shrink_to_fit();
        router.redirects.shrink_to_fit();
        router.arena.shrink_to_fit();
        router.shared.shrink_to_fit();
        router.extras.shrink_to_fit();
        self.router
    }
}

/// The lookup table and everything a decision needs; immutable once built.
#[derive(Debug)]
pub struct Router {
    table: UrlTable,
    /// Directory prefixes of variant paths, interned: files share few directories.
    dirs: Vec<Span>,
    entries: Vec<Entry>,
    variants: Vec<Variant>,
    redirects: Vec<RedirectEntry>,
    arena: Vec<u8>,
    shared: Vec<HeaderPair>,
    extras: Vec<Box<[SharedId]>>,
    standalone: bool,
    current_year: i64,
}

impl Router {
    /// The number of table entries: URLs and redirects.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    pub fn standalone(&self) -> bool {
        self.standalone
    }

    pub fn current_year(&self) -> i64 {
        self.current_year
    }

    /// The table lookup: one hash probe, and no look at the headers.
    ///
    /// A miss is 404 when standalone; a method other than GET or HEAD is 405 when standalone;
    /// both pass through otherwise.
    #[inline]
    pub fn route(&self, method: Method, path: &[u8]) -> Route {
        let Some(target) = self.table.get(path) else {
            return Route::Done(if self.standalone {
                Outcome::NotFound {
                    head: method == Method::Head,
                }
            } else {
                Outcome::PassThrough
            });
        };
        if method == Method::Other {
            return Route::Done(if self.standalone {
                Outcome::MethodNotAllowed
            } else {
                Outcome::PassThrough
            });
        }
        if target & REDIRECT == 0 {
            Route::Decide {
                entry: EntryId(target),
                head: method == Method::Head,
            }
        } else {
            Route::Done(Outcome::Redirect(RedirectId(target & !REDIRECT)))
        }
    }

    /// Every shared header, indexed by `SharedId`: a binding builds its objects once from it.
    pub fn shared_headers(&self) -> &[HeaderPair] {
        &self.shared
    }

    pub(crate) fn shared_header(&self, id: SharedId) -> &HeaderPair {
        &self.shared[id.0 as usize]
    }

    pub(crate) fn extras(&self, id: u32) -> &[SharedId] {
        &self.extras[id as usize]
    }

    pub(crate) fn entry(&self, id: EntryId) -> &Entry {
        &self.entries[id.0 as usize]
    }

    pub(crate) fn variants_of(&self, id: EntryId) -> &[Variant] {
        let entry = self.entry(id);
        let first = entry.first_variant as usize;
        &self.variants[first..first + usize::from(entry.variant_count)]
    }

    pub(crate) fn variant(&self, id: VariantId) -> &Variant {
        &self.variants[id.0 as usize]
    }

    pub(crate) fn redirect_entry(&self, id: RedirectId) -> &RedirectEntry {
        &self.redirects[id.0 as usize]
    }

    pub(crate) fn text(&self, span: Span) -> &[u8] {
        &self.arena[span.start as usize..(span.start + span.len) as usize]
    }

    /// The number of variants added, across all resources.
    pub fn variant_count(&self) -> usize {
        self.variants.len()
    }

    /// The path a file-backed body is read from, as given to the builder, in two parts: the
    /// directory (up to and including the last `/`) and the rest.
    pub fn variant_path(&self, id: VariantId) -> [&[u8]; 2] {
        let variant = self.variant(id);
        [
            self.text(self.dirs[variant.dir as usize]),
            self.text(variant.name),
        ]
    }

    pub fn variant_size(&self, id: VariantId) -> u64 {
        self.variant(id).size
    }

    pub fn variant_mtime_ns(&self, id: VariantId) -> i64 {
        self.variant(id).mtime_ns
    }

    pub fn variant_coding(&self, id: VariantId) -> Coding {
        self.variant(id).coding
    }

    pub fn variant_etag(&self, id: VariantId) -> &[u8] {
        self.text(self.variant(id).etag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(variants: &'a [VariantSpec<'a>]) -> ResourceSpec<'a> {
        ResourceSpec {
            last_modified: None,
            content_type: b"text/plain",
            cache_control: None,
            variants,
            headers: &[],
        }
    }

    const V: VariantSpec<'static> = VariantSpec {
        coding: Coding::Identity,
        path: b"/srv/a",
        size: 3,
        mtime_ns: 1,
        etag: b"\"e\"",
    };

    #[test]
    fn routes() {
        let variants = [V];
        for standalone in [true, false] {
            let mut builder = RouterBuilder::new(standalone, 2026);
            let a = builder.resource(&spec(&variants)).unwrap();
            builder.route_url(b"/a", a).unwrap();
            builder.route_url(b"/dir/", a).unwrap();
            let r = builder.redirect(b"/dir", b"./dir/", None).unwrap();
            let router = builder.build();
            assert_eq!(router.len(), 3);
            let miss = if standalone {
                Outcome::NotFound { head: true }
            } else {
                Outcome::PassThrough
            };
            let other = if standalone {
                Outcome::MethodNotAllowed
            } else {
                Outcome::PassThrough
            };
            let cases: Vec<(Method, &[u8], Route)> = vec![
                (
                    Method::Get,
                    b"/a",
                    Route::Decide {
                        entry: a,
                        head: false,
                    },
                ),
                (
                    Method::Head,
                    b"/dir/",
                    Route::Decide {
                        entry: a,
                        head: true,
                    },
                ),
                (Method::Head, b"/b", Route::Done(miss.clone())),
                (Method::Other, b"/b", Route::Done(miss.clone()).clone()),
                (Method::Other, b"/a", Route::Done(other.clone())),
                (Method::Get, b"/dir", Route::Done(Outcome::Redirect(r))),
                (Method::Other, b"/dir", Route::Done(other)),
                (Method::Get, b"/A", Route::Done(miss.clone())),
                (Method::Get, b"", Route::Done(miss.clone())),
            ];
            for (method, path, expected) in cases {
                let expected = match (expected, method) {
                    (Route::Done(Outcome::NotFound { .. }), m) => Route::Done(Outcome::NotFound {
                        head: m == Method::Head,
                    }),
                    (e, _) => e,
                };
                assert_eq!(router.route(method, path), expected, "{method:?} {path:?}");
            }
        }
    }

    #[test]
    fn later_urls_win_and_values_are_interned() {
        let variants = [V];
        let mut builder = RouterBuilder::new(true, 2026);
        let a = builder.resource(&spec(&variants)).unwrap();
        let b = builder.resource(&spec(&variants)).unwrap();
        builder.route_url(b"/x", a).unwrap();
        builder.route_url(b"/x", b).unwrap();
        let router = builder.build();
        assert_eq!(router.len(), 1);
        assert_eq!(
            router.route(Method::Get, b"/x"),
            Route::Decide {
                entry: b,
                head: false
            }
        );
        // One content-type value, interned once.
        let content_types = router
            .shared_headers()
            .iter()
            .filter(|(name, _)| &name[..] == b"content-type")
            .count();
        assert_eq!(content_types, 2);
        assert_eq!(router.variant_count(), 2);
        assert_eq!(router.variant_path(VariantId(1)), [&b"/srv/"[..], b"a"]);
    }

    #[test]
    fn rejects_empty_resources() {
        let mut builder = RouterBuilder::new(true, 2026);
        assert_eq!(builder.resource(&spec(&[])), Err(BuildError::NoVariants));
    }

    #[test]
    fn methods() {
        assert_eq!(Method::from_bytes(b"GET"), Method::Get);
        assert_eq!(Method::from_bytes(b"HEAD"), Method::Head);
        assert_eq!(Method::from_bytes(b"get"), Method::Other);
        assert_eq!(Method::from_bytes(b"POST"), Method::Other);
    }
}
