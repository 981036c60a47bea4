//! The CEL abstract syntax tree: the contract between the compile-side parser
//! and checker and the runtime interpreter.
//!
//! The tree has the shape of cel-go's `Expr` after macro expansion: operators
//! are calls to functions with cel-go's internal names (`_+_`, `_&&_`,
//! `_[_]`, `@in`, `_?_:_`, `!_`, `-_`, …), macros (`all`, `exists`, `map`,
//! `filter`, `exists_one`, `cel.bind`, two-variable comprehensions) are
//! already expanded into [`ExprKind::Comprehension`], and `has(x.f)` is a
//! [`ExprKind::Select`] with `test_only` set. The bundle stores this tree as
//! compact JSON, so the runtime never sees source text.

use serde::Serialize;

/// Identifier the parser gives each node; unique within one expression.
///
/// Ids let compile-time diagnostics point back at source offsets (see
/// [`SourceInfo`]); they carry no meaning at run time and are not serialized.
pub type ExprId = u32;

/// One node of a CEL expression.
///
/// Serialized as its [`ExprKind`] alone (`{"lit": ..}`, `{"call": ..}`);
/// read back by `crate::bundle::read_expr` (hand-written: derived
/// deserializers cost the runtime wasm tens of KB).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Expr {
    /// Node id, for mapping diagnostics to source positions.
    #[serde(skip)]
    pub id: ExprId,
    /// What the node is.
    pub kind: ExprKind,
}

impl Expr {
    /// Sets every node id to 0: ids are not serialized, so trees are compared
    /// without them after a JSON round trip.
    pub fn clear_ids(&mut self) {
        self.id = 0;
        for child in self.kind.children_mut() {
            child.clear_ids();
        }
    }

    /// Number of nodes on the longest path from this node to a leaf.
    ///
    /// The compiler compares it with the runtime's nesting limit so that an
    /// expression the runtime would refuse is reported at compile time.
    pub fn height(&self) -> usize {
        1 + self
            .kind
            .children()
            .into_iter()
            .map(Expr::height)
            .max()
            .unwrap_or(0)
    }
}

impl ExprKind {
    /// The node's direct sub-expressions, mutably, in [`ExprKind::children`] order.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            ExprKind::Literal(_) | ExprKind::Ident(_) => Vec::new(),
            ExprKind::Select { operand, .. } => vec![operand],
            ExprKind::Call { target, args, .. } => target
                .iter_mut()
                .map(|t| &mut **t)
                .chain(args.iter_mut())
                .collect(),
            ExprKind::List { elements, .. } => elements.iter_mut().collect(),
            ExprKind::Map { entries } => entries
                .iter_mut()
                .flat_map(|e| [&mut e.key, &mut e.value])
                .collect(),
            ExprKind::Struct { fields, .. } => fields.iter_mut().map(|f| &mut f.value).collect(),
            ExprKind::Comprehension(c) => {
                let c = &mut **c;
                vec![
                    &mut c.iter_range,
                    &mut c.accu_init,
                    &mut c.loop_condition,
                    &mut c.loop_step,
                    &mut c.result,
                ]
            }
        }
    }

    /// The node's direct sub-expressions, receiver first.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            ExprKind::Literal(_) | ExprKind::Ident(_) => Vec::new(),
            ExprKind::Select { operand, .. } => vec![operand],
            ExprKind::Call { target, args, .. } => {
                target.iter().map(|t| &**t).chain(args.iter()).collect()
            }
            ExprKind::List { elements, .. } => elements.iter().collect(),
            ExprKind::Map { entries } => entries.iter().flat_map(|e| [&e.key, &e.value]).collect(),
            ExprKind::Struct { fields, .. } => fields.iter().map(|f| &f.value).collect(),
            ExprKind::Comprehension(c) => vec![
                &c.iter_range,
                &c.accu_init,
                &c.loop_condition,
                &c.loop_step,
                &c.result,
            ],
        }
    }
}

/// The kinds of CEL expression nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ExprKind {
    /// A literal value.
    #[serde(rename = "lit")]
    Literal(Literal),
    /// A (possibly dotted, for namespaced names) identifier such as `request` or `R`.
    #[serde(rename = "id")]
    Ident(String),
    /// Field selection `operand.field`, `has(operand.field)` when `test_only`,
    /// or optional selection `operand.?field` when `optional`.
    #[serde(rename = "sel")]
    Select {
        /// The value the field is selected from.
        operand: Box<Expr>,
        /// The field name.
        field: String,
        /// `has()` presence test rather than a read.
        #[serde(default, skip_serializing_if = "is_false")]
        test_only: bool,
        /// `.?field`: yields an optional instead of failing when absent.
        #[serde(default, skip_serializing_if = "is_false")]
        optional: bool,
    },
    /// A function or operator call, global (`size(x)`) or receiver-style (`x.size()`).
    #[serde(rename = "call")]
    Call {
        /// Receiver for member-style calls.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Box<Expr>>,
        /// Function name; operators use cel-go's internal names.
        function: String,
        /// Arguments, not counting the receiver.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<Expr>,
    },
    /// A list literal `[a, b, ?c]`.
    #[serde(rename = "list")]
    List {
        /// Elements in order.
        elements: Vec<Expr>,
        /// Indices of elements written `?e` (included only when the optional has a value).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        optional_indices: Vec<u32>,
    },
    /// A map literal `{k: v, ?k2: v2}`.
    #[serde(rename = "map")]
    Map {
        /// Entries in source order.
        entries: Vec<MapEntry>,
    },
    /// A message construction `TypeName{field: value}`.
    #[serde(rename = "struct")]
    Struct {
        /// Fully qualified message type name as written.
        type_name: String,
        /// Field initialisers in source order.
        fields: Vec<StructField>,
    },
    /// A fold: the expanded form of every macro.
    #[serde(rename = "comp")]
    Comprehension(Box<Comprehension>),
}

/// One `key: value` entry of a map literal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapEntry {
    /// Key expression.
    pub key: Expr,
    /// Value expression.
    pub value: Expr,
    /// `?key: value`: the entry is present only when the value optional has a value.
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
}

/// One `field: value` initialiser of a message construction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StructField {
    /// Field name.
    pub field: String,
    /// Value expression.
    pub value: Expr,
    /// `?field: value` optional initialiser.
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
}

/// cel-go's comprehension: the single loop construct every macro expands to.
///
/// Evaluation: `accu = accu_init`; for each element of `iter_range` (for maps,
/// each key; with `iter_var2`, index/key and value) bind the iteration
/// variables, stop when `loop_condition` is false, else `accu = loop_step`;
/// finally evaluate `result` with `accu` in scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comprehension {
    /// First iteration variable (element for lists, key for maps; index when `iter_var2` is set).
    pub iter_var: String,
    /// Second iteration variable of two-variable comprehensions (value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iter_var2: Option<String>,
    /// The list or map iterated over.
    pub iter_range: Expr,
    /// Accumulator variable name (cel-go uses `@result`).
    pub accu_var: String,
    /// Initial accumulator value.
    pub accu_init: Expr,
    /// Continue while this is true.
    pub loop_condition: Expr,
    /// Next accumulator value.
    pub loop_step: Expr,
    /// The comprehension's value, computed from the accumulator.
    pub result: Expr,
}

/// Literal constants.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// Signed 64-bit integer.
    Int(i64),
    /// Unsigned 64-bit integer (`1u`).
    Uint(u64),
    /// IEEE-754 double; serialized as a JSON number when finite, else as
    /// the string `"NaN"`, `"Infinity"` or `"-Infinity"`.
    Double(#[serde(with = "double_repr")] f64),
    /// UTF-8 string.
    String(String),
    /// Byte string, serialized as an array of numbers.
    Bytes(Vec<u8>),
}

/// Byte offsets of nodes in the source text, for compile-time diagnostics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceInfo {
    /// `(node id, byte offset of the node in the expression text)` pairs.
    pub positions: Vec<(ExprId, u32)>,
}

impl SourceInfo {
    /// Byte offset of node `id`, if recorded.
    pub fn offset_of(&self, id: ExprId) -> Option<u32> {
        self.positions
            .iter()
            .find(|(node, _)| *node == id)
            .map(|(_, off)| *off)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

mod double_repr {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v > 0.0 {
            s.serialize_str("Infinity")
        } else {
            s.serialize_str("-Infinity")
        }
    }
}
