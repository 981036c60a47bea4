//! Cerbos's compile-time checks on parsed CEL expressions.
//!
//! Cerbos type-checks every condition with cel-go at compile time. This
//! checker reproduces what Cerbos users meet, with cel-go's messages:
//!
//! * identifiers must be declared (`undeclared reference to 'x' (in
//!   container '')`); comprehension and `cel.bind` variables are in scope in
//!   their bodies; qualified names resolve through the container like
//!   cel-go (`a.b.c` may name a declared variable `a.b`);
//! * the opaque `cerbos.Variables` objects (`V`/`variables`, `C`/`constants`,
//!   `G`/`globals`) allow field selection only (`V["x"]` → `found no
//!   matching overload for '_[_]' applied to '(cerbos.Variables, string)'`);
//! * fields selected on Cerbos's request messages must exist
//!   (`request.foo` → `undefined field 'foo'`), and only maps, messages and
//!   dynamic values have fields (`P.id.x` → `type 'string' does not support
//!   field selection`);
//! * operators are type-checked over the static types the checker infers
//!   (literals, request fields, list/map literals, comprehension variables,
//!   results of operators and of library functions with a fixed result
//!   type): `R.id == 123` → `found no matching overload for '_==_' applied
//!   to '(string, int)'`, `true && 1` → `expected type 'bool' but found
//!   'int'`. Values whose type is not known exactly (attributes, variables,
//!   most function results) are `dyn` and always accepted, so inference gaps
//!   cannot produce false errors;
//! * with [`CheckEnv::cerbos`], called functions must exist in the
//!   runtime's function table with that call style and arity, and literal
//!   arguments of `duration()`, `timestamp()` and `matches()` must be valid
//!   (`invalid duration argument`, as cel-go's AST validators say).
//!
//! It is not a full CEL type checker: argument types of library functions
//! are not checked (mismatches there surface at run time instead).

use crate::cel::ast::{Expr, ExprId, ExprKind, Literal};
use crate::cel::cerbos;
use crate::cel::parser::{on_big_stack_if, tree_height, ParsedExpr, SHALLOW_TREE};
use crate::cel::value::{FieldKind, MessageType};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A compile-time problem in an expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CheckError {
    /// cel-go's wording of the problem.
    pub message: String,
    /// Id of the offending node.
    pub id: ExprId,
    /// Byte offset of the offending node in the expression text.
    pub offset: usize,
}

/// Checks a literal argument; `Err` carries the reason (not shown to users,
/// who see cel-go's `invalid <function> argument`).
pub type LiteralValidator = fn(&str) -> Result<(), String>;

/// Does a function exist: `(name, receiver style, argument count without
/// the receiver)`.
pub type FunctionLookup = fn(&str, bool, usize) -> bool;

/// What an identifier denotes, as far as the checker cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decl {
    /// Any value.
    Dyn,
    /// `cerbos.Variables`: field selection only.
    Opaque,
    /// A Cerbos request message.
    Message(&'static MessageType),
}

/// The declarations an expression is checked against.
#[derive(Debug, Clone)]
pub struct CheckEnv {
    idents: BTreeMap<String, Decl>,
    container: String,
    functions: Option<FunctionLookup>,
    extra_functions: BTreeSet<String>,
    duration: Option<LiteralValidator>,
    timestamp: Option<LiteralValidator>,
    regex: Option<LiteralValidator>,
    any_qualified_name: bool,
}

/// The type names usable as identifiers in every CEL environment
/// (`type(x) == int`).
const TYPE_IDENTS: &[&str] = &[
    "bool",
    "bytes",
    "double",
    "int",
    "list",
    "map",
    "null_type",
    "string",
    "type",
    "uint",
    "optional_type",
    "google.protobuf.Duration",
    "google.protobuf.Timestamp",
    "google.protobuf.Any",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
    "google.protobuf.BoolValue",
    "google.protobuf.BytesValue",
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Int32Value",
    "google.protobuf.Int64Value",
    "google.protobuf.StringValue",
    "google.protobuf.UInt32Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.NullValue",
    "google.protobuf.NullValue.NULL_VALUE",
];

impl Default for CheckEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl CheckEnv {
    /// An environment with no declarations beyond CEL's type names, in the
    /// root container, without function or literal checks.
    pub fn new() -> Self {
        CheckEnv {
            idents: BTreeMap::new(),
            container: String::new(),
            functions: None,
            extra_functions: BTreeSet::new(),
            duration: None,
            timestamp: None,
            regex: None,
            any_qualified_name: false,
        }
    }

    /// Cerbos's environment: its declarations (§3.2 of the semantics notes:
    /// `request`, `P`, `R`, `runtime` as messages, `V`/`variables`,
    /// `C`/`constants`, `G`/`globals` as opaque `cerbos.Variables`), the
    /// runtime's function table, and literal validation of `duration()`,
    /// `timestamp()` and `matches()` with the runtime's parsers.
    pub fn cerbos() -> Self {
        Self::cerbos_declarations()
            .with_functions(runtime_function)
            .with_literal_validators(valid_duration, valid_timestamp, valid_regex)
    }

    /// Checks functions against the runtime's function table.
    pub fn with_runtime_functions(self) -> Self {
        self.with_functions(runtime_function)
    }

    /// Cerbos's identifiers only (no function or literal checks).
    pub fn cerbos_declarations() -> Self {
        let mut env = Self::new();
        env.idents
            .insert("request".into(), Decl::Message(&cerbos::REQUEST));
        env.idents
            .insert("P".into(), Decl::Message(&cerbos::PRINCIPAL));
        env.idents
            .insert("R".into(), Decl::Message(&cerbos::RESOURCE));
        env.idents
            .insert("runtime".into(), Decl::Message(&cerbos::RUNTIME));
        // Message type names denote types (`type(P) == cerbos.engine.v1.Request.Principal`).
        for m in [
            &cerbos::REQUEST,
            &cerbos::PRINCIPAL,
            &cerbos::RESOURCE,
            &cerbos::AUX_DATA,
            &cerbos::JWT,
            &cerbos::RUNTIME,
        ] {
            env.idents.insert(m.name.into(), Decl::Dyn);
        }
        for name in ["V", "variables", "C", "constants", "G", "globals"] {
            env.idents.insert(name.into(), Decl::Opaque);
        }
        env
    }

    /// Declares a variable of any type (conformance `bindings`/`type_env`).
    pub fn declare(mut self, name: impl Into<String>) -> Self {
        self.idents.insert(name.into(), Decl::Dyn);
        self
    }

    /// Declares several variables of any type.
    pub fn declare_all<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        for n in names {
            self.idents.insert(n.into(), Decl::Dyn);
        }
        self
    }

    /// Sets the container (namespace) names are resolved in.
    pub fn with_container(mut self, container: impl Into<String>) -> Self {
        self.container = container.into();
        self
    }

    /// Checks that called functions exist, using `lookup` (normally the
    /// runtime's function table) plus functions declared with
    /// [`CheckEnv::declare_function`].
    pub fn with_functions(mut self, lookup: FunctionLookup) -> Self {
        self.functions = Some(lookup);
        self
    }

    /// Declares a function name (any arity, either call style).
    pub fn declare_function(mut self, name: impl Into<String>) -> Self {
        self.extra_functions.insert(name.into());
        self
    }

    /// Validates literal arguments of `duration()`, `timestamp()` and
    /// `matches()` with the given parsers, as Cerbos's AST validators do.
    pub fn with_literal_validators(
        mut self,
        duration: LiteralValidator,
        timestamp: LiteralValidator,
        regex: LiteralValidator,
    ) -> Self {
        self.duration = Some(duration);
        self.timestamp = Some(timestamp);
        self.regex = Some(regex);
        self
    }

    /// Accepts any qualified name the declarations do not resolve when it
    /// is written with a dot or starts with an upper-case letter (message
    /// and enum names of proto packages the checker does not know; used for
    /// the CEL conformance suite).
    pub fn allow_unknown_type_names(mut self, allow: bool) -> Self {
        self.any_qualified_name = allow;
        self
    }

    /// Candidate full names of `name` in the container, most specific first
    /// (cel-go's `Container.ResolveCandidateNames`).
    fn candidates(&self, name: &str) -> Vec<String> {
        if let Some(abs) = name.strip_prefix('.') {
            return vec![abs.to_string()];
        }
        let mut out = Vec::new();
        let mut prefix = self.container.as_str();
        while !prefix.is_empty() {
            out.push(format!("{prefix}.{name}"));
            prefix = prefix.rfind('.').map_or("", |i| &prefix[..i]);
        }
        out.push(name.to_string());
        out
    }

    /// Resolves a (possibly qualified) name to a declaration.
    fn resolve(&self, name: &str) -> Option<Decl> {
        self.candidates(name).into_iter().find_map(|c| {
            self.idents
                .get(&c)
                .copied()
                .or_else(|| TYPE_IDENTS.contains(&c.as_str()).then_some(Decl::Dyn))
        })
    }

    fn function_exists(&self, name: &str, member: bool, argc: usize) -> bool {
        let lookup = match self.functions {
            Some(f) => f,
            None => return true,
        };
        // Operators and macro internals (`_&&_`, `@not_strictly_false`,
        // `cel.@mapInsert`, …) cannot be written by users; the interpreter
        // handles them itself.
        if !name
            .split('.')
            .all(|part| part.is_empty() || crate::cel::printer::is_identifier(part))
            || name.starts_with('_')
        {
            return true;
        }
        self.candidates(name)
            .iter()
            .any(|c| self.extra_functions.contains(c.as_str()) || lookup(c, member, argc))
    }

    /// Is `name` a function under any call style or arity (for choosing
    /// between "undeclared reference" and "no matching overload")?
    fn function_known(&self, name: &str) -> bool {
        // cel-go's `sortBy` is a macro, not a function: when its shape does
        // not match it is an unknown name.
        if name == "sortBy" && self.functions.is_some() {
            return false;
        }
        (0..=8).any(|n| self.function_exists(name, false, n) || self.function_exists(name, true, n))
    }
}

/// Type of a field of one of the runtime's message types.
fn field_type(m: &'static MessageType, name: &str) -> Option<Ty> {
    let f = m.fields.get(m.field_index(name)?)?;
    Some(match f.kind {
        FieldKind::String => Ty::String,
        FieldKind::StringList => Ty::List(Box::new(Ty::String)),
        FieldKind::ValueMap => Ty::Map(Box::new(Ty::String), Box::new(Ty::Dyn)),
        FieldKind::Message(inner) => Ty::Message(inner),
    })
}

/// The static types the checker infers. Anything it cannot know exactly
/// is `Dyn`, which every check accepts, so inference gaps never cause
/// false errors.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ty {
    Dyn,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Duration,
    Timestamp,
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    /// `cerbos.Variables`: field selection only.
    Opaque,
    Message(&'static MessageType),
    /// An abstract type of a Cerbos or cel-go library (`net.IP`,
    /// `cerbos.lib.hierarchy`, ...): equality only, plus its functions.
    Named(&'static str),
}

/// The library's abstract types.
const IP: &str = "net.IP";
const CIDR: &str = "net.CIDR";
const HIERARCHY: &str = "cerbos.lib.hierarchy";
const SPIFFE_ID: &str = "cerbos.lib.spiffeID";
const SPIFFE_TD: &str = "cerbos.lib.spiffeTrustDomain";
const SPIFFE_MATCHER: &str = "cerbos.lib.spiffeMatcher";

impl Ty {
    /// The type as cel-go prints it in messages.
    fn name(&self) -> String {
        match self {
            Ty::Dyn => "dyn".into(),
            Ty::Null => "null".into(),
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Uint => "uint".into(),
            Ty::Double => "double".into(),
            Ty::String => "string".into(),
            Ty::Bytes => "bytes".into(),
            Ty::Duration => "duration".into(),
            Ty::Timestamp => "timestamp".into(),
            Ty::List(e) => format!("list({})", e.name()),
            Ty::Map(k, v) => format!("map({}, {})", k.name(), v.name()),
            Ty::Opaque => "cerbos.Variables".into(),
            Ty::Message(m) => m.name.into(),
            Ty::Named(n) => (*n).into(),
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Uint | Ty::Double)
    }
}

/// The most specific type both `a` and `b` are assignable to, as cel-go's
/// type-parameter unification would find (`None`: incompatible).
fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
    match (a, b) {
        (Ty::Dyn, _) | (_, Ty::Dyn) => Some(Ty::Dyn),
        (Ty::List(x), Ty::List(y)) => unify(x, y).map(|e| Ty::List(Box::new(e))),
        (Ty::Map(k1, v1), Ty::Map(k2, v2)) => {
            Some(Ty::Map(Box::new(unify(k1, k2)?), Box::new(unify(v1, v2)?)))
        }
        // Messages are nullable.
        (Ty::Null, Ty::Message(_)) | (Ty::Message(_), Ty::Null) => Some(Ty::Dyn),
        _ if a == b => Some(a.clone()),
        _ => None,
    }
}

/// The element type of a list or map literal: the common type, or `dyn`
/// for mixed elements (cel-go joins them the same way).
fn join(types: &[Ty]) -> Ty {
    let mut it = types.iter();
    let Some(first) = it.next() else {
        return Ty::Dyn;
    };
    if it.all(|t| t == first) {
        first.clone()
    } else {
        Ty::Dyn
    }
}

/// A parameter type in [`signatures`].
#[derive(Clone, Copy)]
enum P {
    Str,
    Int,
    Uint,
    Double,
    Bool,
    Bytes,
    Ts,
    Dur,
    AnyList,
    StrList,
    /// A list whose elements fit (`dyn` elements fit everything).
    ListOf(&'static P),
    /// One of the library's abstract types.
    Named(&'static str),
    /// `string`, `bytes`, lists and maps (`size`).
    Sized,
    /// Anything a conversion to string accepts.
    Scalar,
    /// Types with an ordering (`<`), as `sort` needs.
    Orderable,
    /// Anything a conversion to a number accepts.
    Numeric,
}

impl P {
    /// Does an argument of type `t` fit? `dyn` fits everything.
    fn accepts(self, t: &Ty) -> bool {
        use Ty::*;
        if *t == Dyn {
            return true;
        }
        match self {
            P::Str => *t == String,
            P::Int => *t == Int,
            P::Uint => *t == Uint,
            P::Double => *t == Double,
            P::ListOf(e) => match t {
                List(elem) => e.accepts(elem),
                _ => false,
            },
            P::Named(n) => *t == Named(n) || *t == Null,
            P::Bool => *t == Bool,
            P::Bytes => *t == Bytes,
            // Timestamps, durations and abstract types are nullable in cel-go.
            P::Ts => matches!(t, Timestamp | Null),
            P::Dur => matches!(t, Duration | Null),
            P::AnyList => matches!(t, List(_)),
            P::StrList => unify(t, &List(Box::new(String))).is_some(),
            P::Sized => matches!(t, String | Bytes | List(_) | Map(..)),
            P::Scalar => {
                matches!(
                    t,
                    String | Int | Uint | Double | Bool | Bytes | Timestamp | Duration | Null
                ) || *t == Named(IP)
                    || *t == Named(CIDR)
            }
            P::Numeric => matches!(t, Int | Uint | Double | String),
            P::Orderable => matches!(
                t,
                String | Int | Uint | Double | Bool | Bytes | Timestamp | Duration
            ),
        }
    }
}

/// Every overload (receiver first for member calls) of the library
/// functions whose argument types are checked; `None`: not checked.
fn signatures(function: &str, member: bool) -> Option<&'static [&'static [P]]> {
    use P::*;
    Some(match (function, member) {
        ("startsWith" | "endsWith" | "contains" | "matches", true) => &[&[Str, Str]],
        ("matches", false) => &[&[Str, Str]],
        ("lowerAscii" | "upperAscii" | "trim", true) => &[&[Str]],
        ("split", true) => &[&[Str, Str], &[Str, Str, Int]],
        ("join", true) => &[&[StrList], &[StrList, Str]],
        ("indexOf" | "lastIndexOf", true) => &[&[Str, Str], &[Str, Str, Int]],
        ("substring", true) => &[&[Str, Int], &[Str, Int, Int]],
        ("charAt", true) => &[&[Str, Int]],
        ("replace", true) => &[&[Str, Str, Str], &[Str, Str, Str, Int]],
        ("size", false) => &[&[Sized]],
        ("size", true) => &[&[Sized], &[Named(HIERARCHY)]],
        ("timestamp", false) => &[&[Str], &[Int], &[Ts]],
        ("duration", false) => &[&[Str], &[Dur]],
        ("int", false) => &[&[Numeric], &[Ts], &[Dur]],
        ("uint" | "double", false) => &[&[Numeric]],
        ("string", false) => &[&[Scalar]],
        // strings extension
        ("strings.quote", false) => &[&[Str]],
        ("format", true) => &[&[Str, AnyList]],
        ("reverse", true) => &[&[Str], &[AnyList]],
        // lists extension
        ("slice", true) => &[&[AnyList, Int, Int]],
        ("flatten", true) => &[&[ListOf(&AnyList)], &[AnyList, Int]],
        ("distinct" | "first" | "last", true) => &[&[AnyList]],
        ("sort", true) => &[&[ListOf(&Orderable)]],
        ("lists.range", false) => &[&[Int]],
        // math extension
        (
            "math.ceil" | "math.floor" | "math.round" | "math.trunc" | "math.isInf" | "math.isNaN"
            | "math.isFinite",
            false,
        ) => &[&[Double]],
        ("math.abs" | "math.sign" | "math.sqrt", false) => &[&[Int], &[Uint], &[Double]],
        ("math.bitAnd" | "math.bitOr" | "math.bitXor", false) => &[&[Int, Int], &[Uint, Uint]],
        ("math.bitNot", false) => &[&[Int], &[Uint]],
        ("math.bitShiftLeft" | "math.bitShiftRight", false) => &[&[Int, Int], &[Uint, Int]],
        // sets extension (element types must agree too: see `Checker::call_fits`)
        ("sets.contains" | "sets.equivalent" | "sets.intersects", false) => &[&[AnyList, AnyList]],
        // encoders
        ("base64.encode", false) => &[&[Bytes]],
        ("base64.decode", false) => &[&[Str]],
        // regex extension
        ("regex.replace", false) => &[&[Str, Str, Str], &[Str, Str, Str, Int]],
        ("regex.extract" | "regex.extractAll", false) => &[&[Str, Str]],
        // network extension
        ("ip", false) => &[&[Str]],
        ("ip", true) => &[&[Named(CIDR)]],
        ("cidr" | "isIP" | "isCIDR" | "ip.isCanonical", false) => &[&[Str]],
        (
            "family"
            | "isUnspecified"
            | "isLoopback"
            | "isGlobalUnicast"
            | "isLinkLocalMulticast"
            | "isLinkLocalUnicast",
            true,
        ) => &[&[Named(IP)]],
        ("containsIP", true) => &[&[Named(CIDR), Named(IP)], &[Named(CIDR), Str]],
        ("containsCIDR", true) => &[&[Named(CIDR), Named(CIDR)], &[Named(CIDR), Str]],
        ("masked" | "prefixLength", true) => &[&[Named(CIDR)]],
        ("inIPAddrRange", false) => &[],
        // hierarchy
        ("hierarchy", false) => &[&[Str], &[StrList], &[Str, Str]],
        (
            "ancestorOf" | "descendentOf" | "immediateParentOf" | "immediateChildOf" | "siblingOf"
            | "overlaps" | "commonAncestors",
            true,
        ) => &[&[Named(HIERARCHY), Named(HIERARCHY)]],
        // SPIFFE
        ("spiffeID", false) => &[&[Str]],
        ("path" | "trustDomain", true) => &[&[Named(SPIFFE_ID)]],
        ("isMemberOf", true) => &[&[Named(SPIFFE_ID), Named(SPIFFE_TD)]],
        ("spiffeTrustDomain", false) => &[&[Str]],
        ("name" | "id", true) => &[&[Named(SPIFFE_TD)]],
        ("spiffeMatchExact", false) => &[&[Str], &[Named(SPIFFE_ID)]],
        ("spiffeMatchOneOf", false) => &[&[StrList], &[ListOf(&Named(SPIFFE_ID))]],
        ("spiffeMatchTrustDomain", false) => &[&[Str], &[Named(SPIFFE_TD)]],
        ("matchesID", true) => &[
            &[Named(SPIFFE_MATCHER), Str],
            &[Named(SPIFFE_MATCHER), Named(SPIFFE_ID)],
        ],
        // paths
        ("basePath" | "dirPath" | "extPath" | "volumeName", false) => &[&[Str]],
        ("basePath" | "dirPath" | "extPath" | "volumeName" | "joinPath" | "relPath", true) => &[],
        ("joinPath", false) => &[&[StrList]],
        ("relPath" | "pathHasPrefix" | "pathMatch", false) => &[&[Str, Str]],
        ("pathMatchAnyOf", false) => &[&[Str, StrList]],
        ("bytes", false) => &[&[Bytes], &[Str]],
        ("bool", false) => &[&[Bool], &[Str]],
        (
            "getFullYear" | "getMonth" | "getDate" | "getDayOfMonth" | "getDayOfWeek"
            | "getDayOfYear",
            true,
        ) => &[&[Ts], &[Ts, Str]],
        ("getHours" | "getMinutes" | "getSeconds" | "getMilliseconds", true) => {
            &[&[Ts], &[Ts, Str], &[Dur]]
        }
        ("timeSince", _) => &[&[Ts]],
        ("inIPAddrRange", true) => &[&[Str, Str]],
        (
            "hasIntersection" | "has_intersection" | "isSubset" | "is_subset" | "intersect"
            | "except",
            _,
        ) => &[&[AnyList, AnyList]],
        _ => return None,
    })
}

/// `e` in a step `accu + [e]` or `cond ? accu + [e] : accu`.
fn appended_element<'a>(step: &'a Expr, accu: &str) -> Option<&'a Expr> {
    let is_accu = |e: &Expr| matches!(&e.kind, ExprKind::Ident(n) if n == accu);
    let ExprKind::Call {
        target: None,
        function,
        args,
    } = &step.kind
    else {
        return None;
    };
    match (function.as_str(), args.as_slice()) {
        ("_+_", [a, list]) if is_accu(a) => match &list.kind {
            ExprKind::List { elements, .. } if elements.len() == 1 => elements.first(),
            _ => None,
        },
        ("_?_:_", [_, then, other]) if is_accu(other) => appended_element(then, accu),
        _ => None,
    }
}

/// cel-go's `Type.TypeName()`: parameterized types by their kind.
fn kind_name(t: &Ty) -> String {
    match t {
        Ty::List(_) => "list".into(),
        Ty::Map(..) => "map".into(),
        other => other.name(),
    }
}

/// Does a call fit one of the function's [`signatures`] (true when its
/// argument types are not checked)?
fn call_fits(function: &str, target: Option<&Ty>, args: &[Ty]) -> bool {
    let Some(overloads) = signatures(function, target.is_some()) else {
        return true;
    };
    let fits = |sig: &[P]| {
        let given = target.into_iter().chain(args.iter());
        sig.len() == args.len() + usize::from(target.is_some())
            && sig.iter().zip(given).all(|(p, t)| p.accepts(t))
    };
    if !overloads.iter().any(|sig| fits(sig)) {
        return false;
    }
    // The sets functions and Cerbos's list functions take `list(T), list(T)`.
    let same_elements =
        function.starts_with("sets.") || crate::cel::cerbos::is_list_set_function(function);
    if same_elements {
        let mut both = target.into_iter().chain(args.iter());
        if let (Some(a), Some(b)) = (both.next(), both.next()) {
            return unify(a, b).is_some();
        }
    }
    true
}

fn literal_type(l: &Literal) -> Ty {
    match l {
        Literal::Null => Ty::Null,
        Literal::Bool(_) => Ty::Bool,
        Literal::Int(_) => Ty::Int,
        Literal::Uint(_) => Ty::Uint,
        Literal::Double(_) => Ty::Double,
        Literal::String(_) => Ty::String,
        Literal::Bytes(_) => Ty::Bytes,
    }
}

/// Result types of library functions that the checker knows exactly
/// (by name; `None`: not known, treated as `dyn`).
fn function_result(function: &str) -> Option<Ty> {
    Some(match function {
        "size" | "int" | "getFullYear" | "getMonth" | "getDate" | "getDayOfMonth"
        | "getDayOfWeek" | "getDayOfYear" | "getHours" | "getMinutes" | "getSeconds"
        | "getMilliseconds" | "indexOf" | "lastIndexOf" => Ty::Int,
        "uint" => Ty::Uint,
        "double" => Ty::Double,
        "string" | "lowerAscii" | "upperAscii" | "trim" | "replace" | "substring" | "charAt"
        | "join" | "format" | "strings.quote" | "base64.encode" | "json.encode" => Ty::String,
        "bytes" | "base64.decode" => Ty::Bytes,
        "math.ceil" | "math.floor" | "math.round" | "math.trunc" => Ty::Double,
        "math.isInf"
        | "math.isNaN"
        | "math.isFinite"
        | "containsIP"
        | "containsCIDR"
        | "isUnspecified"
        | "isLoopback"
        | "isGlobalUnicast"
        | "isLinkLocalMulticast"
        | "isLinkLocalUnicast"
        | "isMemberOf"
        | "matchesID"
        | "ip.isCanonical" => Ty::Bool,
        "family" | "prefixLength" => Ty::Int,
        "lists.range" => Ty::List(Box::new(Ty::Int)),
        "regex.replace" | "basePath" | "dirPath" | "extPath" | "volumeName" | "joinPath"
        | "relPath" | "path" | "name" => Ty::String,
        "regex.extractAll" => Ty::List(Box::new(Ty::String)),
        "ip" => Ty::Named(IP),
        "cidr" | "masked" => Ty::Named(CIDR),
        "hierarchy" | "commonAncestors" => Ty::Named(HIERARCHY),
        "spiffeID" => Ty::Named(SPIFFE_ID),
        "spiffeTrustDomain" | "trustDomain" => Ty::Named(SPIFFE_TD),
        "spiffeMatchAny" | "spiffeMatchExact" | "spiffeMatchOneOf" | "spiffeMatchTrustDomain" => {
            Ty::Named(SPIFFE_MATCHER)
        }
        "bool"
        | "startsWith"
        | "endsWith"
        | "contains"
        | "matches"
        | "hasIntersection"
        | "has_intersection"
        | "isSubset"
        | "is_subset"
        | "inIPAddrRange"
        | "ancestorOf"
        | "descendentOf"
        | "immediateParentOf"
        | "immediateChildOf"
        | "siblingOf"
        | "overlaps"
        | "isIP"
        | "isCIDR"
        | "pathHasPrefix"
        | "pathMatch"
        | "pathMatchAnyOf"
        | "hasValue"
        | "sets.contains"
        | "sets.equivalent"
        | "sets.intersects"
        | "@not_strictly_false" => Ty::Bool,
        "duration" | "timeSince" => Ty::Duration,
        "timestamp" | "now" => Ty::Timestamp,
        "split" => Ty::List(Box::new(Ty::String)),
        _ => return None,
    })
}

/// Nesting beyond this is reported instead of checked (the parser never
/// produces it; the cap keeps hostile trees from exhausting the stack).
const MAX_CHECK_DEPTH: u32 = 2_000;

/// Checks `parsed` against `env`; all problems are reported, in source order.
pub fn check(parsed: &ParsedExpr, env: &CheckEnv) -> Result<(), Vec<CheckError>> {
    let deep = tree_height(&parsed.expr) > SHALLOW_TREE;
    on_big_stack_if(deep, || check_here(parsed, env))
}

fn check_here(parsed: &ParsedExpr, env: &CheckEnv) -> Result<(), Vec<CheckError>> {
    let offsets: BTreeMap<ExprId, u32> = parsed.source_info.positions.iter().copied().collect();
    let mut c = Checker {
        env,
        offsets,
        locals: Vec::new(),
        errors: Vec::new(),
        depth: 0,
        typed: HashMap::new(),
        pretyped: HashSet::new(),
    };
    c.expr(&parsed.expr);
    if c.errors.is_empty() {
        Ok(())
    } else {
        let mut errs = c.errors;
        errs.sort_by_key(|e| e.offset);
        Err(errs)
    }
}

struct Checker<'e> {
    env: &'e CheckEnv,
    offsets: BTreeMap<ExprId, u32>,
    /// Comprehension and `cel.bind` variables in scope with their types,
    /// innermost last.
    locals: Vec<(String, Ty)>,
    errors: Vec<CheckError>,
    depth: u32,
    /// The type last computed for each expression node (keyed by address),
    /// so validators that need an argument's type reuse it instead of
    /// typing the subtree again (which is exponential in nesting depth).
    typed: HashMap<usize, Ty>,
    /// Nodes already typed (errors reported) before their parent reaches them.
    pretyped: HashSet<usize>,
}

/// Key of an expression node in [`Checker::typed`].
fn node_key(e: &Expr) -> usize {
    e as *const Expr as usize
}

/// The dotted name an `Ident`/`Select` chain spells, if it is one.
fn qualified_name(e: &Expr) -> Option<String> {
    let mut fields: Vec<&str> = Vec::new();
    let mut cur = e;
    loop {
        match &cur.kind {
            ExprKind::Ident(n) => {
                let mut s = n.clone();
                for f in fields.iter().rev() {
                    s.push('.');
                    s.push_str(f);
                }
                return Some(s);
            }
            ExprKind::Select {
                operand,
                field,
                test_only: false,
                optional: false,
            } => {
                fields.push(field.as_str());
                cur = operand;
            }
            _ => return None,
        }
    }
}

fn root_ident(e: &Expr) -> Option<&str> {
    let mut cur = e;
    loop {
        match &cur.kind {
            ExprKind::Ident(n) => return Some(n),
            ExprKind::Select { operand, .. } => cur = operand,
            _ => return None,
        }
    }
}

impl Checker<'_> {
    fn error(&mut self, e: &Expr, message: String) {
        let offset = self.offsets.get(&e.id).copied().unwrap_or(0) as usize;
        self.errors.push(CheckError {
            message,
            id: e.id,
            offset,
        });
    }

    fn is_local(&self, name: &str) -> bool {
        self.locals.iter().any(|(l, _)| l == name)
    }

    fn undeclared(&mut self, e: &Expr, name: &str) {
        let container = self.env.container.clone();
        self.error(
            e,
            format!("undeclared reference to '{name}' (in container '{container}')"),
        );
    }

    /// Accepts an unresolved qualified name in lenient (conformance) mode.
    fn lenient_name(&self, name: &str) -> bool {
        self.env.any_qualified_name
            && (name.contains('.') || name.starts_with(|c: char| c.is_ascii_uppercase()))
    }

    fn expr(&mut self, e: &Expr) -> Ty {
        // A node typed ahead of its parent (a `map`'s appended element) is
        // not typed, nor its errors reported, a second time.
        if self.pretyped.remove(&node_key(e)) {
            if let Some(t) = self.typed.get(&node_key(e)) {
                return t.clone();
            }
        }
        if self.depth >= MAX_CHECK_DEPTH {
            self.error(e, "expression recursion limit exceeded".to_string());
            return Ty::Dyn;
        }
        self.depth += 1;
        let t = self.expr_inner(e);
        self.depth -= 1;
        self.typed.insert(node_key(e), t.clone());
        t
    }

    /// The type `expr` computed for `e` (it was typed already, with its
    /// errors reported), or its type now without reporting errors again.
    fn known_type(&mut self, e: &Expr) -> Ty {
        match self.typed.get(&node_key(e)) {
            Some(t) => t.clone(),
            None => self.quiet_type(e),
        }
    }

    fn expr_inner(&mut self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Literal(l) => literal_type(l),
            ExprKind::Ident(name) => {
                if !name.starts_with('.') {
                    if let Some((_, t)) = self.locals.iter().rev().find(|(l, _)| l == name) {
                        return t.clone();
                    }
                }
                match self.env.resolve(name) {
                    Some(d) => decl_type(d),
                    None if self.lenient_name(name) => Ty::Dyn,
                    None => {
                        self.undeclared(e, name);
                        Ty::Dyn
                    }
                }
            }
            ExprKind::Select {
                operand,
                field,
                test_only,
                optional,
            } => {
                // `a.b.c` may itself name a declaration (unless its root is
                // a local variable, which shadows qualified names).
                if !test_only && !optional {
                    if let Some(q) = qualified_name(e) {
                        let local_root =
                            root_ident(e).is_some_and(|r| !r.starts_with('.') && self.is_local(r));
                        if !local_root {
                            if let Some(d) = self.env.resolve(&q) {
                                return decl_type(d);
                            }
                            let root_declared = root_ident(e)
                                .is_some_and(|r| self.is_local(r) || self.env.resolve(r).is_some());
                            if !root_declared && self.lenient_name(&q) {
                                return Ty::Dyn;
                            }
                        }
                    }
                }
                let t = self.expr(operand);
                self.select(e, t, field)
            }
            ExprKind::Call {
                target,
                function,
                args,
            } => self.call(e, target.as_deref(), function, args),
            ExprKind::List {
                elements,
                optional_indices,
            } => {
                let mut types = Vec::with_capacity(elements.len());
                for (i, el) in elements.iter().enumerate() {
                    let t = self.expr(el);
                    if u32::try_from(i).is_ok_and(|i| optional_indices.contains(&i)) {
                        self.expect_optional(el, &t);
                        types.push(Ty::Dyn);
                    } else {
                        types.push(t);
                    }
                }
                Ty::List(Box::new(join(&types)))
            }
            ExprKind::Map { entries } => {
                let (mut keys, mut values) = (Vec::new(), Vec::new());
                for en in entries {
                    keys.push(self.expr(&en.key));
                    let v = self.expr(&en.value);
                    if en.optional {
                        self.expect_optional(&en.value, &v);
                        values.push(Ty::Dyn);
                    } else {
                        values.push(v);
                    }
                }
                Ty::Map(Box::new(join(&keys)), Box::new(join(&values)))
            }
            ExprKind::Struct { type_name, fields } => {
                if self.env.resolve(type_name).is_none() && !self.lenient_name(type_name) {
                    self.undeclared(e, type_name);
                }
                for f in fields {
                    self.expr(&f.value);
                }
                Ty::Dyn
            }
            ExprKind::Comprehension(c) => {
                let range = self.expr(&c.iter_range);
                let (first, second) = match &range {
                    Ty::Dyn => (Ty::Dyn, Ty::Dyn),
                    Ty::List(e) if c.iter_var2.is_some() => (Ty::Int, (**e).clone()),
                    Ty::List(e) => ((**e).clone(), Ty::Dyn),
                    Ty::Map(k, v) => ((**k).clone(), (**v).clone()),
                    other => {
                        self.error(
                            &c.iter_range,
                            format!(
                                "expression of type '{}' cannot be range of a comprehension \
                                 (must be list, map, or dynamic)",
                                other.name()
                            ),
                        );
                        (Ty::Dyn, Ty::Dyn)
                    }
                };
                let accu = self.expr(&c.accu_init);
                // The accumulator is visible to the loop; the iteration
                // variables too, except in the result.
                self.locals.push((c.accu_var.clone(), accu));
                let base = self.locals.len();
                self.locals.push((c.iter_var.clone(), first));
                if let Some(v2) = &c.iter_var2 {
                    self.locals.push((v2.clone(), second));
                }
                // `map`/`filter` start from `[]`; cel-go infers the list's
                // element type from what the step appends. The element is
                // typed here, once: typing the step below reuses it.
                if matches!(&c.accu_init.kind, ExprKind::List { elements, .. } if elements.is_empty())
                {
                    if let Some(el) = appended_element(&c.loop_step, &c.accu_var) {
                        let t = self.expr(el);
                        self.pretyped.insert(node_key(el));
                        if let Some(slot) = self.locals.get_mut(base - 1) {
                            slot.1 = Ty::List(Box::new(t));
                        }
                    }
                }
                self.expr(&c.loop_condition);
                self.expr(&c.loop_step);
                self.locals.truncate(base);
                let t = self.expr(&c.result);
                self.locals.truncate(base - 1);
                t
            }
        }
    }

    /// `[?e]` and `{?k: e}` need an optional `e`.
    fn expect_optional(&mut self, e: &Expr, t: &Ty) {
        // Optional values are typed `dyn` here, so a known type is not one.
        if *t != Ty::Dyn {
            let n = t.name();
            self.error(
                e,
                format!("expected type 'optional_type({n})' but found '{n}'"),
            );
        }
    }

    fn select(&mut self, e: &Expr, operand: Ty, field: &str) -> Ty {
        let (test_only, optional) = match &e.kind {
            ExprKind::Select {
                test_only,
                optional,
                ..
            } => (*test_only, *optional),
            _ => (false, false),
        };
        let t = match operand {
            Ty::Message(m) => match field_type(m, field) {
                Some(t) => t,
                None => {
                    self.error(e, format!("undefined field '{field}'"));
                    Ty::Dyn
                }
            },
            Ty::Map(_, v) => *v,
            Ty::Dyn | Ty::Opaque => Ty::Dyn,
            // Only maps, messages and dynamic values have fields.
            other => {
                self.error(
                    e,
                    format!("type '{}' does not support field selection", other.name()),
                );
                Ty::Dyn
            }
        };
        if test_only {
            Ty::Bool
        } else if optional {
            Ty::Dyn
        } else {
            t
        }
    }

    fn call(&mut self, e: &Expr, target: Option<&Expr>, function: &str, args: &[Expr]) -> Ty {
        // `ns.f(x)` where `ns` is not a variable: the namespaced global
        // function `ns.f`.
        if let Some(t) = target {
            if let Some(q) = qualified_name(t) {
                let root_is_var = root_ident(t).is_some_and(|r| {
                    (!r.starts_with('.') && self.is_local(r)) || self.env.resolve(r).is_some()
                }) || self.env.resolve(&q).is_some();
                let full = format!("{q}.{function}");
                if !root_is_var && self.env.function_known(&full) {
                    return self.global_call(e, &full, args);
                }
                if !root_is_var
                    && self.lenient_name(&full)
                    && function.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    for a in args {
                        self.expr(a);
                    }
                    return Ty::Dyn;
                }
            }
        }
        let target_ty = target.map(|t| self.expr(t));
        // `list.sortBy(v, key)` (ext.Lists' macro, expanded by the runtime)
        // binds `v` in `key`.
        if let (Some(_), "sortBy", [var, key]) = (target, function, args) {
            if let ExprKind::Ident(v) = &var.kind {
                let elem = match &target_ty {
                    Some(Ty::List(e)) => (**e).clone(),
                    _ => Ty::Dyn,
                };
                self.locals.push((v.clone(), elem));
                self.expr(key);
                self.locals.pop();
                return Ty::Dyn;
            }
        }
        let arg_tys: Vec<Ty> = args.iter().map(|a| self.expr(a)).collect();
        if target.is_some() {
            if !self.env.function_exists(function, true, args.len()) {
                self.no_function(e, function, true, target_ty, &arg_tys);
                return Ty::Dyn;
            }
        } else if !self.env.function_exists(function, false, args.len()) {
            self.no_function(e, function, false, None, &arg_tys);
            return Ty::Dyn;
        }
        // Operators and functions that cannot take `cerbos.Variables`.
        let opaque_operand = target_ty
            .iter()
            .chain(arg_tys.iter())
            .any(|t| *t == Ty::Opaque);
        let opaque_ok = match function {
            "_==_" | "_!=_" | "dyn" | "type" => true,
            "_?_:_" => arg_tys.first() != Some(&Ty::Opaque),
            _ => false,
        };
        if opaque_operand && !opaque_ok {
            self.no_overload(e, function, target_ty, &arg_tys);
            return Ty::Dyn;
        }
        self.validate_literals(function, target.is_some(), args);
        if target.is_none() {
            if let Some(t) = self.operator(e, function, args, &arg_tys) {
                return t;
            }
        }
        if !call_fits(function, target_ty.as_ref(), &arg_tys) {
            self.no_overload(e, function, target_ty, &arg_tys);
            return Ty::Dyn;
        }
        if let (Some(t), "format") = (target, function) {
            self.validate_format(e, t, args);
        }
        function_result(function).unwrap_or(Ty::Dyn)
    }

    /// The type of `e` without reporting its errors again.
    fn quiet_type(&mut self, e: &Expr) -> Ty {
        let saved = self.errors.len();
        let t = self.expr(e);
        self.errors.truncate(saved);
        t
    }

    /// cel-go's string format validator (strings extension, v2 clauses):
    /// a literal format string applied to a list literal must name each
    /// argument once with a clause that fits its type.
    fn validate_format(&mut self, call: &Expr, target: &Expr, args: &[Expr]) {
        let (ExprKind::Literal(Literal::String(fmt)), [list]) = (&target.kind, args) else {
            return;
        };
        let ExprKind::List { elements, .. } = &list.kind else {
            return;
        };
        let b = fmt.as_bytes();
        let (mut i, mut arg) = (0, 0);
        while i < b.len() {
            if b.get(i) != Some(&b'%') {
                i += 1;
                continue;
            }
            if b.get(i + 1) == Some(&b'%') {
                i += 2;
                continue;
            }
            if i + 1 >= b.len() {
                return self.error(call, "unexpected end of string".into());
            }
            let Some(el) = elements.get(arg) else {
                return self.error(call, format!("index {arg} out of range"));
            };
            let mut j = i + 1;
            if b.get(j) == Some(&b'.') {
                j += 1;
                let start = j;
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
                let why = if j >= b.len() {
                    "could not find end of precision specifier".to_string()
                } else if j == start {
                    "error while converting precision to integer: strconv.Atoi: parsing \"\": invalid syntax"
                        .to_string()
                } else {
                    String::new()
                };
                if !why.is_empty() {
                    return self.error(
                        call,
                        format!("could not parse formatting clause: error while parsing precision: {why}"),
                    );
                }
            }
            let clause = b.get(j).copied().unwrap_or(b' ');
            let ty = self.known_type(el);
            let numeric = [Ty::Int, Ty::Uint, Ty::Double];
            let (fits, what) = match clause {
                b's' => {
                    if let Err((bad, t)) = self.format_string_arg(el, ty.clone()) {
                        return self.error(
                            &bad,
                            format!("error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given {}", kind_name(&t)),
                        );
                    }
                    (true, "")
                }
                b'd' => (
                    numeric.contains(&ty),
                    "decimal clause can only be used on ints, uints, and doubles",
                ),
                b'f' => (
                    numeric.contains(&ty),
                    "fixed-point clause can only be used on ints, uints, and doubles",
                ),
                b'e' => (
                    numeric.contains(&ty),
                    "scientific clause can only be used on ints, uints, and doubles",
                ),
                b'b' => (
                    matches!(ty, Ty::Bool | Ty::Int | Ty::Uint),
                    "only ints, uints, and bools can be formatted as binary",
                ),
                b'x' | b'X' => (
                    matches!(ty, Ty::Int | Ty::Uint | Ty::String | Ty::Bytes),
                    "only ints, uints, bytes, and strings can be formatted as hex",
                ),
                b'o' => (
                    matches!(ty, Ty::Int | Ty::Uint),
                    "octal clause can only be used on ints and uints",
                ),
                other => {
                    return self.error(
                        call,
                        format!(
                        "could not parse formatting clause: unrecognized formatting clause \"{}\"",
                        char::from(other)
                    ),
                    )
                }
            };
            if !fits && ty != Ty::Dyn {
                return self.error(
                    el,
                    format!(
                        "error during formatting: {what}, was given {}",
                        kind_name(&ty)
                    ),
                );
            }
            i = j + 1;
            arg += 1;
        }
        if elements.len() > arg {
            self.error(
                call,
                format!(
                    "too many arguments supplied to string.format (expected {arg}, got {})",
                    elements.len()
                ),
            );
        }
    }

    /// `%s` accepts scalars, lists and maps (their literal elements too).
    fn format_string_arg(&mut self, e: &Expr, ty: Ty) -> Result<(), (Expr, Ty)> {
        use Ty::*;
        let ok = matches!(
            ty,
            Dyn | List(_)
                | Map(..)
                | Int
                | Uint
                | Double
                | Bool
                | String
                | Timestamp
                | Bytes
                | Duration
                | Null
        );
        if !ok {
            return Err((e.clone(), ty));
        }
        match &e.kind {
            ExprKind::List { elements, .. } => {
                for el in elements {
                    let t = self.known_type(el);
                    self.format_string_arg(el, t)?;
                }
            }
            ExprKind::Map { entries } => {
                for en in entries {
                    let k = self.known_type(&en.key);
                    self.format_string_arg(&en.key, k)?;
                    let v = self.known_type(&en.value);
                    self.format_string_arg(&en.value, v)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Type-checks CEL's operators over the argument types; `None` when
    /// `function` is not an operator.
    fn operator(&mut self, e: &Expr, function: &str, args: &[Expr], tys: &[Ty]) -> Option<Ty> {
        use Ty::*;
        let bad = |c: &mut Self| {
            c.no_overload(e, function, None, tys);
            Dyn
        };
        Some(match (function, tys) {
            ("_&&_" | "_||_", [_, _]) => {
                for (a, t) in args.iter().zip(tys) {
                    if !matches!(t, Bool | Dyn) {
                        self.error(a, format!("expected type 'bool' but found '{}'", t.name()));
                    }
                }
                Bool
            }
            ("!_", [t]) => match t {
                Bool | Dyn => Bool,
                _ => bad(self),
            },
            ("-_", [t]) => match t {
                Int | Double | Dyn => t.clone(),
                _ => bad(self),
            },
            ("_==_" | "_!=_", [a, b]) => match unify(a, b) {
                Some(_) => Bool,
                None => bad(self),
            },
            ("_<_" | "_<=_" | "_>_" | "_>=_", [a, b]) => {
                let ok = *a == Dyn
                    || *b == Dyn
                    || (a.is_numeric() && b.is_numeric())
                    || (a == b && matches!(a, String | Bytes | Bool | Timestamp | Duration));
                if ok {
                    Bool
                } else {
                    bad(self)
                }
            }
            ("@in", [a, b]) => {
                let ok = match b {
                    Dyn => true,
                    List(elem) => unify(a, elem).is_some(),
                    Map(key, _) => unify(a, key).is_some(),
                    _ => false,
                };
                if ok {
                    Bool
                } else {
                    bad(self)
                }
            }
            ("_[_]" | "_[?_]", [a, b]) => {
                let elem = match a {
                    Dyn => Some(Dyn),
                    List(elem) => matches!(b, Dyn | Int).then(|| (**elem).clone()),
                    Map(key, value) => unify(key, b).map(|_| (**value).clone()),
                    Named(HIERARCHY) => matches!(b, Dyn | Int).then_some(String),
                    _ => None,
                };
                match elem {
                    Some(t) if function == "_[_]" => t,
                    Some(_) => Dyn,
                    None => bad(self),
                }
            }
            ("_?_:_", [c, a, b]) => {
                let joined = unify(a, b);
                match (matches!(c, Bool | Dyn), joined) {
                    (true, Some(t)) => t,
                    _ => bad(self),
                }
            }
            // With `dyn` on one side, cel-go still needs an overload taking
            // the other side's type.
            ("_+_", [a, b]) => match (a, b) {
                (Dyn, t) | (t, Dyn) => {
                    if matches!(
                        t,
                        Dyn | Int | Uint | Double | String | Bytes | Duration | Timestamp | List(_)
                    ) {
                        Dyn
                    } else {
                        bad(self)
                    }
                }
                (Int, Int)
                | (Uint, Uint)
                | (Double, Double)
                | (String, String)
                | (Bytes, Bytes)
                | (Duration, Duration) => a.clone(),
                (Timestamp, Duration) | (Duration, Timestamp) => Timestamp,
                (List(x), List(y)) => match unify(x, y) {
                    Some(t) => List(Box::new(t)),
                    None => bad(self),
                },
                _ => bad(self),
            },
            ("_-_", [a, b]) => match (a, b) {
                (Dyn, t) | (t, Dyn) => {
                    if matches!(t, Dyn | Int | Uint | Double | Duration | Timestamp) {
                        Dyn
                    } else {
                        bad(self)
                    }
                }
                (Int, Int) | (Uint, Uint) | (Double, Double) | (Duration, Duration) => a.clone(),
                (Timestamp, Timestamp) => Duration,
                (Timestamp, Duration) => Timestamp,
                _ => bad(self),
            },
            ("_*_" | "_/_", [a, b]) => match (a, b) {
                (Dyn, t) | (t, Dyn) => {
                    if matches!(t, Dyn | Int | Uint | Double) {
                        Dyn
                    } else {
                        bad(self)
                    }
                }
                (Int, Int) | (Uint, Uint) | (Double, Double) => a.clone(),
                _ => bad(self),
            },
            ("_%_", [a, b]) => match (a, b) {
                (Dyn, t) | (t, Dyn) => {
                    if matches!(t, Dyn | Int | Uint) {
                        Dyn
                    } else {
                        bad(self)
                    }
                }
                (Int, Int) | (Uint, Uint) => a.clone(),
                _ => bad(self),
            },
            _ => return None,
        })
    }

    fn global_call(&mut self, e: &Expr, full: &str, args: &[Expr]) -> Ty {
        let arg_tys: Vec<Ty> = args.iter().map(|a| self.expr(a)).collect();
        if !self.env.function_exists(full, false, args.len()) {
            self.no_function(e, full, false, None, &arg_tys);
        } else if arg_tys.contains(&Ty::Opaque) || !call_fits(full, None, &arg_tys) {
            self.no_overload(e, full, None, &arg_tys);
        } else {
            return function_result(full).unwrap_or(Ty::Dyn);
        }
        Ty::Dyn
    }

    fn no_function(
        &mut self,
        e: &Expr,
        function: &str,
        member: bool,
        target: Option<Ty>,
        args: &[Ty],
    ) {
        // Lenient mode: `Enum(1)` / `Msg.Enum('X')` convert to proto enums.
        if self.env.any_qualified_name && function.starts_with(|c: char| c.is_ascii_uppercase()) {
            return;
        }
        if self.env.function_known(function) {
            self.no_overload(e, function, if member { target } else { None }, args);
        } else {
            self.undeclared(e, function);
        }
    }

    fn no_overload(&mut self, e: &Expr, function: &str, target: Option<Ty>, args: &[Ty]) {
        let list = args.iter().map(Ty::name).collect::<Vec<_>>().join(", ");
        let sig = match target {
            Some(t) => format!("{}.({list})", t.name()),
            None => format!("({list})"),
        };
        self.error(
            e,
            format!("found no matching overload for '{function}' applied to '{sig}'"),
        );
    }

    /// cel-go's `ValidateDurationLiterals`, `ValidateTimestampLiterals`,
    /// `ValidateRegexLiterals`: the first argument (not counting a receiver)
    /// of `duration`, `timestamp` and `matches`, when a string literal.
    fn validate_literals(&mut self, function: &str, member: bool, args: &[Expr]) {
        let Some(arg) = args.first() else {
            return;
        };
        // `timestamp(null)` / `duration(null)` pass overload resolution
        // (the types are nullable) and fail the literal validators.
        if !member
            && matches!(function, "duration" | "timestamp")
            && matches!(arg.kind, ExprKind::Literal(Literal::Null))
        {
            return self.error(arg, format!("invalid {function} argument"));
        }
        // The network extension validates `ip()` / `cidr()` literals too.
        if let (false, "ip" | "cidr", ExprKind::Literal(Literal::String(s))) =
            (member, function, &arg.kind)
        {
            let parsed = if function == "ip" {
                crate::cel::net::parse_ip_strict(s).map(|_| ())
            } else {
                crate::cel::net::parse_cidr_strict(s).map(|_| ())
            };
            if let Err(e) = parsed {
                self.error(arg, format!("invalid {function} argument: {e}"));
            }
            return;
        }
        let validator = match function {
            "duration" => self.env.duration,
            "timestamp" => self.env.timestamp,
            "matches" => self.env.regex,
            _ => None,
        };
        let Some(validate) = validator else {
            return;
        };
        let valid = match &arg.kind {
            ExprKind::Literal(Literal::String(s)) => validate(s).is_ok(),
            // Epoch seconds must land in years 1 to 9999.
            ExprKind::Literal(Literal::Int(secs)) if function == "timestamp" => {
                crate::cel::time::Timestamp::new(*secs, 0).is_some()
            }
            _ => true,
        };
        if !valid {
            self.error(arg, format!("invalid {function} argument"));
        }
    }
}

/// The runtime's function table ([`crate::cel::functions::resolve`]
/// counts the receiver among the arguments), plus the member functions the
/// runtime prepares specially.
fn runtime_function(name: &str, member: bool, argc: usize) -> bool {
    if member && matches!((name, argc), ("or" | "orValue", 1) | ("sortBy", 2)) {
        return true;
    }
    crate::cel::functions::resolve(name, member, argc + usize::from(member)).is_some()
}

fn valid_duration(s: &str) -> Result<(), String> {
    crate::cel::time::parse_duration(s).map(|_| ())
}

fn valid_timestamp(s: &str) -> Result<(), String> {
    crate::cel::time::parse_timestamp(s).map(|_| ())
}

/// RE2 syntax with full Unicode tables, as the compiler translates it.
fn valid_regex(s: &str) -> Result<(), String> {
    crate::cel::re2::compile_with(s, &crate::cel::re2_tables::UnicodeTables)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn decl_type(d: Decl) -> Ty {
    match d {
        Decl::Dyn => Ty::Dyn,
        Decl::Opaque => Ty::Opaque,
        Decl::Message(m) => Ty::Message(m),
    }
}

/// The fields selected directly on any of the identifiers `roots` (e.g.
/// `["V", "variables"]`): `V.x`, `has(V.x)` and `V.?x` all reference `x`.
/// Comprehension variables that shadow a root are not counted.
pub fn referenced_fields(expr: &Expr, roots: &[&str]) -> BTreeSet<String> {
    let deep = tree_height(expr) > SHALLOW_TREE;
    on_big_stack_if(deep, || {
        let mut out = BTreeSet::new();
        let mut shadowed: Vec<String> = Vec::new();
        collect_fields(expr, roots, &mut shadowed, &mut out, 0);
        out
    })
}

fn collect_fields(
    e: &Expr,
    roots: &[&str],
    shadowed: &mut Vec<String>,
    out: &mut BTreeSet<String>,
    depth: u32,
) {
    if depth >= MAX_CHECK_DEPTH {
        return;
    }
    let next = depth + 1;
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Ident(_) => {}
        ExprKind::Select { operand, field, .. } => {
            if let ExprKind::Ident(r) = &operand.kind {
                if roots.contains(&r.as_str()) && !shadowed.iter().any(|s| s == r) {
                    out.insert(field.clone());
                }
            }
            collect_fields(operand, roots, shadowed, out, next);
        }
        ExprKind::Call { target, args, .. } => {
            if let Some(t) = target {
                collect_fields(t, roots, shadowed, out, next);
            }
            for a in args {
                collect_fields(a, roots, shadowed, out, next);
            }
        }
        ExprKind::List { elements, .. } => {
            for el in elements {
                collect_fields(el, roots, shadowed, out, next);
            }
        }
        ExprKind::Map { entries } => {
            for en in entries {
                collect_fields(&en.key, roots, shadowed, out, next);
                collect_fields(&en.value, roots, shadowed, out, next);
            }
        }
        ExprKind::Struct { fields, .. } => {
            for f in fields {
                collect_fields(&f.value, roots, shadowed, out, next);
            }
        }
        ExprKind::Comprehension(c) => {
            collect_fields(&c.iter_range, roots, shadowed, out, next);
            collect_fields(&c.accu_init, roots, shadowed, out, next);
            let base = shadowed.len();
            shadowed.push(c.accu_var.clone());
            let iter_base = shadowed.len();
            shadowed.push(c.iter_var.clone());
            if let Some(v2) = &c.iter_var2 {
                shadowed.push(v2.clone());
            }
            collect_fields(&c.loop_condition, roots, shadowed, out, next);
            collect_fields(&c.loop_step, roots, shadowed, out, next);
            shadowed.truncate(iter_base);
            collect_fields(&c.result, roots, shadowed, out, next);
            shadowed.truncate(base);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cel::parser::parse;

    fn run(src: &str, env: &CheckEnv) -> Vec<String> {
        let parsed = parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
        match check(&parsed, env) {
            Ok(()) => Vec::new(),
            Err(errs) => errs.into_iter().map(|e| e.message).collect(),
        }
    }

    fn cerbos(src: &str) -> Vec<String> {
        run(src, &CheckEnv::cerbos())
    }

    #[test]
    fn runtime_functions_and_literals() {
        assert!(cerbos(
            "now() > timestamp('2021-01-01T00:00:00Z') + duration('1h30m') && \
             P.id.matches('^[a-z]+$') && 'a'.startsWith('a') && size(P.roles) > 0 && \
             math.greatest(1, 2) == 2 && [3, 1].sortBy(x, -x) == [3, 1] && \
             hierarchy('a.b').ancestorOf(hierarchy('a.b.c')) && \
             optional.of(1).orValue(2) == 1 && R.attr.?x.or(optional.of(1)).hasValue() && \
             base64.encode(b'a') == 'YQ==' && ip('1.2.3.4').family() == 4 && \
             timeSince(timestamp('2021-01-01T00:00:00Z')) > duration('1s') && \
             [1, 2].transformList(i, v, v * 2) == [2, 4]"
        )
        .is_empty());
        assert_eq!(cerbos("duration('1x')"), ["invalid duration argument"]);
        assert_eq!(cerbos("timestamp('nope')"), ["invalid timestamp argument"]);
        assert_eq!(
            cerbos("timestamp(999999999999999) < now()"),
            ["invalid timestamp argument"]
        );
        assert!(cerbos("timestamp(1) < now()").is_empty());
        // Cerbos declares its path functions global only, except the
        // matchers and pathHasPrefix.
        assert_eq!(
            cerbos("R.attr.p.basePath() == 'a'"),
            ["found no matching overload for 'basePath' applied to 'dyn.()'"]
        );
        assert!(cerbos("R.attr.p.pathMatch('a*')").is_empty());
        // The strings extension's format validator (messages from Cerbos).
        assert_eq!(
            cerbos("'%5d'.format([R.attr.v]) == ''"),
            ["could not parse formatting clause: unrecognized formatting clause \"5\""]
        );
        assert_eq!(
            cerbos("'%s %s'.format([R.attr.v]) == ''"),
            ["index 1 out of range"]
        );
        assert!(cerbos("'%s %.2f'.format([R.attr.v, R.attr.w]) == ''").is_empty());
        // `dyn` on one side still needs an overload for the other side.
        assert_eq!(
            cerbos("duration('1h') * R.attr.v"),
            ["found no matching overload for '_*_' applied to '(duration, dyn)'"]
        );
        assert!(cerbos("duration('1h') + R.attr.v == R.attr.w").is_empty());
        assert!(cerbos("R.attr.v - timestamp('2024-01-01T00:00:00Z') == R.attr.w").is_empty());
        assert_eq!(cerbos("P.id.matches('[')"), ["invalid matches argument"]);
        assert_eq!(
            cerbos("nosuchfn(1)"),
            ["undeclared reference to 'nosuchfn' (in container '')"]
        );
        assert_eq!(
            cerbos("P.id.nosuchmethod()"),
            ["undeclared reference to 'nosuchmethod' (in container '')"]
        );
    }

    #[test]
    fn cerbos_identifiers() {
        assert!(cerbos("request.principal.id == P.id && R.attr.owner == P.id").is_empty());
        assert!(cerbos("V.x && variables.y && C.z && constants.a && G.b && globals.c").is_empty());
        assert!(cerbos("runtime.effectiveDerivedRoles.exists(r, r == 'x')").is_empty());
        assert!(
            cerbos("request.auxData.jwt.iss == 'a' && request.aux_data.jwts.x.claims.y").is_empty()
        );
        assert!(cerbos("type(R.attr.x) == int && has(P.attr.dept)").is_empty());
        assert!(cerbos("type(P) == cerbos.engine.v1.Request.Principal").is_empty());
        assert_eq!(
            cerbos("[1,2].sortBy(x)"),
            [
                "undeclared reference to 'sortBy' (in container '')",
                "undeclared reference to 'x' (in container '')"
            ]
        );
        assert_eq!(
            cerbos("wat"),
            ["undeclared reference to 'wat' (in container '')"]
        );
        assert_eq!(
            cerbos("wat.foo && now"),
            [
                "undeclared reference to 'wat' (in container '')",
                "undeclared reference to 'now' (in container '')"
            ]
        );
    }

    #[test]
    fn scopes_of_comprehensions_and_bind() {
        assert!(cerbos("[1, 2].all(x, x > 0)").is_empty());
        assert!(cerbos("{'a': 1}.all(k, v, k == 'a' && v == 1)").is_empty());
        assert!(cerbos("cel.bind(y, 1, y + 1)").is_empty());
        assert!(cerbos("[1].map(x, [2].map(y, x + y))").is_empty());
        assert_eq!(
            cerbos("[1].all(x, x > 0) && x > 0"),
            ["undeclared reference to 'x' (in container '')"]
        );
        assert_eq!(
            cerbos("cel.bind(y, y, 1)"),
            ["undeclared reference to 'y' (in container '')"]
        );
        // A local variable shadows a declaration's qualified names.
        assert!(cerbos("[1].all(R, R > 0) && [P.attr].all(R, R.anything)").is_empty());
        assert_eq!(
            cerbos("[R].all(r, r.anything)"),
            ["undefined field 'anything'"]
        );
    }

    #[test]
    fn variables_allow_only_field_selection() {
        // compile/variables_index_lookup.yaml
        let want = "found no matching overload for '_[_]' applied to '(cerbos.Variables, string)'";
        assert_eq!(cerbos("C.foo > V[\"bar\"]"), [want]);
        assert_eq!(cerbos("C[\"foo\"] > G.baz"), [want]);
        assert_eq!(cerbos("G[\"baz\"] > V.bar"), [want]);
        assert_eq!(
            cerbos("'x' in variables"),
            ["found no matching overload for '@in' applied to '(string, cerbos.Variables)'"]
        );
        assert_eq!(
            cerbos("V.all(x, true)"),
            ["expression of type 'cerbos.Variables' cannot be range of a comprehension (must be list, map, or dynamic)"]
        );
        assert!(cerbos("has(V.x) && V == V && (true ? V : C).x && V == R.attr.x").is_empty());
        assert_eq!(
            cerbos("V == 1"),
            ["found no matching overload for '_==_' applied to '(cerbos.Variables, int)'"]
        );
        assert_eq!(
            cerbos("math.greatest(V) == 1"),
            ["found no matching overload for 'math.@max' applied to '(cerbos.Variables)'"]
        );
    }

    #[test]
    fn operator_types_like_cel_go() {
        for (src, want) in [
            (
                "1 == 1.0",
                "found no matching overload for '_==_' applied to '(int, double)'",
            ),
            (
                "R.id == 123",
                "found no matching overload for '_==_' applied to '(string, int)'",
            ),
            (
                "P.roles == 'a'",
                "found no matching overload for '_==_' applied to '(list(string), string)'",
            ),
            (
                "1 < 'a'",
                "found no matching overload for '_<_' applied to '(int, string)'",
            ),
            (
                "1 + 1u == 2u",
                "found no matching overload for '_+_' applied to '(int, uint)'",
            ),
            (
                "[1] + ['a'] == []",
                "found no matching overload for '_+_' applied to '(list(int), list(string))'",
            ),
            ("true && 1", "expected type 'bool' but found 'int'"),
            (
                "!1",
                "found no matching overload for '!_' applied to '(int)'",
            ),
            (
                "-1u == 1u",
                "found no matching overload for '-_' applied to '(uint)'",
            ),
            (
                "P.id ? 1 : 2",
                "found no matching overload for '_?_:_' applied to '(string, int, int)'",
            ),
            (
                "size(1) == 1",
                "found no matching overload for 'size' applied to '(int)'",
            ),
            (
                "1 in ['a']",
                "found no matching overload for '@in' applied to '(int, list(string))'",
            ),
            (
                "P.roles.size() == 1u",
                "found no matching overload for '_==_' applied to '(int, uint)'",
            ),
            (
                "duration('1s') + 1 == duration('1s')",
                "found no matching overload for '_+_' applied to '(duration, int)'",
            ),
            (
                "P.id == null",
                "found no matching overload for '_==_' applied to '(string, null)'",
            ),
            (
                "5 / 2 == 2.5",
                "found no matching overload for '_==_' applied to '(int, double)'",
            ),
            (
                "[1] == [1.0]",
                "found no matching overload for '_==_' applied to '(list(int), list(double))'",
            ),
            (
                "[?1] == []",
                "expected type 'optional_type(int)' but found 'int'",
            ),
            (
                "1 < 2 < 3",
                "found no matching overload for '_<_' applied to '(bool, int)'",
            ),
            (
                "R.attr[1] == 1",
                "found no matching overload for '_[_]' applied to '(map(string, dyn), int)'",
            ),
        ] {
            assert_eq!(cerbos(src), [want], "{src}");
        }
        for ok in [
            "1 < 1.5 && 'a' < 'b' && [1] + [2] == [1, 2] && 1 in [1] && 'a' in {'a': 1}",
            "P.id in P.roles && R.attr.x in P.roles && R.attr.x == null && P.attr.x + 1 == 2",
            "[1, 'a'] == [] && {1: 1, 'a': 2} == {} && [1, 2.0] == []",
            "timestamp(R.attr.t) - timestamp(R.attr.t) == duration('0s')",
            "timestamp(R.attr.t) + duration('1h') > timestamp(R.attr.t) && now() > timestamp(R.attr.t)",
            "P.roles.all(r, r.startsWith('a')) && P.roles.exists_one(r, r == 'x')",
            "P.roles.map(r, r + '!').exists(r, r == 'x!') && size(P.roles.filter(r, r != '')) > 0",
            "(true ? R.attr.x : 1) == 1 && [?R.attr.?x] == [] && {?'a': R.attr.?x} == {}",
            "R.attr.list.all(x, x.startsWith('a')) && P.attr.email.split('@')[1] == 'x.com'",
        ] {
            assert!(cerbos(ok).is_empty(), "{ok}: {:?}", cerbos(ok));
        }
    }

    #[test]
    fn request_messages_have_fixed_fields() {
        assert_eq!(cerbos("request.foo"), ["undefined field 'foo'"]);
        assert_eq!(cerbos("has(P.foo)"), ["undefined field 'foo'"]);
        assert_eq!(
            cerbos("R.policyVersion + R.policy_version + R.kind + R.scope + R.id"),
            Vec::<String>::new()
        );
        assert_eq!(cerbos("runtime.other"), ["undefined field 'other'"]);
        assert!(cerbos("P.attr.anything.deeper").is_empty());
        assert_eq!(
            cerbos("P.roles.all(r, r.x) && cel.bind(i, P.id, i.y)"),
            [
                "type 'string' does not support field selection",
                "type 'string' does not support field selection"
            ]
        );
        assert_eq!(
            cerbos("P.id[0] == 'a'"),
            ["found no matching overload for '_[_]' applied to '(string, int)'"]
        );
        assert_eq!(
            cerbos("null.x"),
            ["type 'null' does not support field selection"]
        );
        assert_eq!(
            cerbos("true.x"),
            ["type 'bool' does not support field selection"]
        );
        assert_eq!(
            cerbos("P.id.x || has(P.roles.y)"),
            [
                "type 'string' does not support field selection",
                "type 'list(string)' does not support field selection"
            ]
        );
    }

    #[test]
    fn functions_and_literals_when_configured() {
        fn known(name: &str, member: bool, argc: usize) -> bool {
            matches!(
                (name, member, argc),
                ("size", _, _)
                    | ("duration", false, 1)
                    | ("timestamp", false, 1)
                    | ("matches", _, _)
                    | ("math.greatest", false, _)
            )
        }
        fn dur(s: &str) -> Result<(), String> {
            if s.ends_with('s') {
                Ok(())
            } else {
                Err("bad".into())
            }
        }
        fn ts(s: &str) -> Result<(), String> {
            if s.contains('T') {
                Ok(())
            } else {
                Err("bad".into())
            }
        }
        fn re(s: &str) -> Result<(), String> {
            if s.contains('(') {
                Err("bad".into())
            } else {
                Ok(())
            }
        }
        let env = CheckEnv::cerbos()
            .with_functions(known)
            .with_literal_validators(dur, ts, re);
        assert!(run("size(P.roles) > 0 && math.greatest(1, 2) == 2", &env).is_empty());
        assert!(run("[1].all(x, x > 0) && has(P.id) && P.id.matches('^a')", &env).is_empty());
        assert_eq!(
            run("nope(1)", &env),
            ["undeclared reference to 'nope' (in container '')"]
        );
        assert_eq!(
            run("duration(1, 2)", &env),
            ["found no matching overload for 'duration' applied to '(int, int)'"]
        );
        assert_eq!(
            run("duration('1x') == duration('1s')", &env),
            ["invalid duration argument"]
        );
        assert_eq!(
            run("timestamp('nope')", &env),
            ["invalid timestamp argument"]
        );
        assert_eq!(run("P.id.matches('(')", &env), ["invalid matches argument"]);
        // cel-go validates the first argument of the global form.
        assert_eq!(run("matches('(', 'x')", &env), ["invalid matches argument"]);
        assert!(run("duration(R.attr.d)", &env).is_empty());
    }

    #[test]
    fn offsets_point_at_the_node() {
        let parsed = parse("P.id == wat").unwrap_or_else(|e| panic!("{e:?}"));
        let errs = check(&parsed, &CheckEnv::cerbos()).unwrap_err();
        assert_eq!(errs[0].offset, 8);
        let parsed = parse("true &&\n  V['x']").unwrap_or_else(|e| panic!("{e:?}"));
        let errs = check(&parsed, &CheckEnv::cerbos()).unwrap_err();
        assert_eq!(errs[0].offset, 11);
    }

    #[test]
    fn containers_and_declared_names() {
        let env = CheckEnv::new()
            .declare_all(["x", "a.b.c"])
            .with_container("a.b");
        assert!(run("x + c + a.b.c + .x", &env).is_empty());
        assert_eq!(
            run("y", &env),
            ["undeclared reference to 'y' (in container 'a.b')"]
        );
        let lenient = CheckEnv::new().allow_unknown_type_names(true);
        assert!(run("TestAllTypes{} == pkg.Enum.VALUE", &lenient).is_empty());
    }

    #[test]
    fn referenced_variable_fields() {
        let parsed = parse(
            "V.a + variables.b > 0 && has(V.c) && V.?d.orValue(1) > 0 && [1].all(V, V.e) && C.f",
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let got = referenced_fields(&parsed.expr, &["V", "variables"]);
        let want: BTreeSet<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        assert_eq!(got, want);
        let got = referenced_fields(&parsed.expr, &["C", "constants"]);
        assert_eq!(got.into_iter().collect::<Vec<_>>(), ["f"]);
    }
}
