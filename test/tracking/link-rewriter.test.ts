// The link rewriter: only the bytes of tracked href values change; everything else stays byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteHtml, pixelTag } from '../../src/relay/tracking/index.js';
import { checkRewriteProperty } from './rewrite-property.js';

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

test('property: the output parses to the same tree apart from the rewritten hrefs, each of which was its recorded link', () => {
  // 1,000 random documents here; test-soak/tracking-fuzz.test.ts runs 10^5 (issue 18).
  const r = checkRewriteProperty(1000);
  assert.equal(r.runs, 1000);
});
