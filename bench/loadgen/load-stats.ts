// Everything a load run counts: accepted messages, their latencies, acknowledged queue ids and errors.
import type { LoadResult } from './options.js';

const MAX_ERROR_SAMPLES = 10;
const QUEUED_AS = /queued as\s+<?([^\s>]+)/i;

/** Nearest-rank percentile of an ascending array (0 when empty). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export class LoadStats {
  messages = 0;
  attempted = 0;
  connections = 0;
  private latencies: Float64Array;
  private readonly errors: Record<string, number> = {};
  private readonly samples: string[] = [];
  readonly acked: string[] = [];

  constructor(expectedMessages: number) {
    this.latencies = new Float64Array(Math.max(16, expectedMessages));
  }

  /** A message was accepted: its end-of-data latency and the reply text (which may name a queue id). */
  accepted(latencyMs: number, replyText: string): void {
    if (this.messages === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.messages++] = latencyMs;
    if (replyText.length > 9) {
      const m = QUEUED_AS.exec(replyText);
      if (m) this.acked.push(m[1]!);
    }
  }

  /** A non-2xx reply (counted by its code) or a connection failure (counted by kind). */
  error(key: string, detail: string): void {
    this.errors[key] = (this.errors[key] ?? 0) + 1;
    if (this.samples.length < MAX_ERROR_SAMPLES) this.samples.push(detail);
  }

  result(seconds: number): LoadResult {
    const sorted = this.latencies.slice(0, this.messages).sort();
    return {
      messages: this.messages,
      attempted: this.attempted,
      seconds,
      msgsPerSec: seconds > 0 ? this.messages / seconds : 0,
      latencyMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999) },
      errors: { ...this.errors },
      acked: this.acked.slice(),
      errorSamples: this.samples.slice(),
      connections: this.connections,
    };
  }
}
