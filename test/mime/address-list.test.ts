// The To header's entries (SPEC §3): an entry without "@" is a display name; Name <addr> and addr-specs as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddressList, sameAddress, unquoteAddress } from '../../src/mime/index.js';

test('an entry without "@" is a display name: bare phrase, quoted string, encoded word', () => {
  assert.deepEqual(parseAddressList('Jane Doe, "Doe, Jane", =?utf-8?q?J=C3=BCrgen?='), [
    { name: 'Jane Doe', address: null },
    { name: 'Doe, Jane', address: null },
    { name: 'Jürgen', address: null },
  ]);
});

test('Name <addr>, bare addr-specs and addr (comment) keep their addresses', () => {
  assert.deepEqual(parseAddressList('Bob <bob@example.org>, ann@example.org, carl@example.org (Carl)'), [
    { name: 'Bob', address: 'bob@example.org' },
    { name: null, address: 'ann@example.org' },
    { name: 'Carl', address: 'carl@example.org' },
  ]);
});

test('Name <x> where x has no "@" is a name only; an empty <> with a phrase too', () => {
  assert.deepEqual(parseAddressList('Jane <jane>, Bob <>'), [
    { name: 'Jane', address: null },
    { name: 'Bob', address: null },
  ]);
});

test('group syntax is flattened, the group name is not an entry; empty entries are skipped', () => {
  assert.deepEqual(parseAddressList('Team: Ann, , Bob <bob@x.example>;, , Undisclosed recipients:;'), [
    { name: 'Ann', address: null },
    { name: 'Bob', address: 'bob@x.example' },
  ]);
});

test('a quoted local part is kept unquoted, and compares equal to its quoted RCPT form', () => {
  const [m] = parseAddressList('"a b"@example.com');
  assert.deepEqual(m, { name: null, address: 'a b@example.com' });
  assert.equal(unquoteAddress('"a b"@example.com'), 'a b@example.com');
  assert.ok(sameAddress('"a b"@Example.COM', 'a b@example.com'));
  assert.ok(!sameAddress('Ann@example.com', 'ann@example.com'), 'local parts compare as written (RFC 5321 §2.4)');
});
