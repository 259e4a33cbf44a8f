//! The Python binding of the router: conversions only.
//!
//! The table and every decision live in `ferrostatic-core`; this module turns the start-up
//! index (tuples of `Resource`, `Redirect` and `Variant`) into a core table, and each rendered
//! outcome into a `Decision`. Objects that many responses share (header tuples, in-memory
//! bodies, coding names) are built once at construction and handed out by reference.
#![forbid(unsafe_code)]

mod codecs;
mod scan;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use ferrostatic_core::http_date::MAX_CURRENT_YEAR;
use ferrostatic_core::{
    Body, Coding, ErrorText, Field, Fields, Method, Outcome, OwnedName, Rendered, ResourceSpec,
    Route, Router as CoreRouter, RouterBuilder, SharedId, Sink, VariantId, VariantSpec, CODINGS,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyString, PyTuple};

/// How to answer one request: status, headers, and where the body comes from.
///
/// Each `(prefix, offset, length)` of `segments` is sent as `prefix` then `length` bytes of
/// `file` from `offset`, and `body` follows last (all of it, when there are no segments).
/// `file` is set whenever the response is about a representation read from disk; `size` and
/// `mtime_ns` are what the index saw of it. `coding` is the content coding of the selected
/// representation, if any.
///
/// `holdable` is true for a 200 with the whole of a file that the router would keep in memory
/// from now on: the adapter that reads those bytes hands them over with `hold`.
#[pyclass(frozen, module = "ferrostatic._core")]
struct Decision {
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    headers: Py<PyList>,
    #[pyo3(get)]
    body: Py<PyBytes>,
    #[pyo3(get)]
    file: Option<Py<PyString>>,
    #[pyo3(get)]
    segments: Py<PyTuple>,
    #[pyo3(get)]
    size: u64,
    #[pyo3(get)]
    mtime_ns: i64,
    #[pyo3(get)]
    coding: Option<Py<PyString>>,
    /// The router that would hold the file's bytes, and the variant they are.
    holder: Option<(Py<Router>, VariantId)>,
}

#[pymethods]
impl Decision {
    /// Whether `hold` would keep this file's bytes in memory.
    #[getter]
    fn holdable(&self) -> bool {
        self.holder.is_some()
    }

    /// Keep `body`, the whole file this decision is about, for the responses to come; False
    /// when it is not kept (not holdable, not the length indexed, or the budget spent meanwhile).
    fn hold(&self, body: Bound<'_, PyBytes>) -> bool {
        match &self.holder {
            Some((router, variant)) => router.get().hold(*variant, body),
            None => false,
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let repr = |value: &Option<Py<PyString>>| -> PyResult<String> {
            match value {
                None => Ok("None".to_owned()),
                Some(text) => Ok(text.bind(py).repr()?.to_cow()?.into_owned()),
            }
        };
        Ok(format!(
            "Decision(status={}, file={}, coding={})",
            self.status,
            repr(&self.file)?,
            repr(&self.coding)?
        ))
    }
}

/// Maps a request to a `Decision`, or to None when the request is not ours to answer.
#[pyclass(frozen, module = "ferrostatic._core")]
struct Router {
    core: CoreRouter,
    /// By `SharedId`: the `(name, value)` tuples shared by every response that carries them.
    shared: Vec<Py<PyTuple>>,
    /// By `OwnedName`.
    names: Vec<Py<PyBytes>>,
    /// By `Coding`.
    codings: Vec<Py<PyString>>,
    /// By `ErrorText`.
    texts: Vec<Py<PyBytes>>,
    /// By `VariantId`: the body held in memory, unset for a file read per request.
    bodies: Vec<OnceLock<Py<PyBytes>>>,
    /// What may still be held in memory, for files read from disk.
    memory: Option<Memory>,
    /// By `VariantId`: the header fields of its 200 and of its 304, built on first use. They
    /// depend on the variant alone, so a hot file's hit copies one tuple into a fresh list.
    header_cache: Vec<[OnceLock<Py<PyTuple>>; 2]>,
    empty_bytes: Py<PyBytes>,
    empty_tuple: Py<PyTuple>,
}

/// The bytes a router may still hold in memory, handed out first come, first served.
struct Memory {
    left: AtomicU64,
    max_file_size: u64,
}

/// Which cached header block an outcome uses, if any.
fn cache_slot(outcome: &Outcome) -> Option<(VariantId, usize)> {
    match *outcome {
        Outcome::Full { variant, .. } => Some((variant, 0)),
        Outcome::NotModified { variant, .. } => Some((variant, 1)),
        _ => None,
    }
}

/// A sink that keeps nothing: the headers come from the cache, only the body plan is needed.
struct NullSink;

impl Sink for NullSink {
    fn shared(&mut self, _: SharedId) {}
    fn owned(&mut self, _: OwnedName, _: &[u8]) {}
}

/// The bytes of a str as the table keys them: UTF-8, with lone surrogates (which a path decoded
/// with `surrogateescape` may hold) kept by `surrogatepass`, so that distinct strings stay
/// distinct.
fn str_key<'a>(text: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(utf8) = text.to_str() {
        return Ok(Cow::Borrowed(utf8.as_bytes()));
    }
    let encoded = text.call_method1("encode", ("utf-8", "surrogatepass"))?;
    Ok(Cow::Owned(
        encoded.cast_into::<PyBytes>()?.as_bytes().to_vec(),
    ))
}

/// The inverse of `str_key`.
fn key_str<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyString>> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(PyString::new(py, text)),
        Err(_) => Ok(PyBytes::new(py, bytes)
            .call_method1("decode", ("utf-8", "surrogatepass"))?
            .cast_into::<PyString>()?),
    }
}

// --- Construction -----------------------------------------------------------------------------

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}

fn expected(what: &str, kind: &str, value: &Bound<'_, PyAny>) -> PyErr {
    PyTypeError::new_err(format!("{what}: expected {kind}, got {}", type_name(value)))
}

/// Item `index` of a record (a `NamedTuple`, or any sequence).
fn field<'py>(record: &Bound<'py, PyAny>, index: usize, what: &str) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(tuple) = record.cast::<PyTuple>() {
        return tuple.get_item(index).map_err(|_| {
            PyValueError::new_err(format!(
                "{what}: missing (the record has {} fields)",
                tuple.len()
            ))
        });
    }
    record.get_item(index).map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}: expected a record, got {}",
            type_name(record)
        ))
    })
}

fn bytes_of<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    value
        .cast::<PyBytes>()
        .cloned()
        .map_err(|_| expected(what, "bytes", value))
}

fn optional_bytes<'py>(
    value: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    if value.is_none() {
        Ok(None)
    } else {
        bytes_of(value, what).map(Some)
    }
}

fn str_of<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyString>> {
    value
        .cast::<PyString>()
        .cloned()
        .map_err(|_| expected(what, "str", value))
}

fn int_of<'py, T>(value: &Bound<'py, PyAny>, what: &str, range: &str) -> PyResult<T>
where
    T: for<'a> FromPyObject<'a, 'py>,
{
    if !value.is_instance_of::<PyInt>() {
        return Err(expected(what, "int", value));
    }
    value
        .extract::<T>()
        .map_err(|_| PyValueError::new_err(format!("{what}: {value} is out of range ({range})")))
}

fn items<'py>(value: &Bound<'py, PyAny>, what: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    if value.is_instance_of::<PyString>() || value.is_instance_of::<PyBytes>() {
        return Err(expected(what, "a sequence", value));
    }
    value
        .try_iter()
        .map_err(|_| expected(what, "a sequence", value))?
        .collect()
}

/// One variant, its bytes extracted.
struct VariantIn<'py> {
    coding: Coding,
    path: Vec<u8>,
    size: u64,
    mtime_ns: i64,
    etag: Bound<'py, PyBytes>,
    body: Option<Bound<'py, PyBytes>>,
}

fn variant_in<'py>(record: &Bound<'py, PyAny>, what: &str) -> PyResult<VariantIn<'py>> {
    let at = |name: &str| format!("{what}.{name}");
    let (coding_at, path_at, size_at, mtime_at, etag_at, body_at) = (
        at("coding"),
        at("path"),
        at("size"),
        at("mtime_ns"),
        at("etag"),
        at("body"),
    );
    let coding_value = field(record, 0, &coding_at)?;
    let coding = str_of(&coding_value, &coding_at)?
        .to_str()
        .ok()
        .and_then(Coding::from_name)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "{coding_at}: {} is not one of identity, br, zstd, gzip",
                coding_value
                    .repr()
                    .map_or_else(|_| "?".to_owned(), |r| r.to_string())
            ))
        })?;
    Ok(VariantIn {
        coding,
        path: str_key(&str_of(&field(record, 1, &path_at)?, &path_at)?)?.into_owned(),
        size: int_of::<u64>(&field(record, 2, &size_at)?, &size_at, "0 to 2**64-1")?,
        mtime_ns: int_of::<i64>(&field(record, 3, &mtime_at)?, &mtime_at, "a 64-bit int")?,
        etag: bytes_of(&field(record, 4, &etag_at)?, &etag_at)?,
        body: optional_bytes(&field(record, 5, &body_at)?, &body_at)?,
    })
}

/// One (name, value) pair of a resource's extra headers.
fn header_pair<'py>(
    pair: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let parts = items(pair, what)?;
    let [name, value] = parts.as_slice() else {
        return Err(PyValueError::new_err(format!(
            "{what}: expected a (name, value) pair, got {} items",
            parts.len()
        )));
    };
    Ok((bytes_of(name, what)?, bytes_of(value, what)?))
}

fn check_year(current_year: i64) -> PyResult<()> {
    if current_year.abs() > MAX_CURRENT_YEAR {
        return Err(PyValueError::new_err(format!(
            "current_year: {current_year} is out of range (-{MAX_CURRENT_YEAR} to {MAX_CURRENT_YEAR})"
        )));
    }
    Ok(())
}

/// A sequence of (name, value) header pairs.
fn header_list<'py>(
    list: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)>> {
    items(list, what)?
        .iter()
        .enumerate()
        .map(|(i, pair)| header_pair(pair, &format!("{what}[{i}]")))
        .collect()
}

fn header_refs<'a>(
    list: &'a [(Bound<'_, PyBytes>, Bound<'_, PyBytes>)],
) -> Vec<(&'a [u8], &'a [u8])> {
    list.iter()
        .map(|(name, value)| (name.as_bytes(), value.as_bytes()))
        .collect()
}

fn add_resource(
    builder: &mut RouterBuilder,
    bodies: &mut Vec<OnceLock<Py<PyBytes>>>,
    record: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<()> {
    let at = |name: &str| format!("{what}.{name}");
    let urls: Vec<Vec<u8>> = items(&field(record, 0, &at("urls"))?, &at("urls"))?
        .iter()
        .enumerate()
        .map(|(i, url)| {
            let at_url = format!("{what}.urls[{i}]");
            Ok(str_key(&str_of(url, &at_url)?)?.into_owned())
        })
        .collect::<PyResult<_>>()?;
    let last_modified = field(record, 1, &at("last_modified"))?;
    let last_modified = if last_modified.is_none() {
        None
    } else {
        Some(int_of::<i64>(
            &last_modified,
            &at("last_modified"),
            "a 64-bit int",
        )?)
    };
    let content_type = bytes_of(&field(record, 2, &at("content_type"))?, &at("content_type"))?;
    let cache_control = optional_bytes(
        &field(record, 3, &at("cache_control"))?,
        &at("cache_control"),
    )?;
    let variants: Vec<VariantIn<'_>> = items(&field(record, 4, &at("variants"))?, &at("variants"))?
        .iter()
        .enumerate()
        .map(|(i, variant)| variant_in(variant, &format!("{what}.variants[{i}]")))
        .collect::<PyResult<_>>()?;
    // `headers` has a default in the NamedTuple; a shorter record has none.
    let headers = if record.len().map_or(true, |len| len > 5) {
        header_list(&field(record, 5, &at("headers"))?, &at("headers"))?
    } else {
        Vec::new()
    };

    let specs: Vec<VariantSpec<'_>> = variants
        .iter()
        .map(|v| VariantSpec {
            coding: v.coding,
            path: &v.path,
            size: v.size,
            mtime_ns: v.mtime_ns,
            etag: v.etag.as_bytes(),
        })
        .collect();
    let header_refs = header_refs(&headers);
    let entry = builder
        .resource(&ResourceSpec {
            last_modified,
            content_type: content_type.as_bytes(),
            cache_control: cache_control.as_ref().map(PyBytesMethods::as_bytes),
            variants: &specs,
            headers: &header_refs,
        })
        .map_err(|error| PyValueError::new_err(format!("{what}: {error}")))?;
    bodies.extend(variants.into_iter().map(|v| {
        v.body
            .map_or_else(OnceLock::new, |body| OnceLock::from(body.unbind()))
    }));
    for url in &urls {
        builder
            .route_url(url, entry)
            .map_err(|error| PyValueError::new_err(format!("{what}: {error}")))?;
    }
    Ok(())
}

fn add_redirect(
    builder: &mut RouterBuilder,
    record: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<()> {
    let at = |name: &str| format!("{what}.{name}");
    let url = str_key(&str_of(&field(record, 0, &at("url"))?, &at("url"))?)?.into_owned();
    let location = bytes_of(&field(record, 1, &at("location"))?, &at("location"))?;
    let cache_control = optional_bytes(
        &field(record, 2, &at("cache_control"))?,
        &at("cache_control"),
    )?;
    builder
        .redirect(
            &url,
            location.as_bytes(),
            cache_control.as_ref().map(PyBytesMethods::as_bytes),
        )
        .map_err(|error| PyValueError::new_err(format!("{what}: {error}")))?;
    Ok(())
}

// --- Requests ---------------------------------------------------------------------------------

/// A wanted field as collected from the request's header list.
enum Slot<'py> {
    Empty,
    One(Bound<'py, PyBytes>),
    /// A repeated field, combined into one list in order (RFC 9110 §5.3).
    Joined(Vec<u8>),
}

impl<'py> Slot<'py> {
    fn push(&mut self, value: Bound<'py, PyBytes>) {
        match self {
            Slot::Empty => *self = Slot::One(value),
            Slot::One(previous) => {
                let (previous, value) = (previous.as_bytes(), value.as_bytes());
                let mut joined = Vec::with_capacity(previous.len() + 2 + value.len());
                joined.extend_from_slice(previous);
                joined.extend_from_slice(b", ");
                joined.extend_from_slice(value);
                *self = Slot::Joined(joined);
            }
            Slot::Joined(joined) => {
                joined.extend_from_slice(b", ");
                joined.extend_from_slice(value.as_bytes());
            }
        }
    }

    fn value(&self) -> Option<&[u8]> {
        match self {
            Slot::Empty => None,
            Slot::One(value) => Some(value.as_bytes()),
            Slot::Joined(value) => Some(value),
        }
    }
}

const FIELDS: [Field; 7] = [
    Field::IfMatch,
    Field::IfNoneMatch,
    Field::IfModifiedSince,
    Field::IfUnmodifiedSince,
    Field::Range,
    Field::IfRange,
    Field::AcceptEncoding,
];

fn bad_header(item: &Bound<'_, PyAny>) -> PyErr {
    let got = match item.cast::<PyTuple>() {
        Ok(tuple) => {
            let names: Vec<String> = tuple.iter().map(|part| type_name(&part)).collect();
            format!("a tuple of ({})", names.join(", "))
        }
        Err(_) => type_name(item),
    };
    PyTypeError::new_err(format!("headers: expected (bytes, bytes) pairs, got {got}"))
}

/// Read one `(name, value)` item; only the value of a wanted field is looked at.
fn visit<'py>(item: &Bound<'py, PyAny>, slots: &mut [Slot<'py>; 7]) -> PyResult<()> {
    // Exact type checks first: under the stable ABI they are a pointer comparison, where the
    // subclass-aware ones are a call into the interpreter.
    if let Ok(pair) = item
        .cast_exact::<PyTuple>()
        .or_else(|_| item.cast::<PyTuple>())
    {
        if pair.len() != 2 {
            return Err(bad_header(item));
        }
        let name = pair.get_borrowed_item(0)?;
        let name = name
            .cast_exact::<PyBytes>()
            .or_else(|_| name.cast::<PyBytes>())
            .map_err(|_| bad_header(item))?;
        if let Some(field) = Field::from_name(name.as_bytes()) {
            let value = pair.get_item(1)?;
            let value = value.cast_into::<PyBytes>().map_err(|_| bad_header(item))?;
            slots[field as usize].push(value);
        }
        return Ok(());
    }
    // Any other iterable of two items (a list, say) unpacks the same way.
    let parts = item
        .try_iter()
        .map_err(|_| bad_header(item))?
        .take(3)
        .collect::<PyResult<Vec<_>>>()?;
    let [name, value] = parts.as_slice() else {
        return Err(bad_header(item));
    };
    let name = name.cast::<PyBytes>().map_err(|_| bad_header(item))?;
    if let Some(field) = Field::from_name(name.as_bytes()) {
        let value = value.cast::<PyBytes>().map_err(|_| bad_header(item))?;
        slots[field as usize].push(value.clone());
    }
    Ok(())
}

fn collect<'py>(headers: &Bound<'py, PyAny>, slots: &mut [Slot<'py>; 7]) -> PyResult<()> {
    if let Ok(list) = headers
        .cast_exact::<PyList>()
        .or_else(|_| headers.cast::<PyList>())
    {
        for item in list.iter() {
            visit(&item, slots)?;
        }
    } else if let Ok(tuple) = headers.cast::<PyTuple>() {
        for item in tuple.iter() {
            visit(&item, slots)?;
        }
    } else {
        let iterator = headers.try_iter().map_err(|_| {
            PyTypeError::new_err(format!(
                "headers: expected an iterable of (bytes, bytes) pairs, got {}",
                type_name(headers)
            ))
        })?;
        for item in iterator {
            visit(&item?, slots)?;
        }
    }
    Ok(())
}

/// Collects the rendered header fields as Python objects, in order.
struct PySink<'r, 'py> {
    py: Python<'py>,
    router: &'r Router,
    items: Vec<Bound<'py, PyAny>>,
    /// The first object that could not be built (only ever out of memory).
    error: Option<PyErr>,
}

impl Sink for PySink<'_, '_> {
    fn shared(&mut self, id: SharedId) {
        let tuple = self.router.shared[id.0 as usize].bind(self.py);
        self.items.push(tuple.clone().into_any());
    }

    fn owned(&mut self, name: OwnedName, value: &[u8]) {
        let name = self.router.names[name as usize].bind(self.py).clone();
        let value = PyBytes::new(self.py, value);
        match PyTuple::new(self.py, [name, value]) {
            Ok(pair) => self.items.push(pair.into_any()),
            Err(error) => self.error = Some(error),
        }
    }
}

/// Python slicing of in-memory bodies: out-of-range bounds clamp.
fn clamp(data: &[u8], first: u64, length: u64) -> &[u8] {
    let start = usize::try_from(first).unwrap_or(usize::MAX).min(data.len());
    let end = usize::try_from(first.saturating_add(length))
        .unwrap_or(usize::MAX)
        .min(data.len());
    &data[start..end.max(start)]
}

impl Router {
    /// The Python objects every response shares, around a built table.
    fn finish(
        py: Python<'_>,
        builder: RouterBuilder,
        mut bodies: Vec<OnceLock<Py<PyBytes>>>,
        memory_budget: u64,
        max_memory_file_size: u64,
    ) -> PyResult<Self> {
        let core = builder.build();
        bodies.shrink_to_fit();
        let shared = core
            .shared_headers()
            .iter()
            .map(|(name, value)| {
                PyTuple::new(py, [PyBytes::new(py, name), PyBytes::new(py, value)])
                    .map(Bound::unbind)
            })
            .collect::<PyResult<_>>()?;
        Ok(Self {
            shared,
            names: OwnedName::ALL
                .iter()
                .map(|name| PyBytes::new(py, name.as_bytes()).unbind())
                .collect(),
            codings: CODINGS
                .iter()
                .map(|coding| PyString::intern(py, coding.name()).unbind())
                .collect(),
            texts: ErrorText::ALL
                .iter()
                .map(|text| PyBytes::new(py, text.as_bytes()).unbind())
                .collect(),
            header_cache: (0..bodies.len()).map(|_| Default::default()).collect(),
            bodies,
            memory: (memory_budget > 0).then(|| Memory {
                left: AtomicU64::new(memory_budget),
                max_file_size: max_memory_file_size,
            }),
            empty_bytes: PyBytes::new(py, b"").unbind(),
            empty_tuple: PyTuple::empty(py).unbind(),
            core,
        })
    }

    /// Add `Resource` and `Redirect` records, as `Router(...)` takes them.
    fn add_records(
        builder: &mut RouterBuilder,
        bodies: &mut Vec<OnceLock<Py<PyBytes>>>,
        resources: &Bound<'_, PyAny>,
        redirects: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        for (i, resource) in items(resources, "resources")?.iter().enumerate() {
            add_resource(builder, bodies, resource, &format!("resources[{i}]"))?;
        }
        if let Some(redirects) = redirects {
            for (i, redirect) in items(redirects, "redirects")?.iter().enumerate() {
                add_redirect(builder, redirect, &format!("redirects[{i}]"))?;
            }
        }
        Ok(())
    }

    /// Keep `body` as the bytes of `variant` if it is the size indexed and the budget allows.
    fn hold(&self, variant: VariantId, body: Bound<'_, PyBytes>) -> bool {
        let Some(memory) = &self.memory else {
            return false;
        };
        let size = self.core.variant_size(variant);
        let slot = &self.bodies[variant.0 as usize];
        if slot.get().is_some() || body.as_bytes().len() as u64 != size {
            return false;
        }
        if memory
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(size)
            })
            .is_err()
        {
            return false;
        }
        if let Err(lost) = slot.set(body.unbind()) {
            // Another thread held the same file first: give the bytes back to the budget.
            drop(lost);
            memory.left.fetch_add(size, Ordering::AcqRel);
            return false;
        }
        true
    }

    /// Whether a 200 with the whole of `variant`, read from disk, may be held from now on.
    fn may_hold(&self, variant: VariantId, size: u64) -> bool {
        self.memory.as_ref().is_some_and(|memory| {
            size <= memory.max_file_size && size <= memory.left.load(Ordering::Relaxed)
        }) && self.bodies[variant.0 as usize].get().is_none()
    }

    /// Turn a rendered outcome and its header list into a `Decision`.
    fn decision<'py>(
        slf: &Bound<'py, Self>,
        rendered: Rendered,
        headers: Bound<'py, PyList>,
    ) -> PyResult<Bound<'py, Decision>> {
        let py = slf.py();
        let this = slf.get();
        let headers = headers.unbind();
        let text = |text: ErrorText| this.texts[text as usize].clone_ref(py);
        let mut decision = Decision {
            status: rendered.status,
            headers,
            body: this.empty_bytes.clone_ref(py),
            file: None,
            segments: this.empty_tuple.clone_ref(py),
            size: 0,
            mtime_ns: 0,
            coding: None,
            holder: None,
        };
        let Some(variant) = rendered.about else {
            if let Body::Text(body) = rendered.body {
                decision.body = text(body);
            }
            return Bound::new(py, decision);
        };
        let core = &this.core;
        decision.coding = Some(this.codings[core.variant_coding(variant) as usize].clone_ref(py));
        if let Some(data) = this.bodies[variant.0 as usize].get() {
            decision.body = match rendered.body {
                Body::Empty => decision.body,
                Body::Text(body) => text(body),
                Body::Slice { length, .. } if length == core.variant_size(variant) => {
                    data.clone_ref(py)
                }
                Body::Slice { first, length, .. } => {
                    PyBytes::new(py, clamp(data.as_bytes(py), first, length)).unbind()
                }
                Body::Multipart(multipart) => {
                    let data = data.as_bytes(py);
                    let mut body = Vec::new();
                    for part in &multipart.parts {
                        body.extend_from_slice(&part.prefix);
                        body.extend_from_slice(clamp(data, part.first, part.length));
                    }
                    body.extend_from_slice(&multipart.closing);
                    PyBytes::new(py, &body).unbind()
                }
            };
            return Bound::new(py, decision);
        }
        decision.file = Some(key_str(py, &core.variant_path(variant).concat())?.unbind());
        decision.size = core.variant_size(variant);
        decision.mtime_ns = core.variant_mtime_ns(variant);
        match rendered.body {
            Body::Empty => {}
            Body::Text(body) => decision.body = text(body),
            Body::Slice { first, length, .. } => {
                let segment = (this.empty_bytes.clone_ref(py), first, length);
                decision.segments = PyTuple::new(py, [segment])?.unbind();
                if rendered.status == 200 && this.may_hold(variant, length) {
                    decision.holder = Some((slf.clone().unbind(), variant));
                }
            }
            Body::Multipart(multipart) => {
                let segments = multipart
                    .parts
                    .iter()
                    .map(|part| (PyBytes::new(py, &part.prefix), part.first, part.length));
                decision.segments = PyTuple::new(py, segments)?.unbind();
                decision.body = PyBytes::new(py, &multipart.closing).unbind();
            }
        }
        Bound::new(py, decision)
    }

    fn render<'py>(
        slf: &Bound<'py, Self>,
        outcome: &Outcome,
        query: &[u8],
    ) -> PyResult<Option<Bound<'py, Decision>>> {
        let py = slf.py();
        let this = slf.get();
        let slot = cache_slot(outcome)
            .map(|(variant, which)| &this.header_cache[variant.0 as usize][which]);
        if let Some(cached) = slot.and_then(OnceLock::get) {
            let Some(rendered) = this.core.render(outcome, query, &mut NullSink) else {
                return Ok(None);
            };
            let headers = cached.bind(py).to_list();
            return Self::decision(slf, rendered, headers).map(Some);
        }
        let mut sink = PySink {
            py,
            router: this,
            items: Vec::with_capacity(12),
            error: None,
        };
        let Some(rendered) = this.core.render(outcome, query, &mut sink) else {
            return Ok(None);
        };
        if let Some(error) = sink.error {
            return Err(error);
        }
        let headers = PyList::new(py, sink.items)?;
        if let Some(slot) = slot {
            // Two threads may both build it; either copy is the same, and the first one stays.
            let _ = slot.set(PyTuple::new(py, headers.iter())?.unbind());
        }
        Self::decision(slf, rendered, headers).map(Some)
    }
}

#[pymethods]
impl Router {
    /// Build the lookup table. `standalone` answers misses with 404 and other methods with
    /// 405; otherwise both are left to the wrapped app (`resolve` returns None).
    /// `current_year` resolves two-digit years in obsolete rfc850 dates. Files of at most
    /// `max_memory_file_size` bytes are held in memory once read for a response
    /// (`Decision.hold`), until `memory_budget` bytes are held in all.
    #[new]
    #[pyo3(
        signature = (
            resources,
            redirects = None,
            *,
            standalone,
            current_year,
            memory_budget = 0,
            max_memory_file_size = 0,
        ),
        text_signature = "(resources, redirects=(), *, standalone, current_year, \
                          memory_budget=0, max_memory_file_size=0)"
    )]
    fn new(
        py: Python<'_>,
        resources: &Bound<'_, PyAny>,
        redirects: Option<&Bound<'_, PyAny>>,
        standalone: bool,
        current_year: i64,
        memory_budget: u64,
        max_memory_file_size: u64,
    ) -> PyResult<Self> {
        check_year(current_year)?;
        let mut builder = RouterBuilder::new(standalone, current_year);
        let mut bodies = Vec::new();
        Self::add_records(&mut builder, &mut bodies, resources, redirects)?;
        Self::finish(py, builder, bodies, memory_budget, max_memory_file_size)
    }

    /// Build the table from what `scan()` found: Python passes what depends on its options,
    /// one item per file (`content_types`, `cache_controls`, and `file_headers` unless every
    /// file gets `headers`), then `resources` (the health check) and `redirects`.
    #[staticmethod]
    #[pyo3(signature = (
        scan,
        prefix,
        content_types,
        cache_controls,
        headers,
        file_headers,
        resources,
        redirects,
        *,
        standalone,
        current_year,
        memory_budget = 0,
        max_memory_file_size = 0,
    ))]
    #[allow(clippy::too_many_arguments, clippy::needless_pass_by_value)]
    fn from_scan(
        py: Python<'_>,
        scan: &Bound<'_, scan::Scan>,
        prefix: &str,
        content_types: Vec<Bound<'_, PyBytes>>,
        cache_controls: Vec<Option<Bound<'_, PyBytes>>>,
        headers: &Bound<'_, PyAny>,
        file_headers: Option<&Bound<'_, PyAny>>,
        resources: &Bound<'_, PyAny>,
        redirects: &Bound<'_, PyAny>,
        standalone: bool,
        current_year: i64,
        memory_budget: u64,
        max_memory_file_size: u64,
    ) -> PyResult<Self> {
        check_year(current_year)?;
        let headers = header_list(headers, "headers")?;
        let shared_headers = header_refs(&headers);
        let file_headers = file_headers
            .map(|lists| {
                items(lists, "file_headers")?
                    .iter()
                    .enumerate()
                    .map(|(i, list)| header_list(list, &format!("file_headers[{i}]")))
                    .collect::<PyResult<Vec<_>>>()
            })
            .transpose()?;
        let file_header_refs: Option<Vec<Vec<scan::HeaderRef<'_>>>> = file_headers
            .as_ref()
            .map(|lists| lists.iter().map(|list| header_refs(list)).collect());
        let scan = scan.get();
        let tree = scan.take()?;
        let mut builder = RouterBuilder::new(standalone, current_year);
        scan::add_files(
            &mut builder,
            scan,
            &tree,
            &scan::Described {
                prefix,
                content_types: &content_types,
                cache_controls: &cache_controls,
                headers: &shared_headers,
                file_headers: file_header_refs.as_deref(),
            },
        )?;
        let variant_count = tree.files.iter().map(|file| file.variants.len()).sum();
        drop(tree);
        let mut bodies: Vec<OnceLock<Py<PyBytes>>> = Vec::with_capacity(variant_count);
        bodies.resize_with(variant_count, OnceLock::new);
        Self::add_records(&mut builder, &mut bodies, resources, Some(redirects))?;
        Self::finish(py, builder, bodies, memory_budget, max_memory_file_size)
    }

    /// The number of table entries: URLs and redirects.
    fn __len__(&self) -> usize {
        self.core.len()
    }

    /// Decide the answer to `method path?query` with the given request headers.
    ///
    /// `path` is the decoded URL path relative to the mount point. None means "not ours": a
    /// miss, or a method other than GET/HEAD, when not standalone.
    fn resolve<'py>(
        slf: &Bound<'py, Self>,
        method: &Bound<'py, PyString>,
        path: &Bound<'py, PyString>,
        query: &Bound<'py, PyBytes>,
        headers: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, Decision>>> {
        let this = slf.get();
        let method = method
            .to_str()
            .map_or(Method::Other, |m| Method::from_bytes(m.as_bytes()));
        let route = match path.to_str() {
            Ok(path) => this.core.route(method, path.as_bytes()),
            Err(_) => this.core.route(method, &str_key(path)?),
        };
        let outcome = match route {
            Route::Done(outcome) => outcome,
            Route::Decide { entry, head } => {
                let mut slots = [const { Slot::Empty }; 7];
                collect(headers, &mut slots)?;
                let mut fields = Fields::default();
                for (slot, field) in slots.iter().zip(FIELDS) {
                    if let Some(value) = slot.value() {
                        fields.set(field, Cow::Borrowed(value));
                    }
                }
                this.core.decide(entry, head, &fields)
            }
        };
        Self::render(slf, &outcome, query.as_bytes())
    }
}

#[pymodule(gil_used = false)]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Router>()?;
    module.add_class::<Decision>()?;
    module.add_class::<scan::Scan>()?;
    module.add_function(wrap_pyfunction!(scan::scan, module)?)?;
    module.add_function(wrap_pyfunction!(codecs::compress, module)?)?;
    Ok(())
}
