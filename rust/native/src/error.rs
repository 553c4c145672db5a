//! The one place where core error enums become Python exceptions.
//!
//! Exception classes subclass the builtin a caller would catch (`ValueError`, `TypeError`).
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

create_exception!(
    odoo_mcp_native,
    XmlRpcDecodeError,
    PyValueError,
    "An XML-RPC body that cannot be decoded (malformed, hostile or over a limit)."
);
create_exception!(
    odoo_mcp_native,
    XmlRpcEncodeError,
    PyTypeError,
    "A value that cannot be marshalled as XML-RPC (as Odoo's marshaller refuses it)."
);
create_exception!(
    odoo_mcp_native,
    KeyFormatError,
    PyValueError,
    "A malformed key or stored key hash."
);
create_exception!(
    odoo_mcp_native,
    ScopeError,
    PyValueError,
    "A malformed key scope string."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("XmlRpcDecodeError", py.get_type::<XmlRpcDecodeError>())?;
    m.add("XmlRpcEncodeError", py.get_type::<XmlRpcEncodeError>())?;
    m.add("KeyFormatError", py.get_type::<KeyFormatError>())?;
    m.add("ScopeError", py.get_type::<ScopeError>())?;
    Ok(())
}
