// Public API of the Jinja2-subset template engine used by the relay and `txrelay render`.
export { TemplateError } from './errors.js';
export type { TemplateErrorKind } from './errors.js';
export { compileTemplate, renderTemplate, DEFAULT_LIMITS } from './template.js';
export type { CompiledTemplate, TemplateLimits, TemplateOptions } from './options.js';
export { TemplateCache } from './cache.js';
export { parseTemplateJson, parseTemplateVariables, TemplateVariablesError } from './variables.js';
