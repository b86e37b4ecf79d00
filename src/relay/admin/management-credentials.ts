// API keys and account-scoped admin tokens, made through the management API. The secret is shown once, in the answer
// that creates it; the store keeps only its SHA-256 ("sha256:<hex>", the form the configuration's apiKeys use).
// The configuration file's keys are listed too, as read-only entries: they are revoked by editing the file.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generateApiKey, hashApiKey } from '../accept/api-key.js';
import type { AccountConfig } from '../config/index.js';
import type { CredentialStore, RuntimeStore, StoredCredential } from '../store/store.js';
import { readJsonObject, sendJson } from './http-io.js';
import { BodyReader, accountOf, isoOrNull, sendNoContent, storeOf, writeToStore, type ManagementDeps } from './management-request.js';
import { AdminRequestError, QueryReader } from './query.js';

/** What differs between API keys and account tokens. */
interface CredentialKind {
  /** "key" or "token": names fields and messages. */
  noun: string;
  /** The public id's prefix. */
  idPrefix: string;
  /** Path parameter naming one credential. */
  idParameter: string;
  /** The secret's prefix, so a leaked one is recognised (secret scanners, logs). */
  secret(): string;
  store(s: RuntimeStore): CredentialStore;
  /** The configuration file's credentials of the account (listed read-only); none for tokens. */
  configured(account: AccountConfig): readonly string[];
}

export const API_KEYS: CredentialKind = {
  noun: 'key',
  idPrefix: 'key_',
  idParameter: 'keyId',
  secret: generateApiKey,
  store: (s) => s.apiKeys,
  configured: (a) => a.apiKeys,
};

export const ACCOUNT_TOKENS: CredentialKind = {
  noun: 'token',
  idPrefix: 'tok_',
  idParameter: 'tokenId',
  // "txa_": txrelay admin, one account; 256 bits like an API key.
  secret: () => 'txa_' + randomBytes(32).toString('base64url'),
  store: (s) => s.accountTokens,
  configured: () => [],
};

/** Stored credentials per account: a bound, so a runaway script cannot grow the store without end. */
export const MAX_CREDENTIALS_PER_ACCOUNT = 100;
/** The configuration's keys are listed as "config-1", "config-2", ... (their position in apiKeys). */
const CONFIG_ID = /^config-\d{1,4}$/;

export class CredentialApi {
  constructor(
    private readonly d: ManagementDeps,
    private readonly kind: CredentialKind,
  ) {}

  async create(req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const body = new BodyReader(await readJsonObject(req, this.d.maxBodyBytes, { emptyIsObject: true }), ['label', 'expiresAt']);
    const label = body.string('label', { maxLength: 200, singleLine: true });
    const expiresAt = body.time('expiresAt');
    const now = this.d.now();
    if (expiresAt !== null && expiresAt <= now) throw AdminRequestError.badParameter('expiresAt', 'must be in the future');
    const store = this.kind.store(storeOf(this.d));
    if (store.list(account.id).length >= MAX_CREDENTIALS_PER_ACCOUNT) {
      throw new AdminRequestError(409, 'conflict', null, `account ${account.id} has ${MAX_CREDENTIALS_PER_ACCOUNT} ${this.kind.noun}s already (the most it may keep); revoke one first`);
    }
    const secret = this.kind.secret();
    const credential: StoredCredential = {
      id: this.kind.idPrefix + randomBytes(12).toString('base64url'),
      account: account.id,
      hash: hashApiKey(secret),
      label,
      createdAt: now,
      expiresAt,
      lastUsedAt: null,
    };
    await writeToStore(this.d, `creating a ${this.kind.noun}`, (s) => this.kind.store(s).add(credential));
    sendJson(res, 201, { id: credential.id, [this.kind.noun]: secret, account: account.id, label, createdAt: isoOrNull(now), expiresAt: isoOrNull(expiresAt) });
  }

  list(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): void {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const now = this.d.now();
    const configured = this.kind.configured(account).map((_hash, i) => ({
      id: `config-${i + 1}`,
      source: 'config',
      label: null,
      createdAt: null,
      expiresAt: null,
      lastUsedAt: null,
      expired: false,
    }));
    const stored = this.kind.store(storeOf(this.d)).list(account.id).map((c) => ({
      id: c.id,
      source: 'api',
      label: c.label,
      createdAt: isoOrNull(c.createdAt),
      expiresAt: isoOrNull(c.expiresAt),
      lastUsedAt: isoOrNull(c.lastUsedAt),
      expired: c.expiresAt !== null && c.expiresAt <= now,
    }));
    sendJson(res, 200, { account: account.id, [`${this.kind.noun}s`]: [...configured, ...stored] });
  }

  async revoke(_req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>): Promise<void> {
    new QueryReader(url.searchParams, []);
    const account = accountOf(this.d, params['id']);
    const id = params[this.kind.idParameter] ?? '';
    if (CONFIG_ID.test(id) && Number(id.slice(7)) <= this.kind.configured(account).length) {
      throw new AdminRequestError(409, 'conflict', this.kind.idParameter, `${id} is a key of the configuration file: remove its hash from accounts[].apiKeys and reload (SIGHUP)`);
    }
    const known = this.kind.store(storeOf(this.d)).list(account.id).some((c) => c.id === id);
    const revoked = known && (await writeToStore(this.d, `revoking ${this.kind.noun} ${id}`, (s) => this.kind.store(s).revoke(account.id, id)));
    if (!revoked) throw new AdminRequestError(404, 'not found', this.kind.idParameter, `no ${this.kind.noun} ${JSON.stringify(id)} in account ${account.id}`);
    sendNoContent(res);
  }
}
