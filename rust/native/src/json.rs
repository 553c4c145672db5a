//! `odoo_mcp_native.json`: the JSON codec of the core, on Python objects.
//!
//! `loads` builds Python objects straight from the parser (no intermediate tree); `dumps` walks
//! Python objects straight into the core's `Writer`. Both need the GIL for the whole call (every
//! step makes or reads a Python object), so neither detaches.
use odoo_mcp_core::json::{self as core, Builder, EncodeError, Limits, Writer};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple,
};

use crate::error::JsonFailure;

/// Deepest nesting of lists, tuples, dicts and `default` results `dumps` follows.
const MAX_ENCODE_DEPTH: usize = 256;

/// Slots of the object-key cache of [`PyBuilder`].
const KEY_SLOTS: usize = 64;

/// Builds the objects `json.loads` returns.
struct PyBuilder<'a, 'py> {
    py: Python<'py>,
    /// Object keys already made in this call, by their text in the body: a row's keys repeat
    /// in every row, and a shared `str` also keeps its hash for the dict inserts. Direct-mapped
    /// (a collision replaces the slot).
    keys: [Option<(&'a str, Bound<'py, PyString>)>; KEY_SLOTS],
}

fn key_slot(key: &str) -> usize {
    let bytes = key.as_bytes();
    let first = bytes.first().copied().map_or(0, usize::from);
    let last = bytes.last().copied().map_or(0, usize::from);
    (bytes.len().wrapping_mul(31) ^ first.wrapping_mul(7) ^ last) % KEY_SLOTS
}

impl<'a, 'py> Builder<'a> for PyBuilder<'a, 'py> {
    type Item = Bound<'py, PyAny>;
    type Error = PyErr;

    fn null(&mut self) -> PyResult<Self::Item> {
        Ok(self.py.None().into_bound(self.py))
    }
    fn boolean(&mut self, value: bool) -> PyResult<Self::Item> {
        Ok(PyBool::new(self.py, value).to_owned().into_any())
    }
    fn int(&mut self, value: i64) -> PyResult<Self::Item> {
        Ok(PyInt::new(self.py, value).into_any())
    }
    fn uint(&mut self, value: u64) -> PyResult<Self::Item> {
        Ok(PyInt::new(self.py, value).into_any())
    }
    fn big_int(&mut self, digits: &str) -> PyResult<Self::Item> {
        // `int(digits)`, with Python's own limit on the number of digits.
        self.py.get_type::<PyInt>().call1((digits,))
    }
    fn float(&mut self, value: f64) -> PyResult<Self::Item> {
        Ok(PyFloat::new(self.py, value).into_any())
    }
    fn string(&mut self, value: &str) -> PyResult<Self::Item> {
        Ok(PyString::new(self.py, value).into_any())
    }
    fn borrowed_key(&mut self, key: &'a str) -> PyResult<Self::Item> {
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
    fn array(&mut self, items: Vec<Self::Item>) -> PyResult<Self::Item> {
        Ok(PyList::new(self.py, items)?.into_any())
    }
    fn object(&mut self, items: Vec<(Self::Item, Self::Item)>) -> PyResult<Self::Item> {
        let dict = PyDict::new(self.py);
        for (key, value) in items {
            dict.set_item(key, value)?;
        }
        Ok(dict.into_any())
    }
}

/// `json.loads(data)`, with the limits and refusals of the core.
#[pyfunction]
#[pyo3(signature = (data, /, *, max_bytes = None, max_depth = None))]
fn json_loads<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    max_bytes: Option<usize>,
    max_depth: Option<usize>,
) -> Result<Bound<'py, PyAny>, JsonFailure> {
    let defaults = Limits::default();
    let limits = Limits {
        max_bytes: max_bytes.unwrap_or(defaults.max_bytes),
        max_depth: max_depth.unwrap_or(defaults.max_depth),
    };
    let copied;
    let body: &[u8] = if let Ok(bytes) = data.cast_exact::<PyBytes>() {
        bytes.as_bytes()
    } else if let Ok(text) = data.cast::<PyString>() {
        text.to_str()
            .map_err(|_| JsonFailure::SurrogateInput)?
            .as_bytes()
    } else if data.is_instance_of::<PyBytes>()
        || data.is_instance_of::<PyByteArray>()
        || data.is_instance_of::<PyMemoryView>()
    {
        // bytearray, memoryview, bytes subclasses: one copy through `bytes(data)`.
        copied = py
            .get_type::<PyBytes>()
            .call1((data,))?
            .cast_into::<PyBytes>()
            .map_err(PyErr::from)?;
        copied.as_bytes()
    } else {
        return Err(JsonFailure::InputType(type_name(data)));
    };
    let mut builder = PyBuilder {
        py,
        keys: std::array::from_fn(|_| None),
    };
    core::decode_with(body, &limits, &mut builder).map_err(JsonFailure::Decode)
}

/// Walks Python objects into the core's writer with the rules of `json.dumps`.
struct Encoder<'a, 'py> {
    py: Python<'py>,
    writer: Writer,
    default: Option<&'a Bound<'py, PyAny>>,
    /// Containers being written (`markers` of `json.encoder`): a container inside itself is
    /// refused.
    memo: Vec<usize>,
    /// Snapshots of the dicts being written, keys and values interleaved.
    items: Vec<Option<Bound<'py, PyAny>>>,
}

impl<'py> Encoder<'_, 'py> {
    fn dump(&mut self, value: &Bound<'py, PyAny>, depth: usize) -> Result<(), JsonFailure> {
        if let Ok(s) = value.cast_exact::<PyString>() {
            self.string(s)
        } else if value.is_none() {
            self.writer.null();
            Ok(())
        } else if let Ok(b) = value.cast_exact::<PyBool>() {
            self.writer.boolean(b.is_true());
            Ok(())
        } else if value.is_exact_instance_of::<PyInt>() {
            self.int(value)
        } else if let Ok(f) = value.cast_exact::<PyFloat>() {
            self.writer.float(f.value())?;
            Ok(())
        } else if let Ok(list) = value.cast_exact::<PyList>() {
            self.sequence(list.as_any(), list.iter(), depth)
        } else if let Ok(dict) = value.cast_exact::<PyDict>() {
            self.dict(dict, depth)
        } else if let Ok(tuple) = value.cast_exact::<PyTuple>() {
            self.sequence(tuple.as_any(), tuple.iter(), depth)
        } else {
            self.dump_other(value, depth)
        }
    }

    /// Subclasses (in `json.encoder`'s order), then `default`.
    fn dump_other(&mut self, value: &Bound<'py, PyAny>, depth: usize) -> Result<(), JsonFailure> {
        if let Ok(s) = value.cast::<PyString>() {
            return self.string(s);
        }
        if value.is_instance_of::<PyInt>() {
            // `int.__repr__(value)`: an `IntEnum` is written as its number.
            let text = self
                .py
                .get_type::<PyInt>()
                .call_method1("__repr__", (value,))?;
            self.writer
                .digits(text.cast::<PyString>().map_err(PyErr::from)?.to_str()?);
            return Ok(());
        }
        if let Ok(f) = value.cast::<PyFloat>() {
            self.writer.float(f.value())?;
            return Ok(());
        }
        if let Ok(list) = value.cast::<PyList>() {
            return self.sequence(list.as_any(), list.iter(), depth);
        }
        if let Ok(tuple) = value.cast::<PyTuple>() {
            return self.sequence(tuple.as_any(), tuple.iter(), depth);
        }
        if let Ok(dict) = value.cast::<PyDict>() {
            return self.dict(dict, depth);
        }
        let Some(default) = self.default else {
            return Err(JsonFailure::Unsupported(type_name(value)));
        };
        self.enter(value, depth)?;
        let replacement = default.call1((value,))?;
        self.dump(&replacement, depth + 1)?;
        self.memo.pop();
        Ok(())
    }

    fn string(&mut self, s: &Bound<'py, PyString>) -> Result<(), JsonFailure> {
        let text = s.to_str().map_err(|_| EncodeError::InvalidString)?;
        self.writer.string(text);
        Ok(())
    }

    fn int(&mut self, value: &Bound<'py, PyAny>) -> Result<(), JsonFailure> {
        if let Ok(v) = value.extract::<i64>() {
            self.writer.int(v);
        } else if let Ok(v) = value.extract::<u64>() {
            self.writer.uint(v);
        } else {
            let text = value.str()?;
            self.writer.digits(text.to_str()?);
        }
        Ok(())
    }

    fn enter(&mut self, container: &Bound<'py, PyAny>, depth: usize) -> Result<(), JsonFailure> {
        if depth >= MAX_ENCODE_DEPTH {
            return Err(EncodeError::TooDeep {
                limit: MAX_ENCODE_DEPTH,
            }
            .into());
        }
        let id = container.as_ptr() as usize;
        if self.memo.contains(&id) {
            return Err(EncodeError::Circular.into());
        }
        self.memo.push(id);
        Ok(())
    }

    fn sequence(
        &mut self,
        sequence: &Bound<'py, PyAny>,
        items: impl Iterator<Item = Bound<'py, PyAny>>,
        depth: usize,
    ) -> Result<(), JsonFailure> {
        self.enter(sequence, depth)?;
        self.writer.begin_array();
        for (i, item) in items.enumerate() {
            if i > 0 {
                self.writer.comma();
            }
            self.dump(&item, depth + 1)?;
        }
        self.writer.end_array();
        self.memo.pop();
        Ok(())
    }

    fn dict(&mut self, dict: &Bound<'py, PyDict>, depth: usize) -> Result<(), JsonFailure> {
        self.enter(dict.as_any(), depth)?;
        self.writer.begin_object();
        if self.default.is_none() {
            // Without `default` no Python code runs while the dict is walked (subclasses are
            // read through C slots), so it cannot change size under the iterator.
            for (i, (key, value)) in dict.iter().enumerate() {
                if i > 0 {
                    self.writer.comma();
                }
                self.key(&key)?;
                self.writer.colon();
                self.dump(&value, depth + 1)?;
            }
            self.writer.end_object();
            self.memo.pop();
            return Ok(());
        }
        // With `default`, walk a snapshot: `default` runs Python code that could resize the dict, and a dict
        // iterator that sees a resize panics. Collecting runs none. The snapshot lives on a
        // stack shared by the nested dicts.
        let base = self.items.len();
        for (key, value) in dict.iter() {
            self.items.push(Some(key));
            self.items.push(Some(value));
        }
        let end = self.items.len();
        let mut at = base;
        while at + 1 < end {
            let key = self.items.get_mut(at).and_then(Option::take);
            let value = self.items.get_mut(at + 1).and_then(Option::take);
            if let (Some(key), Some(value)) = (key, value) {
                if at > base {
                    self.writer.comma();
                }
                self.key(&key)?;
                self.writer.colon();
                self.dump(&value, depth + 1)?;
            }
            at += 2;
        }
        self.items.truncate(base);
        self.writer.end_object();
        self.memo.pop();
        Ok(())
    }

    /// A key as `json.dumps` writes it: `str` as is; `float`, `int`, `bool` and `None` as
    /// their JSON text in quotes; anything else refused.
    fn key(&mut self, key: &Bound<'py, PyAny>) -> Result<(), JsonFailure> {
        if let Ok(s) = key.cast::<PyString>() {
            return self.string(s);
        }
        let mut scratch = Encoder {
            py: self.py,
            writer: Writer::new(),
            default: None,
            memo: Vec::new(),
            items: Vec::new(),
        };
        if key.is_none() {
            scratch.writer.null();
        } else if let Ok(b) = key.cast::<PyBool>() {
            scratch.writer.boolean(b.is_true());
        } else if let Ok(f) = key.cast::<PyFloat>() {
            scratch.writer.float(f.value())?;
        } else if key.is_instance_of::<PyInt>() {
            scratch.dump_other(key, 0)?;
        } else {
            return Err(JsonFailure::KeyType(type_name(key)));
        }
        let text = String::from_utf8_lossy(scratch.writer.as_bytes()).into_owned();
        self.writer.string(&text);
        Ok(())
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// `json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
/// default=default).encode()`.
#[pyfunction]
#[pyo3(signature = (obj, /, *, default = None))]
fn json_dumps<'py>(
    py: Python<'py>,
    obj: &Bound<'py, PyAny>,
    default: Option<&Bound<'py, PyAny>>,
) -> Result<Bound<'py, PyBytes>, JsonFailure> {
    let mut encoder = Encoder {
        py,
        writer: Writer::with_capacity(4096),
        default: default.filter(|d| !d.is_none()),
        memo: Vec::new(),
        items: Vec::new(),
    };
    encoder.dump(obj, 0)?;
    Ok(PyBytes::new(py, encoder.writer.as_bytes()))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(json_loads, m)?)?;
    m.add_function(wrap_pyfunction!(json_dumps, m)?)?;
    Ok(())
}
