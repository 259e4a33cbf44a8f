//! The binding of the start-up walk (`ferrostatic-scan`): `scan()` runs it without the GIL, and
//! `Router.from_scan` turns what it found into a table, with no Python object per file.

use std::path::Path;
use std::sync::Mutex;

use ferrostatic_core::{Coding, ResourceSpec, RouterBuilder, VariantSpec};
use ferrostatic_scan::{Coding as FoundCoding, Options, Tree};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// A modification time in the first day of the epoch is a placeholder (reproducible builds),
/// not a date: such files get no Last-Modified (the same rule as `_index.py`).
const PLACEHOLDER_MTIME: i64 = 86_400;

/// What the walk of one root found, until a router takes it.
#[pyclass(frozen, module = "ferrostatic._core")]
pub struct Scan {
    root: String,
    index_file: Option<String>,
    tree: Mutex<Option<Tree>>,
}

impl Scan {
    fn with_tree<T>(&self, read: impl FnOnce(&Tree) -> T) -> PyResult<T> {
        let tree = self.tree.lock().map_err(|_| used())?;
        tree.as_ref().map(read).ok_or_else(used)
    }

    /// The tree, taken: a router owns what it was built from.
    pub(crate) fn take(&self) -> PyResult<Tree> {
        let mut tree = self.tree.lock().map_err(|_| used())?;
        tree.take().ok_or_else(used)
    }

    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    pub(crate) fn index_file(&self) -> Option<&str> {
        self.index_file.as_deref()
    }
}

fn used() -> PyErr {
    PyRuntimeError::new_err("this scan was already made into a router")
}

#[pymethods]
impl Scan {
    /// The relative path of every servable file, in walk order.
    #[getter]
    fn files(&self) -> PyResult<Vec<String>> {
        self.with_tree(|tree| tree.files.iter().map(|file| file.rel.clone()).collect())
    }

    /// Directories ("" for the root) holding the index file.
    #[getter]
    fn index_dirs(&self) -> PyResult<Vec<String>> {
        self.with_tree(|tree| tree.index_dirs.clone())
    }

    #[getter]
    fn hidden(&self) -> PyResult<Vec<String>> {
        self.with_tree(|tree| tree.hidden.clone())
    }

    #[getter]
    fn outside_symlinks(&self) -> PyResult<Vec<String>> {
        self.with_tree(|tree| tree.outside_symlinks.clone())
    }

    /// Pre-compressed siblings older than their source.
    #[getter]
    fn stale_variants(&self) -> PyResult<Vec<String>> {
        self.with_tree(|tree| {
            tree.stale_variants
                .iter()
                .map(|(variant, _)| variant.clone())
                .collect()
        })
    }

    #[getter]
    fn unreadable(&self) -> PyResult<Vec<String>> {
        self.with_tree(|tree| tree.unreadable.clone())
    }

    /// What the walk would log, in order.
    #[getter]
    fn warnings(&self) -> PyResult<Vec<String>> {
        self.with_tree(|tree| tree.warnings.clone())
    }
}

/// Walk `root` (absolute, resolved) with the index options, hashing on `threads` threads.
#[pyfunction]
#[pyo3(signature = (
    root,
    *,
    allow_hidden,
    follow_symlinks_outside,
    index_file,
    html_extension_fallback,
    hash_max_file_size,
    threads,
))]
#[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
pub fn scan(
    py: Python<'_>,
    root: String,
    allow_hidden: bool,
    follow_symlinks_outside: bool,
    index_file: Option<String>,
    html_extension_fallback: bool,
    hash_max_file_size: u64,
    threads: usize,
) -> PyResult<Scan> {
    let options = Options {
        allow_hidden,
        follow_symlinks_outside,
        index_file: index_file.clone(),
        html_extension_fallback,
        hash_max_file_size,
        threads: threads.max(1),
    };
    let tree = py
        .detach(|| ferrostatic_scan::scan(Path::new(&root), &options))
        .map_err(|error| PyOSError::new_err(format!("cannot index {root:?}: {error}")))?;
    Ok(Scan {
        root,
        index_file,
        tree: Mutex::new(Some(tree)),
    })
}

fn coding(found: FoundCoding) -> Coding {
    match found {
        FoundCoding::Identity => Coding::Identity,
        FoundCoding::Br => Coding::Br,
        FoundCoding::Zstd => Coding::Zstd,
        FoundCoding::Gzip => Coding::Gzip,
    }
}

/// A header field as the builder takes it: name and value.
pub(crate) type HeaderRef<'a> = (&'a [u8], &'a [u8]);

/// What Python computed per file, from its options.
pub(crate) struct Described<'a, 'py> {
    pub(crate) prefix: &'a str,
    pub(crate) content_types: &'a [Bound<'py, PyBytes>],
    pub(crate) cache_controls: &'a [Option<Bound<'py, PyBytes>>],
    /// The same extra headers for every file, unless `file_headers` gives each its own.
    pub(crate) headers: &'a [HeaderRef<'a>],
    pub(crate) file_headers: Option<&'a [Vec<HeaderRef<'a>>]>,
}

/// Add every file of `tree` to `builder`: its variants, its URLs.
pub(crate) fn add_files(
    builder: &mut RouterBuilder,
    scan: &Scan,
    tree: &Tree,
    described: &Described<'_, '_>,
) -> PyResult<()> {
    let root = scan.root();
    let count = tree.files.len();
    if described.content_types.len() != count
        || described.cache_controls.len() != count
        || described
            .file_headers
            .is_some_and(|headers| headers.len() != count)
    {
        return Err(PyValueError::new_err(format!(
            "from_scan: expected {count} content types, cache controls and header lists, \
             one per file"
        )));
    }
    let mut url = String::new();
    let mut paths: Vec<String> = Vec::with_capacity(4);
    for (i, file) in tree.files.iter().enumerate() {
        paths.clear();
        paths.extend(
            file.variants
                .iter()
                .map(|variant| format!("{root}/{}{}", file.rel, variant.suffix)),
        );
        let specs: Vec<VariantSpec<'_>> = file
            .variants
            .iter()
            .zip(&paths)
            .map(|(variant, path)| VariantSpec {
                coding: coding(variant.coding),
                path: path.as_bytes(),
                size: variant.size,
                mtime_ns: variant.mtime_ns,
                etag: variant.etag.as_bytes(),
            })
            .collect();
        let seconds = file.variants[0].mtime_ns.div_euclid(1_000_000_000);
        let headers = match described.file_headers {
            Some(lists) => lists[i].as_slice(),
            None => described.headers,
        };
        let entry = builder
            .resource(&ResourceSpec {
                last_modified: (seconds >= PLACEHOLDER_MTIME).then_some(seconds),
                content_type: described.content_types[i].as_bytes(),
                cache_control: described.cache_controls[i]
                    .as_ref()
                    .map(PyBytesMethods::as_bytes),
                variants: &specs,
                headers,
            })
            .map_err(|error| PyValueError::new_err(format!("{}: {error}", file.rel)))?;
        url.clear();
        url.push_str(described.prefix);
        url.push_str(&file.rel);
        let name = file.rel.rsplit('/').next().unwrap_or(&file.rel);
        let route = |builder: &mut RouterBuilder, url: &str| {
            builder
                .route_url(url.as_bytes(), entry)
                .map_err(|error| PyValueError::new_err(format!("{}: {error}", file.rel)))
        };
        // The URLs in the order `_index._urls` gives them: a later one wins a clash.
        if scan.index_file() == Some(name) {
            route(builder, &url[..url.len() - name.len()])?;
            route(builder, &url)?;
        } else if file.clean_url {
            route(builder, &url)?;
            route(builder, &url[..url.len() - ".html".len()])?;
        } else {
            route(builder, &url)?;
        }
    }
    Ok(())
}
