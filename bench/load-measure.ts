// One load run against a server in its own child process: throughput, latency, and the server's CPU per message.
import { runLoad, type LoadOptions, type LoadResult } from './loadgen.js';
import { cpuMicrosBetween, startServerChild } from './servers/child.js';

export interface LoadMeasurement {
  result: LoadResult;
  cpuMicrosPerMessage: number;
  /** The load generator's own CPU per message: when it nears a core, the client limits msgs/s. */
  clientCpuMicrosPerMessage: number;
  rssMB: number;
  peakRssMB: number;
}

/**
 * Starts `script` in a child with `options`, warms it up with half the load (at least 500 messages), then measures
 * the load. The warm-up lets V8 compile each server's hot paths before the measured window, so the figures are
 * steady-state costs of a long-running server, the same for every server measured; a tenth was too short.
 */
export async function measureServerLoad(script: URL, options: unknown, load: Omit<LoadOptions, 'port'>): Promise<LoadMeasurement> {
  const child = await startServerChild(script, options);
  try {
    const warmupCount = Math.max(500, Math.floor(load.count / 2));
    await runLoad({ ...load, count: warmupCount, port: child.port, timeLimitMs: 120_000 });
    const before = await child.stats();
    const clientBefore = process.cpuUsage();
    let peakRss = before.memory.rss;
    const sampler = setInterval(() => {
      child.stats().then((s) => (peakRss = Math.max(peakRss, s.memory.rss)), () => undefined);
    }, 250);
    let result: LoadResult;
    try {
      result = await runLoad({ ...load, port: child.port, timeLimitMs: 600_000 });
    } finally {
      clearInterval(sampler);
    }
    const client = process.cpuUsage(clientBefore);
    const after = await child.stats();
    const accepted = Math.max(1, result.messages);
    return {
      result,
      cpuMicrosPerMessage: cpuMicrosBetween(before, after) / accepted,
      clientCpuMicrosPerMessage: (client.user + client.system) / accepted,
      rssMB: after.memory.rss / 1048576,
      peakRssMB: Math.max(peakRss, after.memory.rss) / 1048576,
    };
  } finally {
    await child.stop();
  }
}

export function errorSummary(r: LoadResult): string {
  const entries = Object.entries(r.errors);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k}=${n}`).join(' ');
}
