// `retention` in the configuration: the relay-level setting applies to every account without its own, an account's
// own wins ("days": 0 turns it off), and a bad value is refused naming the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../src/relay/config/index.js';

const HASH = 'sha256:' + 'a'.repeat(64);

function config(extra: Record<string, unknown>, accounts: Record<string, unknown>[] = [{}, {}]): ReturnType<typeof validateConfig> {
  return validateConfig(
    {
      dataDir: '/tmp/txrelay-retention-config',
      ...extra,
      accounts: accounts.map((a, i) => ({ id: `acc${i}`, apiKeys: i === 0 ? [HASH] : [], routes: { main: { type: 'file', path: '/tmp/out' } }, ...a })),
    },
    '/tmp',
  );
}

describe('retention configuration', () => {
  it('is off by default', () => {
    const { config: c } = config({});
    assert.equal(c?.retention, null);
    assert.deepEqual(c?.accounts.map((a) => a.retention), [null, null]);
  });

  it('applies the relay-level days to every account without its own; an account can set its own or turn it off', () => {
    const { config: c, errors } = config({ retention: { days: 7 } }, [{}, { retention: { days: 30 } }, { retention: { days: 0 } }]);
    assert.deepEqual(errors, []);
    assert.deepEqual(c?.retention, { days: 7 });
    assert.deepEqual(c?.accounts.map((a) => a.retention), [{ days: 7 }, { days: 30 }, null]);
  });

  it('refuses bad values naming the field', () => {
    const cases: [Record<string, unknown>, Record<string, unknown>[] | undefined, string, RegExp][] = [
      [{ retention: { days: 366 } }, undefined, '$.retention.days', /between 0 and 365/],
      [{ retention: { days: 1.5 } }, undefined, '$.retention.days', /integer/],
      [{ retention: {} }, undefined, '$.retention.days', /is required/],
      [{ retention: { days: 7, keep: 'all' } }, undefined, '$.retention.keep', /unknown field/],
      [{ retention: 7 }, undefined, '$.retention', /must be an object/],
      [{}, [{ retention: { days: -1 } }], '$.accounts[0].retention.days', /between 0 and 365/],
    ];
    for (const [extra, accounts, path, message] of cases) {
      const { config: c, errors } = config(extra, accounts);
      assert.equal(c, undefined, path);
      const hit = errors.find((e) => e.path === path);
      assert.ok(hit, `${path}: ${JSON.stringify(errors)}`);
      assert.match(hit.message, message);
    }
  });
});
