// The admin server's path patterns: exact paths, {param} segments (percent-decoded), a trailing {rest*}, and the
// most specific pattern winning whatever the table order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PathRouter } from '../../src/relay/admin/path-router.js';
import { AdminRequestError } from '../../src/relay/admin/query.js';

describe('PathRouter', () => {
  const router = new PathRouter<string>([
    ['/api/messages', 'messages'],
    ['/api/accounts/{id}/suppressions/{address}', 'address'],
    ['/api/accounts/{id}/suppressions/import', 'import'],
    ['/api/accounts/{id}/suppressions.csv', 'csv'],
    ['/api/accounts/{id}/templates/{name}/render', 'render'],
    ['/api/messages/{id}', 'message'],
    ['/files/{rest*}', 'files'],
  ]);

  it('matches exact paths and patterns, with decoded parameters', () => {
    assert.deepEqual(router.match('/api/messages'), { route: 'messages', pattern: '/api/messages', params: {} });
    assert.deepEqual(router.match('/api/messages/q1'), { route: 'message', pattern: '/api/messages/{id}', params: { id: 'q1' } });
    assert.deepEqual(router.match('/api/accounts/a/suppressions/x%40y.test')?.params, { id: 'a', address: 'x@y.test' });
    assert.deepEqual(router.match('/api/accounts/a%2Fb/suppressions/x%2Fy%40z')?.params, { id: 'a/b', address: 'x/y@z' }, 'an encoded slash stays in its segment');
    assert.equal(router.match('/api/accounts/a/suppressions.csv')?.route, 'csv');
    assert.deepEqual(router.match('/api/accounts/a/templates/t.1/render')?.params, { id: 'a', name: 't.1' });
    assert.deepEqual(router.match('/files/a/b%20c')?.params, { rest: 'a/b%20c' });
  });

  it('prefers a literal segment to a parameter, whatever the order of the table', () => {
    assert.equal(router.match('/api/accounts/a/suppressions/import')?.route, 'import');
  });

  it('matches nothing for missing, empty or extra segments', () => {
    for (const path of ['/api/accounts/a/suppressions/', '/api/accounts//suppressions/x', '/api/messages/q1/extra', '/api/messages/', '/files/', '/files', '/nope']) {
      assert.equal(router.match(path), null, path);
    }
  });

  it('refuses a malformed percent-escape with a 400 naming the parameter', () => {
    assert.throws(
      () => router.match('/api/accounts/a/suppressions/%E0%A4%A'),
      (e: unknown) => e instanceof AdminRequestError && e.status === 400 && e.parameter === 'address',
    );
  });

  it('refuses a table with a pattern twice or a parameter inside a segment', () => {
    assert.throws(() => new PathRouter([['/a/{x}', 1], ['/a/{x}', 2]]), /twice/);
    assert.throws(() => new PathRouter([['/a/x{y}', 1]]), /whole segment/);
    assert.throws(() => new PathRouter([['/a/{y*}/b', 1]]), /last segment/);
  });
});
