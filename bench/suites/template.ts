// Template engine: renders/s and compiles/s of a realistic ~3 KB HTML order email, ours beside nunjucks and
// minijinja-js measured in the same run. Neither peer has Jinja2's `format` filter, so both get the same
// small printf-style filter; everything else is their built-in behaviour with HTML autoescaping on.
import { createRequire } from 'node:module';
import { compileTemplate } from '../../src/relay/template/index.js';
import { opsPerSecond, type BenchRow, type BenchSuite } from '../harness.js';

const require = createRequire(import.meta.url);

interface NunjucksTemplate {
  render(ctx: object): string;
}
interface NunjucksModule {
  Environment: new (loader: null, opts: { autoescape: boolean }) => { addFilter(name: string, fn: (...a: unknown[]) => unknown): void };
  Template: new (src: string, env: unknown, path: string, eager: boolean) => NunjucksTemplate;
}
interface MiniJinjaEnvironment {
  addTemplate(name: string, source: string): void;
  renderTemplate(name: string, ctx: unknown): string;
  addFilter(name: string, fn: (...a: unknown[]) => unknown): void;
}

export const ORDER_EMAIL = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Your order {{ order.number }} has shipped</title>
  <style>
    body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #222; background: #f6f6f6; }
    .wrap { max-width: 640px; margin: 0 auto; background: #fff; padding: 24px; }
    table.items { width: 100%; border-collapse: collapse; }
    table.items th, table.items td { padding: 8px; border-bottom: 1px solid #eee; text-align: left; }
    .total { font-weight: bold; text-align: right; }
    .muted { color: #888; font-size: 12px; }
  </style>
</head>
<body>
  <div class="wrap">
    <h1>Thanks for your order, {{ customer.name }}!</h1>
    <p>Hi {{ customer.first_name | default('there') }}, your order <strong>#{{ order.number }}</strong> placed on
      {{ order.date }} is on its way to the address below.</p>
    <p class="muted">{{ customer.address.line1 }}<br>{{ customer.address.city }}, {{ customer.address.zip }}<br>
      {{ customer.address.country | upper }}</p>
    {% if order.gift_message %}
    <blockquote class="gift">{{ order.gift_message }}</blockquote>
    {% endif %}
    <table class="items">
      <thead>
        <tr><th>#</th><th>Item</th><th>SKU</th><th>Qty</th><th>Price</th><th>Subtotal</th></tr>
      </thead>
      <tbody>
        {% for item in items %}
        <tr class="{{ 'odd' if loop.index is odd else 'even' }}">
          <td>{{ loop.index }}</td>
          <td>{{ item.name | upper }}{% if item.note %}<br><span class="muted">{{ item.note }}</span>{% endif %}</td>
          <td>{{ item.sku | default('x') }}</td>
          <td>{{ item.qty }}</td>
          <td>{{ "%.2f" | format(item.price) }} {{ order.currency }}</td>
          <td>{{ (item.price * item.qty) | round(2) }}</td>
        </tr>
        {% endfor %}
      </tbody>
    </table>
    <p class="total">Shipping: {{ "%.2f" | format(order.shipping) }} {{ order.currency }}</p>
    <p class="total">Total: {{ "%.2f" | format(order.total) }} {{ order.currency }}</p>
    {% if order.tracking_url %}
    <p><a href="{{ order.tracking_url }}">Track your parcel</a> with {{ order.carrier | default('our carrier') }}.</p>
    {% else %}
    <p>We will send tracking details as soon as the carrier has them.</p>
    {% endif %}
    <p>Questions? Reply to this email or write to <a href="mailto:{{ support_email }}">{{ support_email }}</a>.
      We answer within one business day.</p>
    <p class="muted">You receive this email because you placed an order at {{ shop.name }}. {{ shop.name }},
      {{ shop.address }}. This is a transactional message and cannot be unsubscribed from.</p>
  </div>
</body>
</html>
`;

export function orderContext(): Record<string, unknown> {
  const items = Array.from({ length: 10 }, (_, i) => ({
    name: `Product <${i + 1}> & "friends"`,
    sku: i % 3 === 0 ? null : `SKU-${1000 + i}`,
    qty: (i % 4) + 1,
    price: 9.99 + i * 3.25,
    note: i % 5 === 0 ? 'Gift wrapped' : '',
  }));
  return {
    customer: { name: "Ann O'Neil", first_name: 'Ann', address: { line1: '1 Main St', city: 'Springfield', zip: '12345', country: 'us' } },
    order: { number: 'A-10023', date: '2026-11-26', currency: 'EUR', shipping: 4.9, total: 312.45, gift_message: 'Happy birthday <3', tracking_url: 'https://track.example.com/?id=A-10023&c=1', carrier: '' },
    items,
    support_email: 'help@shop.example',
    shop: { name: 'Example Shop', address: '2 Market Square, Springfield' },
  };
}

/** The peers' stand-in for Jinja2's printf-style `format` (only %s, %d and %.Nf are used above). */
function printfLite(fmt: unknown, ...args: unknown[]): string {
  let i = 0;
  return String(fmt).replace(/%(?:\.(\d+))?([sdf])/g, (_m, prec: string | undefined, conv: string) => {
    const v = args[i++];
    if (conv === 'f') return Number(v).toFixed(prec === undefined ? 6 : Number(prec));
    if (conv === 'd') return String(Math.trunc(Number(v)));
    return String(v);
  });
}

const suite: BenchSuite = {
  name: 'template',
  async run(ctx): Promise<BenchRow[]> {
    const nunjucks = require('nunjucks') as NunjucksModule;
    const { Environment: MiniJinja } = require('minijinja-js') as { Environment: new () => MiniJinjaEnvironment };
    const context = orderContext();

    const ours = compileTemplate(ORDER_EMAIL, { autoescape: true, name: 'order.html' });
    const njEnv = new nunjucks.Environment(null, { autoescape: true });
    njEnv.addFilter('format', printfLite);
    const njTemplate = new nunjucks.Template(ORDER_EMAIL, njEnv, 'order.html', true);
    const mj = new MiniJinja();
    mj.addFilter('format', printfLite);
    mj.addTemplate('order.html', ORDER_EMAIL);

    // Sanity: every engine renders the same document size class before we time it.
    const sizes = [ours.render(context).length, njTemplate.render(context).length, mj.renderTemplate('order.html', context).length];
    ctx.progress(`template: output sizes ours/nunjucks/minijinja = ${sizes.join('/')}`);

    let n = 0;
    const renders = await opsPerSecond(
      {
        ours: () => ours.render(context),
        nunjucks: () => njTemplate.render(context),
        minijinja: () => mj.renderTemplate('order.html', context),
      },
      ctx,
    );
    const compiles = await opsPerSecond(
      {
        ours: () => compileTemplate(ORDER_EMAIL, { autoescape: true, name: 'order.html' }),
        nunjucks: () => new nunjucks.Template(ORDER_EMAIL, njEnv, 'order.html', true),
        minijinja: () => mj.addTemplate(`order-${n++ % 64}.html`, ORDER_EMAIL),
      },
      ctx,
    );
    const row = (name: string, figures: Record<string, number>, peer: 'nunjucks' | 'minijinja'): BenchRow => ({
      suite: 'template',
      name,
      unit: 'ops/s',
      ours: figures['ours'] ?? 0,
      peer: { name: peer === 'nunjucks' ? 'nunjucks 3 (autoescape)' : 'minijinja-js (wasm)', value: figures[peer] ?? 0 },
      higherIsBetter: true,
    });
    return [
      row('render 3 KB order email (10 rows)', renders, 'nunjucks'),
      row('render 3 KB order email (10 rows)', renders, 'minijinja'),
      row('compile 3 KB order email', compiles, 'nunjucks'),
      row('compile 3 KB order email', compiles, 'minijinja'),
    ];
  },
};

export default suite;
