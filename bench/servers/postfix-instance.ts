// A private Postfix instance (Debian's postfix), for the relay-mx suite (Postfix as a relay) and the tests (Postfix
// as a receiving MX, test/delivery/mx/postfix-mx.ts): its own main.cf and master.cf, queue, data folder and log in
// a temporary folder, its smtpd on one loopback address and port, no chroot. The system's Postfix is untouched.
// Needs root (the master starts as root and its daemons drop to the postfix user).
//
// `resolvConf`: Postfix finds MX hosts through the C resolver, which reads /etc/resolv.conf and knows no port; the
// instance is then started in a mount namespace of its own (unshare -m) where that file is bind-mounted over
// /etc/resolv.conf, so only this instance asks the DNS server it names (on port 53 of a loopback address).
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const POSTFIX = '/usr/sbin/postfix';
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface PostfixInstanceOptions {
  /** The smtpd listener: master.cf's `host:port inet ... smtpd`. */
  host: string;
  port: number;
  /** main.cf settings beside the instance's own (queue, data, log, no aliases, mydestination empty). */
  main: Record<string, string>;
  /** A resolv.conf for this instance only (see the head comment). */
  resolvConf?: string;
  /** The postfix command; default /usr/sbin/postfix (the tests pass the one their tool table finds). */
  binary?: string;
}

export interface PostfixInstance {
  dir: string;
  /** CPU of the master and every daemon it started, reaped or alive, in µs (from /proc; Linux). */
  cpuMicros(): number;
  /** Its maillog so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** Only the services a receiving MX or a relay uses; no chroot (the queue is not under /var/spool/postfix). */
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

function mainCf(dir: string, extra: Record<string, string>): string {
  const settings: Record<string, string> = {
    compatibility_level: '3.6',
    queue_directory: `${dir}/queue`,
    data_directory: `${dir}/data`,
    maillog_file: `${dir}/maillog`,
    maillog_file_prefixes: dir,
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    mydestination: '',
    // smtpd listens where master.cf says; Postfix refuses an inet_interfaces address no interface has (127.0.0.x
    // is routed to lo, not assigned), so this is only where its own smtp client binds.
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    alias_maps: '',
    alias_database: '',
    smtputf8_enable: 'yes',
    smtpd_banner: '$myhostname ESMTP',
    // No reverse DNS for clients: the test DNS servers know nothing of 127.0.0.x.
    smtpd_peername_lookup: 'no',
    ...extra,
  };
  return Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** utime + stime (+ cutime + cstime: reaped children) of a process, in clock ticks; 0 once it is gone. */
function ticks(pid: number, withChildren: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
  } catch {
    return 0;
  }
}

/** The live children of `pid` (/proc/<pid>/task/<pid>/children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Why `postfix start` failed: the postfix command writes its fatal errors to syslog, and to stderr only when that is
 * a terminal; `script` (util-linux) gives it one.
 */
async function startFailure(postfix: string, dir: string): Promise<string> {
  const fatal = existsSync('/usr/bin/script') ? await run('/usr/bin/script', ['-qc', `${postfix} -c ${dir} check`, '/dev/null']).catch((e: Error) => e.message) : '';
  const log = await readFile(join(dir, 'maillog'), 'utf8').catch(() => '');
  return `\n${fatal}\n${log}`;
}

export async function startPostfixInstance(o: PostfixInstanceOptions): Promise<PostfixInstance> {
  const postfix = o.binary ?? POSTFIX;
  if (process.getuid?.() !== 0) throw new Error('a private Postfix instance needs root');
  const postfixUid = Number.parseInt(await run('id', ['-u', 'postfix']), 10);
  const dir = await mkdtemp(join(tmpdir(), 'txrelay-postfix-'));
  await chmod(dir, 0o755); // its daemons (postfix, nobody) reach their folders under it
  await mkdir(join(dir, 'queue'), { mode: 0o755 });
  await mkdir(join(dir, 'data'), { mode: 0o700 });
  await chown(join(dir, 'data'), postfixUid, -1); // the master's lock files
  await writeFile(join(dir, 'main.cf'), mainCf(dir, o.main));
  await writeFile(join(dir, 'master.cf'), masterCf(o.host, o.port));
  try {
    // `start` creates the queue's folders with their owners (postfix-script check-fatal) before the master daemon.
    if (o.resolvConf === undefined) {
      await run(postfix, ['-c', dir, 'start']);
    } else {
      const resolv = join(dir, 'resolv.conf');
      await writeFile(resolv, o.resolvConf);
      await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount --bind "$1" /etc/resolv.conf && exec "$2" -c "$3" start`, 'sh', resolv, postfix, dir]);
    }
  } catch (err) {
    const why = await startFailure(postfix, dir);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}${why}`);
  }
  const master = Number.parseInt(await readFile(join(dir, 'queue', 'pid', 'master.pid'), 'utf8'), 10);
  return {
    dir,
    cpuMicros() {
      let total = ticks(master, true);
      for (const child of childrenOf(master)) total += ticks(child, true);
      return (total * 1e6) / TICKS_PER_SECOND;
    },
    log: () => readFile(join(dir, 'maillog'), 'utf8').catch(() => '(no maillog)'),
    async stop() {
      await run(postfix, ['-c', dir, 'abort']).catch(() => undefined);
      // The master exits after its children; wait for it (bounded) before removing the queue under it.
      for (let i = 0; i < 100 && alive(master); i++) await new Promise((r) => setTimeout(r, 50));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
