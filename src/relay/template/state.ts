// Per-render state: output buffer, sandbox counters and the variable scopes.
import { LimitFailure, RenderFailure } from './errors.js';
import type { TemplateLimits } from './options.js';
import { PyCallable, Undefined, pyEquals } from './values.js';

/** One level of variables (template top level, a loop body, a macro call, a with block). */
export class Scope {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent: Scope | null) {}
}

/** `namespace(...)`: the one object templates may assign attributes to (`set ns.x = ...`). */
export class Namespace {
  readonly attrs = new Map<string, unknown>();
}

export class RenderState {
  out = '';
  iterations = 0;
  callDepth = 0;
  /** 0 normal, 1 break, 2 continue: checked by statement lists after each statement. */
  control = 0;
  /** The template's top-level scope: where blocks look up variables. */
  top: Scope | null = null;
  /** Values of variables read from the context, by compile-time slot (the context is read-only). */
  readonly rootCache: unknown[] = [];
  /** Current values of loop variables by compile-time slot (see Compiler.bindings); each loop restores its slots when done. */
  readonly frame: unknown[] = [];
  /** Whether frame[slot] is a plain data object (set with it), so field reads skip the prototype check. */
  readonly framePlain: boolean[] = [];
  /** The node being evaluated, for the line and column of an error (set just before each operation that can fail). */
  pos: { line: number; column: number } = { line: 1, column: 1 };
  readonly deadline: number;

  constructor(
    readonly root: Record<string, unknown>,
    /** Switched by `{% autoescape %}` blocks while they render. */
    public autoescape: boolean,
    readonly strict: boolean,
    readonly limits: TemplateLimits,
  ) {
    this.deadline = Date.now() + limits.maxRenderMs;
    this.maxOutput = limits.maxOutputBytes;
  }

  private readonly maxOutput: number;

  write(s: string): void {
    this.out += s;
    // UTF-16 length never exceeds the UTF-8 byte count, so this stops early without over-counting; render() checks bytes.
    if (this.out.length > this.maxOutput) throw new LimitFailure('maxOutputBytes', `output is larger than ${this.limits.maxOutputBytes} bytes`);
  }

  undefined(hint: string): Undefined {
    return new Undefined(hint, this.strict);
  }

  /** Called once per loop iteration: counts iterations and checks the clock every 64th. */
  tick(): void {
    const n = ++this.iterations;
    if (n > this.limits.maxLoopIterations) throw new LimitFailure('maxLoopIterations', `more than ${this.limits.maxLoopIterations} loop iterations`);
    if ((n & 63) === 1) this.checkClock();
  }

  checkClock(): void {
    if (Date.now() >= this.deadline) throw new LimitFailure('maxRenderMs', `render took longer than ${this.limits.maxRenderMs} ms`);
  }

  checkSize(length: number, what: string): void {
    const max = Math.max(this.limits.maxOutputBytes, this.limits.maxStringRepeat);
    if (length > max) throw new LimitFailure(this.limits.maxStringRepeat >= this.limits.maxOutputBytes ? 'maxStringRepeat' : 'maxOutputBytes', `${what} would be ${length} long (limit ${max})`);
  }
}

/** The `loop` variable of a for loop. */
export class LoopContext {
  index0 = -1;
  private changedLast: unknown[] | null = null;
  private cycler: PyCallable | null = null;
  private changer: PyCallable | null = null;

  constructor(
    readonly items: unknown[],
    private readonly st: RenderState,
  ) {}

  get length(): number {
    return this.items.length;
  }

  attribute(name: string): unknown {
    const i = this.index0;
    const n = this.items.length;
    switch (name) {
      case 'index':
        return i + 1;
      case 'index0':
        return i;
      case 'revindex':
        return n - i;
      case 'revindex0':
        return n - i - 1;
      case 'first':
        return i === 0;
      case 'last':
        return i === n - 1;
      case 'length':
        return n;
      case 'depth':
        return 1;
      case 'depth0':
        return 0;
      case 'previtem':
        return i > 0 ? this.items[i - 1] : this.st.undefined('there is no previous item');
      case 'nextitem':
        return i < n - 1 ? this.items[i + 1] : this.st.undefined('there is no next item');
      case 'cycle':
        return (this.cycler ??= new PyCallable('cycle', (args) => {
          if (args.length === 0) throw new RenderFailure('no items for cycling given');
          return args[this.index0 % args.length];
        }, 'method'));
      case 'changed':
        return (this.changer ??= new PyCallable('changed', (args) => {
          const last = this.changedLast;
          this.changedLast = args;
          return last === null || last.length !== args.length || args.some((a, k) => !pyEquals(a, last[k]));
        }, 'method'));
      default:
        return undefined;
    }
  }
}
