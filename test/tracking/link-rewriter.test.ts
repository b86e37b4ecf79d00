// The link rewriter: only the bytes of tracked href values change; everything else stays byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseDocument } from 'htmlparser2';
import type { ChildNode } from 'domhandler';
import { rewriteHtml, pixelTag } from '../../src/relay/tracking/index.js';

const click = (i: number): string => `https://t.example/c/T${i}`;

/** The input with the i-th tracked href value replaced by its click URL, computed independently of the rewriter. */
function spliceExpected(html: string, originals: readonly string[]): string {
  let out = html;
  originals.forEach((raw, i) => {
    const at = out.indexOf(raw);
    assert.ok(at >= 0, `${raw} in ${out}`);
    out = out.slice(0, at) + click(i) + out.slice(at + raw.length);
  });
  return out;
}

test('rewrites http(s) <a> and <area> hrefs, quoted or not, and only their values', () => {
  const html =
    '<!DOCTYPE html><html><head><style>a{color:red}</style></head><body>\r\n' +
    '<p>Hi <a class="x" href="https://shop.example/order?id=1&amp;x=2">order</a>,\n' +
    '<A HREF = \'HTTP://Shop.example/B\' >b</A> <area shape=rect href=https://map.example/a alt=m>\n</body></html>';
  const r = rewriteHtml(html, { clicks: true, clickUrl: click, pixelUrl: null });
  assert.deepEqual(r.links, ['https://shop.example/order?id=1&x=2', 'HTTP://Shop.example/B', 'https://map.example/a']);
  assert.equal(r.html, spliceExpected(html, ['https://shop.example/order?id=1&amp;x=2', 'HTTP://Shop.example/B', 'https://map.example/a']));
});

test('leaves mailto:, tel:, anchors, relative links, data-track="off" and the unsubscribe link untouched', () => {
  const html =
    '<body><a href="mailto:a@b.example">m</a><a href="tel:+3312">t</a><a href="#top">#</a><a href="/rel">r</a>' +
    '<a data-track="off" href="https://keep.example/">k</a><a href="https://u.example/u/abc">unsubscribe</a>' +
    '<script>document.write("<a href=https://in-script.example>")</script><!-- <a href="https://in-comment.example"> -->' +
    '<textarea><a href="https://in-textarea.example"></textarea></body>';
  const r = rewriteHtml(html, { clicks: true, clickUrl: click, pixelUrl: null, skipPrefixes: ['https://u.example/u/'] });
  assert.deepEqual(r.links, []);
  assert.equal(r.html, html);
});

test('adds the open pixel before the last </body>, or at the end without one', () => {
  const pixel = pixelTag('https://t.example/o/P');
  const html = '<html><body><p>x</p>\n</BODY>\n</html>\n';
  assert.equal(rewriteHtml(html, { clicks: false, clickUrl: click, pixelUrl: 'https://t.example/o/P' }).html, '<html><body><p>x</p>\n' + pixel + '</BODY>\n</html>\n');
  assert.equal(rewriteHtml('<p>no body', { clicks: false, clickUrl: click, pixelUrl: 'https://t.example/o/P' }).html, '<p>no body' + pixel);
});

test('clicks off: links stay as they were', () => {
  const html = '<a href="https://a.example">a</a></body>';
  const r = rewriteHtml(html, { clicks: false, clickUrl: click, pixelUrl: null });
  assert.equal(r.html, html);
  assert.deepEqual(r.links, []);
});

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

test('property: the output parses to the same tree apart from the rewritten hrefs, each of which was its recorded link', () => {
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
    { numRuns: 1000 },
  );
});
