//! Decoder: `serde_json`'s parser driving a [`Builder`] through a `DeserializeSeed`.
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// The key `serde_json` (feature `arbitrary_precision`) hands a number's text under.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// The deepest nesting [`Limits::max_depth`] may allow (`serde_json`'s own recursion limit).
pub const MAX_DEPTH: usize = 127;

/// Limits of one decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of arrays and objects (at most [`MAX_DEPTH`]).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_depth: 64,
        }
    }
}

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError<E> {
    /// The body is larger than [`Limits::max_bytes`].
    TooLarge { size: usize, limit: usize },
    /// Arrays and objects nest deeper than the limit.
    TooDeep { limit: usize },
    /// The limit asked for is above [`MAX_DEPTH`].
    InvalidLimit { max_depth: usize },
    /// Not JSON (syntax, invalid UTF-8, lone surrogate, `NaN`, trailing data, out-of-range
    /// number); the message names the line and column.
    Syntax(String),
    /// The builder refused a value.
    Builder(E),
}

impl<E: fmt::Display> fmt::Display for DecodeError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { size, limit } => {
                write!(
                    f,
                    "JSON body of {size} bytes is over the limit of {limit} bytes"
                )
            }
            Self::TooDeep { limit } => {
                write!(
                    f,
                    "JSON arrays and objects nested deeper than {limit} levels"
                )
            }
            Self::InvalidLimit { max_depth } => {
                write!(f, "max_depth {max_depth} is above {MAX_DEPTH}")
            }
            Self::Syntax(message) => f.write_str(message),
            Self::Builder(e) => e.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for DecodeError<E> {}

/// Receives the values of a JSON document, innermost first.
pub trait Builder<'de> {
    /// What the builder makes of a value.
    type Item;
    /// Why the builder refuses a value.
    type Error;

    fn null(&mut self) -> Result<Self::Item, Self::Error>;
    fn boolean(&mut self, value: bool) -> Result<Self::Item, Self::Error>;
    fn int(&mut self, value: i64) -> Result<Self::Item, Self::Error>;
    /// A non-negative integer above `i64::MAX`.
    fn uint(&mut self, value: u64) -> Result<Self::Item, Self::Error>;
    /// An integer outside 64 bits, as its decimal digits (with a leading `-` if negative).
    fn big_int(&mut self, digits: &str) -> Result<Self::Item, Self::Error>;
    /// A finite float, correctly rounded from its text.
    fn float(&mut self, value: f64) -> Result<Self::Item, Self::Error>;
    fn string(&mut self, value: &str) -> Result<Self::Item, Self::Error>;
    /// A string borrowed from the body (no escape in it); by default as [`Builder::string`].
    fn borrowed_string(&mut self, value: &'de str) -> Result<Self::Item, Self::Error> {
        self.string(value)
    }
    /// An object key.
    fn key(&mut self, key: &str) -> Result<Self::Item, Self::Error> {
        self.string(key)
    }
    /// An object key borrowed from the body; by default as [`Builder::key`].
    fn borrowed_key(&mut self, key: &'de str) -> Result<Self::Item, Self::Error> {
        self.key(key)
    }
    fn array(&mut self, items: Vec<Self::Item>) -> Result<Self::Item, Self::Error>;
    /// An object: keys and values in body order (a repeated key appears twice).
    fn object(&mut self, items: Vec<(Self::Item, Self::Item)>) -> Result<Self::Item, Self::Error>;
}

/// What went wrong inside a visitor, kept beside `serde_json`'s error.
enum Failure<E> {
    TooDeep,
    Builder(E),
}

struct Ctx<'b, 'de, B: Builder<'de>> {
    builder: &'b mut B,
    depth: usize,
    max_depth: usize,
    failure: Option<Failure<B::Error>>,
    body: std::marker::PhantomData<&'de ()>,
}

impl<'de, B: Builder<'de>> Ctx<'_, 'de, B> {
    fn built<T, E: de::Error>(&mut self, result: Result<T, B::Error>) -> Result<T, E> {
        result.map_err(|e| {
            self.failure = Some(Failure::Builder(e));
            E::custom("refused by the builder")
        })
    }

    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        if self.depth >= self.max_depth {
            self.failure = Some(Failure::TooDeep);
            return Err(E::custom("nested too deep"));
        }
        self.depth += 1;
        Ok(())
    }

    /// A number `serde_json` passed as text: a float, or an integer outside 64 bits (or `-0`).
    fn number<E: de::Error>(&mut self, text: &str) -> Result<B::Item, E> {
        if text.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            let value: f64 = text.parse().map_err(|_| E::custom("invalid number"))?;
            if !value.is_finite() {
                return Err(E::custom("number out of range"));
            }
            let result = self.builder.float(value);
            self.built(result)
        } else if let Ok(value) = text.parse::<i64>() {
            let result = self.builder.int(value);
            self.built(result)
        } else {
            let result = self.builder.big_int(text);
            self.built(result)
        }
    }
}

/// One value: what `serde_json` calls a `DeserializeSeed`.
struct Seed<'c, 'b, 'de, B: Builder<'de>> {
    ctx: &'c mut Ctx<'b, 'de, B>,
}

impl<'de, B: Builder<'de>> DeserializeSeed<'de> for Seed<'_, '_, 'de, B> {
    type Value = B::Item;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<B::Item, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, B: Builder<'de>> Visitor<'de> for Seed<'_, '_, 'de, B> {
    type Value = B::Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<B::Item, E> {
        let result = self.ctx.builder.null();
        self.ctx.built(result)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<B::Item, E> {
        let result = self.ctx.builder.boolean(v);
        self.ctx.built(result)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<B::Item, E> {
        let result = self.ctx.builder.int(v);
        self.ctx.built(result)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<B::Item, E> {
        let result = match i64::try_from(v) {
            Ok(small) => self.ctx.builder.int(small),
            Err(_) => self.ctx.builder.uint(v),
        };
        self.ctx.built(result)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<B::Item, E> {
        // Not reached with `arbitrary_precision` (floats come as text), kept for safety.
        if !v.is_finite() {
            return Err(E::custom("number out of range"));
        }
        let result = self.ctx.builder.float(v);
        self.ctx.built(result)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<B::Item, E> {
        let result = self.ctx.builder.borrowed_string(v);
        self.ctx.built(result)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<B::Item, E> {
        let result = self.ctx.builder.string(v);
        self.ctx.built(result)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<B::Item, A::Error> {
        self.ctx.enter()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element_seed(Seed {
            ctx: &mut *self.ctx,
        })? {
            items.push(item);
        }
        self.ctx.depth -= 1;
        let result = self.ctx.builder.array(items);
        self.ctx.built(result)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<B::Item, A::Error> {
        let mut items = Vec::new();
        let first = map.next_key_seed(KeySeed {
            ctx: &mut *self.ctx,
        })?;
        match first {
            Some(Key::NumberToken) => {
                // `serde_json` hands a number's text as a one-entry map whose value is an owned
                // `String`; the text of a JSON object's value never is (it is borrowed or
                // unescaped into a scratch buffer). So the value tells the two apart.
                match map.next_value_seed(NumberSeed {
                    ctx: &mut *self.ctx,
                })? {
                    Maybe::Number(number) => return Ok(number),
                    Maybe::Value(value) => {
                        let result = self.ctx.builder.borrowed_key(NUMBER_TOKEN);
                        let key = self.ctx.built(result)?;
                        items.push((key, value));
                    }
                }
            }
            Some(Key::Item(key)) => {
                self.ctx.enter()?;
                let value = map.next_value_seed(Seed {
                    ctx: &mut *self.ctx,
                })?;
                self.ctx.depth -= 1;
                items.push((key, value));
            }
            None => {
                self.ctx.enter()?;
                self.ctx.depth -= 1;
                let result = self.ctx.builder.object(items);
                return self.ctx.built(result);
            }
        }
        self.ctx.enter()?;
        while let Some(key) = map.next_key_seed(KeySeed {
            ctx: &mut *self.ctx,
        })? {
            let item = match key {
                Key::Item(item) => item,
                Key::NumberToken => {
                    let result = self.ctx.builder.borrowed_key(NUMBER_TOKEN);
                    self.ctx.built(result)?
                }
            };
            let value = map.next_value_seed(Seed {
                ctx: &mut *self.ctx,
            })?;
            items.push((item, value));
        }
        self.ctx.depth -= 1;
        let result = self.ctx.builder.object(items);
        self.ctx.built(result)
    }
}

enum Key<I> {
    Item(I),
    /// [`NUMBER_TOKEN`], with no escape in it.
    NumberToken,
}

/// An object key.
struct KeySeed<'c, 'b, 'de, B: Builder<'de>> {
    ctx: &'c mut Ctx<'b, 'de, B>,
}

impl<'de, B: Builder<'de>> DeserializeSeed<'de> for KeySeed<'_, '_, 'de, B> {
    type Value = Key<B::Item>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, B: Builder<'de>> Visitor<'de> for KeySeed<'_, '_, 'de, B> {
    type Value = Key<B::Item>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        if v == NUMBER_TOKEN {
            // Most likely a number: its key is made only if it turns out to be an object's.
            return Ok(Key::NumberToken);
        }
        let result = self.ctx.builder.borrowed_key(v);
        self.ctx.built(result).map(Key::Item)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let result = self.ctx.builder.key(v);
        self.ctx.built(result).map(Key::Item)
    }
}

enum Maybe<I> {
    Number(I),
    Value(I),
}

/// The value under [`NUMBER_TOKEN`]: a number's text, or the value of a real object's key.
struct NumberSeed<'c, 'b, 'de, B: Builder<'de>> {
    ctx: &'c mut Ctx<'b, 'de, B>,
}

impl<'de, B: Builder<'de>> DeserializeSeed<'de> for NumberSeed<'_, '_, 'de, B> {
    type Value = Maybe<B::Item>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, B: Builder<'de>> Visitor<'de> for NumberSeed<'_, '_, 'de, B> {
    type Value = Maybe<B::Item>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.ctx.number(&v).map(Maybe::Number)
    }

    // A real object `{"$serde_json::private::Number": value}`: one level deeper, as any object.
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Seed { ctx: self.ctx }.visit_unit().map(Maybe::Value)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Seed { ctx: self.ctx }.visit_bool(v).map(Maybe::Value)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Seed { ctx: self.ctx }.visit_i64(v).map(Maybe::Value)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Seed { ctx: self.ctx }.visit_u64(v).map(Maybe::Value)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Seed { ctx: self.ctx }.visit_f64(v).map(Maybe::Value)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Seed { ctx: self.ctx }
            .visit_borrowed_str(v)
            .map(Maybe::Value)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Seed { ctx: self.ctx }.visit_str(v).map(Maybe::Value)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.ctx.enter()?;
        let value = Seed {
            ctx: &mut *self.ctx,
        }
        .visit_seq(seq);
        self.ctx.depth -= 1;
        value.map(Maybe::Value)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.ctx.enter()?;
        let value = Seed {
            ctx: &mut *self.ctx,
        }
        .visit_map(map);
        self.ctx.depth -= 1;
        value.map(Maybe::Value)
    }
}

/// Decodes `body` into what `builder` makes of it.
pub fn decode_with<'de, B: Builder<'de>>(
    body: &'de [u8],
    limits: &Limits,
    builder: &mut B,
) -> Result<B::Item, DecodeError<B::Error>> {
    if limits.max_depth > MAX_DEPTH {
        return Err(DecodeError::InvalidLimit {
            max_depth: limits.max_depth,
        });
    }
    if body.len() > limits.max_bytes {
        return Err(DecodeError::TooLarge {
            size: body.len(),
            limit: limits.max_bytes,
        });
    }
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let mut ctx = Ctx {
        builder,
        depth: 0,
        max_depth: limits.max_depth,
        failure: None,
        body: std::marker::PhantomData,
    };
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let result = Seed { ctx: &mut ctx }
        .deserialize(&mut deserializer)
        .and_then(|item| deserializer.end().map(|()| item));
    result.map_err(|error| match ctx.failure.take() {
        Some(Failure::Builder(e)) => DecodeError::Builder(e),
        Some(Failure::TooDeep) => DecodeError::TooDeep {
            limit: limits.max_depth,
        },
        None if error.to_string().starts_with("recursion limit exceeded") => DecodeError::TooDeep {
            limit: limits.max_depth,
        },
        None => DecodeError::Syntax(error.to_string()),
    })
}

/// Decodes `body` into a `serde_json::Value` (integers outside 64 bits and floats are kept as
/// their text, as `serde_json`'s `arbitrary_precision` does).
pub fn decode(body: &[u8], limits: &Limits) -> Result<serde_json::Value, DecodeError<String>> {
    decode_with(body, limits, &mut ValueBuilder)
}

/// A [`Builder`] of `serde_json::Value`s (tests, benches, Rust callers).
pub struct ValueBuilder;

impl Builder<'_> for ValueBuilder {
    type Item = serde_json::Value;
    type Error = String;

    fn null(&mut self) -> Result<Self::Item, String> {
        Ok(serde_json::Value::Null)
    }
    fn boolean(&mut self, value: bool) -> Result<Self::Item, String> {
        Ok(serde_json::Value::Bool(value))
    }
    fn int(&mut self, value: i64) -> Result<Self::Item, String> {
        Ok(value.into())
    }
    fn uint(&mut self, value: u64) -> Result<Self::Item, String> {
        Ok(value.into())
    }
    fn big_int(&mut self, digits: &str) -> Result<Self::Item, String> {
        digits
            .parse::<serde_json::Number>()
            .map(serde_json::Value::Number)
            .map_err(|e| e.to_string())
    }
    fn float(&mut self, value: f64) -> Result<Self::Item, String> {
        serde_json::Number::from_f64(value)
            .map(serde_json::Value::Number)
            .ok_or_else(|| "number out of range".to_owned())
    }
    fn string(&mut self, value: &str) -> Result<Self::Item, String> {
        Ok(serde_json::Value::String(value.to_owned()))
    }
    fn array(&mut self, items: Vec<Self::Item>) -> Result<Self::Item, String> {
        Ok(serde_json::Value::Array(items))
    }
    fn object(&mut self, items: Vec<(Self::Item, Self::Item)>) -> Result<Self::Item, String> {
        let mut map = serde_json::Map::new();
        for (key, value) in items {
            if let serde_json::Value::String(key) = key {
                map.insert(key, value);
            }
        }
        Ok(serde_json::Value::Object(map))
    }
}
