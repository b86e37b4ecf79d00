// The management API's rows of the admin server's route table (issue 17 §2): an account's API keys, templates,
// suppressions and webhook endpoints (reachable with the admin token or that account's token), and account tokens
// (admin token only).
import type { AdminRoute } from './admin-route.js';
import { ACCOUNT_TOKENS, API_KEYS, CredentialApi } from './management-credentials.js';
import type { ManagementDeps } from './management-request.js';
import { SuppressionApi } from './management-suppressions.js';
import { TemplateApi } from './management-templates.js';
import { WebhookEndpointApi } from './management-webhooks.js';

export function managementRoutes(d: ManagementDeps, maxExportRows: number): Array<[string, AdminRoute]> {
  const keys = new CredentialApi(d, API_KEYS);
  const tokens = new CredentialApi(d, ACCOUNT_TOKENS);
  const templates = new TemplateApi(d);
  const suppressions = new SuppressionApi(d, maxExportRows);
  const webhooks = new WebhookEndpointApi(d);
  const account = { auth: true, scope: 'account' } as const;
  return [
    ['/api/accounts/{id}/keys', { ...account, methods: { GET: (q, r, u, p) => keys.list(q, r, u, p), POST: (q, r, u, p) => keys.create(q, r, u, p) } }],
    ['/api/accounts/{id}/keys/{keyId}', { ...account, methods: { DELETE: (q, r, u, p) => keys.revoke(q, r, u, p) } }],
    ['/api/accounts/{id}/templates', { ...account, methods: { GET: (q, r, u, p) => templates.list(q, r, u, p) } }],
    [
      '/api/accounts/{id}/templates/{name}',
      { ...account, methods: { GET: (q, r, u, p) => templates.get(q, r, u, p), PUT: (q, r, u, p) => templates.put(q, r, u, p), DELETE: (q, r, u, p) => templates.delete(q, r, u, p) } },
    ],
    ['/api/accounts/{id}/templates/{name}/render', { ...account, methods: { POST: (q, r, u, p) => templates.render(q, r, u, p) } }],
    ['/api/accounts/{id}/suppressions', { ...account, methods: { GET: (q, r, u, p) => suppressions.list(q, r, u, p), POST: (q, r, u, p) => suppressions.add(q, r, u, p) } }],
    ['/api/accounts/{id}/suppressions.csv', { ...account, methods: { GET: (q, r, u, p) => suppressions.list(q, r, u, p, true) } }],
    ['/api/accounts/{id}/suppressions/import', { ...account, methods: { POST: (q, r, u, p) => suppressions.import(q, r, u, p) } }],
    ['/api/accounts/{id}/suppressions/{address}', { ...account, methods: { DELETE: (q, r, u, p) => suppressions.remove(q, r, u, p) } }],
    ['/api/accounts/{id}/webhooks', { ...account, methods: { GET: (q, r, u, p) => webhooks.list(q, r, u, p), POST: (q, r, u, p) => webhooks.create(q, r, u, p) } }],
    [
      '/api/accounts/{id}/webhooks/{webhookId}',
      { ...account, methods: { GET: (q, r, u, p) => webhooks.get(q, r, u, p), PUT: (q, r, u, p) => webhooks.replace(q, r, u, p), DELETE: (q, r, u, p) => webhooks.delete(q, r, u, p) } },
    ],
    // Issued by the operator only: a token cannot mint tokens, not even for its own account.
    ['/api/accounts/{id}/tokens', { auth: true, methods: { GET: (q, r, u, p) => tokens.list(q, r, u, p), POST: (q, r, u, p) => tokens.create(q, r, u, p) } }],
    ['/api/accounts/{id}/tokens/{tokenId}', { auth: true, methods: { DELETE: (q, r, u, p) => tokens.revoke(q, r, u, p) } }],
  ];
}
