// `txrelay keygen`: prints a new key (give it to the client) and its hash (put it in the account's apiKeys).
import { generateApiKey, hashApiKey } from '../accept/api-key.js';

export async function main(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write('usage: txrelay keygen\n');
    return 2;
  }
  const key = generateApiKey();
  process.stdout.write(`key:  ${key}\nhash: ${hashApiKey(key)}\n`);
  return 0;
}
