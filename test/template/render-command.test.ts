// `txrelay render` as a user runs it: a real child process, exact stdout bytes and exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.js');
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'txrelay-render-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function render(...args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'render', ...args], { encoding: 'buffer', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

test('renders a text template with --vars and writes exactly the output bytes', () => {
  const t = file('hello.txt', 'Hello {{ name }}! Total: {{ total }} {{ "é" }}<{{ tag }}>\n\n');
  const r = render(t, '--vars', '{"name": "Ann", "total": 10.0, "tag": "b"}');
  assert.equal(r.status, 0, r.stderr);
  // Jinja2 drops one trailing newline; 10.0 stays a float; nothing is appended.
  assert.deepEqual(r.stdout, Buffer.from('Hello Ann! Total: 10.0 é<b>\n', 'utf8'));
  assert.equal(r.stderr, '');
});

test('autoescapes .html templates by default and honours --no-autoescape', () => {
  const t = file('page.html', '<p>{{ x }}</p>');
  const vars = JSON.stringify({ x: `<script>'&"` });
  assert.equal(render(t, '--vars', vars).stdout.toString(), '<p>&lt;script&gt;&#39;&amp;&#34;</p>');
  assert.equal(render(t, '--vars', vars, '--no-autoescape').stdout.toString(), `<p><script>'&"</p>`);
  const txt = file('plain.txt', '{{ x }}');
  assert.equal(render(txt, '--vars', vars).stdout.toString(), `<script>'&"`);
  assert.equal(render(txt, '--vars', vars, '--autoescape').stdout.toString(), '&lt;script&gt;&#39;&amp;&#34;');
});

test('reads variables from --vars-file and renders without variables', () => {
  const t = file('v.txt', '{{ a }}-{{ b|default("none") }}');
  const v = file('v.json', '{"a": [1, 2.5, null, true]}');
  assert.equal(render(t, '--vars-file', v).stdout.toString(), '[1, 2.5, None, True]-none');
  assert.equal(render(t).stdout.toString(), '-none');
});

test('a template error exits 1 with the line and column on stderr and nothing on stdout', () => {
  const t = file('broken.txt', 'line one\n{{ user.name.first }}');
  const r = render(t);
  assert.equal(r.status, 1);
  assert.equal(r.stdout.length, 0);
  assert.match(r.stderr, /line 2, column \d+/);
  assert.match(r.stderr, /'user' is undefined/);
  const s = file('syntax.txt', 'a\nb {% for x in %}');
  const rs = render(s);
  assert.equal(rs.status, 1);
  assert.match(rs.stderr, /syntax error.*line 2, column \d+/);
});

test('--strict turns a missing variable into an error', () => {
  const t = file('strict.txt', 'Hi {{ missing }}');
  assert.equal(render(t).status, 0);
  const r = render(t, '--strict');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /'missing' is undefined/);
});

test('bad arguments, unreadable files and invalid variables exit 2 with a clear message', () => {
  const t = file('ok.txt', 'x');
  const cases: [string[], RegExp][] = [
    [[], /missing TEMPLATE_FILE/],
    [[t, '--bogus'], /unknown option --bogus/],
    [[t, '--vars'], /--vars needs a value/],
    [[t, '--vars', '{}', '--vars-file', t], /either --vars or --vars-file/],
    [[join(dir, 'nope.txt')], /cannot read template file .*ENOENT/],
    [[t, '--vars-file', join(dir, 'nope.json')], /cannot read variables file/],
    [[t, '--vars', '{"a": }'], /not valid JSON/],
    [[t, '--vars', '[1, 2]'], /must be a JSON object/],
  ];
  for (const [args, message] of cases) {
    const r = render(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout.length, 0);
  }
});
