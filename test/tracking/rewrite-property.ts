// The rewriting property of issue 18, shared by npm test (1,000 documents) and the soak run (10^5): random HTML made
// of tricky fragments (raw text, comments, CDATA, quotes, entities, case, data-track) is rewritten, and the output must
// parse to the same tree as the input apart from the rewritten href values.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDocument } from 'htmlparser2';
import type { ChildNode } from 'domhandler';
import { rewriteHtml } from '../../src/relay/tracking/index.js';

// The tree as htmlparser2's DOM sees it, with the href of every rewritten link replaced by a placeholder.
type Tree = (string | { name: string; attribs: Record<string, string>; children: Tree })[];
function tree(nodes: readonly ChildNode[]): Tree {
  return nodes.map((n) => {
    if ('name' in n && 'attribs' in n) return { name: n.name, attribs: { ...n.attribs }, children: tree(n.children) };
    if ('data' in n) return `${n.type}:${n.data}`;
    return n.type + ':' + ('children' in n ? JSON.stringify(tree(n.children)) : '');
  });
}
/** Every href trimmed, and a click URL of ours put back to the original link it replaced. */
function restore(t: Tree, links: readonly string[]): Tree {
  return t.map((n) => {
    if (typeof n === 'string') return n;
    const attribs = { ...n.attribs };
    if (attribs.href !== undefined) {
      const m = /^https:\/\/t\.example\/c\/TOKEN(\d+)$/.exec(attribs.href);
      attribs.href = m ? `was:${links[Number(m[1])]}` : attribs.href.trim();
    }
    return { name: n.name, attribs, children: restore(n.children, links) };
  });
}
function markRewritten(t: Tree, rewritten: Set<unknown>): Tree {
  return t.map((n) => {
    if (typeof n === 'string') return n;
    const attribs = { ...n.attribs };
    if (attribs.href !== undefined) attribs.href = rewritten.has(n) ? `was:${attribs.href.trim()}` : attribs.href.trim();
    return { name: n.name, attribs, children: markRewritten(n.children, rewritten) };
  });
}

const fragment = fc.oneof(
  fc.constantFrom('<p>', '</p>', '<div class="a">', '</div>', '<br/>', '<!-- c -->', '<script>x<a href=http://s>', '</script>', '<style>', '</style>',
    '<textarea>', '</textarea>', '</body>', '<body>', '&amp;', '<', '>', '"', "'", '=', ' ', '\n', '<img src="https://i.example/x.png">', '<![CDATA[x]]>'),
  fc.tuple(
    fc.constantFrom('a', 'A', 'area', 'link', 'span'),
    fc.constantFrom('https://x.example/p?q=1&amp;r=2', 'http://y.example', 'mailto:a@b', '#top', '/rel', ' https://sp.example ', 'tel:1', ''),
    fc.constantFrom('"', "'", ''),
    fc.constantFrom('', ' data-track="off"', ' class=c', ' href="https://dup.example"', ' data-track=on'),
    fc.constantFrom('=', ' = ', '='),
  ).map(([tag, url, q, extra, eq]) => `<${tag} title=t${extra.startsWith(' href') ? '' : extra} href${eq}${q}${q === '' ? url.trim().replace(/ /g, '') || 'x' : url}${q}${extra.startsWith(' href') ? extra : ''}>`),
  fc.string({ maxLength: 8 }),
);

/**
 * Runs the property over `numRuns` random documents (fast-check throws the shrunk counterexample on a failure): the
 * output parses to the same tree apart from the rewritten hrefs, and each of those was the link it recorded.
 */
export function checkRewriteProperty(numRuns: number, seed?: number): { runs: number; seconds: number } {
  const started = performance.now();
  fc.assert(
    fc.property(fc.array(fragment, { maxLength: 40 }), (parts) => {
      const html = parts.join('');
      const r = rewriteHtml(html, { clicks: true, clickUrl: (i) => `https://t.example/c/TOKEN${i}`, pixelUrl: null });
      const after = restore(tree(parseDocument(r.html).children), r.links);
      // The same tree with the rewritten elements marked: those whose href the output changed, in document order.
      const before = tree(parseDocument(html).children);
      const changed = new Set<unknown>();
      const walkBoth = (x: Tree, y: Tree): void => {
        assert.equal(x.length, y.length);
        x.forEach((n, i) => {
          const m = y[i]!;
          if (typeof n === 'string' || typeof m === 'string') return;
          if (m.attribs.href?.startsWith('was:') && n.attribs.href !== undefined) changed.add(n);
          walkBoth(n.children, m.children);
        });
      };
      walkBoth(before, after);
      assert.deepEqual(after, markRewritten(before, changed));
      assert.equal(changed.size, r.links.length);
    }),
    { numRuns, ...(seed === undefined ? {} : { seed }) },
  );
  return { runs: numRuns, seconds: (performance.now() - started) / 1000 };
}
