// The runtime store (see store.ts): the interface, and the factory that opens the configured one.
import type { Logger } from 'pino';
import type { RelayConfig } from '../config/index.js';
import { LocalStore } from './local-store.js';
import { RedisStore } from './redis-store.js';
import type { RuntimeStore } from './store.js';

export type * from './store.js';
export { LocalStore } from './local-store.js';
export { RedisStore } from './redis-store.js';
export { StoreUnavailableError } from './store.js';

/** Opens the store the configuration names. */
export async function openStore(config: RelayConfig, logger: Logger): Promise<RuntimeStore> {
  const s = config.store;
  if (s.type === 'local') return LocalStore.open(config.dataDir);
  return RedisStore.open({ url: s.url, prefix: s.prefix, dataDir: config.dataDir, logger });
}
