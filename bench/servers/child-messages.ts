// The IPC messages between a benchmark and a server running in its own child process.

/** Parent -> child. */
export type ServerChildCommand = { cmd: 'stats'; id?: number } | { cmd: 'stop' };

/** The child's own resource use; cpu in microseconds as returned by process.cpuUsage(). */
export interface ServerChildStats {
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
}

/** Child -> parent. */
export type ServerChildMessage =
  | { port: number }
  | { stats: ServerChildStats; id?: number }
  | { stopped: true }
  | { error: string };

/** Options shared by the discard servers; passed to the child as JSON in argv[2]. */
export interface DiscardServerOptions {
  /** PEM files for STARTTLS; without them STARTTLS is not offered. */
  tls?: { keyPath: string; certPath: string };
  /** When set, AUTH is offered and required, and only this key (as password) is accepted. */
  authKey?: string;
  /** Maximum message size in bytes (default 30 MiB, as the relay). */
  maxMessageSize?: number;
}
