// Rendering a message's subject and HTML with its variables (SPEC §3): one function for the accept path and the
// management API's render endpoint, so a preview is exactly what the relay sends. The HTML is autoescaped, the
// subject is not (it is a header, encoded later); each part compiles under its own name for error messages.
import { TemplateError, compileTemplate, type CompiledTemplate, type TemplateLimits, type TemplateOptions } from '../template/index.js';

export type TemplatePart = 'subject' | 'html';

/** A template error of one part: which part, and the engine's error (kind, line, column, reason). */
export class TemplatePartError extends Error {
  constructor(
    readonly part: TemplatePart,
    readonly error: TemplateError,
  ) {
    super(`${part === 'subject' ? 'Subject' : 'HTML'} ${error.message}`);
    this.name = 'TemplatePartError';
  }
}

/** The options a part compiles with; `templateName` is the template id, or null for a message's own body. */
export function templatePartOptions(part: TemplatePart, templateName: string | null, limits: Partial<TemplateLimits>): TemplateOptions {
  return part === 'subject' ? { autoescape: false, name: 'subject', limits } : { autoescape: true, name: templateName ?? 'html body', limits };
}

/** Compiles a part; a syntax error is a TemplatePartError naming the part. */
export function compileTemplatePart(part: TemplatePart, source: string, templateName: string | null, limits: Partial<TemplateLimits>): CompiledTemplate {
  try {
    return compileTemplate(source, templatePartOptions(part, templateName, limits));
  } catch (e) {
    if (e instanceof TemplateError) throw new TemplatePartError(part, e);
    throw e;
  }
}

export interface RenderPartsOptions {
  templateName: string | null;
  limits: Partial<TemplateLimits>;
  /** Compiles a part (the accept path passes its cache); default: compile afresh. */
  compile?: (part: TemplatePart, source: string, options: TemplateOptions) => CompiledTemplate;
}

/** Renders the subject, then the HTML; the first error is a TemplatePartError naming its part. */
export function renderTemplateParts(parts: { subject: string; html: string }, variables: Record<string, unknown>, o: RenderPartsOptions): { subject: string; html: string } {
  const compile = o.compile ?? ((_part: TemplatePart, source: string, options: TemplateOptions) => compileTemplate(source, options));
  const one = (part: TemplatePart, source: string): string => {
    try {
      return compile(part, source, templatePartOptions(part, o.templateName, o.limits)).render(variables);
    } catch (e) {
      if (e instanceof TemplateError) throw new TemplatePartError(part, e);
      throw e;
    }
  };
  const subject = one('subject', parts.subject);
  return { subject, html: one('html', parts.html) };
}
