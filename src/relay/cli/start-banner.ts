// The few lines a person sees at a terminal when the relay has started (pretty log format only): where it
// listens, the demo key, two commands that send a message as printed, and where the dashboard and its token are.
import type { AddressInfo } from 'node:net';

export interface StartBannerInput {
  /** Bound SMTP listeners, in listener order. */
  listening: readonly AddressInfo[];
  dataDir: string;
  /** The self-signed certificate's PEM file (clients can trust it), or null when a certificate is configured. */
  selfSignedCert: string | null;
  /** The embedded default's demo account: its key in clear and its outbox folder; null with --config. */
  demo: { key: string; keyFile: string; outbox: string } | null;
  /** The dashboard, when the admin server runs; `tokenFrom` says where its bearer token is. */
  admin: { url: string; tokenFrom: string } | null;
}

/** A port a person would try first: 2525 (no root needed, rarely blocked), else the first one bound. */
function preferredListener(listening: readonly AddressInfo[]): AddressInfo {
  return listening.find((a) => a.port === 2525) ?? listening[0]!;
}

/** The address a client on this machine connects to for a listener bound to `address`. */
function connectHost(address: string): string {
  return address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
}

/** Single-quotes a shell word unless it is plainly safe. */
function sh(word: string): string {
  return /^[A-Za-z0-9_/.:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function swaksCommand(host: string, port: number, key: string): string {
  return [
    `swaks --server ${sh(host)} --port ${port} --tls --auth PLAIN --auth-user app --auth-password ${sh(key)} \\`,
    `  --from shop@example.com --to ann@example.net \\`,
    `  --header 'Subject: Hello from txrelay' --header 'Content-Type: text/html; charset=utf-8' \\`,
    `  --body '<p>It works.</p>'`,
  ].join('\n');
}

export function curlCommand(host: string, port: number, key: string, cert: string | null): string {
  const url = `smtp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const trust = cert === null ? '' : ` --cacert ${sh(cert)}`;
  return [
    `printf 'From: Shop <shop@example.com>\\nTo: Ann <ann@example.net>\\nSubject: Hello from curl\\nContent-Type: text/html; charset=utf-8\\n\\n<p>It works.</p>\\n' \\`,
    `  | curl -sS --url ${url} --ssl-reqd${trust} --user app:${sh(key)} \\`,
    `    --mail-from shop@example.com --mail-rcpt ann@example.net --crlf --upload-file -`,
  ].join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n');
}

export function startBanner(input: StartBannerInput): string {
  const first = preferredListener(input.listening);
  const host = connectHost(first.address);
  const addresses = new Set(input.listening.map((a) => a.address));
  const ports =
    addresses.size === 1
      ? `port${input.listening.length > 1 ? 's' : ''} ${input.listening.map((a) => a.port).join(', ')} on ${first.address}`
      : input.listening.map((a) => `${a.address}:${a.port}`).join(', ');
  const lines: string[] = ['', `txrelay is ready (data folder ${input.dataDir})`, ''];
  lines.push(`  SMTP       ${ports} (STARTTLS; AUTH after STARTTLS, or an X-Auth-APIKey header)`);
  if (input.selfSignedCert !== null) lines.push(`  TLS        self-signed certificate ${input.selfSignedCert}`);
  if (input.demo !== null) {
    lines.push(`  API key    ${input.demo.key} (demo account; also in ${input.demo.keyFile})`);
    lines.push(`  Outbox     ${input.demo.outbox} (every message the demo account sends lands here as .eml)`);
  }
  if (input.admin !== null) lines.push(`  Dashboard  ${input.admin.url} (admin token: ${input.admin.tokenFrom})`);
  else lines.push('  Dashboard  not running (see the log above)');
  if (input.demo !== null) {
    lines.push('', 'Send a test message with swaks (password = the API key, any user name):', '');
    lines.push(indent(swaksCommand(host, first.port, input.demo.key)));
    lines.push('', 'or with curl:', '');
    lines.push(indent(curlCommand(host, first.port, input.demo.key, input.selfSignedCert)));
    lines.push('', `then: ls ${sh(input.demo.outbox)}`);
  }
  lines.push('', 'Log lines follow (LOG_FORMAT=json for JSON lines). Stop with Ctrl-C.', '');
  return lines.join('\n') + '\n';
}
