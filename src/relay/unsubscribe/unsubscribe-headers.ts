// The List-Unsubscribe and List-Unsubscribe-Post fields of one recipient's message (RFC 2369 §3.2, RFC 8058 §3.1).
import type { ComposeHeader } from '../../mime/index.js';
import type { UnsubscribeConfig } from '../config/index.js';
import type { UnsubscribeTokens } from './unsubscribe-token.js';

const ONE_CLICK: ComposeHeader = { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' };

export function unsubscribeHeaders(tokens: UnsubscribeTokens, config: UnsubscribeConfig, account: string, tag: string, recipient: string): ComposeHeader[] {
  const token = tokens.sign({ account, tag, recipient, scope: config.scope });
  // The https URI first: RFC 8058 §3.1 one-click takes it; the mailto is the fallback for other mail programs.
  let value = `<${config.baseUrl}/${token}>`;
  if (config.mailto !== null) value += `, <mailto:${config.mailto}?subject=unsubscribe%20${token}>`;
  return [{ name: 'List-Unsubscribe', value }, ONE_CLICK];
}
