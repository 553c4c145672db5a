//! XML-RPC codec: the decoder behaves as `xmlrpc.client.loads(body, use_datetime=True)` of
//! `CPython` 3.11 and the encoder writes what Odoo 19's marshaller writes, byte for byte.
//!
//! # Deliberate deviations from `xmlrpc.client` (for safety)
//! - Any `<!DOCTYPE>` is refused: no entity is declared, expanded or fetched.
//! - Integers outside the 64-bit range are refused ("number out of range"); Python accepts
//!   arbitrary precision.
//! - Arrays and structs nest at most [`Limits::max_depth`] levels (default 64) and bodies are at
//!   most [`Limits::max_body_bytes`] (default 64 MiB).
//! - A body must be UTF-8 (or declare US-ASCII and be ASCII); Python also takes UTF-16 and 8-bit
//!   encodings through expat.
//! - A `<fault>` body is an error ([`DecodeErrorKind::Fault`]) rather than a raised `Fault`.
//! - [`decode`] builds [`Value`]s, whose struct keys are strings; a struct keyed by other values
//!   is refused there (the Python binding, like Python, accepts any hashable key).
//! - XML names are checked against XML 1.0 fifth edition; expat's tables (fourth edition) differ
//!   for some non-ASCII name characters.

mod decode;
mod encode;
mod pyparse;
mod value;

pub use decode::{
    Builder, Call, DecodeError, DecodeErrorKind, Decoded, Limits, ValueBuilder, decode,
    decode_with, decode_with_limits, paths,
};
pub use encode::{
    EncodeError, Writer, encode_fault, encode_response, write_base64_lines, write_float_repr,
};
pub use value::{DateTime, Value};

#[cfg(test)]
mod tests;
