// The named callables of templates, in one shape: filters (`x | upper`) and tests (`x is defined`). filters.ts and
// jinja-tests.ts fill the two registries; compile.ts looks names up. A leaf module, so the two may use each other
// (the `filter` test asks whether a filter exists; `select` runs a test) without an import circle.
import { RenderFailure } from './errors.js';
import type { RenderState } from './state.js';

/** A call with Python's argument binding: positional `args` and keyword `kwargs`. */
export type TemplateCallable<R> = (st: RenderState, value: unknown, args: unknown[], kwargs: Map<string, unknown>) => R;

/** A callable with fixed parameters, invoked without argument binding when the call site has no keywords. */
export interface PositionalCallable<R> {
  params: readonly string[];
  call: (st: RenderState, value: unknown, a: unknown[]) => R;
}

/** Positional and keyword arguments matched to a callable's parameter names, as Python would. */
export function bindArguments(name: string, params: readonly string[], args: unknown[], kwargs: Map<string, unknown>): unknown[] {
  if (args.length > params.length) throw new RenderFailure(`${name}() takes at most ${params.length} argument(s) (${args.length} given)`);
  if (kwargs.size === 0) return args;
  const out = args.slice();
  for (const [k, v] of kwargs) {
    const i = params.indexOf(k);
    if (i < 0) throw new RenderFailure(`${name}() got an unexpected keyword argument '${k}'`);
    if (i < args.length) throw new RenderFailure(`${name}() got multiple values for argument '${k}'`);
    out[i] = v;
  }
  return out;
}

export class CallableRegistry<R> {
  private readonly byName = new Map<string, TemplateCallable<R>>();
  private readonly positionalByName = new Map<string, PositionalCallable<R>>();

  /** Registers `fn` with fixed parameters under each name. */
  define(names: string | readonly string[], params: readonly string[], fn: (st: RenderState, value: unknown, a: unknown[]) => R): void {
    for (const name of typeof names === 'string' ? [names] : names) {
      this.byName.set(name, (st, value, args, kwargs) => fn(st, value, bindArguments(name, params, args, kwargs)));
      this.positionalByName.set(name, { params, call: fn });
    }
  }

  /** Registers a callable that binds its own arguments (no positional form). */
  set(name: string, fn: TemplateCallable<R>): void {
    this.byName.set(name, fn);
  }

  get(name: string): TemplateCallable<R> | undefined {
    return this.byName.get(name);
  }

  positional(name: string): PositionalCallable<R> | undefined {
    return this.positionalByName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }
}

export const FILTERS = new CallableRegistry<unknown>();
export const TESTS = new CallableRegistry<boolean>();
