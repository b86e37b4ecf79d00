// `txrelay check-config FILE`: prints "ok" or every issue; exit code 0 or 1.
import { ConfigError, loadConfig } from '../config/index.js';

export async function main(argv: string[]): Promise<number> {
  const file = argv[0];
  if (file === undefined || argv.length > 1) {
    process.stderr.write('usage: txrelay check-config FILE\n');
    return 2;
  }
  try {
    await loadConfig(file);
    process.stdout.write('ok\n');
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stdout.write(err.message + '\n');
    return 1;
  }
}
