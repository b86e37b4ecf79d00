// Turns the syntax tree into a tree of closures, once per template; rendering only calls them.
// Nothing derived from template text is ever passed to eval or new Function.
import { getAttribute, getItem, sliceValue } from './access.js';
import type { CallArgs, Expr, FilterCall, Position, Stmt, Target } from './ast.js';
import { RenderFailure, TemplateError } from './errors.js';
import { escapeHtml } from './escape.js';
import { filterFunction } from './filters.js';
import { makeGlobals } from './globals.js';
import { binary, concat, contains, negate } from './operators.js';
import { LimitFailure } from './errors.js';
import { LoopContext, Namespace, RenderState, Scope } from './state.js';
import { TESTS } from './tests.js';
import {
  Markup,
  PyCallable,
  Undefined,
  isNumber,
  isTuple,
  toNumber,
  iterate,
  makeTuple,
  pyCompare,
  pyEquals,
  toStr,
  truthy,
  typeName,
} from './values.js';

type Eval = (st: RenderState, sc: Scope) => unknown;
export type Exec = (st: RenderState, sc: Scope) => void;

export interface CompileSettings {
  name: string;
  autoescape: boolean;
}

const EMPTY_KWARGS: Map<string, unknown> = new Map();
const globalsByState = new WeakMap<RenderState, Map<string, unknown>>();

/** Converts anything thrown below a node into a TemplateError carrying that node's position. */
export function locate(e: unknown, pos: Position, name: string): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof RenderFailure) return new TemplateError(e.kind, e.reason, pos.line, pos.column, name);
  if (e instanceof RangeError) return new TemplateError('limit', `maxNestingDepth exceeded: ${e.message}`, pos.line, pos.column, name);
  return new TemplateError('render', e instanceof Error ? e.message : String(e), pos.line, pos.column, name);
}

export function compileProgram(body: Stmt[], settings: CompileSettings): Exec {
  return new Compiler(settings).block(body);
}

function lookupName(st: RenderState, sc: Scope, name: string): unknown {
  for (let s: Scope | null = sc; s !== null; s = s.parent) {
    const v = s.vars.get(name);
    if (v !== undefined) return v;
  }
  const root = st.root;
  if (Object.prototype.propertyIsEnumerable.call(root, name)) {
    const v = root[name];
    if (v !== undefined) return v;
  }
  let globals = globalsByState.get(st);
  if (globals === undefined) globalsByState.set(st, (globals = makeGlobals(st)));
  const g = globals.get(name);
  return g !== undefined ? g : st.undefined(`'${name}' is undefined`);
}

function printable(v: unknown, autoescape: boolean): string {
  if (typeof v === 'string') return autoescape ? escapeHtml(v) : v;
  if (v instanceof Markup) return v.value;
  return autoescape ? escapeHtml(toStr(v)) : toStr(v);
}

/** Does any node below mention this name? (macros collect varargs/kwargs only when asked for) */
function mentions(node: unknown, name: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some((n) => mentions(n, name));
  const rec = node as Record<string, unknown>;
  if (rec['type'] === 'name' && rec['name'] === name) return true;
  for (const k of Object.keys(rec)) if (mentions(rec[k], name)) return true;
  return false;
}

function containsSet(body: Stmt[]): boolean {
  return body.some((s) => s.type === 'set' || s.type === 'setblock' || s.type === 'macro' || (s.type === 'if' && (containsSet(s.body) || containsSet(s.otherwise))));
}

class Compiler {
  constructor(private readonly settings: CompileSettings) {}

  private fail(reason: string, pos: Position): never {
    throw new TemplateError('syntax', reason, pos.line, pos.column, this.settings.name);
  }

  /** Wraps a closure so failures inside it report this node's line and column. */
  private at<T extends Eval | Exec>(pos: Position, fn: T): T {
    const name = this.settings.name;
    return ((st: RenderState, sc: Scope) => {
      try {
        return fn(st, sc);
      } catch (e) {
        throw locate(e, pos, name);
      }
    }) as T;
  }

  // ---- statements ------------------------------------------------------------------------------

  block(body: Stmt[]): Exec {
    const parts: Exec[] = [];
    let text = '';
    // Adjacent data nodes and constant outputs are merged into one write.
    for (const s of body) {
      if (s.type === 'data') {
        text += s.text;
        continue;
      }
      if (text) {
        const t = text;
        parts.push((st) => st.write(t));
        text = '';
      }
      parts.push(this.stmt(s));
    }
    if (text) parts.push((st) => st.write(text));
    if (parts.length === 0) return () => {};
    if (parts.length === 1) return parts[0]!;
    return (st, sc) => {
      for (let i = 0; i < parts.length; i++) {
        parts[i]!(st, sc);
        if (st.control !== 0) return;
      }
    };
  }

  private stmt(s: Stmt): Exec {
    switch (s.type) {
      case 'data': {
        const t = s.text;
        return (st) => st.write(t);
      }
      case 'output': {
        const e = this.expr(s.expr);
        const ae = this.settings.autoescape;
        return this.at(s, (st, sc) => {
          const v = e(st, sc);
          st.write(typeof v === 'string' ? (ae ? escapeHtml(v) : v) : printable(v, ae));
        });
      }
      case 'if': {
        const test = this.expr(s.test);
        const body = this.block(s.body);
        const other = this.block(s.otherwise);
        return (st, sc) => (truthy(test(st, sc)) ? body(st, sc) : other(st, sc));
      }
      case 'for':
        return this.forLoop(s);
      case 'set': {
        const value = this.expr(s.value);
        const assign = this.assigner(s.target);
        return this.at(s, (st, sc) => assign(st, sc, value(st, sc)));
      }
      case 'setblock': {
        const body = this.block(s.body);
        const filters = this.filterChain(s.filters);
        const assign = this.assigner(s.target);
        const ae = this.settings.autoescape;
        return this.at(s, (st, sc) => {
          const text = capture(st, () => body(st, new Scope(sc)));
          assign(st, sc, filters(st, sc, ae ? new Markup(text) : text));
        });
      }
      case 'filterblock': {
        const body = this.block(s.body);
        const filters = this.filterChain(s.filters);
        const ae = this.settings.autoescape;
        return this.at(s, (st, sc) => {
          const text = capture(st, () => body(st, new Scope(sc)));
          st.write(printable(filters(st, sc, ae ? new Markup(text) : text), ae));
        });
      }
      case 'macro':
        return this.macro(s);
      case 'with': {
        const values = s.assignments.map((a) => ({ value: this.expr(a.value), assign: this.assigner(a.target) }));
        const body = this.block(s.body);
        return this.at(s, (st, sc) => {
          const inner = new Scope(sc);
          const computed = values.map((v) => v.value(st, sc));
          values.forEach((v, i) => v.assign(st, inner, computed[i]));
          body(st, inner);
        });
      }
      case 'do': {
        const e = this.expr(s.expr);
        return this.at(s, (st, sc) => void e(st, sc));
      }
      case 'break':
        return (st) => void (st.control = 1);
      case 'continue':
        return (st) => void (st.control = 2);
    }
  }

  private forLoop(s: Extract<Stmt, { type: 'for' }>): Exec {
    const iter = this.expr(s.iter);
    const assign = this.assigner(s.target);
    const condition = s.condition === null ? null : this.expr(s.condition);
    const body = this.block(s.body);
    const otherwise = this.block(s.otherwise);
    const usesLoop = mentions(s.body, 'loop');
    const resetScope = containsSet(s.body);
    const simpleName = s.target.type === 'name' ? s.target.name : null;
    return this.at(s, (st, sc) => {
      let items = iterate(iter(st, sc));
      const inner = new Scope(sc);
      if (condition !== null) {
        items = items.filter((x) => {
          st.tick();
          assign(st, inner, x);
          return truthy(condition(st, inner));
        });
        inner.vars.clear();
      }
      if (items.length === 0) {
        otherwise(st, sc);
        return;
      }
      const loop = usesLoop ? new LoopContext(items, st) : null;
      const vars = inner.vars;
      for (let i = 0; i < items.length; i++) {
        st.tick();
        if (resetScope) vars.clear();
        if (simpleName !== null) vars.set(simpleName, items[i]);
        else assign(st, inner, items[i]);
        if (loop !== null) {
          loop.index0 = i;
          vars.set('loop', loop);
        }
        body(st, inner);
        if (st.control !== 0) {
          const stop = st.control === 1;
          st.control = 0;
          if (stop) break;
        }
      }
    });
  }

  private macro(s: Extract<Stmt, { type: 'macro' }>): Exec {
    const body = this.block(s.body);
    const params = s.params.map((p) => ({ name: p.name, default: p.default === null ? null : this.expr(p.default) }));
    const takesVarargs = mentions(s.body, 'varargs');
    const takesKwargs = mentions(s.body, 'kwargs');
    const ae = this.settings.autoescape;
    const macroName = s.name;
    const attributes = new Map<string, unknown>([
      ['name', macroName],
      ['arguments', makeTuple(params.map((p) => p.name))],
      ['caller', false],
      ['catch_varargs', takesVarargs],
      ['catch_kwargs', takesKwargs],
    ]);
    return (st, defining) => {
      const call = (args: unknown[], kwargs: Map<string, unknown>): unknown => {
        if (++st.callDepth > st.limits.maxNestingDepth) {
          st.callDepth--;
          throw new LimitFailure('maxNestingDepth', `macro calls nest deeper than ${st.limits.maxNestingDepth}`);
        }
        try {
          st.checkClock();
          const scope = new Scope(defining);
          if (args.length > params.length && !takesVarargs) throw new RenderFailure(`macro '${macroName}' takes not more than ${params.length} argument(s)`);
          for (const k of kwargs.keys()) {
            const i = params.findIndex((p) => p.name === k);
            if (i < 0 && !takesKwargs) throw new RenderFailure(`macro '${macroName}' takes no keyword argument '${k}'`);
            if (i >= 0 && i < args.length) throw new RenderFailure(`macro '${macroName}' got multiple values for argument '${k}'`);
          }
          params.forEach((p, i) => {
            let v: unknown;
            if (i < args.length) v = args[i];
            else if (kwargs.has(p.name)) v = kwargs.get(p.name);
            else if (p.default !== null) v = p.default(st, scope);
            else v = st.undefined(`parameter '${p.name}' was not provided`);
            scope.vars.set(p.name, v);
          });
          if (takesVarargs) scope.vars.set('varargs', makeTuple(args.slice(params.length)));
          if (takesKwargs) scope.vars.set('kwargs', new Map([...kwargs].filter(([k]) => !params.some((p) => p.name === k))));
          const text = capture(st, () => body(st, scope));
          return ae ? new Markup(text) : text;
        } finally {
          st.callDepth--;
        }
      };
      defining.vars.set(macroName, new PyCallable(macroName, call, 'macro', attributes));
    };
  }

  /** How `for` and `set` store a value into a target (name, tuple unpacking or namespace attribute). */
  private assigner(t: Target): (st: RenderState, sc: Scope, v: unknown) => void {
    if (t.type === 'name') {
      const name = t.name;
      return (_st, sc, v) => void sc.vars.set(name, v);
    }
    if (t.type === 'nsattr') {
      const { name, attr } = t;
      return (st, sc, v) => {
        const ns = lookupName(st, sc, name);
        if (!(ns instanceof Namespace)) throw new RenderFailure(`cannot assign attribute on non-namespace object '${name}'`);
        ns.attrs.set(attr, v);
      };
    }
    const parts = t.items.map((i) => this.assigner(i));
    return (st, sc, v) => {
      const items = iterate(v);
      if (items.length < parts.length) throw new RenderFailure(`not enough values to unpack (expected ${parts.length}, got ${items.length})`);
      if (items.length > parts.length) throw new RenderFailure(`too many values to unpack (expected ${parts.length})`);
      parts.forEach((p, i) => p(st, sc, items[i]));
    };
  }

  private filterChain(filters: FilterCall[]): (st: RenderState, sc: Scope, v: unknown) => unknown {
    const steps = filters.map((f) => this.filterStep(f));
    return (st, sc, v) => {
      for (const step of steps) v = step(st, sc, v);
      return v;
    };
  }

  private filterStep(f: FilterCall): (st: RenderState, sc: Scope, v: unknown) => unknown {
    const fn = filterFunction(f.name);
    if (fn === undefined) this.fail(`no filter named '${f.name}'`, f);
    const args = this.args(f);
    const name = this.settings.name;
    return (st, sc, v) => {
      try {
        return fn(st, v, args.positional(st, sc), args.keywords(st, sc));
      } catch (e) {
        throw locate(e, f, name);
      }
    };
  }

  private args(c: CallArgs): { positional: (st: RenderState, sc: Scope) => unknown[]; keywords: (st: RenderState, sc: Scope) => Map<string, unknown> } {
    const pos = c.args.map((a) => this.expr(a));
    const kw = c.kwargs.map((k) => ({ name: k.name, value: this.expr(k.value) }));
    return {
      positional: pos.length === 0 ? () => [] : (st, sc) => pos.map((p) => p(st, sc)),
      keywords:
        kw.length === 0
          ? () => EMPTY_KWARGS
          : (st, sc) => {
              const m = new Map<string, unknown>();
              for (const k of kw) m.set(k.name, k.value(st, sc));
              return m;
            },
    };
  }

  // ---- expressions -----------------------------------------------------------------------------

  expr(e: Expr): Eval {
    switch (e.type) {
      case 'const': {
        const v = e.value;
        return () => v;
      }
      case 'name': {
        const name = e.name;
        return (st, sc) => lookupName(st, sc, name);
      }
      case 'list': {
        const items = e.items.map((i) => this.expr(i));
        return (st, sc) => items.map((i) => i(st, sc));
      }
      case 'tuple': {
        const items = e.items.map((i) => this.expr(i));
        return (st, sc) => makeTuple(items.map((i) => i(st, sc)));
      }
      case 'dict': {
        const pairs = e.pairs.map((p) => ({ key: this.expr(p.key), value: this.expr(p.value) }));
        return this.at(e, (st, sc) => {
          const m = new Map<unknown, unknown>();
          for (const p of pairs) {
            let k = p.key(st, sc);
            if (k instanceof Markup) k = k.value;
            if (Array.isArray(k) && !isTuple(k)) throw new RenderFailure("unhashable type: 'list'");
            if (k instanceof Map || (typeof k === 'object' && k !== null && !Array.isArray(k) && !(k instanceof Undefined) && typeName(k) === 'dict')) throw new RenderFailure("unhashable type: 'dict'");
            m.set(k, p.value(st, sc));
          }
          return m;
        });
      }
      case 'getattr': {
        const obj = this.expr(e.object);
        const attr = e.attr;
        return this.at(e, (st, sc) => getAttribute(st, obj(st, sc), attr));
      }
      case 'getitem': {
        const obj = this.expr(e.object);
        if (e.key.type === 'slice') {
          const { start, stop, step } = e.key;
          const a = start === null ? null : this.expr(start);
          const b = stop === null ? null : this.expr(stop);
          const c = step === null ? null : this.expr(step);
          return this.at(e, (st, sc) => sliceValue(obj(st, sc), a === null ? null : a(st, sc), b === null ? null : b(st, sc), c === null ? null : c(st, sc)));
        }
        const key = this.expr(e.key);
        return this.at(e, (st, sc) => getItem(st, obj(st, sc), key(st, sc)));
      }
      case 'slice':
        return this.fail('a slice is only allowed inside []', e);
      case 'binary': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        const op = e.op;
        const folded = op === '**' ? foldConstant(e.left) : undefined;
        if (folded !== undefined && isNumber(folded) && toNumber(folded) < 0 && foldConstant(e.right) === undefined) {
          // Jinja2 writes a folded negative constant into Python source as `-3 ** x`, which Python reads as -(3 ** x).
          const magnitude = negate(folded, false);
          return this.at(e, (st, sc) => negate(binary(st, '**', magnitude, r(st, sc)), false));
        }
        return this.at(e, (st, sc) => binary(st, op, l(st, sc), r(st, sc)));
      }
      case 'concat': {
        const items = e.items.map((i) => this.expr(i));
        return this.at(e, (st, sc) => concat(st, items.map((i) => i(st, sc))));
      }
      case 'compare': {
        const first = this.expr(e.first);
        const rest = e.rest.map((r) => ({ op: r.op, expr: this.expr(r.expr) }));
        return this.at(e, (st, sc) => {
          let left = first(st, sc);
          for (const r of rest) {
            const right = r.expr(st, sc);
            if (!compare(r.op, left, right)) return false;
            left = right;
          }
          return true;
        });
      }
      case 'and': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        return (st, sc) => {
          const v = l(st, sc);
          return truthy(v) ? r(st, sc) : v;
        };
      }
      case 'or': {
        const l = this.expr(e.left);
        const r = this.expr(e.right);
        return (st, sc) => {
          const v = l(st, sc);
          return truthy(v) ? v : r(st, sc);
        };
      }
      case 'not': {
        const o = this.expr(e.operand);
        return this.at(e, (st, sc) => !truthy(o(st, sc)));
      }
      case 'neg':
      case 'pos': {
        const positive = e.type === 'pos';
        if (e.operand.type === 'const' && isNumber(e.operand.value)) {
          const v = negate(e.operand.value, positive);
          return () => v;
        }
        const o = this.expr(e.operand);
        return this.at(e, (st, sc) => negate(o(st, sc), positive));
      }
      case 'condexpr': {
        const test = this.expr(e.test);
        const then = this.expr(e.then);
        const other = e.otherwise === null ? null : this.expr(e.otherwise);
        const line = e.line;
        return (st, sc) => {
          if (truthy(test(st, sc))) return then(st, sc);
          return other !== null ? other(st, sc) : st.undefined(`the inline if-expression on line ${line} evaluated to false and no else section was defined.`);
        };
      }
      case 'filter': {
        const operand = this.expr(e.operand);
        const step = this.filterStep(e);
        return (st, sc) => step(st, sc, operand(st, sc));
      }
      case 'test': {
        const test = TESTS.get(e.name);
        if (test === undefined) this.fail(`no test named '${e.name}'`, e);
        const operand = this.expr(e.operand);
        const args = this.args(e);
        const negated = e.negated;
        return this.at(e, (st, sc) => test(st, operand(st, sc), args.positional(st, sc), args.keywords(st, sc)) !== negated);
      }
      case 'call': {
        const callee = this.expr(e.callee);
        const args = this.args(e);
        return this.at(e, (st, sc) => {
          const f = callee(st, sc);
          // Arguments are evaluated before the callee is checked, as in Jinja2.
          const positional = args.positional(st, sc);
          const keywords = args.keywords(st, sc);
          if (f instanceof PyCallable) return f.call(positional, keywords);
          if (f instanceof Undefined) f.fail();
          throw new RenderFailure(`'${typeName(f)}' object is not callable`);
        });
      }
    }
  }
}

const FOLD_STATE = new RenderState({}, false, false, { maxOutputBytes: 1 << 20, maxLoopIterations: 0, maxRangeSize: 0, maxStringRepeat: 1 << 20, maxNestingDepth: 0, maxRenderMs: 0 });

/** The value of a constant number expression (Jinja2's compile-time folding), or undefined. */
function foldConstant(e: Expr): unknown {
  try {
    if (e.type === 'const') return isNumber(e.value) ? e.value : undefined;
    if (e.type === 'neg' || e.type === 'pos') {
      const v = foldConstant(e.operand);
      return v === undefined ? undefined : negate(v, e.type === 'pos');
    }
    if (e.type === 'binary') {
      const a = foldConstant(e.left);
      const b = foldConstant(e.right);
      return a === undefined || b === undefined ? undefined : binary(FOLD_STATE, e.op, a, b);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return pyEquals(a, b);
    case '!=':
      return !pyEquals(a, b);
    case '<':
      return pyCompare(a, b, op) < 0;
    case '<=':
      return pyCompare(a, b, op) <= 0;
    case '>':
      return pyCompare(a, b, op) > 0;
    case '>=':
      return pyCompare(a, b, op) >= 0;
    case 'in':
      return contains(b, a);
    default:
      return !contains(b, a);
  }
}

/** Runs `fn` with a fresh output buffer and returns what it wrote. */
function capture(st: RenderState, fn: () => void): string {
  const saved = st.out;
  st.out = '';
  try {
    fn();
    return st.out;
  } finally {
    st.out = saved;
  }
}
