// A size-bounded cache of compiled templates keyed by (template id, version, options).
import type { CompiledTemplate, TemplateOptions } from './options.js';
import { compileTemplate } from './template.js';

export class TemplateCache {
  private readonly entries = new Map<string, CompiledTemplate>();

  constructor(readonly maxEntries = 500) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Returns the compiled template for (id, version) and these options, compiling `source` on a miss.
   * A new version of the same id is a different key; the oldest-used entry is evicted past maxEntries.
   * Syntax errors are thrown (TemplateError) and never cached.
   */
  getOrCompile(id: string, version: string | number, source: string, options: TemplateOptions = {}): CompiledTemplate {
    const key = cacheKey(id, version, options);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      // Re-insert so Map order doubles as least-recently-used order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const compiled = compileTemplate(source, options);
    this.entries.set(key, compiled);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return compiled;
  }

  /** Drops every version of a template (e.g. after the account deleted it). */
  invalidate(id: string): void {
    const prefix = `${JSON.stringify(id)}\u0000`;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

function cacheKey(id: string, version: string | number, o: TemplateOptions): string {
  const flags = [o.autoescape, o.undefined, o.trimBlocks, o.lstripBlocks, o.keepTrailingNewline, o.name];
  return `${JSON.stringify(id)}\u0000${String(version)}\u0000${JSON.stringify(flags)}\u0000${JSON.stringify(o.limits ?? {})}`;
}
