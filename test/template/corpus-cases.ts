// Loads the Jinja2 corpus (cases.jsonl with real Jinja2 3.1.6 outputs) for the corpus test.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TemplateOptions } from '../../src/relay/template/index.js';
import { CORPUS } from '../support/corpus.js';

export interface CorpusCase {
  name: string;
  context: Record<string, unknown>;
  settings: Record<string, unknown>;
  autoescape: boolean;
  template: string;
  jinja2_expected: string | { error?: string; stage?: string; omitted?: boolean };
}

/** test/fixtures/corpus/jinja/cases.jsonl in the repository. */
export function corpusPath(): string {
  return join(CORPUS, 'jinja', 'cases.jsonl');
}

export function loadCorpus(): CorpusCase[] {
  return readFileSync(corpusPath(), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CorpusCase);
}

export function optionsFor(c: CorpusCase): TemplateOptions {
  const s = c.settings;
  return {
    name: c.name,
    autoescape: c.autoescape,
    undefined: s['undefined'] === 'strict' ? 'strict' : 'lenient',
    trimBlocks: s['trim_blocks'] === true,
    lstripBlocks: s['lstrip_blocks'] === true,
    keepTrailingNewline: s['keep_trailing_newline'] === true,
  };
}

export function contextFor(c: CorpusCase): Record<string, unknown> {
  const ctx: Record<string, unknown> = { ...c.context };
  delete ctx['$settings'];
  return ctx;
}
