//! Macro expansion with cel-go v0.30's shapes (core macros in
//! `parser/macro.go`, `cel.bind` from `ext/bindings.go`, two-variable
//! comprehensions from `ext/comprehensions.go`, `optMap`/`optFlatMap` from
//! `cel/optional.go`).

use super::{PResult, Parser, ACCUMULATOR_VAR};
use crate::cel::ast::{Comprehension, Expr, ExprKind, Literal, MapEntry, StructField};

/// Iteration variable name cel-go uses where a comprehension needs none.
pub const UNUSED_ITER_VAR: &str = "#unused";

/// The parts of a comprehension, named as in [`Comprehension`].
struct Fold {
    iter_range: Expr,
    iter_var: String,
    iter_var2: Option<String>,
    accu_var: String,
    accu_init: Expr,
    loop_condition: Expr,
    loop_step: Expr,
    result: Expr,
}

fn simple_name(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Ident(n) => Some(n),
        _ => None,
    }
}

impl Parser<'_> {
    fn source_height(&self, target: Option<&Expr>, args: &[Expr]) -> u32 {
        target
            .into_iter()
            .chain(args)
            .map(|e| self.heights.get(e.id as usize).copied().unwrap_or(0))
            .max()
            .unwrap_or(0)
            + 1
    }

    fn plain_call(
        &mut self,
        target: Option<Expr>,
        function: &str,
        args: Vec<Expr>,
        off: usize,
    ) -> PResult<Expr> {
        self.node(
            ExprKind::Call {
                target: target.map(Box::new),
                function: function.to_string(),
                args,
            },
            off,
        )
    }

    fn accu(&mut self, off: usize) -> PResult<Expr> {
        self.ident(ACCUMULATOR_VAR, off)
    }

    fn fold(&mut self, f: Fold, off: usize, height: u32) -> PResult<Expr> {
        self.node_with_height(
            ExprKind::Comprehension(Box::new(Comprehension {
                iter_var: f.iter_var,
                iter_var2: f.iter_var2,
                iter_range: f.iter_range,
                accu_var: f.accu_var,
                accu_init: f.accu_init,
                loop_condition: f.loop_condition,
                loop_step: f.loop_step,
                result: f.result,
            })),
            off,
            height,
        )
    }

    fn empty_list(&mut self, off: usize) -> PResult<Expr> {
        self.node(
            ExprKind::List {
                elements: Vec::new(),
                optional_indices: Vec::new(),
            },
            off,
        )
    }

    /// A global call, or the expansion of `has()`.
    pub(super) fn global_call_or_macro(
        &mut self,
        name: &str,
        mut args: Vec<Expr>,
        off: usize,
    ) -> PResult<Expr> {
        if self.opts.enable_macros && name == "has" && args.len() == 1 {
            if let Some(arg) = args.pop() {
                let height = self.source_height(None, std::slice::from_ref(&arg));
                match arg.kind {
                    ExprKind::Select {
                        operand,
                        field,
                        optional: false,
                        ..
                    } => {
                        return self.node_with_height(
                            ExprKind::Select {
                                operand,
                                field,
                                test_only: true,
                                optional: false,
                            },
                            off,
                            height,
                        );
                    }
                    kind => {
                        let arg_off = self.offset_of(arg.id).unwrap_or(off);
                        self.report("invalid argument to has() macro", arg_off);
                        args.push(Expr { id: arg.id, kind });
                    }
                }
            }
        }
        self.plain_call(None, name, args, off)
    }

    fn offset_of(&self, id: u32) -> Option<usize> {
        // INVARIANT: ids are handed out sequentially from 1 and every node
        // records its position once, so node `id` sits at index `id - 1`.
        let idx = usize::try_from(id).ok()?.checked_sub(1)?;
        self.positions.get(idx).map(|(_, o)| *o as usize)
    }

    /// Reports `msg` at `at` and falls back to an unexpanded call.
    fn macro_error(
        &mut self,
        msg: &str,
        at: &Expr,
        target: Expr,
        name: &str,
        args: Vec<Expr>,
        off: usize,
    ) -> PResult<Expr> {
        let at_off = self.offset_of(at.id).unwrap_or(off);
        self.report(msg, at_off);
        self.plain_call(Some(target), name, args, off)
    }

    /// A member call, or the expansion of a receiver-style macro.
    pub(super) fn receiver_call_or_macro(
        &mut self,
        target: Expr,
        name: &str,
        args: Vec<Expr>,
        off: usize,
    ) -> PResult<Expr> {
        if !self.opts.enable_macros {
            return self.plain_call(Some(target), name, args, off);
        }
        if simple_name(&target) == Some("math") && matches!(name, "greatest" | "least") {
            return self.math_min_max(target, name, args, off);
        }
        if self.opts.enable_block_macros && simple_name(&target) == Some("cel") {
            if let Some(r) = self.block_macro(name, &args, off) {
                return match r? {
                    Some(e) => Ok(e),
                    None => self.plain_call(Some(target), name, args, off),
                };
            }
            if name == "block" && args.len() == 2 {
                if matches!(args.first().map(|a| &a.kind), Some(ExprKind::List { .. })) {
                    return self.plain_call(None, "cel.@block", args, off);
                }
                let at = args.first().cloned().unwrap_or_else(|| target.clone());
                return self.macro_error(
                    "cel.block requires the first arg to be a list literal",
                    &at,
                    target,
                    name,
                    args,
                    off,
                );
            }
        }
        let kind = match (name, args.len()) {
            ("all", 2) => Kind::All,
            ("exists", 2) => Kind::Exists,
            // cel-go's environments use the standard macros, which have
            // `exists_one` but not the newer 2-argument `existsOne`
            // (Cerbos 0.55 rejects `l.existsOne(x, p)`).
            ("exists_one", 2) => Kind::ExistsOne,
            ("map", 2 | 3) => Kind::Map,
            ("filter", 2) => Kind::Filter,
            ("all", 3) => Kind::All2,
            ("exists", 3) => Kind::Exists2,
            ("existsOne" | "exists_one", 3) => Kind::ExistsOne2,
            ("transformList", 3 | 4) => Kind::TransformList,
            ("transformMap", 3 | 4) => Kind::TransformMap,
            ("transformMapEntry", 3 | 4) => Kind::TransformMapEntry,
            ("bind", 3) if simple_name(&target) == Some("cel") => Kind::Bind,
            ("optMap", 2) => Kind::OptMap,
            ("optFlatMap", 2) => Kind::OptFlatMap,
            _ => return self.plain_call(Some(target), name, args, off),
        };
        let height = self.source_height(Some(&target), &args);
        match kind {
            Kind::All | Kind::Exists | Kind::ExistsOne | Kind::Map | Kind::Filter => {
                let Some(var) = args.first().and_then(simple_name).map(str::to_string) else {
                    let msg = if matches!(kind, Kind::Map | Kind::Filter) {
                        "argument is not an identifier"
                    } else {
                        "argument must be a simple name"
                    };
                    let at = args.first().cloned().unwrap_or_else(|| target.clone());
                    return self.macro_error(msg, &at, target, name, args, off);
                };
                if var == ACCUMULATOR_VAR {
                    let at = args.first().cloned().unwrap_or_else(|| target.clone());
                    return self.macro_error(
                        "iteration variable overwrites accumulator variable",
                        &at,
                        target,
                        name,
                        args,
                        off,
                    );
                }
                self.expand_one_var(kind, target, var, args, off, height)
            }
            Kind::All2
            | Kind::Exists2
            | Kind::ExistsOne2
            | Kind::TransformList
            | Kind::TransformMap
            | Kind::TransformMapEntry => {
                let v1 = args.first().and_then(simple_name).map(str::to_string);
                let v2 = args.get(1).and_then(simple_name).map(str::to_string);
                let problem = match (&v1, &v2) {
                    (None, _) => Some((0, "argument must be a simple name".to_string())),
                    (_, None) => Some((1, "argument must be a simple name".to_string())),
                    (Some(a), Some(b)) if a == b => {
                        Some((1, format!("duplicate variable name: {a}")))
                    }
                    (Some(a), _) if a == ACCUMULATOR_VAR => Some((
                        0,
                        "iteration variable overwrites accumulator variable".to_string(),
                    )),
                    (_, Some(b)) if b == ACCUMULATOR_VAR => Some((
                        1,
                        "iteration variable overwrites accumulator variable".to_string(),
                    )),
                    _ => None,
                };
                match (problem, v1, v2) {
                    (None, Some(v1), Some(v2)) => {
                        self.expand_two_var(kind, target, v1, v2, args, off, height)
                    }
                    (problem, _, _) => {
                        let (i, msg) =
                            problem.unwrap_or((0, "argument must be a simple name".into()));
                        let at = args.get(i).cloned().unwrap_or_else(|| target.clone());
                        self.macro_error(&msg, &at, target, name, args, off)
                    }
                }
            }
            Kind::Bind => {
                let Some(var) = args.first().and_then(simple_name).map(str::to_string) else {
                    let at = args.first().cloned().unwrap_or_else(|| target.clone());
                    return self.macro_error(
                        "cel.bind() variable names must be simple identifiers",
                        &at,
                        target,
                        name,
                        args,
                        off,
                    );
                };
                let mut it = args.into_iter().skip(1);
                let (Some(init), Some(body)) = (it.next(), it.next()) else {
                    return self.plain_call(Some(target), name, Vec::new(), off);
                };
                let iter_range = self.empty_list(off)?;
                let loop_condition = self.lit(Literal::Bool(false), off)?;
                let loop_step = self.ident(&var, off)?;
                self.fold(
                    Fold {
                        iter_range,
                        iter_var: UNUSED_ITER_VAR.to_string(),
                        iter_var2: None,
                        accu_var: var,
                        accu_init: init,
                        loop_condition,
                        loop_step,
                        result: body,
                    },
                    off,
                    height,
                )
            }
            Kind::OptMap | Kind::OptFlatMap => {
                let Some(var) = args.first().and_then(simple_name).map(str::to_string) else {
                    let msg = if matches!(kind, Kind::OptMap) {
                        "optMap() variable name must be a simple identifier"
                    } else {
                        "optFlatMap() variable name must be a simple identifier"
                    };
                    let at = args.first().cloned().unwrap_or_else(|| target.clone());
                    return self.macro_error(msg, &at, target, name, args, off);
                };
                let Some(body) = args.into_iter().nth(1) else {
                    return self.plain_call(Some(target), name, Vec::new(), off);
                };
                let copy = self.renumber(&target)?;
                let has_value = self.plain_call(Some(target), "hasValue", Vec::new(), off)?;
                let value = self.plain_call(Some(copy), "value", Vec::new(), off)?;
                let iter_range = self.empty_list(off)?;
                let loop_condition = self.lit(Literal::Bool(false), off)?;
                let loop_step = self.ident(&var, off)?;
                let fold = self.fold(
                    Fold {
                        iter_range,
                        iter_var: UNUSED_ITER_VAR.to_string(),
                        iter_var2: None,
                        accu_var: var,
                        accu_init: value,
                        loop_condition,
                        loop_step,
                        result: body,
                    },
                    off,
                    height,
                )?;
                let some = if matches!(kind, Kind::OptMap) {
                    self.plain_call(None, "optional.of", vec![fold], off)?
                } else {
                    fold
                };
                let none = self.plain_call(None, "optional.none", Vec::new(), off)?;
                let h = height.saturating_add(1);
                self.node_with_height(
                    ExprKind::Call {
                        target: None,
                        function: "_?_:_".to_string(),
                        args: vec![has_value, some, none],
                    },
                    off,
                    h,
                )
            }
        }
    }

    /// ext.Math's `math.greatest(…)` / `math.least(…)` macros: calls of
    /// `math.@max` / `math.@min` (three or more arguments as one list),
    /// with literal arguments required to be numeric.
    fn math_min_max(
        &mut self,
        target: Expr,
        name: &str,
        args: Vec<Expr>,
        off: usize,
    ) -> PResult<Expr> {
        fn numeric(e: &Expr) -> bool {
            match &e.kind {
                ExprKind::Literal(l) => {
                    matches!(l, Literal::Int(_) | Literal::Uint(_) | Literal::Double(_))
                }
                ExprKind::List { .. } | ExprKind::Map { .. } | ExprKind::Struct { .. } => false,
                _ => true,
            }
        }
        let function = if name == "greatest" {
            "math.@max"
        } else {
            "math.@min"
        };
        let label = format!("math.{name}()");
        match args.as_slice() {
            [] => {
                let at = target.clone();
                self.macro_error(
                    &format!("{label} requires at least one argument"),
                    &at,
                    target,
                    name,
                    args,
                    off,
                )
            }
            [one] => {
                let list_ok = matches!(&one.kind, ExprKind::List { elements, .. }
                    if !elements.is_empty() && elements.iter().all(numeric));
                if list_ok || numeric(one) {
                    self.plain_call(None, function, args, off)
                } else {
                    let at = one.clone();
                    self.macro_error(
                        &format!("{label} invalid single argument value"),
                        &at,
                        target,
                        name,
                        args,
                        off,
                    )
                }
            }
            many => {
                if let Some(bad) = many.iter().find(|a| !numeric(a)).cloned() {
                    return self.macro_error(
                        &format!("{label} simple literal arguments must be numeric"),
                        &bad,
                        target,
                        name,
                        args,
                        off,
                    );
                }
                if many.len() == 2 {
                    self.plain_call(None, function, args, off)
                } else {
                    let list = self.node(
                        ExprKind::List {
                            elements: args,
                            optional_indices: Vec::new(),
                        },
                        off,
                    )?;
                    self.plain_call(None, function, vec![list], off)
                }
            }
        }
    }

    /// `cel.index(i)`, `cel.iterVar(d, u)` and `cel.accuVar(d, u)` (the
    /// `cel.block` forms of ext.Bindings v1) name cel-go's internal
    /// variables `@index<i>`, `@it:<d>:<u>` and `@ac:<d>:<u>`. `None` when
    /// `name`/arity is not one of them; `Some(Ok(None))` after reporting a
    /// bad argument.
    fn block_macro(
        &mut self,
        name: &str,
        args: &[Expr],
        off: usize,
    ) -> Option<PResult<Option<Expr>>> {
        let non_negative = |e: &Expr| match e.kind {
            ExprKind::Literal(Literal::Int(i)) if i >= 0 => Some(i),
            _ => None,
        };
        let ident = match (name, args) {
            ("index", [i]) => match non_negative(i) {
                Some(i) => format!("@index{i}"),
                None => {
                    let at = self.offset_of(i.id).unwrap_or(off);
                    self.report(
                        "cel.index requires a single non-negative int constant arg",
                        at,
                    );
                    return Some(Ok(None));
                }
            },
            ("iterVar" | "accuVar", [d, u]) => match (non_negative(d), non_negative(u)) {
                (Some(d), Some(u)) => {
                    let prefix = if name == "iterVar" { "@it" } else { "@ac" };
                    format!("{prefix}:{d}:{u}")
                }
                _ => {
                    let at = self.offset_of(d.id).unwrap_or(off);
                    self.report(
                        format!("cel.{name} requires two non-negative int constant args"),
                        at,
                    );
                    return Some(Ok(None));
                }
            },
            _ => return None,
        };
        Some(self.ident(&ident, off).map(Some))
    }

    fn expand_one_var(
        &mut self,
        kind: Kind,
        target: Expr,
        var: String,
        args: Vec<Expr>,
        off: usize,
        height: u32,
    ) -> PResult<Expr> {
        let mut it = args.into_iter();
        let first = it.next();
        let rest: Vec<Expr> = it.collect();
        let (accu_init, loop_condition, loop_step, result) = match (kind, rest.len()) {
            (Kind::All | Kind::Exists | Kind::ExistsOne, _) => {
                let pred = rest.into_iter().next();
                self.quantifier(kind, pred, off)?
            }
            (Kind::Map, n) => {
                let mut r = rest.into_iter();
                let (filter, func) = if n == 2 {
                    (r.next(), r.next())
                } else {
                    (None, r.next())
                };
                let init = self.empty_list(off)?;
                let cond = self.lit(Literal::Bool(true), off)?;
                let step = self.append_step(func, filter, off)?;
                let result = self.accu(off)?;
                (init, cond, step, result)
            }
            _ => {
                // filter: keep the element itself when the predicate holds.
                let filter = rest.into_iter().next();
                let init = self.empty_list(off)?;
                let cond = self.lit(Literal::Bool(true), off)?;
                let step = self.append_step(first, filter, off)?;
                let result = self.accu(off)?;
                (init, cond, step, result)
            }
        };
        self.fold(
            Fold {
                iter_range: target,
                iter_var: var,
                iter_var2: None,
                accu_var: ACCUMULATOR_VAR.to_string(),
                accu_init,
                loop_condition,
                loop_step,
                result,
            },
            off,
            height,
        )
    }

    /// `accu + [elem]`, or `filter ? accu + [elem] : accu`.
    fn append_step(
        &mut self,
        elem: Option<Expr>,
        filter: Option<Expr>,
        off: usize,
    ) -> PResult<Expr> {
        let elements: Vec<Expr> = elem.into_iter().collect();
        let list = self.node(
            ExprKind::List {
                elements,
                optional_indices: Vec::new(),
            },
            off,
        )?;
        let accu = self.accu(off)?;
        let step = self.call("_+_", vec![accu, list], off)?;
        self.filtered(step, filter, off)
    }

    fn filtered(&mut self, step: Expr, filter: Option<Expr>, off: usize) -> PResult<Expr> {
        match filter {
            Some(f) => {
                let accu = self.accu(off)?;
                self.call("_?_:_", vec![f, step, accu], off)
            }
            None => Ok(step),
        }
    }

    /// Init, condition, step and result of `all`, `exists`, `exists_one`
    /// (shared by the one- and two-variable forms).
    fn quantifier(
        &mut self,
        kind: Kind,
        pred: Option<Expr>,
        off: usize,
    ) -> PResult<(Expr, Expr, Expr, Expr)> {
        let pred = match pred {
            Some(p) => p,
            None => self.lit(Literal::Bool(true), off)?,
        };
        Ok(match kind {
            Kind::All | Kind::All2 => {
                let init = self.lit(Literal::Bool(true), off)?;
                let a = self.accu(off)?;
                let cond = self.call("@not_strictly_false", vec![a], off)?;
                let a = self.accu(off)?;
                let step = self.call("_&&_", vec![a, pred], off)?;
                let result = self.accu(off)?;
                (init, cond, step, result)
            }
            Kind::Exists | Kind::Exists2 => {
                let init = self.lit(Literal::Bool(false), off)?;
                let a = self.accu(off)?;
                let not = self.call("!_", vec![a], off)?;
                let cond = self.call("@not_strictly_false", vec![not], off)?;
                let a = self.accu(off)?;
                let step = self.call("_||_", vec![a, pred], off)?;
                let result = self.accu(off)?;
                (init, cond, step, result)
            }
            _ => {
                let init = self.lit(Literal::Int(0), off)?;
                let cond = self.lit(Literal::Bool(true), off)?;
                let a = self.accu(off)?;
                let one = self.lit(Literal::Int(1), off)?;
                let inc = self.call("_+_", vec![a, one], off)?;
                let a = self.accu(off)?;
                let step = self.call("_?_:_", vec![pred, inc, a], off)?;
                let a = self.accu(off)?;
                let one = self.lit(Literal::Int(1), off)?;
                let result = self.call("_==_", vec![a, one], off)?;
                (init, cond, step, result)
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn expand_two_var(
        &mut self,
        kind: Kind,
        target: Expr,
        v1: String,
        v2: String,
        args: Vec<Expr>,
        off: usize,
        height: u32,
    ) -> PResult<Expr> {
        let mut it = args.into_iter();
        let key_ident = it.next();
        let _value_ident = it.next();
        let rest: Vec<Expr> = it.collect();
        let (accu_init, loop_condition, loop_step, result) = match kind {
            Kind::All2 | Kind::Exists2 | Kind::ExistsOne2 => {
                self.quantifier(kind, rest.into_iter().next(), off)?
            }
            _ => {
                let n = rest.len();
                let mut r = rest.into_iter();
                let (filter, transform) = if n == 2 {
                    (r.next(), r.next())
                } else {
                    (None, r.next())
                };
                let cond = self.lit(Literal::Bool(true), off)?;
                let result = self.accu(off)?;
                match kind {
                    Kind::TransformList => {
                        let init = self.empty_list(off)?;
                        let step = self.append_step(transform, filter, off)?;
                        (init, cond, step, result)
                    }
                    _ => {
                        let init = self.node(
                            ExprKind::Map {
                                entries: Vec::new(),
                            },
                            off,
                        )?;
                        let accu = self.accu(off)?;
                        let mut insert_args = vec![accu];
                        if matches!(kind, Kind::TransformMap) {
                            insert_args.extend(key_ident);
                        }
                        insert_args.extend(transform);
                        let step = self.call("cel.@mapInsert", insert_args, off)?;
                        let step = self.filtered(step, filter, off)?;
                        (init, cond, step, result)
                    }
                }
            }
        };
        self.fold(
            Fold {
                iter_range: target,
                iter_var: v1,
                iter_var2: Some(v2),
                accu_var: ACCUMULATOR_VAR.to_string(),
                accu_init,
                loop_condition,
                loop_step,
                result,
            },
            off,
            height,
        )
    }

    /// A deep copy of `e` with fresh ids (cel-go copies the target of
    /// `optMap` the same way).
    fn renumber(&mut self, e: &Expr) -> PResult<Expr> {
        let off = self.offset_of(e.id).unwrap_or(0);
        let kind = match &e.kind {
            ExprKind::Literal(l) => ExprKind::Literal(l.clone()),
            ExprKind::Ident(n) => ExprKind::Ident(n.clone()),
            ExprKind::Select {
                operand,
                field,
                test_only,
                optional,
            } => ExprKind::Select {
                operand: Box::new(self.renumber(operand)?),
                field: field.clone(),
                test_only: *test_only,
                optional: *optional,
            },
            ExprKind::Call {
                target,
                function,
                args,
            } => ExprKind::Call {
                target: match target {
                    Some(t) => Some(Box::new(self.renumber(t)?)),
                    None => None,
                },
                function: function.clone(),
                args: self.renumber_all(args)?,
            },
            ExprKind::List {
                elements,
                optional_indices,
            } => ExprKind::List {
                elements: self.renumber_all(elements)?,
                optional_indices: optional_indices.clone(),
            },
            ExprKind::Map { entries } => {
                let mut out = Vec::with_capacity(entries.len());
                for en in entries {
                    out.push(MapEntry {
                        key: self.renumber(&en.key)?,
                        value: self.renumber(&en.value)?,
                        optional: en.optional,
                    });
                }
                ExprKind::Map { entries: out }
            }
            ExprKind::Struct { type_name, fields } => {
                let mut out = Vec::with_capacity(fields.len());
                for f in fields {
                    out.push(StructField {
                        field: f.field.clone(),
                        value: self.renumber(&f.value)?,
                        optional: f.optional,
                    });
                }
                ExprKind::Struct {
                    type_name: type_name.clone(),
                    fields: out,
                }
            }
            ExprKind::Comprehension(c) => ExprKind::Comprehension(Box::new(Comprehension {
                iter_var: c.iter_var.clone(),
                iter_var2: c.iter_var2.clone(),
                iter_range: self.renumber(&c.iter_range)?,
                accu_var: c.accu_var.clone(),
                accu_init: self.renumber(&c.accu_init)?,
                loop_condition: self.renumber(&c.loop_condition)?,
                loop_step: self.renumber(&c.loop_step)?,
                result: self.renumber(&c.result)?,
            })),
        };
        let h = self.heights.get(e.id as usize).copied().unwrap_or(0);
        self.node_with_height(kind, off, h)
    }

    fn renumber_all(&mut self, es: &[Expr]) -> PResult<Vec<Expr>> {
        es.iter().map(|e| self.renumber(e)).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
    All2,
    Exists2,
    ExistsOne2,
    TransformList,
    TransformMap,
    TransformMapEntry,
    Bind,
    OptMap,
    OptFlatMap,
}
