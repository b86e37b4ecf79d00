// Signs outbound messages with every key aligned with the From domain (dual signing when an RSA and an
// Ed25519 key both apply). The caller's thread splits the message, hashes the body (once per body: see
// prepareBody) and lays out the header; the private-key operation runs in the SigningPool's threads.
import { availableParallelism } from 'node:os';
import { parseAddressList } from '../../mime/index.js';
import { relaxedBodyHash, splitMessage } from './canonicalization.js';
import { DkimError, keysForDomain, loadDkimKey, type DkimKey, type DkimKeyConfig } from './dkim-key.js';
import { draftSignature, indexHeaders, signedHeaderNames, type HeaderIndex } from './signature-header.js';
import { signData } from './sign-data.js';
import { SigningPool } from './signing-pool.js';

export interface DkimSignerOptions {
  keys: readonly DkimKeyConfig[];
  /** Signing threads; default one per core (os.availableParallelism()); 0 signs on the caller's thread. */
  workers?: number;
  /** x= as seconds after t=; none by default. */
  expireSeconds?: number | null;
  /** Signatures waiting for a thread beyond which sign() fails with kind 'queue-full'; default 1024. */
  maxQueue?: number;
  /** Time one signature may take in a thread; default 5000 ms. */
  timeoutMs?: number;
  /** The clock for t= (ms since the epoch); Date.now by default. */
  now?: () => number;
  /** The worker script (tests only). */
  workerUrl?: URL;
}

/** A body's hash, computed once and given to sign() for each recipient's message that carries the same body. */
export interface PreparedBody {
  readonly bodyHash: string;
  readonly bodyLength: number;
}

/** bh= of the message's body (relaxed, SHA-256): the one pass over the body, to reuse across recipients. */
export function prepareBody(message: Buffer): PreparedBody {
  const { body } = splitMessage(message);
  return { bodyHash: relaxedBodyHash(body), bodyLength: body.length };
}

/** The domain of the From header's first address, in lower case, or null. */
export function fromDomain(index: HeaderIndex): string | null {
  const field = index.get('from')?.at(-1);
  if (field === undefined) return null;
  const value = field.slice(field.indexOf(':') + 1).replace(/\r?\n/g, '');
  const address = parseAddressList(value).find((m) => m.address !== null)?.address;
  if (!address) return null;
  const at = address.lastIndexOf('@');
  return at === -1 ? null : address.slice(at + 1).toLowerCase();
}

export class DkimSigner {
  readonly keys: readonly DkimKey[];
  private readonly pool: SigningPool | null;
  private readonly expireSeconds: number | null;
  private readonly now: () => number;

  /** Throws a DkimError (kind 'key') naming the key when one cannot be used (unreadable, wrong type, RSA < 2048 bits). */
  constructor(options: DkimSignerOptions) {
    this.keys = options.keys.map(loadDkimKey);
    this.expireSeconds = options.expireSeconds ?? null;
    this.now = options.now ?? Date.now;
    const workers = options.workers ?? availableParallelism();
    this.pool =
      workers > 0
        ? new SigningPool({
            workers,
            keys: this.keys.map((k) => ({ algorithm: k.algorithm, privateKeyPem: k.privateKeyPem })),
            maxQueue: options.maxQueue ?? 1024,
            timeoutMs: options.timeoutMs ?? 5000,
            ...(options.workerUrl ? { workerUrl: options.workerUrl } : {}),
          })
        : null;
  }

  /**
   * The DKIM-Signature fields for `message` (each folded, ending with CRLF), one per aligned key, or '' when no
   * key is aligned with its From domain. `body` is prepareBody() of a message with the same body, if the caller has it.
   * With an `owner`, only that owner's keys sign (one relay-wide signer serves every account).
   */
  async signatureHeaders(message: Buffer, body?: PreparedBody, owner?: string): Promise<string> {
    const { header, body: bodyBytes } = splitMessage(message);
    const index = indexHeaders(header);
    const domain = fromDomain(index);
    const candidates = owner === undefined ? this.keys : this.keys.filter((k) => k.owner === owner);
    const keys = domain === null ? [] : keysForDomain(candidates, domain);
    if (keys.length === 0) return '';
    if (body !== undefined && body.bodyLength !== bodyBytes.length) {
      throw new DkimError('body', `the prepared body hash is of a ${body.bodyLength}-byte body, this message's body has ${bodyBytes.length} bytes`);
    }
    const bodyHash = body?.bodyHash ?? relaxedBodyHash(bodyBytes);
    const time = Math.floor(this.now() / 1000);
    const headerNames = signedHeaderNames(index);
    const fields = await Promise.all(
      keys.map(async (key) => {
        const draft = draftSignature(index, {
          algorithm: key.algorithm,
          domain: key.domain,
          selector: key.selector,
          time,
          expires: this.expireSeconds === null ? null : time + this.expireSeconds,
          headerNames,
          bodyHash,
        });
        const signature = this.pool
          ? await this.pool.sign(this.keys.indexOf(key), draft.signedData)
          : signData(key.algorithm, key.privateKey, draft.signedData).toString('base64');
        return draft.finish(signature);
      }),
    );
    return fields.join('');
  }

  /** Whether some key of `owner` (any key without one) would sign a message from `fromDomain`. */
  covers(fromDomain: string, owner?: string): boolean {
    const candidates = owner === undefined ? this.keys : this.keys.filter((k) => k.owner === owner);
    return keysForDomain(candidates, fromDomain).length > 0;
  }

  /** The message with its DKIM-Signature fields prepended (the same buffer when no key applies). */
  async sign(message: Buffer, body?: PreparedBody, owner?: string): Promise<Buffer> {
    const fields = await this.signatureHeaders(message, body, owner);
    return fields === '' ? message : Buffer.concat([Buffer.from(fields, 'latin1'), message]);
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
