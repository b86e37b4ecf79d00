// The OpenAPI 3.1 description of the whole admin API, served at /api/openapi.json (any valid token: the admin token
// or an account token; it describes the API, it holds no data). test/admin/openapi.test.ts checks it both ways
// against the server's route table (path-router.ts patterns, methods, auth, account scope) and against the
// OpenAPI 3.1 schema. `x-txrelay-access` on each operation says who may call it: "public" (no token), "admin" (the
// admin token only), "account" (also a token of the path's account), "account-query" (also an account token, with
// `account` forced to its own), "any" (any valid token). docs/admin-api.md is the prose beside it.

type Json = Record<string, unknown>;

const ref = (kind: 'schemas' | 'responses' | 'parameters', name: string): Json => ({ $ref: `#/components/${kind}/${name}` });
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const ok = (description: string, schema: Json): Json => ({ description, content: json(schema) });
const str = (description?: string, extra: Json = {}): Json => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const nullable = (type: string, description?: string, extra: Json = {}): Json => ({ type: [type, 'null'], ...(description ? { description } : {}), ...extra });
const query = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'query', required: false, description, schema });
const pathParam = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'path', required: true, description, schema });

type Access = 'public' | 'admin' | 'account' | 'account-query' | 'any';

interface Operation {
  summary: string;
  description?: string;
  access: Access;
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
}

/** An operation, with 401 where a token is needed and 403 where an account token can be refused. */
function op(tag: string, o: Operation): Json {
  const responses: Record<string, Json> = { ...o.responses };
  if (o.access !== 'public') responses['401'] ??= ref('responses', 'Unauthorized');
  if (o.access !== 'public' && o.access !== 'any') responses['403'] ??= ref('responses', 'Forbidden');
  return {
    tags: [tag],
    summary: o.summary,
    ...(o.description ? { description: o.description } : {}),
    ...(o.access === 'public' ? { security: [] } : {}),
    'x-txrelay-access': o.access,
    ...(o.parameters ? { parameters: o.parameters } : {}),
    ...(o.requestBody ? { requestBody: o.requestBody } : {}),
    responses,
  };
}

const ACCOUNT_QUERY = query('account', 'An account id of the configuration. With an account token: absent means its own account, another one is 403.', { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' });
const TIME = { type: 'string', description: 'ms since the epoch, or ISO 8601 (2026-01-31, 2026-01-31T12:00:00Z)' };
const NO_CONTENT = { description: 'Done; no body.' };
const MANAGEMENT_ERRORS = { '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound'), '503': ref('responses', 'StoreUnavailable') };

const credentialList = (noun: string, configNote: string): Json => ({
  type: 'object',
  required: ['account', `${noun}s`],
  properties: {
    account: str(),
    [`${noun}s`]: { type: 'array', description: configNote, items: ref('schemas', 'CredentialInfo') },
  },
});

const paths: Record<string, Record<string, Json | Json[]>> = {
  '/': {
    get: op('dashboard', {
      summary: 'The dashboard page (HTML); it asks for the token itself and calls the API from the browser.',
      access: 'public',
      responses: { '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } } },
    }),
  },
  '/healthz': {
    get: op('health', {
      summary: 'Liveness: the process answers.',
      access: 'public',
      responses: { '200': { description: '"ok".', content: { 'text/plain': { schema: { type: 'string' } } } } },
    }),
  },
  '/readyz': {
    get: op('health', {
      summary: 'Readiness: listeners bound, spool writable, not shutting down.',
      access: 'admin',
      responses: {
        '200': { description: '"ready".', content: { 'text/plain': { schema: { type: 'string' } } } },
        '503': ok('Not ready, with the reason.', ref('schemas', 'Error')),
      },
    }),
  },
  '/metrics': {
    get: op('health', {
      summary: 'Prometheus text exposition (bounded labels).',
      access: 'admin',
      responses: { '200': { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
    }),
  },
  '/api/openapi.json': {
    get: op('meta', {
      summary: 'This description (OpenAPI 3.1).',
      access: 'any',
      responses: { '200': ok('The document.', { type: 'object' }) },
    }),
  },
  '/api/accounts': {
    get: op('stats', {
      summary: 'Account ids of the configuration (and accounts that still have stats); with an account token, its own only.',
      access: 'account-query',
      parameters: [ACCOUNT_QUERY],
      responses: { '200': ok('Accounts.', { type: 'object', required: ['accounts'], properties: { accounts: { type: 'array', items: str() } } }) },
    }),
  },
  '/api/stats': {
    get: op('stats', {
      summary: 'Per-account, per-tag outcome counts over a time range, as totals and a series.',
      access: 'account-query',
      parameters: [
        ACCOUNT_QUERY,
        query('tag', 'One tag: adds its series and its recipient domains.', { type: 'string', pattern: '^[a-z0-9._-]{1,64}$' }),
        query('from', 'Start (inclusive); default `to` minus 24 h.', TIME),
        query('to', 'End (exclusive); default now.', TIME),
        query('interval', 'Series step: 1m, 15m, 1h, 1d...; default chosen for at most 400 points.', { type: 'string', pattern: '^[0-9]{1,5}[mhd]$' }),
      ],
      responses: { '200': ok('The report.', ref('schemas', 'StatsReport')), '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound') },
    }),
  },
  '/api/events': {
    get: op('stats', {
      summary: 'The event log, filtered, newest last; JSON pages or a CSV export.',
      access: 'account-query',
      parameters: [
        ACCOUNT_QUERY,
        query('tag', 'Only this tag.'),
        query('type', 'Comma-separated event types.', { type: 'string' }),
        query('recipient', 'Only this recipient address.'),
        query('from', 'Start (inclusive).', TIME),
        query('to', 'End (exclusive).', TIME),
        query('cursor', 'The `next` of a previous page.'),
        query('limit', 'Page size (JSON: 1 to 1000, default 100; CSV: up to the export bound).', { type: 'integer', minimum: 1 }),
        query('format', 'json (default) or csv.', { type: 'string', enum: ['json', 'csv'] }),
      ],
      responses: {
        '200': {
          description: 'A page of events, or the CSV (its X-Next-Cursor header continues a cut export).',
          content: {
            'application/json': { schema: { type: 'object', required: ['events', 'next'], properties: { events: { type: 'array', items: ref('schemas', 'Event') }, next: nullable('string') } } },
            'text/csv': { schema: { type: 'string' } },
          },
        },
        '400': ref('responses', 'BadRequest'),
        '404': ref('responses', 'NotFound'),
      },
    }),
  },
  '/api/queue': {
    get: op('queue', {
      summary: 'Per route: spooled messages waiting, and each destination state of mx routes.',
      access: 'admin',
      parameters: [query('account', 'Only this account.')],
      responses: { '200': ok('The queue.', { type: 'object', required: ['routes'], properties: { routes: { type: 'array', items: { type: 'object' } } } }), '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound') },
    }),
  },
  '/api/messages': {
    get: op('messages', {
      summary: 'Messages by their accepted events, newest first, each once; the event-log scan per request is bounded (scanLimitHit, next).',
      access: 'admin',
      parameters: [
        query('recipient', 'Only messages to this address.'),
        query('tag', 'Only messages with this tag.'),
        query('account', 'Only this account.'),
        query('since', 'From this time; default 24 h ago.', TIME),
        query('limit', '1 to 500; default 50.', { type: 'integer', minimum: 1, maximum: 500 }),
        query('cursor', 'The next value of a previous page.'),
      ],
      responses: { '200': ok('A page of messages.', { type: 'object', required: ['messages'], properties: { messages: { type: 'array', items: { type: 'object' } } } }), '400': ref('responses', 'BadRequest') },
    }),
  },
  '/api/messages/{id}': {
    get: op('messages', {
      summary: "One message's timeline per recipient: accepted, each attempt with the upstream's reply, the outcome, and what came back later.",
      access: 'admin',
      parameters: [pathParam('id', 'The queue id, or an outbound Message-ID (<id>.<n>@host, brackets optional).')],
      responses: { '200': ok('The timeline.', { type: 'object' }), '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound') },
    }),
  },
  '/api/messages/{id}/content': {
    get: op('messages', {
      summary: 'What was sent to one recipient (message/rfc822): the retained copy, or the spool while it is not final.',
      access: 'admin',
      parameters: [pathParam('id', 'The queue id or an outbound Message-ID.'), query('recipient', 'Required when the message has several recipients and id is a queue id.')],
      responses: { '200': { description: 'The message.', content: { 'message/rfc822': { schema: { type: 'string' } } } }, '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound') },
    }),
  },
  '/api/webhooks': {
    get: op('webhooks', {
      summary: 'Every webhook endpoint: state, cursor lag, last attempts.',
      access: 'admin',
      responses: { '200': ok('Endpoints.', { type: 'object', required: ['webhooks'], properties: { webhooks: { type: 'array', items: { type: 'object' } } } }) },
    }),
  },
  '/api/webhooks/{account}/{id}/{action}': {
    post: op('webhooks', {
      summary: 'test: send a test event now; replay?from=T: send again every event since T; enable: a disabled endpoint resumes at its cursor.',
      access: 'admin',
      parameters: [
        pathParam('account', 'The account of the endpoint.'),
        pathParam('id', 'The endpoint id (accounts[].webhooks[].id).'),
        pathParam('action', 'What to do.', { type: 'string', enum: ['test', 'replay', 'enable'] }),
        query('from', 'replay only (required there): the time to replay from.', TIME),
      ],
      responses: { '200': ok('The outcome of the action.', { type: 'object' }), '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound') },
    }),
  },
  '/api/suppressions': {
    get: op('suppressions', {
      summary: 'An account\'s whole suppression list (older form; see /api/accounts/{id}/suppressions for pages and CSV).',
      access: 'account-query',
      parameters: [{ ...ACCOUNT_QUERY, required: true }],
      responses: { '200': ok('The list.', { type: 'object', required: ['account', 'suppressions'], properties: { account: str(), suppressions: { type: 'array', items: ref('schemas', 'Suppression') } } }), '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound') },
    }),
    post: op('suppressions', {
      summary: 'Adds an address to an account\'s list (older form).',
      access: 'account-query',
      parameters: [{ ...ACCOUNT_QUERY, required: true }],
      requestBody: { required: true, content: json({ type: 'object', required: ['address'], additionalProperties: false, properties: { address: str('An email address.'), reason: str('Single line, at most 1000 characters.') } }) },
      responses: { '200': ok('Already listed.', ref('schemas', 'SuppressionAdded')), '201': ok('Added.', ref('schemas', 'SuppressionAdded')), '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound') },
    }),
    delete: op('suppressions', {
      summary: 'Removes an address from an account\'s list (older form).',
      access: 'account-query',
      parameters: [{ ...ACCOUNT_QUERY, required: true }, { ...query('address', 'The address.'), required: true }],
      responses: { '200': ok('Removed.', { type: 'object' }), '400': ref('responses', 'BadRequest'), '404': ref('responses', 'NotFound') },
    }),
  },

  // The management API (issue 17 §2).
  '/api/accounts/{id}/keys': {
    parameters: [ref('parameters', 'AccountId')],
    get: op('keys', {
      summary: 'The account\'s API keys: the configuration file\'s (read-only, "config-N") and those made through the API. Never a key or its hash.',
      access: 'account',
      responses: { '200': ok('Keys.', credentialList('key', 'The file\'s keys first (source "config"), then the API\'s, oldest first.')), ...MANAGEMENT_ERRORS },
    }),
    post: op('keys', {
      summary: 'Creates an API key. The key is in this answer only; the relay keeps its SHA-256.',
      access: 'account',
      requestBody: { required: false, content: json(ref('schemas', 'CredentialRequest')) },
      responses: { '201': ok('Created.', ref('schemas', 'CreatedKey')), '409': ref('responses', 'Conflict'), '415': ref('responses', 'UnsupportedMediaType'), ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/keys/{keyId}': {
    parameters: [ref('parameters', 'AccountId'), pathParam('keyId', 'The key\'s id ("key_...").')],
    delete: op('keys', {
      summary: 'Revokes a key: refused from the next AUTH or X-Auth-APIKey on.',
      access: 'account',
      responses: { '204': NO_CONTENT, '409': ref('responses', 'Conflict'), ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/templates': {
    parameters: [ref('parameters', 'AccountId')],
    get: op('templates', {
      summary: 'The account\'s templates: the configuration file\'s (source "config", read-only) and the API\'s.',
      access: 'account',
      responses: { '200': ok('Templates, without their HTML.', { type: 'object', required: ['account', 'templates'], properties: { account: str(), templates: { type: 'array', items: ref('schemas', 'TemplateSummary') } } }), ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/templates/{name}': {
    parameters: [ref('parameters', 'AccountId'), ref('parameters', 'TemplateName')],
    get: op('templates', {
      summary: 'One template, with its HTML: the file\'s when it defines the name, else the API\'s.',
      access: 'account',
      responses: { '200': ok('The template.', { type: 'object', required: ['account', 'template'], properties: { account: str(), template: ref('schemas', 'Template') } }), ...MANAGEMENT_ERRORS },
    }),
    put: op('templates', {
      summary: 'Creates or replaces a template. The HTML and subject are compiled first: a syntax error is a 400 naming the field, with line and column.',
      access: 'account',
      requestBody: { required: true, content: json(ref('schemas', 'TemplateRequest')) },
      responses: {
        '200': ok('Replaced.', ref('schemas', 'TemplateSaved')),
        '201': ok('Created.', ref('schemas', 'TemplateSaved')),
        '400': { description: 'A field is wrong; a template syntax error has kind, line and column.', content: json(ref('schemas', 'TemplateError')) },
        '404': ref('responses', 'NotFound'),
        '409': ref('responses', 'Conflict'),
        '413': ref('responses', 'PayloadTooLarge'),
        '415': ref('responses', 'UnsupportedMediaType'),
        '503': ref('responses', 'StoreUnavailable'),
      },
    }),
    delete: op('templates', {
      summary: 'Deletes a template made through the API (the file\'s are 409).',
      access: 'account',
      responses: { '204': NO_CONTENT, '409': ref('responses', 'Conflict'), ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/templates/{name}/render': {
    parameters: [ref('parameters', 'AccountId'), ref('parameters', 'TemplateName')],
    post: op('templates', {
      summary: 'Renders the subject and HTML exactly as the relay does for a message with X-Transactional-Template and X-Transactional-Variables. `html`/`subject` preview unsaved edits.',
      access: 'account',
      requestBody: {
        required: false,
        content: json({
          type: 'object',
          additionalProperties: false,
          properties: {
            variables: { type: 'object', description: 'The template variables (default {}); at most limits.maxVariablesBytes.' },
            html: str('A draft HTML to render instead of the saved one.'),
            subject: str('A draft subject to render instead of the saved one.'),
          },
        }),
      },
      responses: {
        '200': ok('The rendered parts.', ref('schemas', 'RenderResult')),
        '400': { description: 'A field is wrong, or a draft has a syntax error (kind, line, column).', content: json(ref('schemas', 'TemplateError')) },
        '404': ref('responses', 'NotFound'),
        '413': ref('responses', 'PayloadTooLarge'),
        '415': ref('responses', 'UnsupportedMediaType'),
        '422': { description: 'The template does not render with these variables (or a sandbox limit was hit): kind, line, column, reason.', content: json(ref('schemas', 'TemplateError')) },
        '503': ref('responses', 'StoreUnavailable'),
      },
    }),
  },
  '/api/previews': {
    post: op('templates', {
      summary: 'Keeps a rendered HTML for the dashboard\'s preview frame: 60 seconds, one read, at GET /previews/{ticket}.',
      description: 'An iframe cannot send a bearer header, and a srcdoc or blob: frame inherits the dashboard\'s CSP (which refuses the email\'s inline styles); the ticket in the answer\'s url is the credential for one read. See docs/admin-api.md.',
      access: 'any',
      requestBody: { required: true, content: { 'text/html': { schema: { type: 'string', maxLength: 2097152 } } } },
      responses: {
        '201': ok('The preview\'s address.', { type: 'object', required: ['url', 'expiresAt'], properties: { url: str('/previews/{ticket}'), expiresAt: str('When the ticket stops working (ISO 8601).') } }),
        '400': ref('responses', 'BadRequest'),
        '413': ref('responses', 'PayloadTooLarge'),
        '415': ref('responses', 'UnsupportedMediaType'),
      },
    }),
  },
  '/previews/{ticket}': {
    get: op('templates', {
      summary: 'The HTML kept by POST /api/previews, once, under CSP sandbox (no scripts), inline styles only, images from data: and https:.',
      access: 'public',
      parameters: [pathParam('ticket', 'The ticket of the url POST /api/previews answered (43 characters of A-Z a-z 0-9 _ -).')],
      responses: {
        '200': { description: 'The HTML.', content: { 'text/html': { schema: { type: 'string' } } } },
        '404': ref('responses', 'NotFound'),
      },
    }),
  },
  '/api/accounts/{id}/suppressions': {
    parameters: [ref('parameters', 'AccountId')],
    get: op('suppressions', {
      summary: 'The account\'s suppression list, by address, in pages (or ?format=csv).',
      access: 'account',
      parameters: [
        query('limit', 'Page size: 1 to 1000 (default 100); CSV: up to the export bound.', { type: 'integer', minimum: 1 }),
        query('cursor', 'The `next` of the previous page.'),
        query('format', 'json (default) or csv.', { type: 'string', enum: ['json', 'csv'] }),
      ],
      responses: {
        '200': {
          description: 'A page (`next` null on the last), or the CSV (address,reason,time,tag).',
          content: { 'application/json': { schema: ref('schemas', 'SuppressionPage') }, 'text/csv': { schema: { type: 'string' } } },
        },
        ...MANAGEMENT_ERRORS,
      },
    }),
    post: op('suppressions', {
      summary: 'Adds an address (account-wide, or for one tag).',
      access: 'account',
      requestBody: { required: true, content: json({ type: 'object', required: ['address'], additionalProperties: false, properties: { address: str('An email address.'), reason: str('Single line, at most 1000 characters; default "added by an operator".'), tag: str('Suppress only messages with this tag.') } }) },
      responses: { '200': ok('Already listed (the first entry stays).', ref('schemas', 'SuppressionAdded')), '201': ok('Added.', ref('schemas', 'SuppressionAdded')), '415': ref('responses', 'UnsupportedMediaType'), ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/suppressions.csv': {
    parameters: [ref('parameters', 'AccountId')],
    get: op('suppressions', {
      summary: 'The whole list as CSV (address,reason,time,tag), up to the export bound; X-Next-Cursor continues a cut export.',
      access: 'account',
      parameters: [query('limit', 'Rows at most.', { type: 'integer', minimum: 1 }), query('cursor', 'Continue after a cut export.')],
      responses: { '200': { description: 'The CSV.', content: { 'text/csv': { schema: { type: 'string' } } } }, ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/suppressions/import': {
    parameters: [ref('parameters', 'AccountId')],
    post: op('suppressions', {
      summary: 'Imports CSV: address,reason[,time[,tag]] per line, an optional header line (the export\'s). All or nothing: any bad line is a 400 listing every error with its line number.',
      access: 'account',
      requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string', description: 'At most 1 MiB and 10,000 rows.' } } } },
      responses: {
        '200': ok('Imported.', { type: 'object', required: ['account', 'rows', 'added', 'existing'], properties: { account: str(), rows: { type: 'integer' }, added: { type: 'integer' }, existing: { type: 'integer' } } }),
        '400': { description: 'Bad lines; nothing was imported.', content: json(ref('schemas', 'ImportError')) },
        '404': ref('responses', 'NotFound'),
        '413': ref('responses', 'PayloadTooLarge'),
        '415': ref('responses', 'UnsupportedMediaType'),
        '503': ref('responses', 'StoreUnavailable'),
      },
    }),
  },
  '/api/accounts/{id}/suppressions/{address}': {
    parameters: [ref('parameters', 'AccountId'), pathParam('address', 'The address, URL-encoded (user%40example.com).')],
    delete: op('suppressions', {
      summary: 'Removes an address (the account-wide entry, or with ?tag= the tag-scoped one).',
      access: 'account',
      parameters: [query('tag', 'Remove the entry for this tag.')],
      responses: { '204': NO_CONTENT, ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/webhooks': {
    parameters: [ref('parameters', 'AccountId')],
    get: op('webhooks', {
      summary: 'The account\'s webhook endpoints: the configuration file\'s (source "config", read-only) and the API\'s (source "api"). Never the secret.',
      access: 'account',
      responses: { '200': ok('Endpoints, by id.', { type: 'object', required: ['account', 'webhooks'], properties: { account: str(), webhooks: { type: 'array', items: ref('schemas', 'WebhookEndpoint') } } }), ...MANAGEMENT_ERRORS },
    }),
    post: op('webhooks', {
      summary: 'Creates an endpoint, run by every relay within a second from the end of its event log. The secret (given, or made when absent) is in this answer only.',
      description: 'The body follows the rules of accounts[].webhooks in the configuration file (docs/feedback.md), but secretFile; a refusal names the field. An id the file or the store already has is 409.',
      access: 'account',
      requestBody: { required: true, content: json(ref('schemas', 'WebhookRequest')) },
      responses: { '201': ok('Created.', ref('schemas', 'WebhookCreated')), '409': ref('responses', 'Conflict'), '413': ref('responses', 'PayloadTooLarge'), '415': ref('responses', 'UnsupportedMediaType'), ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/webhooks/{webhookId}': {
    parameters: [ref('parameters', 'AccountId'), pathParam('webhookId', 'The endpoint\'s id.', { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' })],
    get: op('webhooks', {
      summary: 'One endpoint: the file\'s when it uses the id, else the API\'s. Never the secret.',
      access: 'account',
      responses: { '200': ok('The endpoint.', { type: 'object', required: ['account', 'webhook'], properties: { account: str(), webhook: ref('schemas', 'WebhookEndpoint') } }), ...MANAGEMENT_ERRORS },
    }),
    put: op('webhooks', {
      summary: 'Replaces an endpoint made through the API (absent fields take their defaults; an absent secret keeps the current one). Its cursor stays: the next events go to the new description.',
      access: 'account',
      requestBody: { required: true, content: json(ref('schemas', 'WebhookRequest')) },
      responses: {
        '200': ok('Replaced.', { type: 'object', required: ['account', 'webhook', 'secretChanged'], properties: { account: str(), webhook: ref('schemas', 'WebhookEndpoint'), secretChanged: { type: 'boolean' } } }),
        '409': ref('responses', 'Conflict'),
        '413': ref('responses', 'PayloadTooLarge'),
        '415': ref('responses', 'UnsupportedMediaType'),
        ...MANAGEMENT_ERRORS,
      },
    }),
    delete: op('webhooks', {
      summary: 'Deletes an endpoint made through the API (the file\'s are 409): no event is posted to it any more, on any relay, within a second.',
      access: 'account',
      responses: { '204': NO_CONTENT, '409': ref('responses', 'Conflict'), ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/tokens': {
    parameters: [ref('parameters', 'AccountId')],
    get: op('tokens', {
      summary: 'The account\'s scoped admin tokens (never the token or its hash).',
      access: 'admin',
      responses: { '200': ok('Tokens.', credentialList('token', 'Oldest first.')), ...MANAGEMENT_ERRORS },
    }),
    post: op('tokens', {
      summary: 'Issues a token limited to this account: its keys, templates, suppressions, stats and events. The token is in this answer only.',
      access: 'admin',
      requestBody: { required: false, content: json(ref('schemas', 'CredentialRequest')) },
      responses: { '201': ok('Issued.', ref('schemas', 'CreatedToken')), '409': ref('responses', 'Conflict'), '415': ref('responses', 'UnsupportedMediaType'), ...MANAGEMENT_ERRORS },
    }),
  },
  '/api/accounts/{id}/tokens/{tokenId}': {
    parameters: [ref('parameters', 'AccountId'), pathParam('tokenId', 'The token\'s id ("tok_...").')],
    delete: op('tokens', {
      summary: 'Revokes a token: refused from the next request on.',
      access: 'admin',
      responses: { '204': NO_CONTENT, ...MANAGEMENT_ERRORS },
    }),
  },
};

const errorSchema: Json = {
  type: 'object',
  required: ['error', 'parameter', 'reason'],
  properties: {
    error: str('A short name of the refusal (bad request, not found, ...).'),
    parameter: nullable('string', 'The query parameter, path parameter or body field at fault; null when no single one is.'),
    reason: str('What is wrong, for a person.'),
  },
};
const errorResponse = (description: string): Json => ok(description, ref('schemas', 'Error'));

export const OPENAPI_DOCUMENT: Json = {
  openapi: '3.1.0',
  info: {
    title: 'txrelay admin API',
    version: '1',
    description:
      'The admin HTTP server of txrelay (loopback by default). Every path but /, /healthz needs a bearer token: the admin token (admin.token, or <data>/admin-token) reaches everything; an account token (POST /api/accounts/{id}/tokens) reaches only its own account (x-txrelay-access "account", "account-query", "any"). Every refusal is JSON {error, parameter, reason}. See docs/admin-api.md.',
  },
  servers: [{ url: 'http://127.0.0.1:9025', description: 'The admin listener (admin.host, admin.port).' }],
  security: [{ bearer: [] }],
  tags: ['dashboard', 'health', 'meta', 'stats', 'queue', 'messages', 'webhooks', 'keys', 'templates', 'suppressions', 'tokens'].map((name) => ({ name })),
  paths,
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'The admin token, or an account token ("txa_...").' },
    },
    parameters: {
      AccountId: pathParam('id', 'An account id of the configuration.', { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' }),
      TemplateName: pathParam('name', 'A template name.', { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' }),
    },
    responses: {
      BadRequest: errorResponse('A parameter or field is wrong; `parameter` names it.'),
      Unauthorized: errorResponse('No bearer token, or not a valid one.'),
      Forbidden: errorResponse('An account token outside its account, or on an admin-only path.'),
      NotFound: errorResponse('No such account, key, template or address; `parameter` names it.'),
      Conflict: errorResponse('The configuration file owns it (a key or template of the file), or a bound is reached.'),
      PayloadTooLarge: errorResponse('The body is larger than the bound given in `reason`.'),
      UnsupportedMediaType: errorResponse('The body is not of the media type the path takes.'),
      StoreUnavailable: errorResponse('The runtime store (Redis) cannot be reached: the change is not made; reads still answer from the cache.'),
    },
    schemas: {
      Error: errorSchema,
      TemplateError: {
        allOf: [
          ref('schemas', 'Error'),
          { type: 'object', properties: { kind: { type: 'string', enum: ['syntax', 'render', 'limit'] }, line: { type: 'integer', description: '1-based; 0 when unknown.' }, column: { type: 'integer', description: '1-based; 0 when unknown.' } } },
        ],
      },
      ImportError: {
        allOf: [
          ref('schemas', 'Error'),
          {
            type: 'object',
            properties: {
              errorCount: { type: 'integer' },
              errors: { type: 'array', description: 'The first 100 errors.', items: { type: 'object', required: ['line', 'parameter', 'reason'], properties: { line: { type: 'integer' }, parameter: str(), reason: str() } } },
            },
          },
        ],
      },
      CredentialRequest: {
        type: 'object',
        additionalProperties: false,
        properties: { label: nullable('string', 'A note, single line, at most 200 characters.'), expiresAt: { type: ['string', 'integer', 'null'], description: 'ISO 8601 time or ms since the epoch, in the future; absent = never.' } },
      },
      CredentialInfo: {
        type: 'object',
        required: ['id', 'source', 'label', 'createdAt', 'expiresAt', 'lastUsedAt', 'expired'],
        properties: {
          id: str('"key_..." / "tok_...", or "config-N" for the N-th key of accounts[].apiKeys.'),
          source: { type: 'string', enum: ['config', 'api'] },
          label: nullable('string'),
          createdAt: nullable('string', undefined, { format: 'date-time' }),
          expiresAt: nullable('string', undefined, { format: 'date-time' }),
          lastUsedAt: nullable('string', 'Written in batches, so it lags; null for the file\'s keys (not tracked).', { format: 'date-time' }),
          expired: { type: 'boolean' },
        },
      },
      CreatedKey: {
        type: 'object',
        required: ['id', 'key', 'account', 'label', 'createdAt', 'expiresAt'],
        properties: { id: str(), key: str('The API key ("txr_..."): shown once.'), account: str(), label: nullable('string'), createdAt: str(undefined, { format: 'date-time' }), expiresAt: nullable('string', undefined, { format: 'date-time' }) },
      },
      CreatedToken: {
        type: 'object',
        required: ['id', 'token', 'account', 'label', 'createdAt', 'expiresAt'],
        properties: { id: str(), token: str('The token ("txa_..."): shown once.'), account: str(), label: nullable('string'), createdAt: str(undefined, { format: 'date-time' }), expiresAt: nullable('string', undefined, { format: 'date-time' }) },
      },
      TemplateRequest: {
        type: 'object',
        required: ['html'],
        additionalProperties: false,
        properties: {
          html: str('Jinja2-subset HTML (autoescaped), at most 512 KiB.'),
          subject: nullable('string', 'Jinja2-subset subject (not escaped), single line.'),
          from: nullable('string', '"Name <address>" or an address.'),
          replyTo: nullable('string', '"Name <address>" or an address.'),
          tag: nullable('string', 'Wins over X-Transactional-Tag.', { pattern: '^[a-z0-9._-]{1,64}$' }),
          tracking: ref('schemas', 'TrackingOverride'),
        },
      },
      TrackingOverride: {
        type: ['object', 'null'],
        description: 'Open and click tracking of messages using the template, field by field over the tag\'s and the account\'s (docs/tracking.md); null or an absent field = theirs. Turning opens or clicks on needs a baseUrl here or on the account.',
        additionalProperties: false,
        properties: { opens: { type: ['boolean', 'null'] }, clicks: { type: ['boolean', 'null'] }, baseUrl: { type: ['string', 'null'], description: 'http(s) base URL of the public listener.' } },
      },
      Template: {
        type: 'object',
        required: ['name', 'source', 'html', 'subject', 'from', 'replyTo', 'tag', 'tracking', 'updatedAt', 'revision'],
        properties: {
          name: str(),
          source: { type: 'string', enum: ['config', 'api'] },
          html: str(),
          subject: nullable('string'),
          from: nullable('string'),
          replyTo: nullable('string'),
          tag: nullable('string'),
          tracking: ref('schemas', 'TrackingOverride'),
          updatedAt: nullable('string', 'null for the file\'s templates.', { format: 'date-time' }),
          revision: nullable('string'),
        },
      },
      TemplateSummary: {
        type: 'object',
        required: ['name', 'source', 'readOnly', 'htmlBytes'],
        properties: {
          name: str(),
          source: { type: 'string', enum: ['config', 'api'] },
          readOnly: { type: 'boolean' },
          shadowed: { type: 'boolean', description: 'An API template whose name the file now defines (the file\'s wins).' },
          htmlBytes: { type: 'integer' },
          subject: nullable('string'),
          from: nullable('string'),
          replyTo: nullable('string'),
          tag: nullable('string'),
          updatedAt: nullable('string', undefined, { format: 'date-time' }),
          revision: nullable('string'),
        },
      },
      TemplateSaved: {
        type: 'object',
        required: ['account', 'created', 'template'],
        properties: { account: str(), created: { type: 'boolean' }, template: ref('schemas', 'Template') },
      },
      RenderResult: {
        type: 'object',
        required: ['account', 'name', 'source', 'subject', 'html'],
        properties: {
          account: str(),
          name: str(),
          source: { type: 'string', enum: ['config', 'api', 'draft'] },
          subject: nullable('string', 'null when the template has no subject (a message keeps its own).'),
          html: str(),
        },
      },
      WebhookRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          id: str('POST only (PUT: the path\'s): 1 to 64 of A-Z a-z 0-9 . _ -; default "wh_" + random.', { pattern: '^[A-Za-z0-9._-]{1,64}$' }),
          url: str('http:// or https://, without credentials.'),
          events: { type: 'array', minItems: 1, description: 'Event types to post; default all.', items: { type: 'string', enum: ['accepted', 'delivered', 'deferred', 'failed', 'rejected', 'suppressed', 'bounced', 'complained', 'unsubscribed', 'opened', 'clicked'] } },
          secret: str('"whsec_" + base64 of 24 to 64 bytes (Standard Webhooks); default: made by the relay (POST) or the current one (PUT).'),
          timeoutMs: { type: 'integer', minimum: 100, maximum: 120000, description: 'One request\'s limit; default 10000.' },
          maxInFlight: { type: 'integer', minimum: 1, maximum: 64, description: 'Requests at once; default 4.' },
          disableAfterMs: { type: 'integer', minimum: 1000, maximum: 2592000000, description: 'Failing this long without a success disables it; default 86400000.' },
        },
      },
      WebhookEndpoint: {
        type: 'object',
        required: ['id', 'source', 'url', 'events', 'timeoutMs', 'maxInFlight', 'disableAfterMs', 'createdAt', 'updatedAt', 'readOnly'],
        properties: {
          id: str(),
          source: { type: 'string', enum: ['config', 'api'] },
          url: str(),
          events: { type: 'array', items: { type: 'string' } },
          timeoutMs: { type: 'integer' },
          maxInFlight: { type: 'integer' },
          disableAfterMs: { type: 'integer' },
          createdAt: nullable('string', 'null for the file\'s endpoints.', { format: 'date-time' }),
          updatedAt: nullable('string', 'null for the file\'s endpoints.', { format: 'date-time' }),
          readOnly: { type: 'boolean', description: 'True for the file\'s (changed by editing the file).' },
          shadowed: { type: 'boolean', description: 'An API endpoint whose id the file now uses (the file\'s runs).' },
        },
      },
      WebhookCreated: {
        type: 'object',
        required: ['account', 'webhook', 'secret'],
        properties: { account: str(), webhook: ref('schemas', 'WebhookEndpoint'), secret: str('The signing secret ("whsec_..."): shown once.') },
      },
      Suppression: {
        type: 'object',
        required: ['address', 'reason', 'time'],
        properties: { address: str(), reason: str(), time: str(undefined, { format: 'date-time' }), tag: str('Present for an entry of one tag only.') },
      },
      SuppressionPage: {
        type: 'object',
        required: ['account', 'suppressions', 'next'],
        properties: { account: str(), suppressions: { type: 'array', items: ref('schemas', 'Suppression') }, next: nullable('string', 'The cursor of the next page; null on the last.') },
      },
      SuppressionAdded: {
        type: 'object',
        required: ['account', 'added', 'suppression'],
        properties: { account: str(), added: { type: 'boolean' }, suppression: { oneOf: [ref('schemas', 'Suppression'), { type: 'null' }] } },
      },
      Event: {
        type: 'object',
        required: ['type', 'time'],
        properties: {
          type: { type: 'string', enum: ['accepted', 'delivered', 'deferred', 'failed', 'rejected', 'suppressed', 'bounced', 'complained', 'unsubscribed', 'opened', 'clicked'] },
          time: str(undefined, { format: 'date-time' }),
          id: str(),
          account: str(),
          tag: str(),
          route: str(),
          recipient: str(),
          reply: str(),
        },
      },
      StatsReport: {
        type: 'object',
        required: ['from', 'to', 'accounts'],
        properties: { from: str(), to: str(), intervalMs: { type: 'integer' }, interval: str(), accounts: { type: 'array', items: { type: 'object' } } },
      },
    },
  },
};

export const OPENAPI_JSON = JSON.stringify(OPENAPI_DOCUMENT, null, 2) + '\n';
