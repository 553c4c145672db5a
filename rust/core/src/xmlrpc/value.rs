//! The decoded form of an XML-RPC value.

/// A calendar date and time of day, as `datetime.strptime(data, "%Y%m%dT%H:%M:%S")` yields it.
///
/// Always a valid proleptic Gregorian date with a year in `1..=9999`, an hour in `0..=23`, a
/// minute in `0..=59` and a second in `0..=59`: the decoder refuses anything else, as
/// `datetime` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl DateTime {
    /// A checked constructor: `None` for a date or time that `datetime` would refuse.
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<Self> {
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        valid.then_some(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// The `dateTime.iso8601` text Python writes for it: `YYYYMMDDTHH:MM:SS`.
    pub fn to_iso8601(&self) -> String {
        format!(
            "{:04}{:02}{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    }
}

/// One decoded XML-RPC value.
///
/// `Struct` keeps its members in document order, duplicates included; a consumer that builds a
/// map inserts them in order, so the last value wins at the first key's position (as a Python
/// `dict` does).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Bool(bool),
    String(String),
    Double(f64),
    DateTime(DateTime),
    /// The decoded bytes of a `<base64>` (Python wraps them in `xmlrpc.client.Binary`).
    Base64(Vec<u8>),
    Nil,
    /// The text of a `<bigdecimal>`, checked against the syntax `decimal.Decimal` accepts.
    Decimal(String),
    Array(Vec<Value>),
    Struct(Vec<(String, Value)>),
}

impl Value {
    /// Structural equality where `NaN == NaN` (bitwise for doubles), for round-trip checks.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Double(a), Value::Double(b)) => {
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
            }
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y))
            }
            (Value::Struct(a), Value::Struct(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.same_as(vb))
            }
            _ => self == other,
        }
    }
}
