// The OpenAPI 3.1 description against the admin server, both ways: every route of the server's table (pattern and
// method) is documented with the same access, and every documented path and method is answered by a real relay's
// admin server (never "no such path" nor 405). The document is valid OpenAPI 3.1 by the published JSON schema
// (@seriousme/openapi-schema-validator) and by the rules that schema cannot express (path parameters declared).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { AdminServer } from '../../src/relay/admin/admin-server.js';
import { OPENAPI_DOCUMENT } from '../../src/relay/admin/openapi.js';
import { startAdminFixture } from './fixture.js';
import { call, startManagementRelay, type ManagementRelay } from './management-fixture.js';

type Doc = { paths: Record<string, Record<string, unknown>>; components: { parameters: Record<string, { name: string; in: string }> } };
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** The server's routes as "METHOD pattern" with their access, read from a real AdminServer's table. */
function serverRoutes(server: AdminServer): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of server.routePatterns()) {
    for (const method of r.methods) out.set(`${method} ${r.pattern}`, !r.auth ? 'public' : (r.scope ?? 'admin'));
  }
  return out;
}

function documentedRoutes(doc: Doc): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (op) out.set(`${method.toUpperCase()} ${path}`, op['x-txrelay-access'] as string);
    }
  }
  return out;
}

describe('OpenAPI description of the admin API', () => {
  let m: ManagementRelay;
  let served: Doc;

  before(async () => {
    m = await startManagementRelay();
    const res = await call(m.base, 'GET', '/api/openapi.json');
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    served = res.body as unknown as Doc;
  });
  after(async () => {
    await m?.close();
  });

  it('is served at /api/openapi.json to a token holder only', async () => {
    assert.deepEqual(served, JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
    assert.equal((await call(m.base, 'GET', '/api/openapi.json', { token: null })).status, 401);
  });

  it('documents every route of the server\'s table, with its access', async () => {
    // The table is the same for every AdminServer: read it from one over real stores.
    const f = await startAdminFixture();
    const routes = serverRoutes(f.server);
    await f.close();
    const documented = documentedRoutes(served);
    const missing = [...routes.keys()].filter((k) => !documented.has(k));
    assert.deepEqual(missing, [], 'routes of the server missing from the description');
    const extra = [...documented.keys()].filter((k) => !routes.has(k));
    assert.deepEqual(extra, [], 'documented routes the server does not have');
    for (const [k, access] of routes) assert.equal(documented.get(k), access, `x-txrelay-access of ${k}`);
    // Public operations say so (no security); the rest inherit the bearer requirement.
    for (const [path, item] of Object.entries(served.paths)) {
      for (const method of METHODS) {
        const op = item[method] as Record<string, unknown> | undefined;
        if (!op) continue;
        assert.equal(Array.isArray(op['security']) && (op['security'] as unknown[]).length === 0, op['x-txrelay-access'] === 'public', `${method} ${path} security`);
      }
    }
  });

  it('has every documented path and method answered by the running admin server', async () => {
    for (const key of documentedRoutes(served).keys()) {
      const [method, pattern] = key.split(' ') as [string, string];
      const path = pattern.replace(/\{id\}/g, 'a').replace(/\{address\}/g, 'x%40y.test').replace(/\{action\}/g, 'test').replace(/\{[A-Za-z]+\}/g, 'x');
      const res = await call(m.base, method, path, method === 'POST' || method === 'PUT' ? { body: {} } : {});
      assert.notEqual(res.status, 405, `${key}: ${res.text}`);
      const noSuchPath = res.status === 404 && /^no such path/.test((res.body?.['reason'] as string) ?? '');
      assert.ok(!noSuchPath, `${key} is documented but the server has no such path`);
    }
  });

  it('is valid OpenAPI 3.1 (JSON schema), with every path parameter declared', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(served) as Record<string, unknown>);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');

    const resolve = (p: unknown): { name: string; in: string } => {
      const ref = (p as { $ref?: string }).$ref;
      return ref ? served.components.parameters[ref.split('/').pop()!]! : (p as { name: string; in: string });
    };
    for (const [path, item] of Object.entries(served.paths)) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!).sort();
      for (const method of METHODS) {
        const op = item[method] as { parameters?: unknown[]; responses?: Record<string, unknown> } | undefined;
        if (!op) continue;
        const params = [...((item['parameters'] as unknown[]) ?? []), ...(op.parameters ?? [])].map(resolve);
        const declared = params.filter((p) => p.in === 'path').map((p) => p.name).sort();
        assert.deepEqual(declared, inPath, `${method} ${path}: path parameters`);
        assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path}: responses`);
      }
    }
  });
});
