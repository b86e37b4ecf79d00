// Python's email package as a test oracle: one python3 process (stdlib only) reads a batch of header values.
import { spawnSync } from 'node:child_process';

/** What Python makes of one header value. */
export interface PythonHeaderReading {
  /** str(make_header(decode_header(value))): the API that joins adjacent same-charset words' bytes; null on error. */
  decodeHeader: string | null;
  decodeHeaderError: string | null;
  /** str(msg['subject']) with BytesParser(policy=email.policy.default), as the corpus's expected.jsonl reads headers. */
  policyDefault: string;
}

const SCRIPT = `
import email.policy, json, sys
from email.header import decode_header, make_header
from email.parser import BytesParser
out = []
for value in json.load(sys.stdin):
    r = {"decodeHeader": None, "decodeHeaderError": None}
    try:
        r["decodeHeader"] = str(make_header(decode_header(value.replace("\\r\\n", ""))))
    except Exception as e:
        r["decodeHeaderError"] = type(e).__name__ + ": " + str(e)
    msg = BytesParser(policy=email.policy.default).parsebytes(b"Subject: " + value.encode("ascii") + b"\\r\\n\\r\\n")
    r["policyDefault"] = str(msg["subject"])
    out.append(r)
json.dump(out, sys.stdout)
`;

/** The first python3 that can import email, or null. */
export function findPython(): string | null {
  for (const cmd of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(cmd, ['-c', 'import email'], { stdio: 'ignore' });
    if (r.status === 0) return cmd;
  }
  return null;
}

/** Reads every value (ASCII header text, folds allowed) in one python3 run; throws when python fails. */
export function readWithPythonEmail(python: string, values: readonly string[]): PythonHeaderReading[] {
  const r = spawnSync(python, ['-c', SCRIPT], { input: JSON.stringify(values), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${python} failed (${r.status}): ${r.stderr}`);
  const readings = JSON.parse(r.stdout) as PythonHeaderReading[];
  if (readings.length !== values.length) throw new Error(`${python} answered ${readings.length} of ${values.length} values`);
  return readings;
}
