//! Thin pyo3 binding of `odoo-mcp-core`, imported as `odoo_mcp_native._native`.
use pyo3::prelude::*;

#[pymodule(gil_used = false)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", odoo_mcp_core::VERSION)?;
    Ok(())
}
