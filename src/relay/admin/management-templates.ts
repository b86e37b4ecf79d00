// Templates made through the management API (PUT/GET/DELETE .../templates/{name}) and the render endpoint, which
// renders through the accept path's own function (accept/template-render.ts): a preview is what the relay sends.
// The configuration file's templates are listed and rendered too, read-only: the file's template of a name wins.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAddressList } from '../../mime/index.js';
import { TemplatePartError, compileTemplatePart, renderTemplateParts, type TemplatePart } from '../accept/template-render.js';
import { FieldReader, TRACKING_OVERRIDE_FIELDS, readTrackingOverride, type AccountConfig, type ConfigIssue, type TemplateConfig, type TrackingOverride } from '../config/index.js';
import type { StoredTemplate } from '../store/store.js';
import { TemplateVariablesError, parseTemplateJson } from '../template/index.js';
import { readJsonBody, readJsonObject, sendJson } from './http-io.js';
import { BodyReader, NAME, accountOf, isoOrNull, sendNoContent, storeOf, typeName, writeToStore, type ManagementDeps } from './management-request.js';
import { AdminRequestError, QueryReader } from './query.js';

/** Largest template HTML, in UTF-8 bytes. */
export const MAX_TEMPLATE_HTML_BYTES = 512 * 1024;
/** Stored templates per account (the accept path's compiled-template cache holds 1000). */
export const MAX_TEMPLATES_PER_ACCOUNT = 1000;
/** A request body: the HTML with JSON escaping, and the other fields. */
const MAX_TEMPLATE_BODY_BYTES = 2 * MAX_TEMPLATE_HTML_BYTES + 64 * 1024;
const TAG = { pattern: /^[a-z0-9._-]{1,64}$/, describe: 'a tag: 1 to 64 of a-z 0-9 . _ -' };
const FIELDS = ['html', 'subject', 'from', 'replyTo', 'tag', 'tracking'];

interface TemplateView {
  name: string;
  source: 'config' | 'api';
  html: string;
  subject: string | null;
  from: string | null;
  replyTo: string | null;
  tag: string | null;
  /** Open and click tracking over the tag's and the account's, field by field; null = theirs. */
  tracking: TrackingOverride | null;
  /** null for the file's templates (they change with the file). */
  updatedAt: string | null;
  revision: string | null;
}

export class TemplateApi {
  constructor(private readonly d: ManagementDeps) {}

  list(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): void {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const configured = Object.keys(account.templates).sort().map((name) => summary(configView(name, account.templates[name]!)));
    const stored = storeOf(this.d).templates.list(account.id).map((t) => ({ ...summary(storedView(t)), shadowed: Object.hasOwn(account.templates, t.name) }));
    sendJson(res, 200, { account: account.id, templates: [...configured, ...stored] });
  }

  get(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): void {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const view = this.find(account, templateName(params));
    if (view === null) throw notFound(account, templateName(params));
    sendJson(res, 200, { account: account.id, template: view });
  }

  async put(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const name = templateName(params);
    if (Object.hasOwn(account.templates, name)) throw fileOwns(account, name);
    const body = new BodyReader(await readJsonObject(req, MAX_TEMPLATE_BODY_BYTES), FIELDS);
    const html = body.string('html', { required: true, maxLength: MAX_TEMPLATE_HTML_BYTES });
    if (Buffer.byteLength(html!, 'utf8') > MAX_TEMPLATE_HTML_BYTES) throw AdminRequestError.badParameter('html', `is larger than ${MAX_TEMPLATE_HTML_BYTES} bytes`);
    const subject = body.string('subject', { maxLength: 998, singleLine: true });
    const from = mailboxField(body, 'from');
    const replyTo = mailboxField(body, 'replyTo');
    const tag = body.string('tag', TAG);
    const tracking = trackingField(body.raw('tracking'), account, this.d.config().publicHttp !== null);
    // A syntax error is refused here, with its line and column, rather than at the first message that uses it.
    const limits = this.d.config().limits.template;
    compileChecked('html', html!, name, limits, 400);
    if (subject !== null) compileChecked('subject', subject, name, limits, 400);

    const store = storeOf(this.d);
    const existed = store.templates.get(account.id, name) !== null;
    if (!existed && store.templates.list(account.id).length >= MAX_TEMPLATES_PER_ACCOUNT) {
      throw new AdminRequestError(409, 'conflict', 'name', `account ${account.id} has ${MAX_TEMPLATES_PER_ACCOUNT} templates (the most it may keep); delete one first`);
    }
    const template: StoredTemplate = { account: account.id, name, html: html!, subject, from, replyTo, tag, tracking, updatedAt: this.d.now(), revision: randomBytes(8).toString('hex') };
    await writeToStore(this.d, `saving template ${name}`, (s) => s.templates.put(template));
    sendJson(res, existed ? 200 : 201, { account: account.id, created: !existed, template: storedView(template) });
  }

  async delete(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const name = templateName(params);
    if (Object.hasOwn(account.templates, name)) throw fileOwns(account, name);
    const known = storeOf(this.d).templates.get(account.id, name) !== null;
    const deleted = known && (await writeToStore(this.d, `deleting template ${name}`, (s) => s.templates.delete(account.id, name)));
    if (!deleted) throw notFound(account, name);
    sendNoContent(res);
  }

  /**
   * POST .../templates/{name}/render {variables, html?, subject?}: the subject and HTML as the relay renders them for a
   * message with this template and X-Transactional-Variables. `html` and `subject` preview unsaved edits (a draft).
   */
  async render(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const name = templateName(params);
    const limits = this.d.config().limits;
    const { object, text } = await readJsonBody(req, MAX_TEMPLATE_BODY_BYTES, { emptyIsObject: true }); // no body: no variables
    // Plain JSON checks the shape and measures the variables; the template engine's reader then gives the values the
    // relay would see (it keeps 10.0 a float that prints "10.0", as Jinja2 does).
    const plain = new BodyReader(object, ['variables', 'html', 'subject']);
    const vars = plain.raw('variables');
    if (vars !== undefined && (vars === null || typeof vars !== 'object' || Array.isArray(vars))) throw AdminRequestError.badParameter('variables', `must be a JSON object, got ${typeName(vars)}`);
    // Read first: the template reader bounds the nesting (JSON.parse does not), so measuring cannot overflow the stack.
    const variables = vars === undefined ? {} : templateVariables(text);
    if (vars !== undefined && Buffer.byteLength(JSON.stringify(vars), 'utf8') > limits.maxVariablesBytes) {
      throw AdminRequestError.badParameter('variables', `is larger than ${limits.maxVariablesBytes} bytes (limits.maxVariablesBytes, as for X-Transactional-Variables)`);
    }
    const draftHtml = plain.string('html', { maxLength: MAX_TEMPLATE_HTML_BYTES });
    const draftSubject = plain.string('subject', { maxLength: 998, singleLine: true });
    const saved = this.find(account, name);
    if (saved === null && draftHtml === null) throw notFound(account, name);
    const parts = { html: draftHtml ?? saved!.html, subject: draftSubject ?? saved?.subject ?? null };
    // A draft's syntax error is the request's fault (400), reported before anything renders.
    if (draftSubject !== null) compileChecked('subject', draftSubject, name, limits.template, 400);
    if (draftHtml !== null) compileChecked('html', draftHtml, name, limits.template, 400);
    try {
      // A template without a subject keeps the message's own: rendered here as the empty subject, reported as null.
      const out = renderTemplateParts({ subject: parts.subject ?? '', html: parts.html }, variables, { templateName: name, limits: limits.template });
      sendJson(res, 200, { account: account.id, name, source: draftHtml !== null || draftSubject !== null ? 'draft' : saved!.source, subject: parts.subject === null ? null : out.subject, html: out.html });
    } catch (e) {
      // The variables do not render (or a saved template does not compile): the request is well-formed, the content is not.
      if (e instanceof TemplatePartError) throw templateError(e, 422);
      throw e;
    }
  }

  /** The template the relay would use for this name: the file's first, then the store's. */
  private find(account: AccountConfig, name: string): TemplateView | null {
    if (Object.hasOwn(account.templates, name)) return configView(name, account.templates[name]!);
    const t = storeOf(this.d).templates.get(account.id, name);
    return t === null ? null : storedView(t);
  }
}

function templateName(params: Record<string, string>): string {
  const name = params['name'] ?? '';
  if (!NAME.pattern.test(name)) throw AdminRequestError.badParameter('name', `must be ${NAME.describe}`);
  return name;
}

function notFound(account: AccountConfig, name: string): AdminRequestError {
  return new AdminRequestError(404, 'not found', 'name', `no template ${JSON.stringify(name)} in account ${account.id}`);
}

function fileOwns(account: AccountConfig, name: string): AdminRequestError {
  return new AdminRequestError(409, 'conflict', 'name', `template ${JSON.stringify(name)} of account ${account.id} is defined in the configuration file, which wins; change it there (or choose another name)`);
}

/** A From or Reply-To: one mailbox with an address ("Name <a@b.example>" or "a@b.example"). */
function mailboxField(body: BodyReader, name: string): string | null {
  const v = body.string(name, { maxLength: 998, singleLine: true });
  if (v === null) return null;
  const first = parseAddressList(v)[0];
  if (!first?.address || !first.address.includes('@')) throw AdminRequestError.badParameter(name, 'must be an address with a name or not ("Shop <shop@example.com>")');
  return v;
}

function compileChecked(part: TemplatePart, source: string, name: string, limits: Parameters<typeof compileTemplatePart>[3], status: number): void {
  try {
    compileTemplatePart(part, source, name, limits);
  } catch (e) {
    if (e instanceof TemplatePartError) throw templateError(e, status);
    throw e;
  }
}

/** A template error as the API answers it: the field (html or subject), the line and column, the reason. */
function templateError(e: TemplatePartError, status: number): AdminRequestError {
  const t = e.error;
  const what = t.kind === 'syntax' ? 'template syntax error' : t.kind === 'limit' ? 'template limit exceeded' : 'template render error';
  return new AdminRequestError(status, status === 400 ? 'bad request' : 'unprocessable', e.part, `${what} at line ${t.line}, column ${t.column}: ${t.reason}`, {
    kind: t.kind,
    line: t.line,
    column: t.column,
  });
}

/** The body's variables as the relay's X-Transactional-Variables reader gives them. */
function templateVariables(text: string): Record<string, unknown> {
  try {
    return (parseTemplateJson(text) as Record<string, unknown>)['variables'] as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TemplateVariablesError) throw AdminRequestError.badParameter('variables', e.message);
    throw e;
  }
}

function configView(name: string, t: TemplateConfig): TemplateView {
  return { name, source: 'config', html: t.html, subject: t.subject, from: t.from, replyTo: t.replyTo, tag: t.tag, tracking: t.tracking, updatedAt: null, revision: null };
}

function storedView(t: StoredTemplate): TemplateView {
  return { name: t.name, source: 'api', html: t.html, subject: t.subject, from: t.from, replyTo: t.replyTo, tag: t.tag, tracking: t.tracking ?? null, updatedAt: isoOrNull(t.updatedAt), revision: t.revision };
}

/** A list entry: everything but the HTML, and its size. */
function summary(v: TemplateView): Omit<TemplateView, 'html'> & { htmlBytes: number; readOnly: boolean } {
  const { html, ...rest } = v;
  return { ...rest, htmlBytes: Buffer.byteLength(html, 'utf8'), readOnly: v.source === 'config' };
}

/**
 * `tracking` of a template made through the API: the configuration file's rules for a template's tracking (one
 * reader), and, as in the file, a template that turns opens or clicks on needs a baseUrl of its own or the account's.
 */
function trackingField(v: unknown, account: AccountConfig, publicListener: boolean): TrackingOverride | null {
  if (v === undefined || v === null) return null;
  const issues: ConfigIssue[] = [];
  const reader = FieldReader.of(issues, 'tracking', v, TRACKING_OVERRIDE_FIELDS);
  const o = reader === null ? null : readTrackingOverride(reader);
  if (o !== null && (o.opens === true || o.clicks === true) && !o.baseUrl && !account.tracking?.baseUrl) {
    issues.push({ path: 'tracking.baseUrl', message: `is required: account ${account.id} has no tracking.baseUrl to fall back on` });
  }
  if (o !== null && (o.opens === true || o.clicks === true) && !publicListener) {
    issues.push({ path: 'tracking', message: 'needs the relay\'s publicHttp listener (it answers the tracking links); the configuration has none' });
  }
  if (issues.length > 0 || o === null) {
    const errors = issues.map((i) => ({ parameter: i.path, reason: i.message }));
    const first = errors[0] ?? { parameter: 'tracking', reason: 'must be an object { opens?, clicks?, baseUrl? }' };
    throw new AdminRequestError(400, 'bad request', first.parameter, first.reason, { errors });
  }
  return o;
}
