//! The one place where core error enums become Python exceptions.
//!
//! Exception classes subclass the builtin a caller would catch (`ValueError`, `TypeError`).
use odoo_mcp_core::cache::CacheError;
use odoo_mcp_core::keys::KeyError;
use odoo_mcp_core::perms::{MatrixError as CoreMatrixError, ScopeError as CoreScopeError};
use odoo_mcp_core::ratelimit::RateLimitError;
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
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

create_exception!(
    odoo_mcp_native,
    MatrixError,
    PyValueError,
    "A permission matrix row that cannot be compiled (invalid, mcp.* or duplicate model)."
);

/// Conversion of a core error enum into the Python exception a caller would catch.
pub(crate) trait ToPyErr {
    fn to_py_err(self) -> PyErr;
}

/// `result.or_raise()?`: a core `Result` as a `PyResult`.
pub(crate) trait OrRaise<T> {
    fn or_raise(self) -> PyResult<T>;
}

impl<T, E: ToPyErr> OrRaise<T> for Result<T, E> {
    fn or_raise(self) -> PyResult<T> {
        self.map_err(ToPyErr::to_py_err)
    }
}

impl ToPyErr for KeyError {
    fn to_py_err(self) -> PyErr {
        let msg = self.to_string();
        match self {
            KeyError::Format(_) | KeyError::StoredHash(_) => KeyFormatError::new_err(msg),
            KeyError::Policy(_) => PyValueError::new_err(msg),
            KeyError::Random => PyRuntimeError::new_err(msg),
        }
    }
}

impl ToPyErr for CoreScopeError {
    fn to_py_err(self) -> PyErr {
        ScopeError::new_err(self.to_string())
    }
}

impl ToPyErr for CoreMatrixError {
    fn to_py_err(self) -> PyErr {
        MatrixError::new_err(self.to_string())
    }
}

impl ToPyErr for RateLimitError {
    fn to_py_err(self) -> PyErr {
        PyValueError::new_err(self.to_string())
    }
}

impl ToPyErr for CacheError {
    fn to_py_err(self) -> PyErr {
        let msg = self.to_string();
        match self {
            CacheError::Random => PyRuntimeError::new_err(msg),
            CacheError::InvalidTtl | CacheError::InvalidExpiry | CacheError::InvalidKind => {
                PyValueError::new_err(msg)
            }
        }
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("XmlRpcDecodeError", py.get_type::<XmlRpcDecodeError>())?;
    m.add("XmlRpcEncodeError", py.get_type::<XmlRpcEncodeError>())?;
    m.add("KeyFormatError", py.get_type::<KeyFormatError>())?;
    m.add("ScopeError", py.get_type::<ScopeError>())?;
    m.add("MatrixError", py.get_type::<MatrixError>())?;
    Ok(())
}

/// A failed XML-RPC codec call: a core error, or an exception raised by Python code the codec
/// ran (building a decoded `Decimal` or dict, a `default` hook, a failed import).
pub(crate) enum XmlRpcFailure {
    Decode(odoo_mcp_core::xmlrpc::DecodeError),
    Encode(odoo_mcp_core::xmlrpc::EncodeError),
    /// Python refused a decoded value (bad `Decimal`, unhashable struct key): a decode error.
    DecodePython(PyErr),
    /// Any other Python exception, passed through unchanged.
    Python(PyErr),
}

impl From<odoo_mcp_core::xmlrpc::DecodeError> for XmlRpcFailure {
    fn from(e: odoo_mcp_core::xmlrpc::DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl From<odoo_mcp_core::xmlrpc::EncodeError> for XmlRpcFailure {
    fn from(e: odoo_mcp_core::xmlrpc::EncodeError) -> Self {
        Self::Encode(e)
    }
}

impl From<PyErr> for XmlRpcFailure {
    fn from(e: PyErr) -> Self {
        Self::Python(e)
    }
}

impl From<XmlRpcFailure> for PyErr {
    fn from(failure: XmlRpcFailure) -> Self {
        match failure {
            XmlRpcFailure::Decode(e) => XmlRpcDecodeError::new_err(e.to_string()),
            XmlRpcFailure::Encode(e) => XmlRpcEncodeError::new_err(e.to_string()),
            XmlRpcFailure::DecodePython(cause) => Python::attach(|py| {
                let err = XmlRpcDecodeError::new_err(cause.to_string());
                err.set_cause(py, Some(cause));
                err
            }),
            XmlRpcFailure::Python(e) => e,
        }
    }
}
