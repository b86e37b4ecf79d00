// The one error type of the template engine; the relay turns it into `554 5.6.0 <message>`.

/** syntax: the template text is malformed; render: the data or an operation failed; limit: a sandbox limit was hit. */
export type TemplateErrorKind = 'syntax' | 'render' | 'limit';

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  readonly kind: TemplateErrorKind;
  /** 1-based line of the construct that failed (0 when unknown). */
  readonly line: number;
  /** 1-based column of the construct that failed (0 when unknown). */
  readonly column: number;
  /** The reason without the location, e.g. "'user' is undefined". */
  readonly reason: string;
  /** Template name given in the options (for messages). */
  readonly templateName: string;

  constructor(kind: TemplateErrorKind, reason: string, line: number, column: number, templateName = 'template') {
    super(`${kind === 'syntax' ? 'template syntax error' : kind === 'limit' ? 'template limit exceeded' : 'template render error'} in ${templateName} at line ${line}, column ${column}: ${reason}`);
    this.kind = kind;
    this.reason = reason;
    this.line = line;
    this.column = column;
    this.templateName = templateName;
  }
}

/**
 * Thrown inside the renderer by operations that do not know where they are; the nearest
 * node with a position turns it into a TemplateError (kind 'render' or 'limit').
 */
export class RenderFailure extends Error {
  constructor(
    readonly reason: string,
    readonly kind: 'render' | 'limit' = 'render',
  ) {
    super(reason);
  }
}

/** Names the limit in the message so operators know which setting to raise. */
export class LimitFailure extends RenderFailure {
  constructor(readonly limitName: string, detail: string) {
    super(`${limitName} exceeded: ${detail}`, 'limit');
  }
}
