// A private Postfix instance (Debian's postfix) as a receiving MX host: its own configuration directory, queue and
// mailboxes in a temporary folder, smtpd on one loopback address and port, and virtual(8) delivering every
// recipient of its domain into one Maildir (`<dir>/mail/inbox/new/`). The system's Postfix, if any, is untouched.
// Needs root (Postfix starts as root and drops to the postfix user); tests guard with
// { skip: needTool('postfix') || needRoot() }.
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, toolPath } from '../../support/system-tools.js';

export interface PostfixMx {
  dir: string;
  /** The raw messages delivered so far, oldest first, once `count` are there (within the timeout). */
  waitForMessages(count: number, timeoutMs?: number): Promise<Buffer[]>;
  /** Postfix's own log (maillog_file), for failure messages. */
  log(): Promise<string>;
  close(): Promise<void>;
}

/** Skip reason when not root: a Postfix instance must start as root. */
export function needRoot(): string | false {
  return process.getuid?.() === 0 ? false : 'needs root (a private Postfix instance starts as root)';
}

const NOBODY = 65534;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `postfix start` failed: the postfix command writes its fatal errors to syslog, and to stderr only when that is
 * a terminal; `script` (util-linux) gives it one. Its maillog comes with it.
 */
async function startFailure(postfix: string, dir: string): Promise<string> {
  const script = toolPath('script');
  const fatal = script === null ? '' : await run(script, ['-qc', `${postfix} -c ${dir} check`, '/dev/null']).catch((e: Error) => e.message);
  const log = await readFile(join(dir, 'maillog'), 'utf8').catch(() => '');
  return `\n${fatal}\n${log}`;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

/** Only the services a receiving MX uses; no chroot (the queue is not under /var/spool/postfix). */
function masterCf(host: string, port: number): string {
  return [
    `${host}:${port} inet n - n - - smtpd`,
    'pickup    unix  n - n 60 1 pickup',
    'cleanup   unix  n - n - 0 cleanup',
    'qmgr      unix  n - n 300 1 qmgr',
    'rewrite   unix  - - n - - trivial-rewrite',
    'bounce    unix  - - n - 0 bounce',
    'defer     unix  - - n - 0 bounce',
    'trace     unix  - - n - 0 bounce',
    'verify    unix  - - n - 1 verify',
    'flush     unix  n - n 1000? 0 flush',
    'proxymap  unix  - - n - - proxymap',
    'smtp      unix  - - n - - smtp',
    'showq     unix  n - n - - showq',
    'error     unix  - - n - - error',
    'retry     unix  - - n - - error',
    'discard   unix  - - n - - discard',
    'local     unix  - n n - - local',
    'virtual   unix  - n n - - virtual',
    'anvil     unix  - - n - 1 anvil',
    'scache    unix  - - n - 1 scache',
    'postlog   unix-dgram n - n - 1 postlogd',
    '',
  ].join('\n');
}

function mainCf(dir: string, domain: string): string {
  return [
    'compatibility_level = 3.6',
    `queue_directory = ${dir}/queue`,
    `data_directory = ${dir}/data`,
    `maillog_file = ${dir}/maillog`,
    `maillog_file_prefixes = ${dir}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `myhostname = mx.${domain}`,
    'mydestination =',
    // smtpd listens on the address master.cf names; Postfix refuses an inet_interfaces address that no interface
    // has (127.0.0.x is routed to lo, not assigned), so this one is only where its own client would bind.
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    'alias_maps =',
    'alias_database =',
    'smtputf8_enable = yes',
    // Every recipient of the domain into one Maildir, owned by nobody.
    `virtual_mailbox_domains = ${domain}`,
    `virtual_mailbox_base = ${dir}/mail`,
    'virtual_mailbox_maps = static:inbox/',
    `virtual_uid_maps = static:${NOBODY}`,
    `virtual_gid_maps = static:${NOBODY}`,
    'smtpd_banner = $myhostname ESMTP',
    // No DNS for the sending client's name: the test DNS server does not know 127.0.0.x.
    'smtpd_peername_lookup = no',
    '',
  ].join('\n');
}

export async function startPostfixMx(o: { host: string; port: number; domain: string }): Promise<PostfixMx> {
  const postfix = requireTool('postfix');
  const postfixUid = Number.parseInt(await run('id', ['-u', 'postfix']), 10);
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-postfix-'));
  // The daemons run as postfix (data_directory: its lock files) and virtual(8) as nobody (the Maildir under mail/).
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'queue'), { mode: 0o755 });
  await mkdir(join(dir, 'data'), { mode: 0o700 });
  await chown(join(dir, 'data'), postfixUid, -1);
  await mkdir(join(dir, 'mail'), { mode: 0o755 });
  await chown(join(dir, 'mail'), NOBODY, NOBODY);
  await writeFile(join(dir, 'main.cf'), mainCf(dir, o.domain));
  await writeFile(join(dir, 'master.cf'), masterCf(o.host, o.port));
  const inbox = join(dir, 'mail', 'inbox', 'new');
  const log = (): Promise<string> => readFile(join(dir, 'maillog'), 'utf8').catch(() => '(no maillog)');
  try {
    // `start` creates the queue's folders with their owners (postfix-script check-fatal) before the master daemon.
    await run(postfix, ['-c', dir, 'start']);
  } catch (err) {
    const why = await startFailure(postfix, dir);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}${why}`);
  }
  return {
    dir,
    log,
    async waitForMessages(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const names = (await readdir(inbox).catch(() => [] as string[])).sort();
        if (names.length >= count) return Promise.all(names.map((n) => readFile(join(inbox, n))));
        if (Date.now() > deadline) throw new Error(`Postfix delivered ${names.length} of ${count} messages within ${timeoutMs} ms; its log:\n${await log()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      const pidFile = join(dir, 'queue', 'pid', 'master.pid');
      const pid = Number.parseInt(await readFile(pidFile, 'utf8').catch(() => ''), 10);
      await run(postfix, ['-c', dir, 'abort']).catch(() => undefined);
      // The master exits after its children; wait for it (bounded) before removing the queue under it.
      for (let i = 0; i < 100 && Number.isInteger(pid) && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
