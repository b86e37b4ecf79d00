// Options of a compiled template, and the sandbox limits with their defaults.

export interface TemplateLimits {
  /** Largest output in UTF-8 bytes (default 1 MiB). */
  maxOutputBytes: number;
  /** Loop iterations summed over the whole render (default 100,000). */
  maxLoopIterations: number;
  /** Largest `range()` (default 10,000 items). */
  maxRangeSize: number;
  /** Largest string or list built by `*` repetition, in characters or items (default 1 MiB). */
  maxStringRepeat: number;
  /** Deepest nesting of blocks and expressions when parsing, and of macro calls when rendering (default 64). */
  maxNestingDepth: number;
  /** Wall-clock budget of one render in milliseconds (default 1000). */
  maxRenderMs: number;
}

export interface TemplateOptions {
  /** HTML-escape every printed value that is not marked safe (markupsafe rules). Default false. */
  autoescape?: boolean;
  /** 'lenient' prints missing values as empty (Jinja2 Undefined); 'strict' raises (StrictUndefined). Default 'lenient'. */
  undefined?: 'lenient' | 'strict';
  /** Remove the first newline after a block tag (Jinja2 trim_blocks). Default false. */
  trimBlocks?: boolean;
  /** Strip spaces and tabs before a block tag at the start of a line (Jinja2 lstrip_blocks). Default false. */
  lstripBlocks?: boolean;
  /** Keep a single trailing newline of the template (Jinja2 keep_trailing_newline). Default false. */
  keepTrailingNewline?: boolean;
  /** Name used in error messages. Default 'template'. */
  name?: string;
  /** Sandbox limits; missing fields take the defaults. */
  limits?: Partial<TemplateLimits>;
}

export interface CompiledTemplate {
  readonly name: string;
  /** Renders with the given variables. Throws TemplateError (kind 'render' or 'limit'). */
  render(context: Record<string, unknown>): string;
}

export const DEFAULT_LIMITS: Readonly<TemplateLimits> = Object.freeze({
  maxOutputBytes: 1024 * 1024,
  maxLoopIterations: 100_000,
  maxRangeSize: 10_000,
  maxStringRepeat: 1024 * 1024,
  maxNestingDepth: 64,
  maxRenderMs: 1000,
});
