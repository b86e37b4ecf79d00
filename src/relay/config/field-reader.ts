// FieldReader: reads one JSON object field by field, recording an issue for each wrong field.
import type { ConfigIssue } from './config-error.js';

export function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads the fields of one JSON object, recording an issue for each wrong field and returning its default instead. */
export class FieldReader {
  constructor(
    readonly issues: ConfigIssue[],
    readonly path: string,
    readonly obj: Record<string, unknown>,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) issues.push({ path: pathOf(path, key), message: `unknown field (allowed: ${allowed.join(', ')})` });
    }
  }

  /** Creates a reader for `value`, or records "must be an object" and returns null. */
  static of(issues: ConfigIssue[], path: string, value: unknown, allowed: readonly string[]): FieldReader | null {
    if (!isPlainObject(value)) {
      issues.push({ path, message: `must be an object, got ${typeName(value)}` });
      return null;
    }
    return new FieldReader(issues, path, value, allowed);
  }

  at(key: string): string {
    return pathOf(this.path, key);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  fail(key: string, message: string): void {
    this.issues.push({ path: this.at(key), message });
  }

  private missing(key: string): void {
    this.fail(key, 'is required');
  }

  /** A string; `fallback` undefined means required. Null in the file counts as absent. */
  string(key: string, fallback: string): string;
  string(key: string, fallback: string | null): string | null;
  string(key: string): string | null;
  string(key: string, fallback?: string | null): string | null {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.missing(key);
      return fallback ?? null;
    }
    if (typeof v !== 'string') {
      this.fail(key, `must be a string, got ${typeName(v)}`);
      return fallback ?? null;
    }
    if (v.length === 0) {
      this.fail(key, 'must not be empty');
      return fallback ?? null;
    }
    return v;
  }

  /** An integer in [min, max]; `fallback` undefined means required. */
  int(key: string, min: number, max: number, fallback?: number): number {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.missing(key);
      return fallback ?? min;
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.fail(key, `must be an integer, got ${typeof v === 'number' ? v : typeName(v)}`);
      return fallback ?? min;
    }
    if (v < min || v > max) {
      this.fail(key, `must be between ${min} and ${max}, got ${v}`);
      return fallback ?? min;
    }
    return v;
  }

  /** A positive number (not necessarily an integer), or null when absent. */
  positiveNumber(key: string): number | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      this.fail(key, `must be a number greater than 0, got ${typeof v === 'number' ? v : typeName(v)}`);
      return null;
    }
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.fail(key, `must be true or false, got ${typeName(v)}`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback?: T): T {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) this.missing(key);
      return fallback ?? values[0]!;
    }
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`);
      return fallback ?? values[0]!;
    }
    return v as T;
  }

  /** An array of strings, each checked by `check` (returns a reason, or null when fine); null when absent. */
  stringArray(key: string, check: (s: string) => string | null): string[] | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    if (!Array.isArray(v)) {
      this.fail(key, `must be an array of strings, got ${typeName(v)}`);
      return null;
    }
    const out: string[] = [];
    v.forEach((item: unknown, i) => {
      const p = pathOf(this.at(key), i);
      if (typeof item !== 'string') this.issues.push({ path: p, message: `must be a string, got ${typeName(item)}` });
      else {
        const reason = check(item);
        if (reason) this.issues.push({ path: p, message: reason });
        else out.push(item);
      }
    });
    return out;
  }

  child(key: string, allowed: readonly string[]): FieldReader | null {
    const v = this.obj[key];
    if (v === undefined || v === null) return null;
    return FieldReader.of(this.issues, this.at(key), v, allowed);
  }
}

