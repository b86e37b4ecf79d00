// The relay's accept path without sockets or disk: MIME parse of a 2 KB message, policy, compose for one
// recipient (src/mime + src/relay/accept/message-acceptor.ts). The peer is mailparser's simpleParser alone on the same bytes.
import { simpleParser } from 'mailparser';
import { opsPerSecond, type BenchContext, type BenchRow, type BenchSuite } from '../harness.js';
import { defaultMessageBuilder } from '../loadgen.js';
import { MessageParser } from '../../src/mime/index.js';
import { MessageAcceptor } from '../../src/relay/accept/message-acceptor.js';
import { ApiKeyIndex, hashApiKey } from '../../src/relay/accept/api-key.js';
import { validateConfig } from '../../src/relay/config/index.js';
import { TagRegistry } from '../../src/relay/store/tag-registry.js';

const KEY = 'txr_bench_key_000000000000000000000000000000000';
const TEN = Array.from({ length: 10 }, (_, i) => `user${i}@example.net`);

async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const { config } = validateConfig(
    { dataDir: '/tmp', accounts: [{ id: 'bench', name: 'Bench', apiKeys: [hashApiKey(KEY)], routes: { out: { type: 'file', path: '/tmp/txrelay-bench-unused' } } }] },
    '/tmp',
  );
  if (!config) throw new Error('bench config invalid');
  const keys = new ApiKeyIndex(config.accounts);
  const acceptor = new MessageAcceptor(config, new TagRegistry(null), 1);
  const raw = Buffer.concat([Buffer.from(`X-Auth-APIKey: ${KEY}\r\n`), defaultMessageBuilder({ size: 2048 })(1)]);
  let n = 0;
  const ops = await opsPerSecond(
    {
      ours: () => {
        const parser = new MessageParser();
        parser.write(raw);
        const parsed = parser.end();
        return acceptor.accept({ parsed, sessionAccount: null, recipients: ['user@example.net'], lookupKey: (k) => keys.lookup(k) }, `bench${n++}`);
      },
      ours10: () => {
        const parser = new MessageParser();
        parser.write(raw);
        const parsed = parser.end();
        return acceptor.accept({ parsed, sessionAccount: null, recipients: TEN, lookupKey: (k) => keys.lookup(k) }, `bench${n++}`);
      },
      peer: () => simpleParser(raw),
    },
    ctx,
  );
  const ours = ops['ours'] ?? 0;
  return [
    {
      suite: 'relay-accept',
      name: 'parse + policy + compose, 2 KB message, 1 recipient',
      unit: 'ops/s',
      ours,
      peer: { name: 'mailparser simpleParser (parse only)', value: ops['peer'] ?? 0 },
      higherIsBetter: true,
      extra: { 'ours µs/msg': Math.round(1e8 / Math.max(1, ours)) / 100 },
    },
    {
      suite: 'relay-accept',
      name: 'parse + policy + compose, 2 KB message, 10 recipients',
      unit: 'ops/s',
      ours: ops['ours10'] ?? 0,
      peer: { name: 'mailparser simpleParser (parse only)', value: ops['peer'] ?? 0 },
      higherIsBetter: true,
      extra: { 'ours µs/msg': Math.round(1e8 / Math.max(1, ops['ours10'] ?? 1)) / 100 },
    },
  ];
}

const suite: BenchSuite = { name: 'relay-accept', run };
export default suite;
