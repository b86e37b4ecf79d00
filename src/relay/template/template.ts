// compileTemplate / renderTemplate: parse once into a tree of closures, render many times.
import { compileProgram, locate } from './compile.js';
import { TemplateError } from './errors.js';
import { tokenize } from './lexer.js';
import { DEFAULT_LIMITS, type CompiledTemplate, type TemplateLimits, type TemplateOptions } from './options.js';
import { parse } from './parser.js';
import { RenderState, Scope } from './state.js';

export { DEFAULT_LIMITS };

/** Parses and compiles `source`; throws TemplateError (kind 'syntax', or 'limit' for nesting) on bad text. */
export function compileTemplate(source: string, options: TemplateOptions = {}): CompiledTemplate {
  const name = options.name ?? 'template';
  const limits: TemplateLimits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  const autoescape = options.autoescape ?? false;
  const strict = options.undefined === 'strict';
  const tokens = tokenize(source, {
    trimBlocks: options.trimBlocks ?? false,
    lstripBlocks: options.lstripBlocks ?? false,
    keepTrailingNewline: options.keepTrailingNewline ?? false,
    name,
  });
  let program;
  try {
    program = compileProgram(parse(tokens, { name, maxNestingDepth: limits.maxNestingDepth }), { name, autoescape });
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    // A stack overflow while parsing absurdly nested text.
    throw locate(e, { line: 1, column: 1 }, name);
  }
  return {
    name,
    render(context: Record<string, unknown>): string {
      const st = new RenderState(context ?? {}, autoescape, strict, limits);
      let end = st.pos;
      try {
        const top = new Scope(null);
        st.top = top;
        program(st, top);
        end = st.pos;
      } catch (e) {
        throw locate(e, st.pos, name);
      }
      const out = st.out;
      if (out.length * 3 > limits.maxOutputBytes && Buffer.byteLength(out, 'utf8') > limits.maxOutputBytes) {
        throw new TemplateError('limit', `maxOutputBytes exceeded: output is larger than ${limits.maxOutputBytes} bytes`, end.line, end.column, name);
      }
      return out;
    },
  };
}

export function renderTemplate(source: string, context: Record<string, unknown>, options: TemplateOptions = {}): string {
  return compileTemplate(source, options).render(context);
}
