//! Encoder: what `json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)`
//! writes, as UTF-8 bytes.
use std::fmt;

use crate::xmlrpc::write_float_repr;

/// Why a value cannot be written as JSON. The messages are Python's own where it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    /// `NaN` or an infinity: JSON has no such number.
    NonFinite,
    /// A container inside itself.
    Circular,
    /// Containers nested deeper than the encoder's limit.
    TooDeep { limit: usize },
    /// A string that is not valid Unicode text (a lone surrogate).
    InvalidString,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonFinite => f.write_str("Out of range float values are not JSON compliant"),
            Self::Circular => f.write_str("Circular reference detected"),
            Self::TooDeep { limit } => write!(f, "containers nested deeper than {limit} levels"),
            Self::InvalidString => {
                f.write_str("a str with a lone surrogate cannot be encoded as UTF-8 JSON")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// A JSON document being written. The caller writes the separators (`comma`, `colon`) between
/// the values, as the grammar asks.
#[derive(Debug, Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            out: Vec::with_capacity(capacity),
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    pub fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    pub fn boolean(&mut self, value: bool) {
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    pub fn int(&mut self, value: i64) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    pub fn uint(&mut self, value: u64) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    /// An integer given as its decimal digits (`str(int)` of a Python int outside 64 bits).
    pub fn digits(&mut self, digits: &str) {
        self.out.extend_from_slice(digits.as_bytes());
    }

    /// `float.__repr__`; `NaN` and infinities are refused.
    pub fn float(&mut self, value: f64) -> Result<(), EncodeError> {
        if !value.is_finite() {
            return Err(EncodeError::NonFinite);
        }
        write_float_repr(&mut self.out, value);
        Ok(())
    }

    /// A string, escaped as Python escapes it with `ensure_ascii=False`.
    pub fn string(&mut self, value: &str) {
        let bytes = value.as_bytes();
        // Most strings need no escape: one vectorisable test, then one copy.
        let flag = |b: u8| u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\');
        if bytes.iter().fold(0u8, |acc, &b| acc | flag(b)) == 0 {
            self.out.reserve(bytes.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(bytes);
            self.out.push(b'"');
        } else {
            // `serde_json`'s escapes are Python's: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and
            // `\u00xx` (lower-case hex) for the other control characters. Writing into a `Vec`
            // cannot fail.
            let _ = serde_json::to_writer(&mut self.out, value);
        }
    }

    pub fn begin_array(&mut self) {
        self.out.push(b'[');
    }

    pub fn end_array(&mut self) {
        self.out.push(b']');
    }

    pub fn begin_object(&mut self) {
        self.out.push(b'{');
    }

    pub fn end_object(&mut self) {
        self.out.push(b'}');
    }

    pub fn comma(&mut self) {
        self.out.push(b',');
    }

    pub fn colon(&mut self) {
        self.out.push(b':');
    }
}

/// Deepest nesting [`encode_value`] follows.
const MAX_VALUE_DEPTH: usize = 256;

/// Writes a `serde_json::Value` (numbers as their text, as `arbitrary_precision` keeps them).
pub fn encode_value(value: &serde_json::Value) -> Result<Vec<u8>, EncodeError> {
    let mut writer = Writer::with_capacity(256);
    write_value(&mut writer, value, 0)?;
    Ok(writer.into_bytes())
}

fn write_value(w: &mut Writer, value: &serde_json::Value, depth: usize) -> Result<(), EncodeError> {
    use serde_json::Value;
    if depth >= MAX_VALUE_DEPTH {
        return Err(EncodeError::TooDeep {
            limit: MAX_VALUE_DEPTH,
        });
    }
    match value {
        Value::Null => w.null(),
        Value::Bool(b) => w.boolean(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                w.int(i);
            } else if let Some(u) = n.as_u64() {
                w.uint(u);
            } else if n.as_str().bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
                w.float(n.as_f64().unwrap_or(f64::NAN))?;
            } else {
                w.digits(n.as_str());
            }
        }
        Value::String(s) => w.string(s),
        Value::Array(items) => {
            w.begin_array();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.comma();
                }
                write_value(w, item, depth + 1)?;
            }
            w.end_array();
        }
        Value::Object(map) => {
            w.begin_object();
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    w.comma();
                }
                w.string(key);
                w.colon();
                write_value(w, item, depth + 1)?;
            }
            w.end_object();
        }
    }
    Ok(())
}
