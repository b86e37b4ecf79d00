// Independent DKIM verifiers for the tests: Debian's python3-dkim (one python3 process per batch) and mailauth.
// Both get the public keys from `records` (name without the final dot -> TXT text), never from our code's checks.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { requireTool } from '../support/system-tools.js';

export type DkimRecords = Record<string, string>;

// For each message file: the verdict of every DKIM-Signature in it (idx 0 is the topmost), as "pass" or "fail: why".
const PYTHON_BATCH = `
import json, sys, dkim
spec = json.load(open(sys.argv[1]))
records = {k.lower(): v.encode() for k, v in spec["records"].items()}
def dnsfunc(name, timeout=5):
    n = (name.decode() if isinstance(name, bytes) else name).rstrip(".").lower()
    return records.get(n)
out = []
for path in spec["files"]:
    msg = open(path, "rb").read()
    d = dkim.DKIM(msg, minkey=2048)
    n = sum(1 for (name, _) in d.headers if name.lower() == b"dkim-signature")
    verdicts = []
    for idx in range(n):
        try:
            ok = d.verify(idx=idx, dnsfunc=dnsfunc)
            verdicts.append("pass" if ok else "fail")
        except Exception as e:
            verdicts.append("fail: %s" % e)
    out.append(verdicts)
print(json.dumps(out))
`;

/** python3-dkim's verdicts for each message, from one python3 process. */
export async function pythonDkimVerdicts(messages: readonly Buffer[], records: DkimRecords): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'txrelay-dkim-'));
  try {
    const files = messages.map((m, i) => {
      const f = join(dir, `${i}.eml`);
      writeFileSync(f, m);
      return f;
    });
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ records, files }));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(requireTool('dkim'), ['-c', PYTHON_BATCH, spec], { timeout: 60_000, maxBuffer: 16 << 20 }, (err, out, errText) => {
        if (err) reject(new Error(`python3-dkim batch failed: ${err.message}\n${errText}`));
        else resolve(out);
      });
    });
    return JSON.parse(stdout) as string[][];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** mailauth's verdict for each DKIM-Signature of the message ("pass", or the result and its comment). */
export async function mailauthVerdicts(message: Buffer, records: DkimRecords): Promise<string[]> {
  const resolver = async (name: string): Promise<string[][]> => {
    const text = records[name.replace(/\.$/, '').toLowerCase()];
    if (text === undefined) throw Object.assign(new Error(`no TXT record for ${name}`), { code: 'ENOTFOUND' });
    return [[text]];
  };
  const result = await dkimVerify(message, { resolver });
  return result.results.map((r) => (r.status.result === 'pass' ? 'pass' : `${r.status.result}: ${r.status.comment ?? ''}`));
}
