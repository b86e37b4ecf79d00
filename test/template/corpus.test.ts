// Every case of the Jinja2 corpus inside the subset renders exactly as Jinja2 3.1.6 did, or fails where it failed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TemplateError, renderTemplate } from '../../src/relay/template/index.js';
import { contextFor, loadCorpus, optionsFor } from './corpus-cases.js';

/** Cases outside the subset, each with the reason. They are listed so nothing is skipped silently. */
const OUTSIDE_SUBSET: Record<string, string> = {
  'block_scope_extends.txt': '{% extends %}: templates are single documents',
  'block_scope_super.txt': '{% extends %}: templates are single documents',
  'block_super.html': '{% extends %}: templates are single documents',
  'block_super.txt': '{% extends %}: templates are single documents',
  'block_super_super.txt': '{% extends %}: templates are single documents',
  'self.txt': 'self.<block>() calls: template inheritance is outside the subset',
  'err_extends_actually_not.txt': '{% extends %}: templates are single documents',
  'extends.txt': '{% extends %}: templates are single documents',
  'extends_set.txt': '{% extends %}: templates are single documents',
  'macro_extends.txt': '{% extends %}: templates are single documents',
  'required_block.txt': '{% extends %}: templates are single documents',
  'required_block_intermediate_required.txt': '{% extends %}: templates are single documents',
  'include.txt': '{% include %}: templates are single documents',
  'include_ignore_choice.txt': '{% include %}: templates are single documents',
  'include_ignore_missing.txt': '{% include %}: templates are single documents',
  'do_macro_calling_macro.txt': '{% from ... import %}: templates are single documents',
  'macro_calling_macro.txt': '{% from ... import %}: templates are single documents',
  'macro_import.txt': '{% from ... import %}: templates are single documents',
  'macro_caller.txt': '{% call %} and caller(): outside the subset',
  'macro_caller_methods.txt': '{% call %} and caller(): outside the subset',
  'loop_recursive.txt': 'recursive for loops: outside the subset',
  'loop_recursive_alias.txt': 'recursive for loops: outside the subset',
  'loop_break_one_shot_iter.txt': 'a host iterator object (harness one_shot_iterator) cannot come from JSON data',
  'loop_break_one_shot_iter_peek.txt': 'a host iterator object (harness one_shot_iterator) cannot come from JSON data',
  'dict.txt': 'dict(loop) iterates the Python LoopContext object (Python internals)',
  'opfilters.txt': 'Jinja2 prints Python generator objects (<generator object ... at 0x0>)',
  'literals.txt': 'integers beyond 2^53 (JavaScript numbers; documented)',
  'err_too_large_integer.txt': 'integers beyond 2^53 (JavaScript numbers; documented)',
};

/** Cases where we deliberately refuse what Jinja2 does: a sandbox limit. */
const LIMITED_ON_PURPOSE: Record<string, string> = {
  'err_bad_range.txt': 'range(100001) is over maxRangeSize (10,000)',
  'err_repeat_string_too_large.txt': "a 100,000,001-character string is over maxStringRepeat (Jinja2 builds it)",
};

const cases = loadCorpus();

test('the corpus has all 158 cases and every exclusion names a real case', () => {
  assert.equal(cases.length, 158);
  const names = new Set(cases.map((c) => c.name));
  for (const n of [...Object.keys(OUTSIDE_SUBSET), ...Object.keys(LIMITED_ON_PURPOSE)]) assert.ok(names.has(n), n);
});

for (const c of cases) {
  const outside = OUTSIDE_SUBSET[c.name];
  if (outside !== undefined) {
    test(`corpus ${c.name} (outside the subset)`, { skip: outside }, () => {});
    continue;
  }
  const limited = LIMITED_ON_PURPOSE[c.name];
  if (limited !== undefined) {
    test(`corpus ${c.name} stops at a sandbox limit: ${limited}`, () => {
      assert.throws(
        () => renderTemplate(c.template, contextFor(c), optionsFor(c)),
        (e: unknown) => e instanceof TemplateError && e.kind === 'limit',
      );
    });
    continue;
  }
  const expected = c.jinja2_expected;
  if (typeof expected === 'string') {
    test(`corpus ${c.name} renders exactly as Jinja2`, () => {
      assert.equal(renderTemplate(c.template, contextFor(c), optionsFor(c)), expected);
    });
  } else {
    test(`corpus ${c.name} fails where Jinja2 fails (${String(expected.error).slice(0, 60)})`, () => {
      assert.throws(
        () => renderTemplate(c.template, contextFor(c), optionsFor(c)),
        (e: unknown) => e instanceof TemplateError && e.line >= 0 && /line \d+, column \d+/.test(e.message),
      );
    });
  }
}
