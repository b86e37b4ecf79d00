// Helpers the compiled closures call at render time: variable lookup, printing, comparison, capture.
import { escapeHtml } from './escape.js';
import { makeGlobals } from './globals.js';
import { contains } from './operators.js';
import type { RenderState, Scope } from './state.js';
import { Markup, PyFloat, pyCompare, pyEquals, toStr } from './values.js';

const globalsByState = new WeakMap<RenderState, Map<string, unknown>>();

/** A name the template assigns somewhere: the innermost scope that has it, else the variables and globals. */
export function lookupName(st: RenderState, sc: Scope, name: string): unknown {
  for (let s: Scope | null = sc; s !== null; s = s.parent) {
    const v = s.vars.get(name);
    if (v !== undefined) return v;
  }
  return lookupRoot(st, name);
}

/** A name the template never assigns can only come from the variables or the globals: no scopes to walk. */
export function lookupRoot(st: RenderState, name: string): unknown {
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

export function printable(v: unknown, autoescape: boolean): string {
  if (typeof v === 'string') return autoescape ? escapeHtml(v) : v;
  // Python's text of a number (digits, '.', '-', 'e', '+', 'inf', 'nan') never needs escaping.
  if (typeof v === 'number' || v instanceof PyFloat) return toStr(v);
  if (v instanceof Markup) return v.value;
  return autoescape ? escapeHtml(toStr(v)) : toStr(v);
}

export function compare(op: string, a: unknown, b: unknown): boolean {
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
export function capture(st: RenderState, fn: () => void): string {
  const saved = st.out;
  st.out = '';
  try {
    fn();
    return st.out;
  } finally {
    st.out = saved;
  }
}
