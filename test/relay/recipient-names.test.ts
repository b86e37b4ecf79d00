import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recipientNames } from '../../src/relay/accept/recipient-names.js';
import { parseAddressList } from '../../src/mime/index.js';

const names = (to: string, rcpts: string[]) => recipientNames(parseAddressList(to), rcpts);

test('name-only entries pair in order with the RCPTs', () => {
  assert.deepEqual(names('Jane Doe, Bob', ['j@x.org', 'b@x.org']), ['Jane Doe', 'Bob']);
});

test('an address entry names the RCPT with that address (domain case-insensitive), not its position', () => {
  assert.deepEqual(names('Bob <bob@x.org>, Ann <ann@X.ORG>', ['ann@x.org', 'bob@x.org']), ['Ann', 'Bob']);
});

test('an address entry with no name still claims its RCPT, so no name-only entry lands on it', () => {
  assert.deepEqual(names('bob@x.org, Carol', ['bob@x.org', 'carol@x.org']), [null, 'Carol']);
});

test('an address that matches no RCPT gives no name to anyone', () => {
  assert.deepEqual(names('Stranger <s@x.org>', ['a@x.org']), [null]);
});

test('extra names are ignored; missing names mean no name; the same address twice names both RCPTs in turn', () => {
  assert.deepEqual(names('One, Two, Three', ['1@x.org']), ['One']);
  assert.deepEqual(names('One', ['1@x.org', '2@x.org']), ['One', null]);
  assert.deepEqual(names('A <d@x.org>, B <d@x.org>', ['d@x.org', 'd@x.org']), ['A', 'B']);
  assert.deepEqual(names('', ['1@x.org']), [null]);
});
