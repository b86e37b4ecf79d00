// The global functions templates can call: range(), dict(), namespace().
import { LimitFailure, RenderFailure } from './errors.js';
import { Namespace, type RenderState } from './state.js';
import { PyCallable, isFloat, isMapping, isNumber, iterate, mappingEntries, rangeBounds, toNumber, typeName } from './values.js';

function intArgument(v: unknown): number {
  if (!isNumber(v) || isFloat(v)) throw new RenderFailure(`'${typeName(v)}' object cannot be interpreted as an integer`);
  return toNumber(v);
}

export function rangeList(st: RenderState, args: unknown[]): number[] {
  if (args.length === 0 || args.length > 3) throw new RenderFailure(`range expected 1 to 3 arguments, got ${args.length}`);
  const start = args.length === 1 ? 0 : intArgument(args[0]);
  const stop = intArgument(args.length === 1 ? args[0] : args[1]);
  const step = args.length === 3 ? intArgument(args[2]) : 1;
  if (step === 0) throw new RenderFailure('range() arg 3 must not be zero');
  const size = Math.max(0, Math.ceil((stop - start) / step));
  if (size > st.limits.maxRangeSize) throw new LimitFailure('maxRangeSize', `range() of ${size} items (limit ${st.limits.maxRangeSize})`);
  const out = new Array<number>(size);
  for (let i = 0; i < size; i++) out[i] = start + i * step;
  rangeBounds.set(out, [start, stop, step]);
  return out;
}

export function makeGlobals(st: RenderState): Map<string, unknown> {
  return new Map<string, unknown>([
    ['range', new PyCallable('range', (args, kwargs) => {
      if (kwargs.size > 0) throw new RenderFailure('range() takes no keyword arguments');
      return rangeList(st, args);
    })],
    ['dict', new PyCallable('dict', (args, kwargs) => {
      if (args.length > 1) throw new RenderFailure(`dict expected at most 1 argument, got ${args.length}`);
      const out = new Map<unknown, unknown>();
      if (args.length === 1) {
        const src = args[0];
        if (isMapping(src)) for (const [k, v] of mappingEntries(src as Map<unknown, unknown>)) out.set(k, v);
        else
          for (const pair of iterate(src)) {
            const kv = iterate(pair);
            if (kv.length !== 2) throw new RenderFailure('dictionary update sequence element has wrong length');
            out.set(kv[0], kv[1]);
          }
      }
      for (const [k, v] of kwargs) out.set(k, v);
      return out;
    })],
    ['joiner', new PyCallable('joiner', (args) => {
      // joiner(sep): '' on the first call, sep afterwards (for comma-separated lists).
      const sep = args.length > 0 ? args[0] : ', ';
      let used = false;
      return new PyCallable('joiner', () => {
        if (used) return sep;
        used = true;
        return '';
      });
    })],
    ['cycler', new PyCallable('cycler', (args) => {
      if (args.length === 0) throw new RenderFailure('cycler needs at least one item');
      let pos = 0;
      const attributes = new Map<string, unknown>();
      const refresh = (): void => void attributes.set('current', args[pos]);
      attributes.set('next', new PyCallable('next', () => {
        const v = args[pos];
        pos = (pos + 1) % args.length;
        refresh();
        return v;
      }, 'method'));
      attributes.set('reset', new PyCallable('reset', () => {
        pos = 0;
        refresh();
        return null;
      }, 'method'));
      refresh();
      return new PyCallable('cycler', () => {
        throw new RenderFailure("'Cycler' object is not callable");
      }, 'function', attributes);
    })],
    ['namespace', new PyCallable('namespace', (args, kwargs) => {
      if (args.length > 0) throw new RenderFailure('namespace() accepts keyword arguments only here');
      const ns = new Namespace();
      for (const [k, v] of kwargs) ns.attrs.set(k, v);
      return ns;
    })],
  ]);
}
