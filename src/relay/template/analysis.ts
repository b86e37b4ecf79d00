// Static analysis of the syntax tree that the compiler uses to pick faster closures.
import type { Expr, Stmt, Target } from './ast.js';
import { binary, negate } from './operators.js';
import { RenderState } from './state.js';
import { isNumber } from './values.js';

/** Does any node below mention this name? (macros collect varargs/kwargs only when asked for) */
export function mentions(node: unknown, name: string): boolean {
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some((n) => mentions(n, name));
  const rec = node as Record<string, unknown>;
  if (rec['type'] === 'name' && rec['name'] === name) return true;
  for (const k of Object.keys(rec)) if (mentions(rec[k], name)) return true;
  return false;
}

export function assignedNames(body: Stmt[]): Set<string> {
  const names = new Set<string>(['loop', 'varargs', 'kwargs']);
  const target = (t: Target): void => {
    if (t.type === 'name') names.add(t.name);
    else if (t.type === 'tuple') t.items.forEach(target);
  };
  const walk = (stmts: Stmt[]): void => {
    for (const s of stmts) {
      switch (s.type) {
        case 'for':
          target(s.target);
          walk(s.body);
          walk(s.otherwise);
          break;
        case 'set':
          target(s.target);
          break;
        case 'setblock':
          target(s.target);
          walk(s.body);
          break;
        case 'macro':
          names.add(s.name);
          s.params.forEach((p) => names.add(p.name));
          walk(s.body);
          break;
        case 'with':
          s.assignments.forEach((a) => target(a.target));
          walk(s.body);
          break;
        case 'if':
          walk(s.body);
          walk(s.otherwise);
          break;
        case 'filterblock':
        case 'autoescape':
        case 'block':
          walk(s.body);
          break;
        default:
          break;
      }
    }
  };
  walk(body);
  return names;
}

export function containsSet(body: Stmt[]): boolean {
  return body.some(
    (s) =>
      s.type === 'set' ||
      s.type === 'setblock' ||
      s.type === 'macro' ||
      (s.type === 'if' && (containsSet(s.body) || containsSet(s.otherwise))) ||
      (s.type === 'autoescape' && containsSet(s.body)),
  );
}

const FOLD_STATE = new RenderState({}, false, false, { maxOutputBytes: 1 << 20, maxLoopIterations: 0, maxRangeSize: 0, maxStringRepeat: 1 << 20, maxNestingDepth: 0, maxRenderMs: 0 });

/** The value of a constant number expression (Jinja2's compile-time folding), or undefined. */
export function foldConstant(e: Expr): unknown {
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
