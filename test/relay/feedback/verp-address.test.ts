import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { VerpSigner } from '../../../src/relay/feedback/verp-address.js';
import { createSpoolId } from '../../../src/relay/storage/spool/index.js';

const signer = new VerpSigner(Buffer.alloc(32, 7));

describe('VERP addresses', () => {
  it('reads back the queue id and index of an address it made, whatever case a remote MTA gives it', () => {
    const id = createSpoolId();
    const address = signer.address('Bounces.Shop.Example', id, 3);
    assert.match(address, /^b-[a-z0-9]+-3-[a-z2-7]{16}@bounces\.shop\.example$/);
    const local = address.split('@')[0]!;
    assert.ok(local.length <= 64);
    assert.deepEqual(signer.read(local), { kind: 'valid', id, index: 3 });
    assert.deepEqual(signer.read(local.toUpperCase()), { kind: 'valid', id, index: 3 });
  });

  it('keeps ids with capitals, "_" and "-" distinct and lower case', () => {
    for (const id of ['AbC-d_E', 'abc-d_e', 'a__B', '-', '_', 'Z9-']) {
      const local = signer.localPart(id, 0);
      assert.equal(local, local.toLowerCase());
      assert.deepEqual(signer.read(local.toUpperCase()), { kind: 'valid', id, index: 0 });
    }
    assert.notEqual(signer.localPart('AbC', 1), signer.localPart('abc', 1));
  });

  it('calls a changed id, index or signature, or another secret\'s address, forged', () => {
    const local = signer.localPart('abc123', 1);
    assert.deepEqual(signer.read(local.replace('-1-', '-2-')), { kind: 'forged' });
    assert.deepEqual(signer.read(local.replace('abc123', 'abc124')), { kind: 'forged' });
    assert.deepEqual(signer.read(local.slice(0, -1) + (local.endsWith('a') ? 'b' : 'a')), { kind: 'forged' });
    assert.deepEqual(new VerpSigner(randomBytes(32)).read(local), { kind: 'forged' });
  });

  it('says "none" for local parts that are no VERP address', () => {
    for (const local of ['postmaster', 'fbl', 'b-', 'b-abc', 'b-abc-1', 'b-abc-x-aaaaaaaaaaaaaaaa', 'b-a_9-1-aaaaaaaaaaaaaaaa', 'b-abc-01-aaaaaaaaaaaaaaaa', 'b-abc-1-short']) {
      assert.deepEqual(signer.read(local), { kind: 'none' }, local);
    }
  });
});
