//! Prepared CEL programs.
//!
//! [`Program::prepare`] turns a checked [`Expr`] into a plan the interpreter
//! walks without any string lookups: variables become slot or local-frame
//! indices, functions become function pointers, literals become values,
//! and fields of known message types become field indices.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{Expr, ExprKind, Literal};
use super::functions::{self, FnImpl};
use super::value::{EvalError, EvalResult, MessageType, Timestamp, Type, Value};

/// Deepest expression tree [`Program::prepare`] accepts; the interpreter
/// recurses along the tree, so this bounds its stack use.
pub const MAX_EXPR_DEPTH: usize = 128;

/// Default evaluation budget: comprehension iterations plus sizes of
/// produced strings, bytes and lists.
pub const DEFAULT_BUDGET: u64 = 10_000_000;

/// Static type of a declared variable, used to resolve message fields at
/// prepare time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclType {
    /// Any value.
    Dyn,
    /// A message of this type.
    Message(&'static MessageType),
}

#[derive(Debug, Clone)]
struct Decl {
    slot: usize,
    ty: DeclType,
}

/// Top-level variable declarations: names (and aliases) mapped to slots of
/// the [`Activation`].
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    names: HashMap<String, Decl>,
    slots: usize,
    container: String,
    /// (message slot, field index, projection slot): see [`Declarations::project`].
    projections: Vec<(usize, usize, usize)>,
}

impl Declarations {
    /// No declarations.
    pub fn new() -> Self {
        Declarations::default()
    }

    /// Declares `name` in a new slot and returns the slot index.
    pub fn declare(&mut self, name: &str, ty: DeclType) -> usize {
        let slot = self.slots;
        self.slots += 1;
        self.names.insert(name.to_string(), Decl { slot, ty });
        slot
    }

    /// Makes `alias` another name for the slot of `existing` (no-op if unknown).
    pub fn alias(&mut self, alias: &str, existing: &str) {
        if let Some(d) = self.names.get(existing).cloned() {
            self.names.insert(alias.to_string(), d);
        }
    }

    /// Declares a projection slot: a slot that holds field `field` of the
    /// message in slot `message`, so that a path through that field starts
    /// at the projection instead of walking the message. The caller of
    /// [`Program::eval`] must set the projection to exactly that field's
    /// value whenever the program reads it (see [`Program::slots_read`]);
    /// the message slot itself then need not be set unless read whole.
    pub fn project(&mut self, message: usize, field: usize) -> usize {
        let slot = self.slots;
        self.slots += 1;
        self.project_to(message, field, slot);
        slot
    }

    /// Makes the existing slot `slot` the projection of field `field` of
    /// the message in slot `message` (see [`Declarations::project`]), e.g.
    /// a variable that is also a field of another.
    pub fn project_to(&mut self, message: usize, field: usize, slot: usize) {
        self.projections.push((message, field, slot));
    }

    /// The projection slot of field `field` of the message in slot `message`.
    fn projection(&self, message: usize, field: usize) -> Option<usize> {
        self.projections
            .iter()
            .find(|&&(m, f, _)| m == message && f == field)
            .map(|&(_, _, slot)| slot)
    }

    /// Sets the container (namespace) used to resolve unqualified names.
    pub fn set_container(&mut self, container: &str) {
        self.container = container.to_string();
    }

    /// Slot of `name`, if declared.
    pub fn slot(&self, name: &str) -> Option<usize> {
        self.names.get(name).map(|d| d.slot)
    }

    /// Number of slots an [`Activation`] for these declarations needs.
    pub fn slot_count(&self) -> usize {
        self.slots
    }

    /// Candidate fully qualified names for `name` in the container, most
    /// specific first (cel-go's resolution order).
    fn candidates(&self, name: &str) -> Vec<String> {
        if let Some(abs) = name.strip_prefix('.') {
            return vec![abs.to_string()];
        }
        let mut out = Vec::new();
        let mut prefix = self.container.as_str();
        while !prefix.is_empty() {
            out.push(format!("{prefix}.{name}"));
            prefix = match prefix.rfind('.') {
                Some(i) => &prefix[..i],
                None => "",
            };
        }
        out.push(name.to_string());
        out
    }

    fn lookup(&self, name: &str) -> Option<&Decl> {
        self.candidates(name)
            .iter()
            .find_map(|c| self.names.get(c.as_str()))
    }
}

/// Slots an [`Activation`] holds inline.
const INLINE_SLOTS: usize = 18;

/// Values of the declared variables for one evaluation, the fixed `now`
/// and the evaluation budget.
#[derive(Debug, Clone)]
pub struct Activation {
    /// The first [`INLINE_SLOTS`] slots, inline so that an activation costs
    /// no allocation (Cerbos declares 7 variables and 11 projections).
    inline: [Option<Value>; INLINE_SLOTS],
    /// Slots past the inline ones.
    more: Vec<Option<Value>>,
    /// Number of slots: the inline ones past it stay unset.
    count: usize,
    now: Option<Timestamp>,
    budget: Cell<u64>,
    /// Set when `now()`/`timeSince` read the time (the test runner errors a
    /// test whose policy used an unset `now`).
    now_read: Cell<bool>,
}

impl Activation {
    /// An activation with `slot_count` unset slots and the default budget.
    pub fn new(slot_count: usize) -> Self {
        Activation {
            inline: Default::default(),
            more: vec![None; slot_count.saturating_sub(INLINE_SLOTS)],
            count: slot_count,
            now: None,
            budget: Cell::new(DEFAULT_BUDGET),
            now_read: Cell::new(false),
        }
    }

    /// Sets the value of `slot` (ignored when out of range).
    pub fn set(&mut self, slot: usize, v: Value) {
        if let Some(s) = self.slot_mut(slot) {
            *s = Some(v);
        }
    }

    /// Unsets `slot`, dropping its value.
    pub fn unset(&mut self, slot: usize) {
        if let Some(s) = self.slot_mut(slot) {
            *s = None;
        }
    }

    /// Storage of `slot`, `None` past the activation's slots.
    fn slot_mut(&mut self, slot: usize) -> Option<&mut Option<Value>> {
        match slot.checked_sub(INLINE_SLOTS) {
            None if slot < self.count => self.inline.get_mut(slot),
            None => None,
            Some(i) => self.more.get_mut(i),
        }
    }

    /// Value of `slot`, if set.
    pub fn get(&self, slot: usize) -> Option<&Value> {
        match slot.checked_sub(INLINE_SLOTS) {
            None => self.inline.get(slot),
            Some(i) => self.more.get(i),
        }
        .and_then(|s| s.as_ref())
    }

    /// Sets the timestamp `now()` and `timeSince` use.
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = Some(now);
    }

    /// The fixed `now`, if set. Counts as a read of the time (see
    /// [`Activation::now_was_read`]).
    pub fn now(&self) -> Option<Timestamp> {
        self.now_read.set(true);
        self.now
    }

    /// Whether an expression read the time through this activation.
    pub fn now_was_read(&self) -> bool {
        self.now_read.get()
    }

    /// Sets the remaining evaluation budget.
    pub fn set_budget(&mut self, budget: u64) {
        self.budget.set(budget);
    }

    /// Remaining evaluation budget.
    pub fn budget(&self) -> u64 {
        self.budget.get()
    }

    /// Charges `cost` units; errors once the budget is exhausted.
    pub fn charge(&self, cost: u64) -> Result<(), EvalError> {
        let left = self.budget.get();
        if cost > left {
            self.budget.set(0);
            return Err(EvalError::CostLimitExceeded);
        }
        self.budget.set(left - cost);
        Ok(())
    }
}

/// Why an expression could not be prepared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PrepareError {
    /// An identifier that is neither declared, a comprehension variable nor a type.
    #[error("undeclared reference to '{0}'")]
    UndeclaredReference(String),
    /// A function (with this arity and call style) the runtime does not provide.
    #[error("undeclared function '{0}'")]
    UnknownFunction(String),
    /// Message construction: the runtime has no message types to build.
    #[error("unknown type '{0}'")]
    UnknownType(String),
    /// The expression nests deeper than [`MAX_EXPR_DEPTH`].
    #[error("expression nested too deeply")]
    TooDeep,
    /// A malformed tree (e.g. wrong operator arity).
    #[error("malformed expression: {0}")]
    Malformed(String),
}

/// One step of a prepared plan.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Const(Value),
    /// A reference the runtime cannot bind (unknown identifier or function):
    /// an error when evaluated, like cel-go's unchecked evaluation.
    Error(EvalError),
    Slot(usize, Arc<str>),
    Local(usize),
    /// Field `idx` of a value statically known to be a message of type `ty`.
    Field {
        operand: Box<Node>,
        ty: &'static MessageType,
        idx: usize,
        name: Arc<str>,
    },
    Select {
        operand: Box<Node>,
        field: Arc<str>,
        test_only: bool,
        optional: bool,
    },
    /// A chain of field/key selections from a variable, walked by reference
    /// so only the final value is cloned.
    Path {
        root: Box<Node>,
        steps: Vec<PathStep>,
    },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    NotStrictlyFalse(Box<Node>),
    Not(Box<Node>),
    Call {
        func: FnImpl,
        name: Arc<str>,
        args: Vec<Node>,
        /// Evaluated with error arguments instead of propagating them
        /// (cel-go's non-strict overloads), see [`non_strict`].
        non_strict: bool,
    },
    /// A regex function whose constant pattern was compiled at prepare time.
    Regex {
        func: functions::RegexFn,
        name: Arc<str>,
        args: Vec<Node>,
        re: Arc<super::re2::Compiled>,
    },
    /// `==`, `!=`, `in` on operands borrowed where possible.
    Rel {
        op: RelOp,
        a: Box<Node>,
        b: Box<Node>,
    },
    /// `optional.or` / `optional.orValue`: the argument is evaluated lazily.
    OptOr {
        target: Box<Node>,
        alt: Box<Node>,
        or_value: bool,
    },
    List {
        elems: Vec<Node>,
        optional: Vec<bool>,
    },
    Map {
        entries: Vec<(Node, Node, bool)>,
    },
    Comprehension(Box<CompNode>),
}

/// Operators of [`Node::Rel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RelOp {
    Eq,
    Ne,
    In,
}

/// One step of a [`Node::Path`].
#[derive(Debug, Clone)]
pub(crate) enum PathStep {
    /// Field `idx` of a message statically known to be of type `ty`.
    Field {
        ty: &'static MessageType,
        idx: usize,
        name: Arc<str>,
    },
    /// `.name` on a map, message or variables object.
    Key(Arc<str>),
}

fn path_push(op: Node, step: PathStep) -> Node {
    match op {
        Node::Path { root, mut steps } => {
            steps.push(step);
            Node::Path { root, steps }
        }
        root @ (Node::Slot(..) | Node::Local(_)) => Node::Path {
            root: Box::new(root),
            steps: vec![step],
        },
        other => match step {
            PathStep::Field { ty, idx, name } => Node::Field {
                operand: Box::new(other),
                ty,
                idx,
                name,
            },
            PathStep::Key(field) => Node::Select {
                operand: Box::new(other),
                field,
                test_only: false,
                optional: false,
            },
        },
    }
}

/// Adds the slots `n` reads to `mask` (see [`Program::slots_read`]).
fn collect_slots(n: &Node, mask: &mut u64) {
    let all = |nodes: &[Node], mask: &mut u64| nodes.iter().for_each(|c| collect_slots(c, mask));
    match n {
        Node::Const(_) | Node::Error(_) | Node::Local(_) => {}
        Node::Slot(i, _) => *mask |= 1 << (*i).min(63),
        Node::Field { operand, .. } | Node::Select { operand, .. } => collect_slots(operand, mask),
        Node::Path { root, .. } => collect_slots(root, mask),
        Node::NotStrictlyFalse(x) | Node::Not(x) => collect_slots(x, mask),
        Node::And(a, b) | Node::Or(a, b) | Node::Rel { a, b, .. } => {
            collect_slots(a, mask);
            collect_slots(b, mask);
        }
        Node::OptOr { target, alt, .. } => {
            collect_slots(target, mask);
            collect_slots(alt, mask);
        }
        Node::Cond(c, t, f) => {
            collect_slots(c, mask);
            collect_slots(t, mask);
            collect_slots(f, mask);
        }
        Node::Call { args, .. } | Node::Regex { args, .. } | Node::List { elems: args, .. } => {
            all(args, mask)
        }
        Node::Map { entries } => {
            for (k, v, _) in entries {
                collect_slots(k, mask);
                collect_slots(v, mask);
            }
        }
        Node::Comprehension(c) => {
            for x in [&c.range, &c.init, &c.cond, &c.step, &c.result] {
                collect_slots(x, mask);
            }
            match &c.append {
                Some(Append::Map(e)) => collect_slots(e, mask),
                Some(Append::Filter(p, e)) => {
                    collect_slots(p, mask);
                    collect_slots(e, mask);
                }
                None => {}
            }
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct CompNode {
    pub iter_var: usize,
    pub iter_var2: Option<usize>,
    pub range: Node,
    pub accu: usize,
    pub init: Node,
    pub cond: Node,
    pub step: Node,
    pub result: Node,
    /// Set for the list-building shapes of `map`/`filter`, evaluated by
    /// appending in place instead of re-copying the accumulator.
    pub append: Option<Append>,
}

/// List-building comprehension steps.
#[derive(Debug, Clone)]
pub(crate) enum Append {
    /// `accu + [elem]`
    Map(Node),
    /// `pred ? accu + [elem] : accu`
    Filter(Node, Node),
}

/// `accu + [e]` → `e`, moved out of the step; the step comes back unchanged
/// when it has another shape.
fn take_appended_elem(accu: usize, n: Node) -> Result<Node, Node> {
    match n {
        Node::Call {
            func,
            name,
            mut args,
            non_strict,
        } if name.as_ref() == "_+_" && args.len() == 2 => {
            let elem = match args.as_mut_slice() {
                [Node::Local(a), Node::List { elems, optional }]
                    if *a == accu && elems.len() == 1 && optional.iter().all(|o| !o) =>
                {
                    elems.pop()
                }
                [Node::Local(a), Node::Const(Value::List(l))] if *a == accu && l.len() == 1 => {
                    l.first().cloned().map(Node::Const)
                }
                _ => None,
            };
            elem.ok_or(Node::Call {
                func,
                name,
                args,
                non_strict,
            })
        }
        other => Err(other),
    }
}

/// Splits a `map`/`filter` step into an [`Append`] when the comprehension
/// has that shape. The parts are moved, not copied: copying would double
/// the plan at every level of nested `map`s.
fn append_shape(
    accu: usize,
    init: &Node,
    cond: &Node,
    step: Node,
    result: &Node,
) -> Result<Append, Node> {
    let empty_init = matches!(init, Node::Const(Value::List(l)) if l.is_empty());
    let always = matches!(cond, Node::Const(Value::Bool(true)));
    let returns_accu = matches!(result, Node::Local(a) if *a == accu);
    if !(empty_init && always && returns_accu) {
        return Err(step);
    }
    let step = match take_appended_elem(accu, step) {
        Ok(e) => return Ok(Append::Map(e)),
        Err(step) => step,
    };
    match step {
        Node::Cond(p, t, f) if matches!(f.as_ref(), Node::Local(a) if *a == accu) => {
            match take_appended_elem(accu, *t) {
                Ok(e) => Ok(Append::Filter(*p, e)),
                Err(t) => Err(Node::Cond(p, Box::new(t), f)),
            }
        }
        other => Err(other),
    }
}

/// A prepared, immutable, shareable evaluation plan.
#[derive(Debug, Clone)]
pub struct Program {
    pub(crate) root: Node,
    pub(crate) locals: usize,
    /// Bit `i` set: the plan reads slot `i` (every bit from 63 on stands
    /// for slots 63 and above).
    slots_read: u64,
    /// Set when cel-go could not plan the expression, see [`plan_failure`].
    plan_error: Option<EvalError>,
}

#[derive(Debug, Clone, Copy)]
enum StaticTy {
    Dyn,
    Msg(&'static MessageType),
}

struct Preparer<'d> {
    decls: &'d Declarations,
    /// Comprehension variables in scope: (name, local index), innermost last.
    scopes: Vec<(String, usize)>,
    next_local: usize,
    max_locals: usize,
}

impl Program {
    /// Prepares `expr` against `decls`.
    pub fn prepare(expr: &Expr, decls: &Declarations) -> Result<Program, PrepareError> {
        let mut p = Preparer {
            decls,
            scopes: Vec::new(),
            next_local: 0,
            max_locals: 0,
        };
        let (root, _) = p.node(expr, 0)?;
        let mut slots_read = 0;
        collect_slots(&root, &mut slots_read);
        Ok(Program {
            root,
            locals: p.max_locals,
            slots_read,
            plan_error: plan_failure(expr),
        })
    }

    /// The slots the plan reads, as a bit set (bit `i` for slot `i`; slots
    /// from 63 on share bit 63). An activation needs only these set.
    pub fn slots_read(&self) -> u64 {
        self.slots_read
    }

    /// Evaluates the plan over `act`.
    pub fn eval(&self, act: &Activation) -> Result<Value, EvalError> {
        if let Some(e) = &self.plan_error {
            return Err(e.clone());
        }
        super::interp::run(self, act)
    }

    /// The error that keeps cel-go from building a program for the
    /// expression at all (so Cerbos never evaluates it, and logs no
    /// evaluation error for it): see [`plan_failure`].
    pub fn plan_error(&self) -> Option<&EvalError> {
        self.plan_error.as_ref()
    }
}

/// cel-go (with the `OptOptimize` Cerbos sets) evaluates type conversions of
/// constant arguments while planning, and a failing one makes the program
/// fail to build. Cerbos first folds constants, which prunes the branches a
/// literal `true`/`false` short-circuits, so a conversion there never runs.
fn plan_failure(e: &Expr) -> Option<EvalError> {
    if let ExprKind::Call {
        target: None,
        function,
        args,
    } = &e.kind
    {
        let literal_bool = |x: &Expr| match &x.kind {
            ExprKind::Literal(Literal::Bool(b)) => Some(*b),
            _ => None,
        };
        match (function.as_str(), args.as_slice()) {
            ("_||_", [a, b]) if literal_bool(a) == Some(true) || literal_bool(b) == Some(true) => {
                return None
            }
            ("_&&_", [a, b])
                if literal_bool(a) == Some(false) || literal_bool(b) == Some(false) =>
            {
                return None
            }
            ("_?_:_", [c, t, f]) => {
                if let Some(b) = literal_bool(c) {
                    return plan_failure(if b { t } else { f });
                }
            }
            (_, [arg]) if is_conversion(function) => {
                if let Some(Err(e)) =
                    plan_constant(arg).map(|v| v.and_then(|v| convert(function, v)))
                {
                    return Some(e);
                }
            }
            _ => {}
        }
    }
    e.kind.children().into_iter().find_map(plan_failure)
}

fn is_conversion(function: &str) -> bool {
    matches!(
        function,
        "int"
            | "uint"
            | "double"
            | "bool"
            | "string"
            | "bytes"
            | "timestamp"
            | "duration"
            | "dyn"
            | "type"
    )
}

fn convert(function: &str, v: Value) -> EvalResult {
    match functions::resolve(function, false, 1) {
        Some(f) => f(&Activation::new(0), &[v]),
        None => Err(EvalError::NoSuchOverload),
    }
}

/// The value of an expression cel-go's planner already knows: a literal, or
/// a conversion of one.
fn plan_constant(e: &Expr) -> Option<EvalResult> {
    match &e.kind {
        ExprKind::Literal(l) => Some(Ok(literal_value(l))),
        ExprKind::Call {
            target: None,
            function,
            args,
        } if is_conversion(function) && args.len() == 1 => {
            let arg = args.first().and_then(plan_constant)?;
            Some(arg.and_then(|v| convert(function, v)))
        }
        _ => None,
    }
}

/// Whether a call takes error arguments rather than failing with them:
/// Cerbos declares the global forms of its set functions non-strict.
fn non_strict(function: &str, member: bool) -> bool {
    !member && super::cerbos::is_list_set_function(function)
}

/// A dotted name spelled by an `Ident`/`Select` chain, if the chain is one.
fn qualified_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Ident(n) => Some(n.clone()),
        ExprKind::Select {
            operand,
            field,
            test_only: false,
            optional: false,
        } => qualified_name(operand).map(|q| format!("{q}.{field}")),
        _ => None,
    }
}

/// Constant folding: calls on literals (`hierarchy("a.b")`,
/// `duration("1h")`, `[1, 2].size()`) are evaluated once at prepare time.
/// Errors stay at run time; `now`/`timeSince` depend on the activation.
#[inline(never)]
fn fold_constant(function: &str, func: FnImpl, nodes: &[Node]) -> Option<Node> {
    if matches!(function, "now" | "timeSince") || !nodes.iter().all(|n| matches!(n, Node::Const(_)))
    {
        return None;
    }
    let vals: Vec<Value> = nodes
        .iter()
        .filter_map(|n| match n {
            Node::Const(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    func(&Activation::new(0), &vals).ok().map(Node::Const)
}

fn mk(kind: ExprKind) -> Expr {
    Expr { id: 0, kind }
}

/// cel-go's `sortBy` macro, for trees whose parser left it unexpanded:
/// `cel.bind(@__sortBy_input__, list,
///   @__sortBy_input__.@sortByAssociatedKeys(@__sortBy_input__.map(v, key)))`.
fn expand_sort_by(target: &Expr, var: &Expr, key: &Expr) -> Expr {
    const INPUT: &str = "@__sortBy_input__";
    let var_name = match &var.kind {
        ExprKind::Ident(n) => n.clone(),
        _ => String::new(),
    };
    let input = || mk(ExprKind::Ident(INPUT.to_string()));
    let map = mk(ExprKind::Comprehension(Box::new(
        super::ast::Comprehension {
            iter_var: var_name,
            iter_var2: None,
            iter_range: input(),
            accu_var: "@result".to_string(),
            accu_init: mk(ExprKind::List {
                elements: vec![],
                optional_indices: vec![],
            }),
            loop_condition: mk(ExprKind::Literal(Literal::Bool(true))),
            loop_step: mk(ExprKind::Call {
                target: None,
                function: "_+_".to_string(),
                args: vec![
                    mk(ExprKind::Ident("@result".to_string())),
                    mk(ExprKind::List {
                        elements: vec![key.clone()],
                        optional_indices: vec![],
                    }),
                ],
            }),
            result: mk(ExprKind::Ident("@result".to_string())),
        },
    )));
    mk(ExprKind::Comprehension(Box::new(
        super::ast::Comprehension {
            iter_var: "#unused".to_string(),
            iter_var2: None,
            iter_range: mk(ExprKind::List {
                elements: vec![],
                optional_indices: vec![],
            }),
            accu_var: INPUT.to_string(),
            accu_init: target.clone(),
            loop_condition: mk(ExprKind::Literal(Literal::Bool(false))),
            loop_step: input(),
            result: mk(ExprKind::Call {
                target: Some(Box::new(input())),
                function: "@sortByAssociatedKeys".to_string(),
                args: vec![map],
            }),
        },
    )))
}

fn literal_value(l: &Literal) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::Uint(u) => Value::Uint(*u),
        Literal::Double(d) => Value::Double(*d),
        Literal::String(s) => Value::String(Arc::from(s.as_str())),
        Literal::Bytes(b) => Value::Bytes(Arc::from(b.as_slice())),
    }
}

impl Preparer<'_> {
    fn local(&self, name: &str) -> Option<usize> {
        self.scopes
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, i)| *i)
    }

    fn push_local(&mut self, name: &str) -> usize {
        let idx = self.next_local;
        self.next_local += 1;
        self.max_locals = self.max_locals.max(self.next_local);
        self.scopes.push((name.to_string(), idx));
        idx
    }

    fn pop_locals(&mut self, n: usize) {
        for _ in 0..n {
            self.scopes.pop();
            self.next_local -= 1;
        }
    }

    /// Resolves a qualified name to a variable slot or a type constant.
    fn resolve_name(&self, name: &str) -> Option<(Node, StaticTy)> {
        if let Some(d) = self.decls.lookup(name) {
            let ty = match d.ty {
                DeclType::Dyn => StaticTy::Dyn,
                DeclType::Message(m) => StaticTy::Msg(m),
            };
            return Some((Node::Slot(d.slot, Arc::from(name)), ty));
        }
        let bare = name.strip_prefix('.').unwrap_or(name);
        // `dyn` denotes a type only in type positions, never as a value.
        if bare == "dyn" {
            return None;
        }
        Type::from_name(bare)
            .or_else(|| functions::named_type(bare))
            .map(|t| (Node::Const(Value::Type(t)), StaticTy::Dyn))
    }

    fn node(&mut self, e: &Expr, depth: usize) -> Result<(Node, StaticTy), PrepareError> {
        if depth > MAX_EXPR_DEPTH {
            return Err(PrepareError::TooDeep);
        }
        let d = depth + 1;
        match &e.kind {
            ExprKind::Literal(l) => Ok((Node::Const(literal_value(l)), StaticTy::Dyn)),
            ExprKind::Ident(name) => {
                if let Some(i) = self.local(name) {
                    return Ok((Node::Local(i), StaticTy::Dyn));
                }
                Ok(self.resolve_name(name).unwrap_or_else(|| {
                    (
                        Node::Error(EvalError::NoSuchAttribute(name.clone())),
                        StaticTy::Dyn,
                    )
                }))
            }
            ExprKind::Select { .. } => self.node_select(e, d),
            ExprKind::Call {
                target,
                function,
                args,
            } => self.call(target.as_deref(), function, args, d),
            ExprKind::List { .. } => self.node_list(e, d),
            ExprKind::Map { .. } => self.node_map(e, d),
            ExprKind::Struct { type_name, .. } => Err(PrepareError::UnknownType(type_name.clone())),
            ExprKind::Comprehension(_) => self.node_comprehension(e, d),
        }
    }

    #[inline(never)]
    fn node_select(&mut self, e: &Expr, d: usize) -> Result<(Node, StaticTy), PrepareError> {
        let ExprKind::Select {
            operand,
            field,
            test_only,
            optional,
        } = &e.kind
        else {
            return Err(PrepareError::Malformed("select".into()));
        };
        // A dotted name may denote a declared variable (`x.y` bound as
        // one name), most specific first, unless its root is a local.
        if !*test_only && !*optional {
            if let Some(q) = qualified_name(e) {
                let root = q.split('.').next().unwrap_or("");
                if self.local(root).is_none()
                    && (self.decls.lookup(&q).is_some()
                        || Type::from_name(&q).is_some()
                        || functions::named_type(&q).is_some())
                {
                    if let Some(found) = self.resolve_name(&q) {
                        return Ok(found);
                    }
                }
            }
        }
        let (op, ty) = self.node(operand, d)?;
        let name: Arc<str> = Arc::from(field.as_str());
        if let (StaticTy::Msg(m), false, false) = (ty, *test_only, *optional) {
            if let Some(idx) = m.field_index(field) {
                let next = match m.fields.get(idx).map(|f| f.kind) {
                    Some(super::value::FieldKind::Message(t)) => StaticTy::Msg(t),
                    _ => StaticTy::Dyn,
                };
                if let Node::Slot(message, message_name) = &op {
                    if let Some(slot) = self.decls.projection(*message, idx) {
                        let name = Arc::from(format!("{message_name}.{field}"));
                        return Ok((Node::Slot(slot, name), next));
                    }
                }
                return Ok((path_push(op, PathStep::Field { ty: m, idx, name }), next));
            }
        }
        if !*test_only && !*optional {
            return Ok((path_push(op, PathStep::Key(name)), StaticTy::Dyn));
        }
        Ok((
            Node::Select {
                operand: Box::new(op),
                field: name,
                test_only: *test_only,
                optional: *optional,
            },
            StaticTy::Dyn,
        ))
    }

    #[inline(never)]
    fn node_list(&mut self, e: &Expr, d: usize) -> Result<(Node, StaticTy), PrepareError> {
        let ExprKind::List {
            elements,
            optional_indices,
        } = &e.kind
        else {
            return Err(PrepareError::Malformed("list".into()));
        };
        let mut elems = Vec::with_capacity(elements.len());
        let mut opt = vec![false; elements.len()];
        for i in optional_indices {
            if let Some(o) = opt.get_mut(*i as usize) {
                *o = true;
            }
        }
        for el in elements {
            elems.push(self.node(el, d)?.0);
        }
        if opt.iter().all(|o| !o) {
            if let Some(vals) = elems
                .iter()
                .map(|n| match n {
                    Node::Const(v) => Some(v.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
            {
                return Ok((Node::Const(Value::List(Arc::from(vals))), StaticTy::Dyn));
            }
        }
        Ok((
            Node::List {
                elems,
                optional: opt,
            },
            StaticTy::Dyn,
        ))
    }

    #[inline(never)]
    fn node_map(&mut self, e: &Expr, d: usize) -> Result<(Node, StaticTy), PrepareError> {
        let ExprKind::Map { entries } = &e.kind else {
            return Err(PrepareError::Malformed("map".into()));
        };
        let mut out = Vec::with_capacity(entries.len());
        for en in entries {
            // Double keys only arise dynamically; a double literal key is
            // a type-check error in cel-go.
            if matches!(en.key.kind, ExprKind::Literal(Literal::Double(_))) {
                return Ok((Node::Error(EvalError::UnsupportedKeyType), StaticTy::Dyn));
            }
            let k = self.node(&en.key, d)?.0;
            let v = self.node(&en.value, d)?.0;
            out.push((k, v, en.optional));
        }
        Ok((Node::Map { entries: out }, StaticTy::Dyn))
    }

    #[inline(never)]
    fn node_comprehension(&mut self, e: &Expr, d: usize) -> Result<(Node, StaticTy), PrepareError> {
        let ExprKind::Comprehension(c) = &e.kind else {
            return Err(PrepareError::Malformed("comprehension".into()));
        };
        let range = self.node(&c.iter_range, d)?.0;
        let init = self.node(&c.accu_init, d)?.0;
        let accu = self.push_local(&c.accu_var);
        let iter_var = self.push_local(&c.iter_var);
        let iter_var2 = c.iter_var2.as_ref().map(|v| self.push_local(v));
        let body = (|| -> Result<(Node, Node), PrepareError> {
            Ok((
                self.node(&c.loop_condition, d)?.0,
                self.node(&c.loop_step, d)?.0,
            ))
        })();
        self.pop_locals(if iter_var2.is_some() { 2 } else { 1 });
        let (cond, step) = match body {
            Ok(b) => b,
            Err(e) => {
                self.pop_locals(1);
                return Err(e);
            }
        };
        let result = self.node(&c.result, d);
        self.pop_locals(1);
        let result = result?.0;
        // INVARIANT: with an `append`, the loop runs `append_loop`, which
        // never evaluates `step`; the placeholder keeps the plan linear.
        let (append, step) = match append_shape(accu, &init, &cond, step, &result) {
            Ok(append) => (Some(append), Node::Const(Value::Null)),
            Err(step) => (None, step),
        };
        Ok((
            Node::Comprehension(Box::new(CompNode {
                iter_var,
                iter_var2,
                range,
                accu,
                init,
                cond,
                step,
                result,
                append,
            })),
            StaticTy::Dyn,
        ))
    }

    #[inline(never)]
    fn call(
        &mut self,
        target: Option<&Expr>,
        function: &str,
        args: &[Expr],
        d: usize,
    ) -> Result<(Node, StaticTy), PrepareError> {
        let arg = |p: &mut Self, i: usize| -> Result<Node, PrepareError> {
            let e = args
                .get(i)
                .ok_or_else(|| PrepareError::Malformed(format!("{function}: missing argument")))?;
            Ok(p.node(e, d)?.0)
        };
        if target.is_none() {
            match (function, args.len()) {
                ("_&&_", 2) => {
                    return Ok((
                        Node::And(Box::new(arg(self, 0)?), Box::new(arg(self, 1)?)),
                        StaticTy::Dyn,
                    ))
                }
                ("_||_", 2) => {
                    return Ok((
                        Node::Or(Box::new(arg(self, 0)?), Box::new(arg(self, 1)?)),
                        StaticTy::Dyn,
                    ))
                }
                ("_?_:_", 3) => {
                    return Ok((
                        Node::Cond(
                            Box::new(arg(self, 0)?),
                            Box::new(arg(self, 1)?),
                            Box::new(arg(self, 2)?),
                        ),
                        StaticTy::Dyn,
                    ))
                }
                ("!_", 1) => return Ok((Node::Not(Box::new(arg(self, 0)?)), StaticTy::Dyn)),
                ("@not_strictly_false", 1) | ("__not_strictly_false__", 1) => {
                    return Ok((
                        Node::NotStrictlyFalse(Box::new(arg(self, 0)?)),
                        StaticTy::Dyn,
                    ))
                }
                _ => {}
            }
        }
        // `ns.fn(args)` where `ns` is not a variable: a namespaced global function.
        if let Some(t) = target {
            if let Some(q) = qualified_name(t) {
                let root = q.split('.').next().unwrap_or("");
                let is_var = self.local(root).is_some() || self.decls.lookup(&q).is_some() || {
                    // A declared prefix (`V.x.f()` where V is declared) is a variable.
                    self.decls.lookup(root).is_some()
                };
                if !is_var {
                    let full = format!("{q}.{function}");
                    if let Some(f) = functions::resolve(&full, false, args.len()) {
                        let mut nodes = Vec::with_capacity(args.len());
                        for i in 0..args.len() {
                            nodes.push(arg(self, i)?);
                        }
                        return Ok((call_node(f, &full, nodes, false), StaticTy::Dyn));
                    }
                }
            }
        }
        if let Some(t) = target {
            if matches!(function, "or" | "orValue") && args.len() == 1 {
                let tn = self.node(t, d)?.0;
                return Ok((
                    Node::OptOr {
                        target: Box::new(tn),
                        alt: Box::new(arg(self, 0)?),
                        or_value: function == "orValue",
                    },
                    StaticTy::Dyn,
                ));
            }
        }
        if let (
            Some(t),
            "sortBy",
            [var @ Expr {
                kind: ExprKind::Ident(_),
                ..
            }, key],
        ) = (target, function, args)
        {
            let expanded = expand_sort_by(t, var, key);
            return self.node(&expanded, d);
        }
        let member = target.is_some();
        let argc = args.len() + usize::from(member);
        let Some(func) = functions::resolve(function, member, argc) else {
            return Ok((
                Node::Error(EvalError::msg(format!("no such overload: {function}"))),
                StaticTy::Dyn,
            ));
        };
        let mut nodes = Vec::with_capacity(argc);
        if let Some(t) = target {
            nodes.push(self.node(t, d)?.0);
        }
        for i in 0..args.len() {
            nodes.push(arg(self, i)?);
        }
        if let Some(folded) = fold_constant(function, func, &nodes) {
            return Ok((folded, StaticTy::Dyn));
        }
        // Equality and membership compare operands by reference (no clones).
        let rel = match (function, target.is_none()) {
            ("_==_", true) => Some(RelOp::Eq),
            ("_!=_", true) => Some(RelOp::Ne),
            ("@in", true) => Some(RelOp::In),
            _ => None,
        };
        if let (Some(op), 2) = (rel, nodes.len()) {
            let mut it = nodes.into_iter();
            if let (Some(a), Some(b)) = (it.next(), it.next()) {
                return Ok((
                    Node::Rel {
                        op,
                        a: Box::new(a),
                        b: Box::new(b),
                    },
                    StaticTy::Dyn,
                ));
            }
            return Err(PrepareError::Malformed(function.to_string()));
        }
        Ok((
            call_node(func, function, nodes, non_strict(function, member)),
            StaticTy::Dyn,
        ))
    }
}

/// A call node; regex functions with a constant pattern get it compiled
/// once here instead of at every evaluation (a pattern that does not
/// compile stays a plain call and errors when evaluated).
fn call_node(func: FnImpl, name: &str, args: Vec<Node>, non_strict: bool) -> Node {
    if let Some((rf, idx)) = functions::regex_fn(name, args.len()) {
        if let Some(Node::Const(Value::String(p))) = args.get(idx) {
            if let Ok(re) = super::re2::compile(p) {
                return Node::Regex {
                    func: rf,
                    name: Arc::from(name),
                    args,
                    re: Arc::new(re),
                };
            }
        }
    }
    Node::Call {
        func,
        name: Arc::from(name),
        args,
        non_strict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::ast::{Comprehension, Expr, ExprKind, Literal};
    use crate::cel::cerbos;

    fn e(kind: ExprKind) -> Expr {
        Expr { id: 0, kind }
    }
    fn ident(n: &str) -> Expr {
        e(ExprKind::Ident(n.into()))
    }
    fn sel(o: Expr, f: &str) -> Expr {
        e(ExprKind::Select {
            operand: Box::new(o),
            field: f.into(),
            test_only: false,
            optional: false,
        })
    }
    fn call(f: &str, args: Vec<Expr>) -> Expr {
        e(ExprKind::Call {
            target: None,
            function: f.into(),
            args,
        })
    }
    fn lit(l: Literal) -> Expr {
        e(ExprKind::Literal(l))
    }

    fn depth_of(x: &Expr) -> usize {
        match &x.kind {
            ExprKind::Call { args, .. } => 1 + args.iter().map(depth_of).max().unwrap_or(0),
            _ => 1,
        }
    }

    fn cerbos_act() -> Activation {
        let p = cerbos::Principal {
            id: "john".into(),
            roles: vec!["employee".into()],
            ..Default::default()
        };
        let mut r = cerbos::Resource {
            kind: "doc".into(),
            id: "1".into(),
            ..Default::default()
        };
        r.attr.insert("owner".into(), serde_json::json!("john"));
        r.attr.insert("n".into(), serde_json::json!(3));
        let now =
            crate::cel::time::parse_timestamp("2021-04-22T10:05:20.021-05:00").expect("timestamp");
        cerbos::activation(&p, &r, None, now)
    }

    #[test]
    fn owner_check() {
        let x = call(
            "_==_",
            vec![sel(sel(ident("R"), "attr"), "owner"), sel(ident("P"), "id")],
        );
        let prog = Program::prepare(&x, &cerbos::declarations()).expect("prepare");
        assert_eq!(prog.eval(&cerbos_act()), Ok(Value::Bool(true)));
        let missing = sel(sel(ident("R"), "attr"), "nope");
        let prog = Program::prepare(&missing, &cerbos::declarations()).expect("prepare");
        assert_eq!(
            prog.eval(&cerbos_act()).map_err(|e| e.to_string()),
            Err("no such key: nope".to_string())
        );
        let v = sel(ident("V"), "x");
        let prog = Program::prepare(&v, &cerbos::declarations()).expect("prepare");
        assert_eq!(
            prog.eval(&cerbos_act()).map_err(|e| e.to_string()),
            Err("undefined field 'x'".to_string())
        );
    }

    #[test]
    fn errors_are_absorbed_by_logic() {
        // (1 / 0 == 1) || true
        let err = call(
            "_==_",
            vec![
                call("_/_", vec![lit(Literal::Int(1)), lit(Literal::Int(0))]),
                lit(Literal::Int(1)),
            ],
        );
        let x = call("_||_", vec![err.clone(), lit(Literal::Bool(true))]);
        let prog = Program::prepare(&x, &Declarations::new()).expect("prepare");
        assert_eq!(prog.eval(&Activation::new(0)), Ok(Value::Bool(true)));
        let y = call("_&&_", vec![err, lit(Literal::Bool(true))]);
        let prog = Program::prepare(&y, &Declarations::new()).expect("prepare");
        assert_eq!(
            prog.eval(&Activation::new(0)),
            Err(EvalError::DivisionByZero)
        );
    }

    #[test]
    fn comprehension_exists_and_budget() {
        // [1, 2, 3].exists(x, x > 2)
        let list = e(ExprKind::List {
            elements: vec![
                lit(Literal::Int(1)),
                lit(Literal::Int(2)),
                lit(Literal::Int(3)),
            ],
            optional_indices: vec![],
        });
        let comp = e(ExprKind::Comprehension(Box::new(Comprehension {
            iter_var: "x".into(),
            iter_var2: None,
            iter_range: list,
            accu_var: "@result".into(),
            accu_init: lit(Literal::Bool(false)),
            loop_condition: call(
                "@not_strictly_false",
                vec![call("!_", vec![ident("@result")])],
            ),
            loop_step: call(
                "_||_",
                vec![
                    ident("@result"),
                    call("_>_", vec![ident("x"), lit(Literal::Int(2))]),
                ],
            ),
            result: ident("@result"),
        })));
        let prog = Program::prepare(&comp, &Declarations::new()).expect("prepare");
        assert_eq!(prog.eval(&Activation::new(0)), Ok(Value::Bool(true)));
        let mut act = Activation::new(0);
        act.set_budget(1);
        assert_eq!(prog.eval(&act), Err(EvalError::CostLimitExceeded));
    }

    #[test]
    fn deep_trees_are_rejected() {
        // Debug builds use several times the stack of release builds (the
        // wasm runtime's 1 MiB stack is ample there); give the test room.
        std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(deep_trees)
            .expect("spawn")
            .join()
            .expect("deep trees");
    }

    fn deep_trees() {
        let mut x = lit(Literal::Int(1));
        for _ in 0..(MAX_EXPR_DEPTH + 5) {
            x = call("-_", vec![x]);
        }
        assert_eq!(
            Program::prepare(&x, &Declarations::new()).err(),
            Some(PrepareError::TooDeep)
        );
        // Just under the limit prepares and evaluates.
        let mut y = lit(Literal::Int(1));
        for _ in 0..(MAX_EXPR_DEPTH - 1) {
            y = call("-_", vec![call("-_", vec![y])]);
            y = call("_+_", vec![y, lit(Literal::Int(0))]);
            if depth_of(&y) >= MAX_EXPR_DEPTH - 2 {
                break;
            }
        }
        let prog = Program::prepare(&y, &Declarations::new()).expect("prepare");
        assert_eq!(prog.eval(&Activation::new(0)), Ok(Value::Int(1)));
    }
}
