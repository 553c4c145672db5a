//! JSON codec (`serde_json` underneath) with the results of Python's `json` module for what
//! JSON-RPC carries.
//!
//! [`decode_with`] drives a [`Builder`] from the bytes, so the Python binding builds its objects
//! straight from the parser; [`Writer`] writes what
//! `json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()`
//! writes, byte for byte.
//!
//! # Deliberate deviations from Python's `json.loads` (for safety)
//! - The body must be UTF-8 (a leading UTF-8 BOM is skipped, as `json.loads(bytes)` does);
//!   Python also detects UTF-16 and UTF-32.
//! - `NaN`, `Infinity` and `-Infinity` are refused (JSON forbids them; Python accepts them).
//! - A number too large for a float (`1e400`) is refused; Python makes it `inf`.
//! - A `\u` escape of a lone surrogate is refused; Python keeps it in the `str`.
//! - Arrays and objects nest at most [`Limits::max_depth`] levels and bodies are at most
//!   [`Limits::max_bytes`]; Python raises `RecursionError` on a deep enough body.
//!
//! Integers of any size are kept exact: within 64 bits they reach [`Builder::int`] or
//! [`Builder::uint`], beyond it their digits reach [`Builder::big_int`].

mod decode;
mod encode;

pub use decode::{Builder, DecodeError, Limits, MAX_DEPTH, ValueBuilder, decode, decode_with};
pub use encode::{EncodeError, Writer, encode_value};

#[cfg(test)]
mod tests;
