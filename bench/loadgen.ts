// The SMTP load generator: a library (`runLoad`) for benchmarks and a CLI for operators.
//   node dist/bench/loadgen.js --host 127.0.0.1 --port 2525 --sessions 20 --count 2000 [--pipelined] ...
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadgenMain } from './loadgen/cli.js';

export { runLoad } from './loadgen/run-load.js';
export { defaultMessageBuilder, type MessageBuilder, type DefaultMessageOptions } from './loadgen/message.js';
export type { LoadOptions, LoadResult } from './loadgen/options.js';
export { formatLoadResult, parseLoadArgs } from './loadgen/cli.js';

function isMainModule(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  loadgenMain(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`loadgen: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
