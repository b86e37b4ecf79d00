// `txrelay keygen`: prints a new key (give it to the client) and its hash (put it in the account's apiKeys).
// `txrelay keygen --webhook`: prints a new webhook signing secret (the endpoint's "secret", shared with the receiver).
import { generateApiKey, hashApiKey } from '../accept/api-key.js';
import { generateWebhookSecret } from '../webhooks/signature.js';

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && argv[0] === '--webhook') {
    process.stdout.write(`${generateWebhookSecret()}\n`);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write('usage: txrelay keygen [--webhook]\n');
    return 2;
  }
  const key = generateApiKey();
  process.stdout.write(`key:  ${key}\nhash: ${hashApiKey(key)}\n`);
  return 0;
}
