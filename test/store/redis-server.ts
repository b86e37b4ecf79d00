// The store tests' redis-server: bench/servers/redis-server.ts with the binary the tool table finds.
import { RedisServer as Server } from '../../bench/servers/redis-server.js';
import { requireTool } from '../support/system-tools.js';

export { freePort, sleep, waitFor } from '../../bench/servers/redis-server.js';

export const RedisServer = {
  /** Starts one on a free port, or on `port`. */
  start: (port?: number): Promise<Server> => Server.start(port, requireTool('redis-server')),
};
export type RedisServer = Server;
