//! Sans-IO decisions for serving static files: RFC 9110 conditional requests, byte ranges and
//! content negotiation, from request bytes to a rendered status, header list and body plan.
//!
//! This crate is the twin of the pure-Python router: every function carries the name of its
//! Python counterpart, and both must answer every request with the same bytes. It does no I/O,
//! reads no clock and never panics on client input.
#![forbid(unsafe_code)]

pub mod accept_encoding;
pub mod decide;
pub mod etag;
pub mod http_date;
pub mod range;
pub mod render;
pub mod router;

mod bytes;
mod table;

pub use accept_encoding::{select_variant, AcceptEncoding, Coding, CODINGS};
pub use decide::{check_preconditions, if_range_passes, Condition, Field, Fields, Outcome};
pub use render::{
    multipart_boundary, Body, ErrorText, HeaderList, MultipartBody, OwnedName, Part, Rendered,
    SharedId, Sink,
};
pub use router::{
    BuildError, EntryId, HeaderPair, Method, RedirectId, ResourceSpec, Route, Router,
    RouterBuilder, VariantId, VariantSpec,
};
