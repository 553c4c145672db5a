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
    JsonDecodeError,
    PyValueError,
    "A JSON body that cannot be decoded (malformed, hostile or over a limit)."
);
create_exception!(
    odoo_mcp_native,
    JsonEncodeError,
    PyValueError,
    "A value that cannot be written as JSON (NaN or infinity, circular, too deep, lone surrogate)."
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
    m.add("JsonDecodeError", py.get_type::<JsonDecodeError>())?;
    m.add("JsonEncodeError", py.get_type::<JsonEncodeError>())?;
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

/// A failed JSON codec call.
pub(crate) enum JsonFailure {
    /// The core refused the body, or Python refused a decoded value (`int` of too many digits).
    Decode(odoo_mcp_core::json::DecodeError<PyErr>),
    /// A `str` body with a lone surrogate (it has no UTF-8 form).
    SurrogateInput,
    /// `loads` of something that is not text or bytes; holds its type name.
    InputType(String),
    Encode(odoo_mcp_core::json::EncodeError),
    /// `dumps` of a type JSON does not know (and no `default`); holds its type name.
    Unsupported(String),
    /// A dict key `json.dumps` refuses; holds its type name.
    KeyType(String),
    /// Any other Python exception (from `default`, a `__repr__`), passed through unchanged.
    Python(PyErr),
}

impl From<odoo_mcp_core::json::EncodeError> for JsonFailure {
    fn from(e: odoo_mcp_core::json::EncodeError) -> Self {
        Self::Encode(e)
    }
}

impl From<PyErr> for JsonFailure {
    fn from(e: PyErr) -> Self {
        Self::Python(e)
    }
}

impl From<JsonFailure> for PyErr {
    fn from(failure: JsonFailure) -> Self {
        use odoo_mcp_core::json::DecodeError;
        match failure {
            JsonFailure::Decode(DecodeError::Builder(cause)) => Python::attach(|py| {
                let err = JsonDecodeError::new_err(cause.to_string());
                err.set_cause(py, Some(cause));
                err
            }),
            JsonFailure::Decode(e) => JsonDecodeError::new_err(e.to_string()),
            JsonFailure::SurrogateInput => {
                JsonDecodeError::new_err("str with a lone surrogate cannot be decoded as JSON")
            }
            JsonFailure::InputType(name) => PyTypeError::new_err(format!(
                "the JSON object must be str, bytes or bytearray, not {name}"
            )),
            JsonFailure::Encode(e) => JsonEncodeError::new_err(e.to_string()),
            JsonFailure::Unsupported(name) => {
                PyTypeError::new_err(format!("Object of type {name} is not JSON serializable"))
            }
            JsonFailure::KeyType(name) => PyTypeError::new_err(format!(
                "keys must be str, int, float, bool or None, not {name}"
            )),
            JsonFailure::Python(e) => e,
        }
    }
}
