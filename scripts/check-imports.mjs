// Fails on an import circle in src/ and on a layer crossing: src/protocol and src/mime must not import src/relay,
// src/protocol must not import src/mime nor src/mime src/protocol, and code outside src/protocol imports the
// engine only through its index. Reads the TypeScript sources (static `import`/`export ... from` and `import()`
// of relative paths); `import type` counts too, since a type circle is still a design circle.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^import\s+['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Relative module specifier (./x.js) of `from` -> absolute .ts path. */
function resolveSpecifier(from, spec) {
  return resolve(dirname(from), spec.replace(/\.js$/, '.ts'));
}

const files = collect(src, []);
const graph = new Map();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const deps = new Set();
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const target = resolveSpecifier(f, spec);
    if (target.startsWith(src + sep)) deps.add(target);
  }
  graph.set(f, [...deps]);
}

const rel = (p) => relative(root, p).split(sep).join('/');
const problems = [];

// Layers.
const area = (p) => rel(p).split('/')[1];
for (const [f, deps] of graph) {
  for (const d of deps) {
    const from = area(f);
    const to = area(d);
    if ((from === 'protocol' || from === 'mime') && to === 'relay') problems.push(`${rel(f)} imports ${rel(d)}: src/${from} must not know src/relay`);
    if (from === 'protocol' && to === 'mime') problems.push(`${rel(f)} imports ${rel(d)}: src/protocol must not know src/mime`);
    if (from === 'mime' && to === 'protocol') problems.push(`${rel(f)} imports ${rel(d)}: src/mime must not know src/protocol`);
    if (from !== 'protocol' && to === 'protocol' && rel(d) !== 'src/protocol/index.ts') {
      problems.push(`${rel(f)} imports ${rel(d)}: outside src/protocol, import the engine through src/protocol/index.ts`);
    }
  }
}

// Circles: Tarjan's strongly connected components.
let index = 0;
const stack = [];
const onStack = new Set();
const idx = new Map();
const low = new Map();
function strongConnect(v) {
  idx.set(v, index);
  low.set(v, index);
  index++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      strongConnect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v), idx.get(w)));
    }
  }
  if (low.get(v) === idx.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).includes(v);
    if (component.length > 1 || selfLoop) problems.push(`import circle: ${component.map(rel).sort().join(' <-> ')}`);
  }
}
for (const v of graph.keys()) if (!idx.has(v)) strongConnect(v);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s) in ${files.length} files`);
  for (const p of problems) console.error(`- ${p}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files, no import circle, layers respected`);
