//! CEL runtime values.
//!
//! Every value is cheap to clone: aggregates and strings sit behind [`Arc`].
//! Equality and ordering follow cel-go with heterogeneous numeric
//! comparisons enabled (`1 == 1.0`, `1u < 2.0`), as Cerbos configures it.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub use super::time::{parse_duration, parse_timestamp, Duration, Timestamp};

/// Maximum nesting depth walked by recursive value operations (equality,
/// JSON rendering); deeper values are reported as errors instead of
/// risking the stack.
pub const MAX_VALUE_DEPTH: usize = 256;

/// Errors raised while evaluating a CEL expression.
///
/// `Display` gives cel-go's wording, because Cerbos reports these strings in
/// `evaluationErrors`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// A map lookup with a key that is not present.
    #[error("no such key: {0}")]
    NoSuchKey(std::sync::Arc<str>),
    /// Selection of a field that is not set on a `cerbos.Variables` object.
    #[error("undefined field '{0}'")]
    UndefinedField(String),
    /// Selection of a field a message type does not declare.
    #[error("no such field '{0}'")]
    NoSuchField(String),
    /// An identifier that has no value in the activation.
    #[error("no such attribute(s): {0}")]
    NoSuchAttribute(String),
    /// Integer division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// Integer modulus by zero.
    #[error("modulus by zero")]
    ModulusByZero,
    /// Signed 64-bit overflow.
    #[error("integer overflow")]
    IntOverflow,
    /// Unsigned 64-bit overflow.
    #[error("unsigned integer overflow")]
    UintOverflow,
    /// Duration arithmetic out of range.
    #[error("duration overflow")]
    DurationOverflow,
    /// Timestamp arithmetic out of range.
    #[error("timestamp overflow")]
    TimestampOverflow,
    /// Arguments of types no overload of the function accepts.
    #[error("no such overload")]
    NoSuchOverload,
    /// An implementation's own refusal of its arguments, which cel-go
    /// reports bare whatever the function's dispatch (never re-worded with
    /// the function's name, unlike [`EvalError::NoSuchOverload`]).
    #[error("no such overload")]
    Refused,
    /// An operator whose first operand lacks the trait the operator needs
    /// (cel-go's dispatcher names the operator only).
    #[error("no such overload: {operator}")]
    NoOperatorOverload {
        /// Operator function name, e.g. `_<_`.
        operator: String,
    },
    /// A named function called with arguments of the wrong types, in
    /// cel-go's wording: `no such overload: f(type, type)`.
    #[error("no such overload: {function}({args})")]
    NoMatchingOverload {
        /// Function name.
        function: String,
        /// Comma-separated CEL type names of the arguments.
        args: String,
    },
    /// List or string index out of range.
    #[error("index out of bounds: {0}")]
    IndexOutOfRange(i64),
    /// Index of an unsupported type.
    #[error("unsupported index type '{0}' in list")]
    UnsupportedIndex(String),
    /// Key of a type maps do not accept.
    #[error("unsupported key type")]
    UnsupportedKeyType,
    /// Repeated key in a map literal.
    #[error("Failed with repeated key")]
    RepeatedKey,
    /// Evaluation budget exhausted.
    #[error("operation cancelled: actual cost limit exceeded")]
    CostLimitExceeded,
    /// Any other error, with its cel-go message.
    #[error("{0}")]
    Message(String),
}

impl EvalError {
    /// A free-form error with cel-go's message text.
    pub fn msg(s: impl Into<String>) -> Self {
        EvalError::Message(s.into())
    }
}

/// Result of evaluation steps.
pub type EvalResult<T = Value> = Result<T, EvalError>;

/// A CEL type value, as produced by `type(x)` or written as `int`, `list`, …
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Type {
    /// `null_type`
    Null,
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `uint`
    Uint,
    /// `double`
    Double,
    /// `string`
    String,
    /// `bytes`
    Bytes,
    /// `list`
    List,
    /// `map`
    Map,
    /// `type`
    Type,
    /// `google.protobuf.Timestamp`
    Timestamp,
    /// `google.protobuf.Duration`
    Duration,
    /// `optional_type`
    Optional,
    /// `dyn`
    Dyn,
    /// Any named type: messages and opaque types (`net.IP`, `cerbos.lib.hierarchy`…).
    Named(Arc<str>),
}

impl Type {
    /// The type's CEL name.
    pub fn name(&self) -> &str {
        match self {
            Type::Null => "null_type",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Uint => "uint",
            Type::Double => "double",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::List => "list",
            Type::Map => "map",
            Type::Type => "type",
            Type::Timestamp => "google.protobuf.Timestamp",
            Type::Duration => "google.protobuf.Duration",
            Type::Optional => "optional_type",
            Type::Dyn => "dyn",
            Type::Named(n) => n,
        }
    }

    /// The type denoted by a (possibly qualified) type identifier, if any.
    pub fn from_name(name: &str) -> Option<Type> {
        Some(match name {
            "null_type" => Type::Null,
            "bool" => Type::Bool,
            "int" => Type::Int,
            "uint" => Type::Uint,
            "double" => Type::Double,
            "string" => Type::String,
            "bytes" => Type::Bytes,
            "list" => Type::List,
            "map" => Type::Map,
            "type" => Type::Type,
            "google.protobuf.Timestamp" => Type::Timestamp,
            "google.protobuf.Duration" => Type::Duration,
            "optional_type" => Type::Optional,
            "dyn" => Type::Dyn,
            _ => return None,
        })
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a message field is typed, which decides its default and `has()` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// `string` scalar (default `""`).
    String,
    /// `repeated string` (default `[]`).
    StringList,
    /// `map<string, google.protobuf.Value>` (default `{}`).
    ValueMap,
    /// A nested message (default: the empty message).
    Message(&'static MessageType),
}

/// One field of a [`MessageType`].
#[derive(Debug, PartialEq, Eq)]
pub struct FieldDesc {
    /// Proto field name (`policy_version`).
    pub name: &'static str,
    /// JSON name (`policyVersion`).
    pub json_name: &'static str,
    /// Field type.
    pub kind: FieldKind,
}

/// A protobuf message type known to the runtime (the Cerbos request model).
#[derive(Debug, PartialEq, Eq)]
pub struct MessageType {
    /// Fully qualified name, e.g. `cerbos.engine.v1.Request.Principal`.
    pub name: &'static str,
    /// Fields in declaration order.
    pub fields: &'static [FieldDesc],
}

impl MessageType {
    /// Index of the field called `name` (proto or JSON name).
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name == name || f.json_name == name)
    }
}

/// Most fields a message type of the runtime has (`Principal`, `Resource`).
pub const MAX_MESSAGE_FIELDS: usize = 5;

/// A message's field values, stored inline so that a message value is a
/// single allocation (several are built per check).
pub type Fields = [Option<Value>; MAX_MESSAGE_FIELDS];

/// A message value: one slot per field of its type; `None` means unset.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The message type.
    pub ty: &'static MessageType,
    /// Field values in the type's field order (slots past the type's
    /// fields stay unset).
    pub fields: Fields,
}

impl Message {
    /// An empty message of type `ty` (every field unset).
    pub fn new(ty: &'static MessageType) -> Self {
        Message {
            ty,
            fields: Fields::default(),
        }
    }

    /// A message of type `ty` whose first fields are `given`, in the type's
    /// field order.
    pub fn with<const N: usize>(ty: &'static MessageType, given: [Option<Value>; N]) -> Self {
        const { assert!(N <= MAX_MESSAGE_FIELDS) };
        let mut fields = Fields::default();
        for (slot, v) in fields.iter_mut().zip(given) {
            *slot = v;
        }
        Message { ty, fields }
    }

    /// Value of field number `idx` (its default when unset).
    pub fn get(&self, idx: usize) -> EvalResult {
        let desc = self
            .ty
            .fields
            .get(idx)
            .ok_or_else(|| EvalError::NoSuchField(idx.to_string()))?;
        if let Some(Some(v)) = self.fields.get(idx) {
            return Ok(v.clone());
        }
        Ok(default_for(desc.kind))
    }

    /// Proto3 presence: scalars and collections are present when non-empty,
    /// messages when set.
    pub fn has(&self, idx: usize) -> bool {
        match self.fields.get(idx) {
            Some(Some(v)) => match v {
                Value::String(s) => !s.is_empty(),
                Value::List(l) => !l.is_empty(),
                Value::Map(m) => !m.is_empty(),
                Value::Null => false,
                _ => true,
            },
            _ => false,
        }
    }

    /// Selects a field by proto or JSON name.
    pub fn select(&self, field: &str) -> EvalResult {
        match self.ty.field_index(field) {
            Some(i) => self.get(i),
            None => Err(EvalError::NoSuchField(field.to_string())),
        }
    }
}

fn default_for(kind: FieldKind) -> Value {
    match kind {
        FieldKind::String => Value::String(Arc::from("")),
        FieldKind::StringList => Value::List(Arc::from(Vec::new())),
        FieldKind::ValueMap => Value::Map(Arc::new(Map::default())),
        FieldKind::Message(t) => Value::Message(Arc::new(Message::new(t))),
    }
}

/// Normalised map key: numerically equal int/uint/double keys hash alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Bool(bool),
    Int(i64),
    /// Only for values above `i64::MAX`.
    Uint(u64),
    /// Bits of a double key that is not an integer in int/uint range.
    Dbl(u64),
    Str(Arc<str>),
}

impl Key {
    fn of(v: &Value) -> Option<Key> {
        Some(match v {
            Value::Bool(b) => Key::Bool(*b),
            Value::Int(i) => Key::Int(*i),
            Value::Uint(u) => match i64::try_from(*u) {
                Ok(i) => Key::Int(i),
                Err(_) => Key::Uint(*u),
            },
            Value::Double(d) => {
                if d.fract() != 0.0 || !d.is_finite() {
                    Key::Dbl(d.to_bits())
                } else if *d >= -9.223_372_036_854_776e18 && *d < 9.223_372_036_854_776e18 {
                    Key::Int(*d as i64)
                } else if *d >= 0.0 && *d < 1.844_674_407_370_955_2e19 {
                    Key::Uint(*d as u64)
                } else {
                    Key::Dbl(d.to_bits())
                }
            }
            Value::String(s) => Key::Str(s.clone()),
            _ => return None,
        })
    }
}

/// Maps with more entries than this get a hash index; smaller ones are scanned.
const MAP_INDEX_THRESHOLD: usize = 8;

/// A CEL map: insertion-ordered entries with bool/int/uint/string keys.
#[derive(Debug, Clone, Default)]
pub struct Map {
    entries: Vec<(Value, Value)>,
    index: Option<HashMap<Key, usize>>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Self {
        Map::default()
    }

    /// Builds a map; fails on an unsupported key type or a repeated key.
    pub fn from_entries(entries: Vec<(Value, Value)>) -> EvalResult<Map> {
        let mut m = Map {
            entries: Vec::with_capacity(entries.len()),
            index: None,
        };
        for (k, v) in entries {
            if !k.is_valid_key() {
                return Err(EvalError::UnsupportedKeyType);
            }
            if m.contains_key(&k) {
                return Err(EvalError::RepeatedKey);
            }
            m.push_unchecked(k, v);
        }
        Ok(m)
    }

    /// Builds a string-keyed map (later duplicates replace earlier ones).
    /// Keys may be borrowed (`&str`): each is copied once into its `Arc<str>`,
    /// with no intermediate `String` (this runs per request for `P.attr`/`R.attr`).
    pub fn from_string_entries<K, I>(it: I) -> Map
    where
        K: Into<Arc<str>>,
        I: IntoIterator<Item = (K, Value)>,
    {
        let it = it.into_iter();
        let mut m = Map {
            entries: Vec::with_capacity(it.size_hint().0),
            index: None,
        };
        for (k, v) in it {
            m.insert(Value::String(k.into()), v);
        }
        m
    }

    /// Builds a map from entries whose keys are known to be distinct and
    /// valid (e.g. a parsed JSON object after removing repeated keys): no
    /// per-entry lookup, and the entries are kept, not copied.
    pub fn from_distinct_entries(entries: Vec<(Value, Value)>) -> Map {
        let mut m = Map {
            entries,
            index: None,
        };
        if m.entries.len() > MAP_INDEX_THRESHOLD {
            m.index = Some(
                m.entries
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (k, _))| Key::of(k).map(|key| (key, i)))
                    .collect(),
            );
        }
        m
    }

    fn push_unchecked(&mut self, k: Value, v: Value) {
        let pos = self.entries.len();
        if let Some(idx) = &mut self.index {
            if let Some(key) = Key::of(&k) {
                idx.insert(key, pos);
            }
        }
        self.entries.push((k, v));
        if self.index.is_none() && self.entries.len() > MAP_INDEX_THRESHOLD {
            let mut idx = HashMap::with_capacity(self.entries.len() * 2);
            for (i, (k, _)) in self.entries.iter().enumerate() {
                if let Some(key) = Key::of(k) {
                    idx.insert(key, i);
                }
            }
            self.index = Some(idx);
        }
    }

    /// Inserts or replaces the entry for `k`.
    pub fn insert(&mut self, k: Value, v: Value) {
        if let Some(i) = self.position(&k) {
            if let Some(e) = self.entries.get_mut(i) {
                e.1 = v;
            }
        } else {
            self.push_unchecked(k, v);
        }
    }

    fn position(&self, k: &Value) -> Option<usize> {
        if let Some(idx) = &self.index {
            return Key::of(k).and_then(|key| idx.get(&key).copied());
        }
        match k {
            Value::String(s) => self
                .entries
                .iter()
                .position(|(ek, _)| matches!(ek, Value::String(es) if es.as_ref() == s.as_ref())),
            _ => {
                let key = Key::of(k)?;
                self.entries
                    .iter()
                    .position(|(ek, _)| Key::of(ek).as_ref() == Some(&key))
            }
        }
    }

    /// The value for `k`, if present.
    pub fn get(&self, k: &Value) -> Option<&Value> {
        self.position(k)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// The value for string key `k`, if present.
    pub fn get_str(&self, k: &str) -> Option<&Value> {
        if let Some(idx) = &self.index {
            return idx
                .get(&Key::Str(Arc::from(k)))
                .and_then(|i| self.entries.get(*i))
                .map(|(_, v)| v);
        }
        self.entries
            .iter()
            .find(|(ek, _)| matches!(ek, Value::String(es) if es.as_ref() == k))
            .map(|(_, v)| v)
    }

    /// Whether `k` is a key.
    pub fn contains_key(&self, k: &Value) -> bool {
        self.position(k).is_some()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &(Value, Value)> {
        self.entries.iter()
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(k, _)| k)
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Self) -> bool {
        map_eq(self, other, 0)
    }
}

/// An IP address or prefix, and the other opaque library types.
#[derive(Debug, Clone, PartialEq)]
pub enum Opaque {
    /// `net.IP` from the network extension.
    Ip(std::net::IpAddr),
    /// `net.CIDR`: the address as written and the prefix length.
    Cidr(std::net::IpAddr, u8),
    /// `cerbos.lib.hierarchy`.
    Hierarchy(Arc<[Arc<str>]>),
    /// A SPIFFE ID: trust domain and path.
    SpiffeId(Arc<str>, Arc<str>),
    /// A SPIFFE trust domain name.
    SpiffeTrustDomain(Arc<str>),
    /// A SPIFFE ID matcher.
    SpiffeMatcher(SpiffeMatcher),
    /// `cerbos.Variables`: select-only bag of named values (V, C, G).
    Variables(Map),
}

/// What a SPIFFE matcher accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum SpiffeMatcher {
    /// Any ID.
    Any,
    /// Exactly one of these IDs (`spiffe://td/path` strings).
    OneOf(Vec<Arc<str>>),
    /// Any ID in this trust domain.
    TrustDomain(Arc<str>),
}

impl Opaque {
    /// The CEL type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Opaque::Ip(_) => "net.IP",
            Opaque::Cidr(..) => "net.CIDR",
            Opaque::Hierarchy(_) => "cerbos.lib.hierarchy",
            Opaque::SpiffeId(..) => "cerbos.lib.spiffeID",
            Opaque::SpiffeTrustDomain(_) => "cerbos.lib.spiffeTrustDomain",
            Opaque::SpiffeMatcher(_) => "cerbos.lib.spiffeMatcher",
            Opaque::Variables(_) => "cerbos.Variables",
        }
    }
}

/// A CEL value.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`
    Null,
    /// `bool`
    Bool(bool),
    /// `int` (signed 64-bit)
    Int(i64),
    /// `uint` (unsigned 64-bit)
    Uint(u64),
    /// `double`
    Double(f64),
    /// `string`
    String(Arc<str>),
    /// `bytes`
    Bytes(Arc<[u8]>),
    /// `list`
    List(Arc<[Value]>),
    /// `map`
    Map(Arc<Map>),
    /// `google.protobuf.Timestamp`
    Timestamp(Timestamp),
    /// `google.protobuf.Duration`
    Duration(Duration),
    /// A type value.
    Type(Type),
    /// `optional_type`: `None` is `optional.none()`.
    Optional(Option<Arc<Value>>),
    /// A protobuf message of the Cerbos request model.
    Message(Arc<Message>),
    /// Opaque library values (IP, CIDR, hierarchy, SPIFFE, variables).
    Opaque(Arc<Opaque>),
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<u64> for Value {
    fn from(u: u64) -> Self {
        Value::Uint(u)
    }
}
impl From<f64> for Value {
    fn from(d: f64) -> Self {
        Value::Double(d)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(Arc::from(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Arc::from(s))
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(Arc::from(v))
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Map(Arc::new(m))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        value_eq(self, other, 0)
    }
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    /// A bytes value.
    pub fn bytes(b: impl Into<Arc<[u8]>>) -> Value {
        Value::Bytes(b.into())
    }

    /// The value's CEL type.
    pub fn cel_type(&self) -> Type {
        match self {
            Value::Null => Type::Null,
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Uint(_) => Type::Uint,
            Value::Double(_) => Type::Double,
            Value::String(_) => Type::String,
            Value::Bytes(_) => Type::Bytes,
            Value::List(_) => Type::List,
            Value::Map(_) => Type::Map,
            Value::Timestamp(_) => Type::Timestamp,
            Value::Duration(_) => Type::Duration,
            Value::Type(_) => Type::Type,
            Value::Optional(_) => Type::Optional,
            Value::Message(m) => Type::Named(Arc::from(m.ty.name)),
            Value::Opaque(o) => Type::Named(Arc::from(o.type_name())),
        }
    }

    /// The CEL type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null_type",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Uint(_) => "uint",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Timestamp(_) => "google.protobuf.Timestamp",
            Value::Duration(_) => "google.protobuf.Duration",
            Value::Type(_) => "type",
            Value::Optional(_) => "optional_type",
            Value::Message(m) => m.ty.name,
            Value::Opaque(o) => o.type_name(),
        }
    }

    /// Whether the value may be a map key (cel-go also accepts doubles at
    /// run time, e.g. keys computed from JSON numbers).
    pub fn is_valid_key(&self) -> bool {
        matches!(
            self,
            Value::Bool(_) | Value::Int(_) | Value::Uint(_) | Value::Double(_) | Value::String(_)
        )
    }

    /// Whether the value is its type's zero value (for `optional.ofNonZeroValue`).
    pub fn is_zero(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Bool(b) => !b,
            Value::Int(i) => *i == 0,
            Value::Uint(u) => *u == 0,
            Value::Double(d) => *d == 0.0,
            Value::String(s) => s.is_empty(),
            Value::Bytes(b) => b.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Map(m) => m.is_empty(),
            Value::Timestamp(t) => t.secs == 0 && t.nanos == 0,
            Value::Duration(d) => d.nanos == 0,
            Value::Optional(o) => o.is_none(),
            Value::Message(m) => m.fields.iter().all(|f| f.is_none()),
            Value::Type(_) | Value::Opaque(_) => false,
        }
    }

    /// Converts a JSON value the way Cerbos turns `google.protobuf.Value`
    /// into CEL: numbers become doubles, objects string-keyed maps.
    pub fn from_json(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
            serde_json::Value::Array(a) => {
                Value::List(a.iter().map(Value::from_json).collect::<Vec<_>>().into())
            }
            serde_json::Value::Object(o) => Value::Map(Arc::new(Map::from_string_entries(
                o.iter().map(|(k, v)| (k.as_str(), Value::from_json(v))),
            ))),
        }
    }

    /// Renders the value as Cerbos renders outputs (cel-go's conversion to
    /// `google.protobuf.Value`, checked against Cerbos 0.55): numbers as
    /// JSON numbers (ints beyond ±(2^53-1) as decimal strings), bytes
    /// base64, timestamps RFC 3339 in their written offset, durations
    /// `"1.5s"`, optionals as their value. A value with no JSON form
    /// anywhere inside (a type, an IP, a hierarchy, a map with non-string
    /// keys, `optional.none()`) is an error with cel-go's conversion
    /// message, which Cerbos reports as the output's error; NaN and
    /// infinities are an error too (Cerbos fails the request).
    pub fn to_json(&self) -> EvalResult<serde_json::Value> {
        to_json_depth(self, 0)
    }
}

fn to_json_depth(v: &Value, depth: usize) -> EvalResult<serde_json::Value> {
    use serde_json::Value as J;
    if depth > MAX_VALUE_DEPTH {
        return Err(EvalError::msg("value nesting too deep"));
    }
    Ok(match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => {
            if i.unsigned_abs() <= MAX_SAFE_INT {
                J::Number((*i).into())
            } else {
                J::String(i.to_string())
            }
        }
        Value::Uint(u) => {
            if *u <= MAX_SAFE_INT {
                J::Number((*u).into())
            } else {
                J::String(u.to_string())
            }
        }
        Value::Double(d) => number(*d)?,
        Value::String(s) => J::String(s.to_string()),
        Value::Bytes(b) => J::String(super::functions::base64_encode(b)),
        Value::List(l) => J::Array(
            l.iter()
                .map(|e| to_json_depth(e, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => {
            let mut o = serde_json::Map::new();
            for (k, val) in m.iter() {
                // cel-go converts each key to a Go string.
                let key = match k {
                    Value::String(key) => key,
                    Value::Int(_) | Value::Uint(_) => {
                        return Err(EvalError::msg(format!(
                            "unsupported type conversion from '{}' to string",
                            k.type_name()
                        )))
                    }
                    Value::Bool(_) => {
                        return Err(EvalError::msg(
                            "type conversion error from bool to 'string'",
                        ))
                    }
                    other => {
                        return Err(EvalError::msg(format!(
                            "type conversion error from {} to 'string'",
                            other.type_name()
                        )))
                    }
                };
                o.insert(key.to_string(), to_json_depth(val, depth + 1)?);
            }
            J::Object(o)
        }
        Value::Timestamp(t) => J::String(t.to_rfc3339()),
        Value::Duration(d) => J::String(d.to_proto_json()),
        Value::Optional(o) => match o {
            Some(inner) => to_json_depth(inner, depth + 1)?,
            None => return Err(EvalError::msg("optional.none() dereference")),
        },
        Value::Message(m) => {
            let mut o = serde_json::Map::new();
            for (i, f) in m.ty.fields.iter().enumerate() {
                if m.has(i) {
                    let fv = m.get(i)?;
                    o.insert(f.json_name.to_string(), to_json_depth(&fv, depth + 1)?);
                }
            }
            J::Object(o)
        }
        Value::Opaque(op) => {
            let native = |go: &str| {
                EvalError::msg(format!(
                    "unsupported native conversion from {go} to '*structpb.Value'"
                ))
            };
            return Err(match op.as_ref() {
                Opaque::Variables(m) => {
                    return to_json_depth(&Value::Map(Arc::new(m.clone())), depth)
                }
                Opaque::Ip(_) | Opaque::Cidr(..) => {
                    EvalError::msg("unsupported type conversion to '*structpb.Value'")
                }
                Opaque::Hierarchy(_) => native("hierarchy"),
                Opaque::SpiffeId(..) => native("SPIFFEID"),
                Opaque::SpiffeTrustDomain(_) => native("SPIFFETrustDomain"),
                Opaque::SpiffeMatcher(_) => native("SPIFFEMatcher"),
            });
        }
        Value::Type(_) => return Err(EvalError::msg("type conversion not supported for 'type'")),
    })
}

/// Largest integer a JSON number carries exactly (2^53 - 1).
const MAX_SAFE_INT: u64 = 9_007_199_254_740_991;

fn number(d: f64) -> EvalResult<serde_json::Value> {
    // protojson prints integral doubles without a fraction.
    if d.fract() == 0.0 && d.abs() < 9_007_199_254_740_992.0 {
        return Ok(serde_json::Value::Number((d as i64).into()));
    }
    serde_json::Number::from_f64(d)
        .map(serde_json::Value::Number)
        .ok_or_else(|| {
            // protobuf-go's wording, with its non-breaking space.
            EvalError::msg(format!(
                "proto:\u{a0}google.protobuf.Value.number_value: invalid {} value",
                if d.is_nan() {
                    "NaN"
                } else if d > 0.0 {
                    "+Inf"
                } else {
                    "-Inf"
                }
            ))
        })
}

/// CEL equality (heterogeneous numeric equality; different kinds are unequal).
pub fn value_eq(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_VALUE_DEPTH {
        return false;
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::Int(_) | Value::Uint(_) | Value::Double(_), _) => {
            numeric_cmp(a, b) == Some(Ordering::Equal)
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| value_eq(p, q, depth + 1))
        }
        (Value::Map(x), Value::Map(y)) => map_eq(x, y, depth + 1),
        (Value::Timestamp(x), Value::Timestamp(y)) => x == y,
        (Value::Duration(x), Value::Duration(y)) => x == y,
        (Value::Type(x), Value::Type(y)) => x.name() == y.name(),
        (Value::Optional(x), Value::Optional(y)) => match (x, y) {
            (None, None) => true,
            (Some(p), Some(q)) => value_eq(p, q, depth + 1),
            _ => false,
        },
        (Value::Message(x), Value::Message(y)) => {
            std::ptr::eq(x.ty, y.ty)
                && (0..x.ty.fields.len()).all(|i| match (x.get(i), y.get(i)) {
                    (Ok(p), Ok(q)) => value_eq(&p, &q, depth + 1),
                    _ => false,
                })
        }
        (Value::Opaque(x), Value::Opaque(y)) => match (x.as_ref(), y.as_ref()) {
            (Opaque::Ip(p), Opaque::Ip(q)) => super::net::ip_eq(p, q),
            (Opaque::Cidr(p, l), Opaque::Cidr(q, m)) => p == q && l == m,
            (Opaque::Hierarchy(p), Opaque::Hierarchy(q)) => p == q,
            (Opaque::SpiffeId(t1, p1), Opaque::SpiffeId(t2, p2)) => t1 == t2 && p1 == p2,
            (Opaque::SpiffeTrustDomain(p), Opaque::SpiffeTrustDomain(q)) => p == q,
            (Opaque::Variables(p), Opaque::Variables(q)) => map_eq(p, q, depth + 1),
            _ => false,
        },
        _ => false,
    }
}

fn map_eq(x: &Map, y: &Map, depth: usize) -> bool {
    if x.len() != y.len() {
        return false;
    }
    x.iter().all(|(k, v)| match y.get(k) {
        Some(w) => value_eq(v, w, depth),
        None => false,
    })
}

/// Compares two numbers of any numeric kinds exactly (no rounding through
/// doubles for int/uint pairs). `None` for NaN or non-numbers.
pub fn numeric_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Uint(x), Value::Uint(y)) => Some(x.cmp(y)),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y),
        (Value::Int(x), Value::Uint(y)) => Some(cmp_int_uint(*x, *y)),
        (Value::Uint(x), Value::Int(y)) => Some(cmp_int_uint(*y, *x).reverse()),
        (Value::Int(x), Value::Double(y)) => cmp_int_double(*x, *y),
        (Value::Double(x), Value::Int(y)) => cmp_int_double(*y, *x).map(Ordering::reverse),
        (Value::Uint(x), Value::Double(y)) => cmp_uint_double(*x, *y),
        (Value::Double(x), Value::Uint(y)) => cmp_uint_double(*y, *x).map(Ordering::reverse),
        _ => None,
    }
}

fn cmp_int_uint(i: i64, u: u64) -> Ordering {
    match u64::try_from(i) {
        Ok(iu) => iu.cmp(&u),
        Err(_) => Ordering::Less,
    }
}

// cel-go compares ints and uints with doubles by converting to double
// (after range checks), so `9223372036854775807 == 9223372036854775808.0`.
fn cmp_int_double(i: i64, d: f64) -> Option<Ordering> {
    if d.is_nan() {
        return None;
    }
    if d < -9.223_372_036_854_776e18 {
        return Some(Ordering::Greater);
    }
    if d > 9.223_372_036_854_776e18 {
        return Some(Ordering::Less);
    }
    (i as f64).partial_cmp(&d)
}

fn cmp_uint_double(u: u64, d: f64) -> Option<Ordering> {
    if d.is_nan() {
        return None;
    }
    if d < 0.0 {
        return Some(Ordering::Greater);
    }
    if d > 1.844_674_407_370_955_2e19 {
        return Some(Ordering::Less);
    }
    (u as f64).partial_cmp(&d)
}

/// CEL ordering for `<`, `<=`, `>`, `>=`: numbers (mixed kinds), strings,
/// bytes, bools, timestamps, durations. Errors for other kinds or NaN.
pub fn value_cmp(a: &Value, b: &Value) -> EvalResult<Ordering> {
    match (a, b) {
        (
            Value::Int(_) | Value::Uint(_) | Value::Double(_),
            Value::Int(_) | Value::Uint(_) | Value::Double(_),
        ) => numeric_cmp(a, b).ok_or_else(|| EvalError::msg("NaN values cannot be ordered")),
        (Value::String(x), Value::String(y)) => Ok(x.as_ref().cmp(y.as_ref())),
        (Value::Bytes(x), Value::Bytes(y)) => Ok(x.as_ref().cmp(y.as_ref())),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Ok(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Ok(x.cmp(y)),
        _ => Err(EvalError::NoSuchOverload),
    }
}

/// Checks that `pattern` is a valid regular expression for `matches` and
/// the regex extension (RE2 syntax as far as the engine supports it).
pub fn validate_regex(pattern: &str) -> Result<(), String> {
    super::functions::compile_regex(pattern)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heterogeneous_numeric_equality() {
        assert_eq!(Value::Int(1), Value::Double(1.0));
        assert_eq!(Value::Uint(1), Value::Int(1));
        assert_ne!(Value::Int(-1), Value::Uint(u64::MAX));
        assert_ne!(Value::Double(f64::NAN), Value::Double(f64::NAN));
        assert_eq!(
            value_cmp(&Value::Uint(1), &Value::Double(2.0)),
            Ok(Ordering::Less)
        );
    }

    #[test]
    fn map_keys_normalise_numbers() {
        let m = Map::from_entries(vec![(Value::Int(1), Value::from("a"))]).expect("map");
        assert_eq!(m.get(&Value::Uint(1)), Some(&Value::from("a")));
        assert_eq!(m.get(&Value::Double(1.0)), Some(&Value::from("a")));
        assert!(m.get(&Value::Double(1.5)).is_none());
        assert!(Map::from_entries(vec![
            (Value::Int(1), Value::Null),
            (Value::Uint(1), Value::Null)
        ])
        .is_err());
    }

    #[test]
    fn json_round_trip() {
        let j = serde_json::json!({"a": [1, "x", null, true], "b": {"c": 2.5}});
        let v = Value::from_json(&j);
        assert_eq!(v.to_json().expect("json"), j.clone());
        if let Value::Map(m) = &v {
            assert!(matches!(m.get_str("b"), Some(Value::Map(_))));
        } else {
            panic!("not a map");
        }
    }
}
