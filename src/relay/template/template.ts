// compileTemplate / renderTemplate: parse once into a tree of closures, render many times.
import { TemplateError } from './errors.js';
import { DEFAULT_LIMITS, type CompiledTemplate, type TemplateOptions } from './options.js';

export { DEFAULT_LIMITS };

export function compileTemplate(source: string, options: TemplateOptions = {}): CompiledTemplate {
  const name = options.name ?? 'template';
  void source;
  return {
    name,
    render(): string {
      throw new TemplateError('render', 'template engine not implemented yet', 0, 0, name);
    },
  };
}

export function renderTemplate(source: string, context: Record<string, unknown>, options: TemplateOptions = {}): string {
  return compileTemplate(source, options).render(context);
}
