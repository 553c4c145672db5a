//! `odoo_mcp_native.xmlrpc`: the XML-RPC codec of the core, on Python objects.
//!
//! `loads` builds Python objects straight from the decoder (no intermediate tree);
//! `dumps_response` walks Python objects straight into the core's `Writer`. Both are pure:
//! nothing global but the cached type objects of `datetime`, `decimal` and `xmlrpc.client`.
use std::borrow::Cow;

use odoo_mcp_core::xmlrpc::{self as core, Builder, DateTime, EncodeError, Limits, Writer};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType,
};

use crate::error::XmlRpcFailure;

/// Deepest nesting of lists, tuples and dicts `dumps_response` follows (Python's marshaller
/// would hit its recursion limit a little deeper).
const MAX_ENCODE_DEPTH: usize = 256;

static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static BINARY: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME_WRAPPER: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn datetime_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATETIME.import(py, "datetime", "datetime")
}
fn date_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATE.import(py, "datetime", "date")
}
fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}
fn binary_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    BINARY.import(py, "xmlrpc.client", "Binary")
}
fn datetime_wrapper_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATETIME_WRAPPER.import(py, "xmlrpc.client", "DateTime")
}

/// Slots of the struct-key cache of [`PyBuilder`].
const KEY_SLOTS: usize = 64;

/// Builds the objects `xmlrpc.client.loads(body, use_datetime=True)` returns.
struct PyBuilder<'a, 'py> {
    py: Python<'py>,
    /// Struct keys already made in this call, by their text in the body: a row's keys repeat
    /// in every row, and a shared `str` also keeps its hash for the dict inserts. Direct-mapped
    /// (a collision replaces the slot), so lookups cost one comparison.
    keys: [Option<(&'a str, Bound<'py, PyString>)>; KEY_SLOTS],
}

impl<'py> PyBuilder<'_, 'py> {
    fn new(py: Python<'py>) -> Self {
        Self {
            py,
            keys: std::array::from_fn(|_| None),
        }
    }
}

fn key_slot(key: &str) -> usize {
    let bytes = key.as_bytes();
    let first = bytes.first().copied().map_or(0, usize::from);
    let last = bytes.last().copied().map_or(0, usize::from);
    (bytes.len().wrapping_mul(31) ^ first.wrapping_mul(7) ^ last) % KEY_SLOTS
}

impl<'a, 'py> Builder<'a> for PyBuilder<'a, 'py> {
    type Item = Bound<'py, PyAny>;
    type Error = XmlRpcFailure;

    fn nil(&mut self) -> Result<Self::Item, XmlRpcFailure> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn boolean(&mut self, value: bool) -> Result<Self::Item, XmlRpcFailure> {
        Ok(PyBool::new(self.py, value).to_owned().into_any())
    }
    fn int(&mut self, value: i64) -> Result<Self::Item, XmlRpcFailure> {
        Ok(PyInt::new(self.py, value).into_any())
    }
    fn double(&mut self, value: f64) -> Result<Self::Item, XmlRpcFailure> {
        Ok(PyFloat::new(self.py, value).into_any())
    }
    fn string(&mut self, value: Cow<'a, str>) -> Result<Self::Item, XmlRpcFailure> {
        Ok(PyString::new(self.py, &value).into_any())
    }
    fn name(&mut self, value: Cow<'a, str>) -> Result<Self::Item, XmlRpcFailure> {
        let Cow::Borrowed(key) = value else {
            return Ok(PyString::new(self.py, &value).into_any());
        };
        let slot = &mut self.keys[key_slot(key)];
        if let Some((cached, object)) = slot {
            if *cached == key {
                return Ok(object.clone().into_any());
            }
        }
        let object = PyString::new(self.py, key);
        *slot = Some((key, object.clone()));
        Ok(object.into_any())
    }
    fn decimal(&mut self, text: Cow<'a, str>) -> Result<Self::Item, XmlRpcFailure> {
        let decimal = decimal_type(self.py).map_err(XmlRpcFailure::Python)?;
        decimal
            .call1((text.as_ref(),))
            .map_err(XmlRpcFailure::DecodePython)
    }
    fn base64(&mut self, bytes: Vec<u8>) -> Result<Self::Item, XmlRpcFailure> {
        let binary = binary_type(self.py).map_err(XmlRpcFailure::Python)?;
        binary
            .call1((PyBytes::new(self.py, &bytes),))
            .map_err(XmlRpcFailure::Python)
    }
    fn datetime(&mut self, v: DateTime) -> Result<Self::Item, XmlRpcFailure> {
        let datetime = datetime_type(self.py).map_err(XmlRpcFailure::Python)?;
        datetime
            .call1((v.year, v.month, v.day, v.hour, v.minute, v.second))
            .map_err(XmlRpcFailure::DecodePython)
    }
    fn array(
        &mut self,
        items: std::vec::Drain<'_, Self::Item>,
    ) -> Result<Self::Item, XmlRpcFailure> {
        Ok(PyList::new(self.py, items)
            .map_err(XmlRpcFailure::Python)?
            .into_any())
    }
    fn structure(
        &mut self,
        mut items: std::vec::Drain<'_, Self::Item>,
        _position: usize,
    ) -> Result<Self::Item, XmlRpcFailure> {
        let dict = PyDict::new(self.py);
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            // Any hashable key, as Python's `dict[items[i]] = items[i+1]`.
            dict.set_item(key, value)
                .map_err(XmlRpcFailure::DecodePython)?;
        }
        Ok(dict.into_any())
    }
}

/// `xmlrpc.client.loads(data, use_datetime=True)`: `(params, method_name)`.
#[pyfunction]
#[pyo3(signature = (data, *, max_body_bytes = None, max_depth = None))]
fn xmlrpc_loads<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    max_body_bytes: Option<usize>,
    max_depth: Option<usize>,
) -> PyResult<(Bound<'py, PyTuple>, Option<Bound<'py, PyString>>)> {
    let defaults = Limits::default();
    let limits = Limits {
        max_body_bytes: max_body_bytes.unwrap_or(defaults.max_body_bytes),
        max_depth: max_depth.unwrap_or(defaults.max_depth),
    };
    let copied;
    let body: &[u8] = if let Ok(bytes) = data.cast_exact::<PyBytes>() {
        bytes.as_bytes()
    } else if let Ok(text) = data.cast::<PyString>() {
        text.to_str()?.as_bytes()
    } else {
        // bytearray, memoryview and other buffers: one copy through `bytes(data)`.
        copied = py
            .get_type::<PyBytes>()
            .call1((data,))?
            .cast_into::<PyBytes>()?;
        copied.as_bytes()
    };
    let mut builder = PyBuilder::new(py);
    let (params, method_name) = core::decode_with(body, &limits, &mut builder)?;
    let params = PyTuple::new(py, params)?;
    Ok((params, method_name.map(|name| PyString::new(py, &name))))
}

/// Walks Python objects into the core's writer with the rules of Odoo's `OdooMarshaller`.
struct Marshaller<'a, 'py> {
    py: Python<'py>,
    writer: Writer,
    default: Option<&'a Bound<'py, PyAny>>,
    /// Containers being written (`Marshaller.memo`): a container inside itself is refused.
    memo: Vec<usize>,
    /// Snapshots of the dicts being written, keys and values interleaved.
    items: Vec<Option<Bound<'py, PyAny>>>,
}

impl<'py> Marshaller<'_, 'py> {
    fn dump(&mut self, value: &Bound<'py, PyAny>, depth: usize) -> Result<(), XmlRpcFailure> {
        if let Ok(s) = value.cast_exact::<PyString>() {
            self.string(s)
        } else if value.is_exact_instance_of::<PyBool>() {
            self.writer
                .boolean(value.is_truthy().map_err(XmlRpcFailure::Python)?);
            Ok(())
        } else if value.is_exact_instance_of::<PyInt>() {
            self.int(value)
        } else if let Ok(f) = value.cast_exact::<PyFloat>() {
            self.writer.double(f.value());
            Ok(())
        } else if let Ok(list) = value.cast_exact::<PyList>() {
            self.list(list, depth)
        } else if let Ok(dict) = value.cast_exact::<PyDict>() {
            self.dict(dict, depth)
        } else if let Ok(tuple) = value.cast_exact::<PyTuple>() {
            self.tuple(tuple, depth)
        } else if value.is_none() {
            Err(EncodeError::NoneNotAllowed.into())
        } else {
            self.dump_other(value, depth)
        }
    }

    fn dump_other(&mut self, value: &Bound<'py, PyAny>, depth: usize) -> Result<(), XmlRpcFailure> {
        let py = self.py;
        let py_err = XmlRpcFailure::Python;
        // Exact `date` and `datetime` (what Odoo's fields hold): a type-pointer test each.
        let ty = value.get_type();
        if ty.is(date_type(py).map_err(py_err)?) {
            let (y, mo, d) = Self::ymd(value)?;
            self.writer.date(y, mo, d);
            return Ok(());
        }
        let is_datetime = ty.is(datetime_type(py).map_err(py_err)?)
            || value
                .is_instance(datetime_type(py).map_err(py_err)?)
                .map_err(py_err)?;
        if is_datetime {
            let (y, mo, d) = Self::ymd(value)?;
            let field = |name: &Bound<'py, PyString>| -> Result<u8, XmlRpcFailure> {
                value
                    .getattr(name)
                    .and_then(|v| v.extract::<u8>())
                    .map_err(py_err)
            };
            self.writer.datetime(
                y,
                mo,
                d,
                field(intern!(py, "hour"))?,
                field(intern!(py, "minute"))?,
                field(intern!(py, "second"))?,
            );
            return Ok(());
        }
        if value
            .is_instance(date_type(py).map_err(py_err)?)
            .map_err(py_err)?
        {
            let (y, mo, d) = Self::ymd(value)?;
            self.writer.date(y, mo, d);
            return Ok(());
        }
        if let Ok(bytes) = value.cast::<PyBytes>() {
            // Odoo: `value.decode()`, then as a str.
            let text =
                std::str::from_utf8(bytes.as_bytes()).map_err(|_| EncodeError::InvalidUtf8)?;
            self.writer.string(text);
            return Ok(());
        }
        if let Ok(array) = value.cast::<PyByteArray>() {
            // Odoo leaves bytearray to xmlrpc.client: base64.
            self.writer.base64(&array.to_vec());
            return Ok(());
        }
        if value.get_type().is(binary_type(py).map_err(py_err)?) {
            let data = value.getattr("data").map_err(py_err)?;
            let data = data
                .cast::<PyBytes>()
                .map_err(|e| XmlRpcFailure::Python(e.into()))?;
            self.writer.base64(data.as_bytes());
            return Ok(());
        }
        if value
            .get_type()
            .is(datetime_wrapper_type(py).map_err(py_err)?)
        {
            let text = value.getattr("value").map_err(py_err)?;
            let text = text
                .cast::<PyString>()
                .map_err(|e| XmlRpcFailure::Python(e.into()))?;
            self.writer
                .datetime_iso8601(text.to_str().map_err(|_| EncodeError::InvalidString)?);
            return Ok(());
        }
        // Subclasses of the basic types (Markup, IntEnum such as Command, frozendict,
        // defaultdict, namedtuple...) are written as their base type.
        if let Ok(s) = value.cast::<PyString>() {
            return self.string(s);
        }
        if value.is_instance_of::<PyInt>() {
            return self.int(value);
        }
        if let Ok(f) = value.cast::<PyFloat>() {
            self.writer.double(f.value());
            return Ok(());
        }
        if let Ok(dict) = value.cast::<PyDict>() {
            return self.dict(dict, depth);
        }
        if let Ok(list) = value.cast::<PyList>() {
            return self.list(list, depth);
        }
        if let Ok(tuple) = value.cast::<PyTuple>() {
            return self.tuple(tuple, depth);
        }
        if let Some(default) = self.default {
            if depth >= MAX_ENCODE_DEPTH {
                return Err(EncodeError::TooDeep {
                    limit: MAX_ENCODE_DEPTH,
                }
                .into());
            }
            let replacement = default.call1((value,)).map_err(py_err)?;
            return self.dump(&replacement, depth + 1);
        }
        let type_repr = value.get_type().str().map_err(py_err)?.to_string();
        Err(EncodeError::Unsupported(type_repr).into())
    }

    fn ymd(value: &Bound<'py, PyAny>) -> Result<(i32, u8, u8), XmlRpcFailure> {
        let py = value.py();
        let get = |name: &Bound<'py, PyString>| value.getattr(name).map_err(XmlRpcFailure::Python);
        Ok((
            get(intern!(py, "year"))?
                .extract()
                .map_err(XmlRpcFailure::Python)?,
            get(intern!(py, "month"))?
                .extract()
                .map_err(XmlRpcFailure::Python)?,
            get(intern!(py, "day"))?
                .extract()
                .map_err(XmlRpcFailure::Python)?,
        ))
    }

    fn string(&mut self, s: &Bound<'py, PyString>) -> Result<(), XmlRpcFailure> {
        let text = s.to_str().map_err(|_| EncodeError::InvalidString)?;
        self.writer.string(text);
        Ok(())
    }

    fn int(&mut self, value: &Bound<'py, PyAny>) -> Result<(), XmlRpcFailure> {
        // Too large for i64 is too large for XML-RPC's i4 as well.
        let v = value
            .extract::<i64>()
            .map_err(|_| EncodeError::IntOverflow)?;
        self.writer.int(v)?;
        Ok(())
    }

    fn enter(
        &mut self,
        container: &Bound<'py, PyAny>,
        depth: usize,
        recursive: EncodeError,
    ) -> Result<(), XmlRpcFailure> {
        if depth >= MAX_ENCODE_DEPTH {
            return Err(EncodeError::TooDeep {
                limit: MAX_ENCODE_DEPTH,
            }
            .into());
        }
        let id = container.as_ptr() as usize;
        if self.memo.contains(&id) {
            return Err(recursive.into());
        }
        self.memo.push(id);
        Ok(())
    }

    /// After the first item of a long sequence, reserve room for the rest at that item's size:
    /// one growth instead of a doubling series of copies (output unchanged).
    fn size_hint(&mut self, first_item_start: usize, len: usize) {
        if len > 8 {
            let item = self.writer.len().saturating_sub(first_item_start);
            self.writer
                .reserve(item.saturating_mul(len - 1).saturating_add(item * len / 4));
        }
    }

    fn list(&mut self, list: &Bound<'py, PyList>, depth: usize) -> Result<(), XmlRpcFailure> {
        self.sequence(list.as_any(), list.len(), list.iter(), depth)
    }

    fn tuple(&mut self, tuple: &Bound<'py, PyTuple>, depth: usize) -> Result<(), XmlRpcFailure> {
        self.sequence(tuple.as_any(), tuple.len(), tuple.iter(), depth)
    }

    fn sequence(
        &mut self,
        sequence: &Bound<'py, PyAny>,
        len: usize,
        items: impl Iterator<Item = Bound<'py, PyAny>>,
        depth: usize,
    ) -> Result<(), XmlRpcFailure> {
        self.enter(sequence, depth, EncodeError::RecursiveSequence)?;
        self.writer.begin_array();
        for (i, item) in items.enumerate() {
            let start = self.writer.len();
            self.dump(&item, depth + 1)?;
            if i == 0 {
                self.size_hint(start, len);
            }
        }
        self.writer.end_array();
        self.memo.pop();
        Ok(())
    }

    fn dict(&mut self, dict: &Bound<'py, PyDict>, depth: usize) -> Result<(), XmlRpcFailure> {
        self.enter(dict.as_any(), depth, EncodeError::RecursiveDict)?;
        self.writer.begin_struct();
        // Walk a snapshot (`PyDict_Items` semantics, without its list of tuples): `default`, or
        // a getter of a date subclass, runs Python code that could resize the dict. Collecting
        // runs none. The snapshot lives on a stack shared by the nested dicts.
        let base = self.items.len();
        for (key, value) in dict.iter() {
            self.items.push(Some(key));
            self.items.push(Some(value));
        }
        let end = self.items.len();
        let mut result = Ok(());
        for at in (base..end).step_by(2) {
            // Moved out, not cloned: no reference-count traffic beyond the snapshot's own.
            let key = self.items.get_mut(at).and_then(Option::take);
            let value = self.items.get_mut(at + 1).and_then(Option::take);
            let (Some(key), Some(value)) = (key, value) else {
                break;
            };
            result = self.member(&key, &value, depth);
            if result.is_err() {
                break;
            }
        }
        self.items.truncate(base);
        result?;
        self.writer.end_struct();
        self.memo.pop();
        Ok(())
    }

    fn member(
        &mut self,
        key: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
        depth: usize,
    ) -> Result<(), XmlRpcFailure> {
        let key = match key.cast_exact::<PyString>() {
            Ok(key) => key,
            Err(_) => key
                .cast::<PyString>()
                .map_err(|_| EncodeError::KeyNotString)?,
        };
        self.writer
            .member_name(key.to_str().map_err(|_| EncodeError::InvalidString)?);
        self.dump(value, depth + 1)?;
        self.writer.end_member();
        Ok(())
    }
}

/// Odoo's `dumps((value,)).encode()`: a complete `methodResponse`.
#[pyfunction]
#[pyo3(signature = (value, *, default = None))]
fn xmlrpc_dumps_response<'py>(
    py: Python<'py>,
    value: &Bound<'py, PyAny>,
    default: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut marshaller = Marshaller {
        py,
        writer: Writer::with_capacity(1024),
        default: default.filter(|d| !d.is_none()),
        memo: Vec::new(),
        items: Vec::new(),
    };
    marshaller.writer.begin_response();
    marshaller.dump(value, 0)?;
    let bytes = marshaller.writer.end_response();
    Ok(PyBytes::new(py, &bytes))
}

/// Odoo's `dumps(xmlrpc.client.Fault(code, message)).encode()`.
#[pyfunction]
fn xmlrpc_dumps_fault<'py>(
    py: Python<'py>,
    code: &Bound<'py, PyAny>,
    message: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyBytes>> {
    let code = match code.extract::<i64>() {
        Ok(code) => code,
        Err(_) if code.is_instance_of::<PyInt>() => {
            return Err(XmlRpcFailure::from(EncodeError::IntOverflow).into());
        }
        Err(e) => return Err(e),
    };
    let message = message
        .to_str()
        .map_err(|_| XmlRpcFailure::from(EncodeError::InvalidString))?;
    let bytes = core::encode_fault(code, message).map_err(XmlRpcFailure::from)?;
    Ok(PyBytes::new(py, &bytes))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(xmlrpc_loads, m)?)?;
    m.add_function(wrap_pyfunction!(xmlrpc_dumps_response, m)?)?;
    m.add_function(wrap_pyfunction!(xmlrpc_dumps_fault, m)?)?;
    Ok(())
}
