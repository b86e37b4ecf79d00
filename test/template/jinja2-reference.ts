// Renders many (template, variables) cases with real Jinja2 in ONE python3 process, for differential tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from '../support/system-tools.js';

export interface ReferenceCase {
  template: string;
  /** JSON text of the variables, so Python sees 1.0 as a float exactly as our parser does. */
  variables: string;
  autoescape: boolean;
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  keepTrailingNewline?: boolean;
  strict?: boolean;
}

export type ReferenceResult = { output: string } | { error: string };

const SCRIPT = `
import json, sys
import jinja2
ext = ["jinja2.ext.loopcontrols", "jinja2.ext.do"]
envs = {}
def env_for(case):
    key = (case["autoescape"], case.get("trimBlocks", False), case.get("lstripBlocks", False), case.get("keepTrailingNewline", False), case.get("strict", False))
    if key not in envs:
        envs[key] = jinja2.Environment(autoescape=key[0], trim_blocks=key[1], lstrip_blocks=key[2], keep_trailing_newline=key[3], extensions=ext,
                                       undefined=jinja2.StrictUndefined if key[4] else jinja2.Undefined)
    return envs[key]
for line in sys.stdin:
    case = json.loads(line)
    try:
        out = env_for(case).from_string(case["template"]).render(json.loads(case["variables"]))
        res = {"output": out}
    except Exception as e:
        res = {"error": type(e).__name__ + ": " + str(e)}
    sys.stdout.write(json.dumps(res) + "\\n")
`;

/** Renders every case with the python3 that imports jinja2 (see test/support/system-tools.ts). */
export function renderWithJinja2(cases: ReferenceCase[]): ReferenceResult[] {
  const python = requireTool('jinja2');
  const dir = mkdtempSync(join(tmpdir(), 'txrelay-jinja2-'));
  try {
    const script = join(dir, 'render.py');
    writeFileSync(script, SCRIPT);
    const input = cases.map((c) => JSON.stringify(c)).join('\n') + '\n';
    const r = spawnSync(python, [script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000, env: { ...process.env, PYTHONHASHSEED: '0', PYTHONIOENCODING: 'utf-8' } });
    if (r.status !== 0) throw new Error(`python3 failed (${r.error?.message ?? r.signal ?? r.status}): ${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    if (lines.length !== cases.length) throw new Error(`python3 returned ${lines.length} results for ${cases.length} cases: ${r.stderr}`);
    return lines.map((l) => JSON.parse(l) as ReferenceResult);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
