// A private Postfix instance (bench/servers/postfix-instance.ts) as a receiving MX host: virtual(8) delivers every
// recipient of its domain into one Maildir (`<dir>/mail/inbox/new/`), owned by nobody. Needs root; tests guard
// with { skip: needTool('postfix') || needRoot() }.
import { chown, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startPostfixInstance } from '../../../bench/servers/postfix-instance.js';
import { requireTool } from '../../support/system-tools.js';

export interface PostfixMx {
  dir: string;
  /** The raw messages delivered so far, oldest first, once `count` are there (within the timeout). */
  waitForMessages(count: number, timeoutMs?: number): Promise<Buffer[]>;
  close(): Promise<void>;
}

/** Skip reason when not root: a Postfix instance must start as root. */
export function needRoot(): string | false {
  return process.getuid?.() === 0 ? false : 'needs root (a private Postfix instance starts as root)';
}

const NOBODY = 65534;

export async function startPostfixMx(o: { host: string; port: number; domain: string }): Promise<PostfixMx> {
  const instance = await startPostfixInstance({
    host: o.host,
    port: o.port,
    binary: requireTool('postfix'),
    main: {
      myhostname: `mx.${o.domain}`,
      virtual_mailbox_domains: o.domain,
      virtual_mailbox_base: '$queue_directory/../mail',
      virtual_mailbox_maps: 'static:inbox/',
      virtual_uid_maps: `static:${NOBODY}`,
      virtual_gid_maps: `static:${NOBODY}`,
    },
  });
  // The Maildir's base, owned by nobody as virtual(8) runs; nothing is delivered before the test sends.
  const mailBase = join(instance.dir, 'mail');
  await mkdir(mailBase, { mode: 0o755 });
  await chown(mailBase, NOBODY, NOBODY);
  const inbox = join(mailBase, 'inbox', 'new');
  return {
    dir: instance.dir,
    async waitForMessages(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const names = (await readdir(inbox).catch(() => [] as string[])).sort();
        if (names.length >= count) return Promise.all(names.map((n) => readFile(join(inbox, n))));
        if (Date.now() > deadline) throw new Error(`Postfix delivered ${names.length} of ${count} messages within ${timeoutMs} ms; its log:\n${await instance.log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => instance.stop(),
  };
}
