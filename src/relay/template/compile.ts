// Turns the syntax tree into a tree of closures, once per template; rendering only calls them.
// Nothing derived from template text is ever passed to eval or new Function.
import { METHOD_NAMES, getAttribute, getItem, sliceValue } from './access.js';
import type { CallArgs, Expr, FilterCall, Position, Stmt, Target } from './ast.js';
import { LimitFailure, RenderFailure, TemplateError } from './errors.js';
import { escapeHtml } from './escape.js';
import { singleSpecFormatter } from './format.js';
import { roundWithRepr } from './numbers.js';
// Side-effect imports: each fills its registry.
import './filters.js';
import './jinja-tests.js';
import { FILTERS, TESTS } from './registry.js';
import { binary, concat, negate } from './operators.js';
import { LoopContext, Namespace, RenderState, Scope } from './state.js';
import { assignedNames, containsSet, foldConstant, mentions } from './analysis.js';
import { capture, compare, lookupName, lookupRoot, printable } from './runtime.js';
import {
  Markup,
  PyCallable,
  PyFloat,
  Undefined,
  isNumber,
  isTuple,
  toNumber,
  iterate,
  makeTuple,
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
const hasOwn = Object.prototype.hasOwnProperty;
const toUpperCase = String.prototype.toUpperCase;
const toLowerCase = String.prototype.toLowerCase;

/** An own, defined field of a plain data object (the common `.attr` case), else undefined: the caller falls back to getAttribute. */
function ownField(o: unknown, attr: string): unknown {
  // Arrays, Maps and class instances have another prototype and take the slow path.
  if (o !== null && typeof o === 'object') {
    const proto = Object.getPrototypeOf(o);
    if ((proto === Object.prototype || proto === null) && hasOwn.call(o, attr)) return (o as Record<string, unknown>)[attr];
  }
  return undefined;
}

function isPlainData(o: unknown): boolean {
  if (o === null || typeof o !== 'object') return false;
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

/** ownField for a loop variable in a frame slot: the plain-object check was made when the loop stored it. */
function frameField(st: RenderState, slot: number, attr: string): unknown {
  const o = st.frame[slot];
  return st.framePlain[slot] === true && hasOwn.call(o, attr) ? (o as Record<string, unknown>)[attr] : undefined;
}

/** Is there a break/continue in these statements or in any statement body below them? */
function hasLoopControl(body: Stmt[]): boolean {
  for (const s of body) {
    switch (s.type) {
      case 'break':
      case 'continue':
        return true;
      case 'for':
      case 'if':
        if (hasLoopControl(s.body) || hasLoopControl(s.otherwise)) return true;
        break;
      case 'setblock':
      case 'filterblock':
      case 'macro':
      case 'with':
      case 'autoescape':
      case 'block':
        if (hasLoopControl(s.body)) return true;
        break;
      default:
        break;
    }
  }
  return false;
}

/** Converts anything thrown below a node into a TemplateError carrying that node's position. */
export function locate(e: unknown, pos: Position, name: string): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof RenderFailure) return new TemplateError(e.kind, e.reason, pos.line, pos.column, name);
  if (e instanceof RangeError) return new TemplateError('limit', `maxNestingDepth exceeded: ${e.message}`, pos.line, pos.column, name);
  return new TemplateError('render', e instanceof Error ? e.message : String(e), pos.line, pos.column, name);
}

const STEP_EXEC = 0;
const STEP_TEXT = 1;
const STEP_CONTEXT = 2;
const STEP_FIELD = 3;
const STEP_VALUE = 4;
const NO_POSITION: Position = { line: 1, column: 1 };
const NO_BINDINGS: ReadonlyMap<string, number> = new Map();
const STEP_FRAME_FIELD = 5;

/**
 * One entry of a statement list. Text and the common output shapes run inline in the list's loop
 * (one monomorphic switch instead of a call through a closure shared by every node of its kind);
 * every other statement is a closure (`exec`).
 */
class Step {
  constructor(
    readonly kind: number,
    readonly exec: Exec | null,
    /** The output's expression (STEP_CONTEXT, STEP_VALUE). */
    readonly value: Eval | null,
    /** The text to write (STEP_TEXT) or the text after the output. */
    readonly text: string,
    /** STEP_CONTEXT: RenderState.rootCache slot of the printed text. */
    readonly slot: number,
    /** STEP_FIELD: `base.attr`. */
    readonly base: string,
    readonly attr: string,
    readonly node: Position,
    readonly attrNode: Position,
    readonly autoescape: boolean,
  ) {}
}

function runStep(p: Step, st: RenderState, sc: Scope): void {
  const kind = p.kind;
  if (kind === STEP_EXEC) return p.exec!(st, sc);
  if (kind === STEP_TEXT) return st.write(p.text);
  if (kind === STEP_CONTEXT) {
    let text = st.rootCache[p.slot] as string | undefined;
    if (text === undefined) {
      const v = p.value!(st, sc);
      st.pos = p.node;
      st.rootCache[p.slot] = text = typeof v === 'string' ? (p.autoescape ? escapeHtml(v) : v) : printable(v, p.autoescape);
    }
    return st.write(text + p.text);
  }
  let v: unknown;
  if (kind === STEP_VALUE) v = p.value!(st, sc);
  else {
    // STEP_FRAME_FIELD / STEP_FIELD: `base.attr`.
    let o: unknown;
    if (kind === STEP_FRAME_FIELD) {
      o = st.frame[p.slot];
      v = frameField(st, p.slot, p.attr);
    } else {
      o = lookupName(st, sc, p.base);
      v = ownField(o, p.attr);
    }
    if (v === undefined) {
      st.pos = p.attrNode;
      v = getAttribute(st, o, p.attr);
    }
  }
  if (typeof v === 'string') st.write((p.autoescape ? escapeHtml(v) : v) + p.text);
  else {
    st.pos = p.node;
    st.write(printable(v, p.autoescape) + p.text);
  }
}

function runSteps(steps: Step[], st: RenderState, sc: Scope): void {
  for (let i = 0; i < steps.length; i++) runStep(steps[i]!, st, sc);
}

function runStepsUntilControl(steps: Step[], st: RenderState, sc: Scope): void {
  for (let i = 0; i < steps.length; i++) {
    runStep(steps[i]!, st, sc);
    if (st.control !== 0) return;
  }
}

export function compileProgram(body: Stmt[], settings: CompileSettings): Exec {
  return new Compiler(settings, body).block(body);
}

class Compiler {
  /** Every name the template assigns anywhere (set, for, with, macro names and parameters). */
  private readonly assigned: Set<string>;

  constructor(
    private readonly settings: CompileSettings,
    body: Stmt[],
    parent: Compiler | null = null,
  ) {
    this.assigned = parent !== null ? parent.assigned : assignedNames(body);
    this.rootSlots = parent !== null ? parent.rootSlots : new Map();
    this.loopControl = parent !== null ? parent.loopControl : hasLoopControl(body);
    this.frameSlots = parent !== null ? parent.frameSlots : { count: 0 };
  }

  /**
   * Names whose value is in RenderState.frame while the code being compiled runs: the variable and `loop`
   * of the for loops around it, when nothing can rebind them there (no `set` in the loop body) and no new
   * scope lies between (macro, with, block, filter and set blocks, inner loops compile with no bindings).
   */
  private bindings: ReadonlyMap<string, number> = NO_BINDINGS;
  private readonly frameSlots: { count: number };

  private compileWith<T>(bindings: ReadonlyMap<string, number>, fn: () => T): T {
    const saved = this.bindings;
    this.bindings = bindings;
    try {
      return fn();
    } finally {
      this.bindings = saved;
    }
  }

  /** Does the template use break/continue anywhere? If not, statement lists never check st.control. */
  private readonly loopControl: boolean;

  /** Slot of each root name in RenderState.rootCache: the variables never change during a render. */
  private readonly rootSlots: Map<string, number>;

  private rootReader(name: string): (st: RenderState) => unknown {
    let slot = this.rootSlots.get(name);
    if (slot === undefined) this.rootSlots.set(name, (slot = this.rootSlots.size));
    const at = slot;
    return (st) => {
      let v = st.rootCache[at];
      if (v === undefined) st.rootCache[at] = v = lookupRoot(st, name);
      return v;
    };
  }

  /** A per-render cache slot in RenderState.rootCache for a value derived only from the context. */
  private slot(key: string): number {
    let slot = this.rootSlots.get(key);
    if (slot === undefined) this.rootSlots.set(key, (slot = this.rootSlots.size));
    return slot;
  }

  private lookup(name: string): (st: RenderState, sc: Scope) => unknown {
    const bound = this.bindings.get(name);
    if (bound !== undefined) return (st) => st.frame[bound];
    if (this.assigned.has(name)) return (st, sc) => lookupName(st, sc, name);
    return this.rootReader(name);
  }

  private fail(reason: string, pos: Position): never {
    throw new TemplateError('syntax', reason, pos.line, pos.column, this.settings.name);
  }

  // ---- statements ------------------------------------------------------------------------------

  block(body: Stmt[]): Exec {
    const steps: Step[] = [];
    let text = '';
    // Adjacent data nodes are merged into one write.
    for (let i = 0; i < body.length; i++) {
      const s = body[i]!;
      if (s.type === 'data') {
        text += s.text;
        continue;
      }
      if (text) {
        steps.push(new Step(STEP_TEXT, null, null, text, 0, '', '', s, s, false));
        text = '';
      }
      if (s.type === 'output') {
        // An output followed by text becomes one step: half the steps in typical HTML.
        let trailing = '';
        while (body[i + 1]?.type === 'data') trailing += (body[++i] as { text: string }).text;
        steps.push(this.output(s, trailing));
        continue;
      }
      steps.push(new Step(STEP_EXEC, this.stmt(s), null, '', 0, '', '', s, s, false));
    }
    if (text) steps.push(new Step(STEP_TEXT, null, null, text, 0, '', '', NO_POSITION, NO_POSITION, false));
    if (steps.length === 0) return () => {};
    if (steps.length === 1 && steps[0]!.kind === STEP_EXEC) return steps[0]!.exec!;
    // No break/continue in the template: nothing can stop the list early.
    if (!this.loopControl) return (st, sc) => runSteps(steps, st, sc);
    return (st, sc) => runStepsUntilControl(steps, st, sc);
  }

  private stmt(s: Stmt): Exec {
    switch (s.type) {
      case 'macro':
      case 'with':
      case 'setblock':
      case 'filterblock':
      case 'block':
      case 'autoescape':
        // New scopes (or code run later, for macros): names there are looked up through the scopes.
        if (this.bindings !== NO_BINDINGS) return this.compileWith(NO_BINDINGS, () => this.stmt(s));
        break;
      default:
        break;
    }
    switch (s.type) {
      case 'data': {
        const t = s.text;
        return (st) => st.write(t);
      }
      case 'output':
        return this.block([s]);
      case 'if': {
        const test = this.expr(s.test);
        const body = this.block(s.body);
        const other = this.block(s.otherwise);
        return (st, sc) => {
          const v = test(st, sc);
          st.pos = s;
          if (truthy(v)) body(st, sc);
          else other(st, sc);
        };
      }
      case 'for':
        return this.forLoop(s);
      case 'set': {
        const value = this.expr(s.value);
        const assign = this.assigner(s.target);
        return (st, sc) => {
          const v = value(st, sc);
          st.pos = s;
          assign(st, sc, v);
        };
      }
      case 'setblock': {
        const body = this.block(s.body);
        const filters = this.filterChain(s.filters);
        const assign = this.assigner(s.target);
        const ae = this.settings.autoescape;
        return (st, sc) => {
          const text = capture(st, () => body(st, new Scope(sc)));
          const v = filters(st, sc, ae ? new Markup(text) : text);
          st.pos = s;
          assign(st, sc, v);
        };
      }
      case 'filterblock': {
        const body = this.block(s.body);
        const filters = this.filterChain(s.filters);
        const ae = this.settings.autoescape;
        return (st, sc) => {
          const text = capture(st, () => body(st, new Scope(sc)));
          const v = filters(st, sc, ae ? new Markup(text) : text);
          st.pos = s;
          st.write(printable(v, ae));
        };
      }
      case 'macro':
        return this.macro(s);
      case 'with': {
        const values = s.assignments.map((a) => ({ value: this.expr(a.value), assign: this.assigner(a.target) }));
        const body = this.block(s.body);
        return (st, sc) => {
          const inner = new Scope(sc);
          const computed = values.map((v) => v.value(st, sc));
          st.pos = s;
          values.forEach((v, i) => v.assign(st, inner, computed[i]));
          body(st, inner);
        };
      }
      case 'do': {
        const e = this.expr(s.expr);
        return (st, sc) => void e(st, sc);
      }
      case 'autoescape': {
        // The body is compiled with the other setting; operators read st.autoescape while it runs.
        const body = new Compiler({ ...this.settings, autoescape: s.enabled }, s.body, this).block(s.body);
        const enabled = s.enabled;
        return (st, sc) => {
          const saved = st.autoescape;
          st.autoescape = enabled;
          try {
            body(st, sc);
          } finally {
            st.autoescape = saved;
          }
        };
      }
      case 'block': {
        const body = this.block(s.body);
        const { scoped, required, name } = s;
        return (st, sc) => {
          st.pos = s;
          if (required) throw new RenderFailure(`Required block '${name}' not found`);
          // Blocks see the template's top level, not the loop or macro around them, unless scoped.
          body(st, new Scope(scoped ? sc : (st.top ?? sc)));
        };
      }
      case 'break':
        return (st) => void (st.control = 1);
      case 'continue':
        return (st) => void (st.control = 2);
    }
  }

  /** `{{ expr }}` and the literal text after it, as a step the statement list runs inline. */
  private output(s: Extract<Stmt, { type: 'output' }>, trailing: string): Step {
    const ae = this.settings.autoescape;
    const e = this.expr(s.expr);
    const path = this.rootPath(s.expr);
    if (path !== null) {
      // `{{ order.currency }}`: the context is read-only during a render, so the escaped text is computed once.
      const at = this.slot(`\0print${ae ? 'E' : 'P'}:${path.join('.')}`);
      return new Step(STEP_CONTEXT, null, e, trailing, at, '', '', s, s, ae);
    }
    const x = s.expr;
    if (x.type === 'getattr' && x.object.type === 'name' && x.object.name !== 'loop' && this.assigned.has(x.object.name) && !METHOD_NAMES.has(x.attr)) {
      // `{{ item.name }}` on a loop or set variable: lookup, field read, escape and write with no closure call.
      const bound = this.bindings.get(x.object.name);
      if (bound !== undefined) return new Step(STEP_FRAME_FIELD, null, null, trailing, bound, x.object.name, x.attr, s, x, ae);
      return new Step(STEP_FIELD, null, null, trailing, 0, x.object.name, x.attr, s, x, ae);
    }
    return new Step(STEP_VALUE, null, e, trailing, 0, '', '', s, s, ae);
  }

  private forLoop(s: Extract<Stmt, { type: 'for' }>): Exec {
    const iter = this.expr(s.iter);
    const assign = this.assigner(s.target);
    const condition = s.condition === null ? null : this.compileWith(NO_BINDINGS, () => this.expr(s.condition!));
    const usesLoop = mentions(s.body, 'loop');
    const resetScope = containsSet(s.body);
    const simpleName = s.target.type === 'name' ? s.target.name : null;
    // Without `set` in the body nothing rebinds the loop variable or `loop` there: the body reads them from frame slots.
    const bindable = simpleName !== null && simpleName !== 'loop' && !resetScope;
    const itemSlot = bindable ? this.frameSlots.count++ : -1;
    const loopSlot = bindable && usesLoop ? this.frameSlots.count++ : -1;
    const bodyBindings = new Map<string, number>();
    if (itemSlot >= 0) bodyBindings.set(simpleName!, itemSlot);
    if (loopSlot >= 0) bodyBindings.set('loop', loopSlot);
    const body = this.compileWith(bodyBindings.size > 0 ? bodyBindings : NO_BINDINGS, () => this.block(s.body));
    const otherwise = this.block(s.otherwise);
    return (st, sc) => {
      const iterable = iter(st, sc);
      st.pos = s;
      let items = iterate(iterable);
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
      // The same LoopContext serves every iteration; only a body with `set` needs the scope rebuilt.
      if (loop !== null) vars.set('loop', loop);
      // A macro called from the body may run this same loop again (recursion): slots are restored on the way out.
      const frame = st.frame;
      const framePlain = st.framePlain;
      const savedItem = itemSlot >= 0 ? frame[itemSlot] : undefined;
      const savedPlain = itemSlot >= 0 ? framePlain[itemSlot] === true : false;
      const savedLoop = loopSlot >= 0 ? frame[loopSlot] : undefined;
      if (loopSlot >= 0) frame[loopSlot] = loop;
      for (let i = 0; i < items.length; i++) {
        st.pos = s;
        st.tick();
        if (resetScope) {
          vars.clear();
          if (loop !== null) vars.set('loop', loop);
        }
        if (simpleName !== null) vars.set(simpleName, items[i]);
        else assign(st, inner, items[i]);
        if (itemSlot >= 0) {
          frame[itemSlot] = items[i];
          framePlain[itemSlot] = isPlainData(items[i]);
        }
        if (loop !== null) loop.index0 = i;
        body(st, inner);
        if (st.control !== 0) {
          const stop = st.control === 1;
          st.control = 0;
          if (stop) break;
        }
      }
      if (itemSlot >= 0) {
        frame[itemSlot] = savedItem;
        framePlain[itemSlot] = savedPlain;
      }
      if (loopSlot >= 0) frame[loopSlot] = savedLoop;
    };
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
    const fn = FILTERS.get(f.name);
    if (fn === undefined) this.fail(`no filter named '${f.name}'`, f);
    const direct = FILTERS.positional(f.name);
    if (direct !== undefined && f.kwargs.length === 0 && f.args.length <= direct.params.length) {
      // Known arity and no keywords: skip argument binding; literal arguments are built once.
      const call = direct.call;
      if (f.args.every((a) => a.type === 'const')) {
        const constant = f.args.map((a) => (a as { value: unknown }).value);
        return (st, _sc, v) => {
          st.pos = f;
          return call(st, v, constant);
        };
      }
      const positional = this.args(f).positional;
      return (st, sc, v) => {
        const a = positional(st, sc);
        st.pos = f;
        return call(st, v, a);
      };
    }
    const args = this.args(f);
    return (st, sc, v) => {
      const a = args.positional(st, sc);
      const k = args.keywords(st, sc);
      st.pos = f;
      return fn(st, v, a, k);
    };
  }

  private args(c: CallArgs): { positional: (st: RenderState, sc: Scope) => unknown[]; keywords: (st: RenderState, sc: Scope) => Map<string, unknown> } {
    const pos = c.args.map((a) => this.expr(a));
    const kw = c.kwargs.map((k) => ({ name: k.name, value: this.expr(k.value) }));
    // Literal arguments (`round(2)`, `default('x')`) are evaluated once; filters never mutate their arguments.
    if (c.args.every((a) => a.type === 'const') && kw.length === 0) {
      const constant = c.args.map((a) => (a as { value: unknown }).value);
      return { positional: () => constant, keywords: () => EMPTY_KWARGS };
    }
    return {
      positional:
        pos.length === 0
          ? () => []
          : pos.length === 1
            ? (st, sc) => [pos[0]!(st, sc)]
            : pos.length === 2
              ? (st, sc) => [pos[0]!(st, sc), pos[1]!(st, sc)]
              : (st, sc) => pos.map((p) => p(st, sc)),
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

  /** `obj.attr` without the per-render cache. */
  private getattr(e: Extract<Expr, { type: 'getattr' }>): Eval {
    const obj = this.expr(e.object);
    const attr = e.attr;
    const mayBeMethod = METHOD_NAMES.has(attr);
    const base = e.object.type === 'name' ? e.object.name : null;
    const boundLoop = this.bindings.get('loop');
    if (base === 'loop' && attr === 'index' && boundLoop !== undefined) {
      return (st) => {
        const o = st.frame[boundLoop];
        if (o instanceof LoopContext) return o.index0 + 1;
        st.pos = e;
        return getAttribute(st, o, attr);
      };
    }
    if (base === 'loop' && attr === 'index') {
      return (st, sc) => {
        const o = lookupName(st, sc, 'loop');
        if (o instanceof LoopContext) return o.index0 + 1;
        st.pos = e;
        return getAttribute(st, o, attr);
      };
    }
    if (base === 'loop') {
      return (st, sc) => {
        const o = lookupName(st, sc, 'loop');
        if (o instanceof LoopContext) {
          const v = o.attribute(attr);
          if (v !== undefined) return v;
        }
        st.pos = e;
        return getAttribute(st, o, attr);
      };
    }
    if (base !== null && !mayBeMethod) {
      // `item.name`: look the variable up here instead of through another closure.
      const bound = this.bindings.get(base);
      if (bound !== undefined) {
        return (st) => {
          const v = frameField(st, bound, attr);
          if (v !== undefined) return v;
          const o = st.frame[bound];
          st.pos = e;
          return getAttribute(st, o, attr);
        };
      }
      if (this.assigned.has(base)) {
        return (st, sc) => {
          const o = lookupName(st, sc, base);
          const v = ownField(o, attr);
          if (v !== undefined) return v;
          st.pos = e;
          return getAttribute(st, o, attr);
        };
      }
      const read = this.lookup(base);
      return (st, sc) => {
        const o = read(st, sc);
        const v = ownField(o, attr);
        if (v !== undefined) return v;
        st.pos = e;
        return getAttribute(st, o, attr);
      };
    }
    return (st, sc) => {
      const o = obj(st, sc);
      // Inline fast path: a field of a plain data object.
      if (!mayBeMethod && o !== null && typeof o === 'object' && !Array.isArray(o)) {
        const proto = Object.getPrototypeOf(o);
        if ((proto === Object.prototype || proto === null) && Object.prototype.hasOwnProperty.call(o, attr)) {
          const v = (o as Record<string, unknown>)[attr];
          if (v !== undefined) return v;
        }
      }
      st.pos = e;
      return getAttribute(st, o, attr);
    };
  }

  /**
   * Closures for the filters templates use most, calling the filter's code directly (a call site of its own,
   * which V8 can inline) with the common case handled in place; the filter function handles everything else.
   */
  private specialFilter(e: Extract<Expr, { type: 'filter' }>): Eval | null {
    if (e.kwargs.length !== 0) return null;
    if (e.name === 'format' && e.operand.type === 'const' && typeof e.operand.value === 'string' && e.args.length === 1) {
      // `"%.2f"|format(x)`: the format string is parsed once, here.
      const format = singleSpecFormatter(e.operand.value);
      if (format === null) return null;
      const arg = this.expr(e.args[0]!);
      return (st, sc) => {
        const v = arg(st, sc);
        st.pos = e;
        const out = format(v);
        st.checkSize(out.length, 'formatted string');
        return out;
      };
    }
    if (e.name === 'round' && e.args.length <= 1 && e.args.every((a) => a.type === 'const' && typeof a.value === 'number' && Number.isInteger(a.value))) {
      // `x|round(2)` on a float: the rounded value with its Python text, computed together.
      const digits = e.args.length === 0 ? 0 : ((e.args[0] as { value: number }).value);
      const constant = e.args.map((a) => (a as { value: unknown }).value);
      const call = FILTERS.positional('round')!.call;
      const operand = this.expr(e.operand);
      return (st, sc) => {
        const v = operand(st, sc);
        if (typeof v === 'number' && !Number.isInteger(v)) {
          const known = roundWithRepr(v, digits);
          if (known !== null) return new PyFloat(known.value, known.repr);
        }
        st.pos = e;
        return call(st, v, constant);
      };
    }
    if (e.name !== 'upper' && e.name !== 'lower' && e.name !== 'default' && e.name !== 'd') return null;
    const direct = FILTERS.positional(e.name);
    if (direct === undefined || e.args.length > direct.params.length || !e.args.every((a) => a.type === 'const')) return null;
    // Without the `boolean` argument `default` replaces only an undefined value.
    if (e.args.length > 1) return null;
    const constant = e.args.map((a) => (a as { value: unknown }).value);
    const call = direct.call;
    const operand = this.expr(e.operand);
    switch (e.name) {
      // One closure per builtin, so each call site sees a single known function V8 can inline.
      case 'upper':
        return (st, sc) => {
          const v = operand(st, sc);
          if (typeof v === 'string') return toUpperCase.call(v);
          st.pos = e;
          return call(st, v, constant);
        };
      case 'lower':
        return (st, sc) => {
          const v = operand(st, sc);
          if (typeof v === 'string') return toLowerCase.call(v);
          st.pos = e;
          return call(st, v, constant);
        };
      default:
        return (st, sc) => {
          const v = operand(st, sc);
          if (!(v instanceof Undefined)) return v;
          st.pos = e;
          return call(st, v, constant);
        };
    }
  }

  /** ['order', 'address', 'city'] for a chain of plain attributes on a context variable, else null. */
  private rootPath(e: Expr): string[] | null {
    if (e.type === 'name') return this.assigned.has(e.name) ? null : [e.name];
    if (e.type !== 'getattr' || METHOD_NAMES.has(e.attr)) return null;
    const head = this.rootPath(e.object);
    return head === null ? null : [...head, e.attr];
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
        return this.lookup(name);
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
        return (st, sc) => {
          const m = new Map<unknown, unknown>();
          for (const p of pairs) {
            let k = p.key(st, sc);
            st.pos = e;
            if (k instanceof Markup) k = k.value;
            if (Array.isArray(k) && !isTuple(k)) throw new RenderFailure("unhashable type: 'list'");
            if (k instanceof Map || (typeof k === 'object' && k !== null && !Array.isArray(k) && !(k instanceof Undefined) && typeName(k) === 'dict')) throw new RenderFailure("unhashable type: 'dict'");
            m.set(k, p.value(st, sc));
          }
          return m;
        };
      }
      case 'getattr': {
        const path = this.rootPath(e);
        if (path !== null && path.length >= 2) {
          // `order.address.city`: the context cannot change during a render, so the value is read once.
          const uncached = this.getattr(e);
          const key = path.join('.');
          let slot = this.rootSlots.get(key);
          if (slot === undefined) this.rootSlots.set(key, (slot = this.rootSlots.size));
          const at = slot;
          return (st, sc) => {
            let v = st.rootCache[at];
            if (v === undefined) st.rootCache[at] = v = uncached(st, sc);
            return v;
          };
        }
        return this.getattr(e);
      }
      case 'getitem': {
        const obj = this.expr(e.object);
        if (e.key.type === 'slice') {
          const { start, stop, step } = e.key;
          const a = start === null ? null : this.expr(start);
          const b = stop === null ? null : this.expr(stop);
          const c = step === null ? null : this.expr(step);
          return (st, sc) => {
            const o = obj(st, sc);
            const from = a === null ? null : a(st, sc);
            const to = b === null ? null : b(st, sc);
            const by = c === null ? null : c(st, sc);
            st.pos = e;
            return sliceValue(o, from, to, by);
          };
        }
        const key = this.expr(e.key);
        return (st, sc) => {
          const o = obj(st, sc);
          const k = key(st, sc);
          st.pos = e;
          return getItem(st, o, k);
        };
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
          return (st, sc) => {
            const right = r(st, sc);
            st.pos = e;
            return negate(binary(st, '**', magnitude, right), false);
          };
        }
        return (st, sc) => {
          const left = l(st, sc);
          const right = r(st, sc);
          st.pos = e;
          return binary(st, op, left, right);
        };
      }
      case 'concat': {
        const items = e.items.map((i) => this.expr(i));
        return (st, sc) => {
          const parts = items.map((i) => i(st, sc));
          st.pos = e;
          return concat(st, parts);
        };
      }
      case 'compare': {
        const first = this.expr(e.first);
        const rest = e.rest.map((r) => ({ op: r.op, expr: this.expr(r.expr) }));
        return (st, sc) => {
          let left = first(st, sc);
          for (const r of rest) {
            const right = r.expr(st, sc);
            st.pos = e;
            if (!compare(r.op, left, right)) return false;
            left = right;
          }
          return true;
        };
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
        return (st, sc) => {
          const v = o(st, sc);
          st.pos = e;
          return !truthy(v);
        };
      }
      case 'neg':
      case 'pos': {
        const positive = e.type === 'pos';
        if (e.operand.type === 'const' && isNumber(e.operand.value)) {
          const v = negate(e.operand.value, positive);
          return () => v;
        }
        const o = this.expr(e.operand);
        return (st, sc) => {
          const v = o(st, sc);
          st.pos = e;
          return negate(v, positive);
        };
      }
      case 'condexpr': {
        const test = this.expr(e.test);
        const then = this.expr(e.then);
        const other = e.otherwise === null ? null : this.expr(e.otherwise);
        const line = e.line;
        return (st, sc) => {
          if (truthy(test(st, sc))) return then(st, sc);
          // Jinja2 uses its plain Undefined here even under StrictUndefined.
          return other !== null ? other(st, sc) : new Undefined(`the inline if-expression on line ${line} evaluated to false and no else section was defined.`, false);
        };
      }
      case 'filter': {
        const special = this.specialFilter(e);
        if (special !== null) return special;
        const operand = this.expr(e.operand);
        const step = this.filterStep(e);
        return (st, sc) => step(st, sc, operand(st, sc));
      }
      case 'test': {
        const test = TESTS.get(e.name);
        if (test === undefined) this.fail(`no test named '${e.name}'`, e);
        const operand = this.expr(e.operand);
        const direct = TESTS.positional(e.name);
        if (direct !== undefined && e.kwargs.length === 0 && e.args.length <= direct.params.length && e.args.every((a) => a.type === 'const')) {
          // `x is odd`, `x is divisibleby 3`: literal arguments, no binding at run time.
          const constant = e.args.map((a) => (a as { value: unknown }).value);
          const call = direct.call;
          const negated = e.negated;
          return (st, sc) => {
            const v = operand(st, sc);
            st.pos = e;
            return call(st, v, constant) !== negated;
          };
        }
        const args = this.args(e);
        const negated = e.negated;
        return (st, sc) => {
          const v = operand(st, sc);
          const a = args.positional(st, sc);
          const k = args.keywords(st, sc);
          st.pos = e;
          return test(st, v, a, k) !== negated;
        };
      }
      case 'call': {
        const callee = this.expr(e.callee);
        const args = this.args(e);
        return (st, sc) => {
          const f = callee(st, sc);
          // Arguments are evaluated before the callee is checked, as in Jinja2.
          const positional = args.positional(st, sc);
          const keywords = args.keywords(st, sc);
          st.pos = e;
          if (f instanceof PyCallable) {
            const result = f.call(positional, keywords);
            st.pos = e;
            return result;
          }
          if (f instanceof Undefined) f.fail();
          throw new RenderFailure(`'${typeName(f)}' object is not callable`);
        };
      }
    }
  }
}
