//! The start-up walk of a static file tree: every regular file under a root, its pre-compressed
//! siblings grouped with it, each representation stat'ed and given an `ETag`.
//!
//! This crate is the twin of `_walk` and `_group_variants` in `ferrostatic/_index.py`: for the same
//! tree and options both must find the same files in the same order, leave out the same entries
//! for the same reasons, and give the same `ETag`s. The walk itself is sequential, because its
//! order is part of the result; the hashing, which is most of the work, runs on several threads
//! while it goes on.
#![forbid(unsafe_code)]

mod hash;
mod pyrepr;
mod realpath;
mod walk;

use std::io;
use std::path::Path;

/// What the walk serves and how it names things.
#[derive(Clone, Debug)]
pub struct Options {
    pub allow_hidden: bool,
    pub follow_symlinks_outside: bool,
    pub index_file: Option<String>,
    pub html_extension_fallback: bool,
    /// Files larger than this get an `ETag` from mtime and size instead of their bytes.
    pub hash_max_file_size: u64,
    /// Threads that hash (at least 1).
    pub threads: usize,
}

/// A content coding of a representation. The declaration order is the order of
/// [`File::variants`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Br,
    Zstd,
    Gzip,
}

/// One representation of a file: the file itself or a pre-compressed sibling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub coding: Coding,
    pub size: u64,
    pub mtime_ns: i64,
    /// The strong entity tag, double quotes included.
    pub etag: String,
    /// What the name of this representation's file adds to the file's: "" for the identity,
    /// else ".br", ".zst", ".zstd" or ".gz" (both spellings of zstd are served, so the coding
    /// alone does not tell the path).
    pub suffix: &'static str,
}

/// A servable file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Path relative to the root, '/'-separated, valid UTF-8 (e.g. "d/e/app.js").
    pub rel: String,
    /// Identity first, then br, zstd, gzip (those present). Never empty.
    pub variants: Vec<Variant>,
    /// `html_extension_fallback`: true when rel ends with ".html", the name is longer than ".html",
    /// and no directory entry named like it without ".html" exists (any kind of entry, hidden,
    /// dangling link, anything: Python uses os.path.lexists).
    pub clean_url: bool,
}

/// What the walk found, and what it left out and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    pub files: Vec<File>,
    /// Relative paths of directories ("" for the root) that directly hold a regular file named
    /// `index_file` (after filtering), in walk order.
    pub index_dirs: Vec<String>,
    pub hidden: Vec<String>,
    pub outside_symlinks: Vec<String>,
    /// (variant rel, source rel) of pre-compressed siblings older than their source.
    pub stale_variants: Vec<(String, String)>,
    pub unreadable: Vec<String>,
    /// Human-readable warnings, in the order the Python walk logs them.
    pub warnings: Vec<String>,
}

/// Walks `root` (an absolute path without symlinks or a trailing slash) and describes every
/// servable file under it.
///
/// # Errors
///
/// Only when `root` itself cannot be stat'ed; every other failure is recorded in the [`Tree`].
pub fn scan(root: &Path, options: &Options) -> io::Result<Tree> {
    let mut tree = Tree::default();
    let (found, tags) = hash::pipeline(options.threads, |queue| {
        walk::walk(root, options, &mut tree, queue)
    });
    walk::describe(found?, tags, options, &mut tree);
    Ok(tree)
}
