//! Thin pyo3 binding of `odoo-mcp-core`, imported as `odoo_mcp_native._native`.
//!
//! Every pyclass is `frozen` and thread-safe inside; nothing here holds global mutable state and
//! nothing starts a thread at import. Core errors become Python exceptions only in `error.rs`.
use pyo3::prelude::*;

mod cache;
mod error;
mod json;
mod keys;
mod limiter;
mod perms;
mod shared_limiter;
mod xmlrpc;

#[pymodule(gil_used = false)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", odoo_mcp_core::VERSION)?;
    error::register(m)?;
    keys::register(m)?;
    cache::register(m)?;
    limiter::register(m)?;
    perms::register(m)?;
    shared_limiter::register(m)?;
    xmlrpc::register(m)?;
    json::register(m)?;
    Ok(())
}
