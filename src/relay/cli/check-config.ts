// `txrelay check-config FILE`: prints "ok" (and warnings) or every issue; exit code 0 or 1.
import { ConfigError, loadConfig, type RelayConfig } from '../config/index.js';
import { keysForDomain } from '../dkim/index.js';

/** What is valid but probably not meant: an account whose mail leaves without a DKIM signature. */
export function configWarnings(config: RelayConfig): string[] {
  const warnings: string[] = [];
  for (const account of config.accounts) {
    if (account.dkim.length === 0) {
      warnings.push(`account "${account.id}": no DKIM key, its messages leave unsigned (txrelay dkim-keygen makes one)`);
      continue;
    }
    for (const domain of account.senderDomains ?? []) {
      if (keysForDomain(account.dkim, domain).length === 0) warnings.push(`account "${account.id}": sender domain ${domain} has no DKIM key (its messages leave unsigned)`);
    }
  }
  return warnings;
}

export async function main(argv: string[]): Promise<number> {
  const file = argv[0];
  if (file === undefined || argv.length > 1) {
    process.stderr.write('usage: txrelay check-config FILE\n');
    return 2;
  }
  try {
    const config = await loadConfig(file);
    for (const w of configWarnings(config)) process.stdout.write(`warning: ${w}\n`);
    process.stdout.write('ok\n');
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stdout.write(err.message + '\n');
    return 1;
  }
}
