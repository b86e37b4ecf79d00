// The dashboard page served at `/`: plain HTML, CSS and JS in strings (tsc copies no other files), no
// external resources, no build step. The HTML carries no data: the page asks for the admin token, keeps it
// in sessionStorage, and calls the JSON API with it. Data is put in the page with textContent, never as HTML,
// and the Content-Security-Policy allows exactly this script and style (by hash) and same-origin fetches.
import { createHash } from 'node:crypto';
import { MANAGEMENT_SCRIPT, MANAGEMENT_SECTION, MANAGEMENT_STYLE } from './dashboard-management.js';
import { MESSAGES_SCRIPT, MESSAGES_SECTION, MESSAGES_STYLE } from './message-activity-dashboard.js';
import { DASHBOARD_HELPERS } from './dashboard-helpers.js';

const STYLE = `
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg: #ffffff; --panel: #f9fafb; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { font-size: 18px; margin: 0; }
main { padding: 16px 20px; max-width: 1200px; }
section { margin-bottom: 24px; }
h2 { font-size: 15px; margin: 0 0 8px; }
label { color: var(--muted); margin-right: 4px; }
select, input, button { font: inherit; padding: 4px 8px; border: 1px solid #d1d5db; border-radius: 4px; background: #fff; }
button { cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.link { border: none; background: none; color: var(--accent); padding: 0; text-decoration: underline; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin-bottom: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.reply { white-space: normal; max-width: 420px; overflow-wrap: anywhere; color: var(--muted); }
tr.total td { font-weight: 600; }
#status { color: #b91c1c; min-height: 1.4em; }
#login { max-width: 420px; margin: 60px auto; padding: 20px; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); }
#login input { width: 100%; margin: 8px 0; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; margin-top: 4px; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: middle; }
#chart { width: 100%; height: 240px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.type-failed, .type-rejected { color: #b91c1c; }
.type-deferred { color: #b45309; }
.type-delivered { color: #15803d; }
.state-disabled { color: #b91c1c; font-weight: 600; }
.state-retrying { color: #b45309; font-weight: 600; }
.state-active { color: #15803d; font-weight: 600; }
.muted { color: var(--muted); white-space: normal; max-width: 260px; overflow-wrap: anywhere; }
ul.attempts { margin: 0; padding-left: 16px; }
td.actions { white-space: normal; }
td.actions button, td.actions input { margin: 0 4px 4px 0; }
#webhook-result { min-height: 1.4em; }
#webhook-result.error { color: #b91c1c; }
[hidden] { display: none !important; }
`;

// Plain ES2020 in the browser; no backticks or template placeholders inside, as it lives in a TS template literal.
const SCRIPT = `
'use strict';
(function () {
${DASHBOARD_HELPERS}  var TYPES = ['accepted', 'delivered', 'deferred', 'failed', 'rejected', 'suppressed', 'bounced', 'complained', 'unsubscribed', 'opened', 'clicked'];
  var COLORS = { accepted: '#2563eb', delivered: '#16a34a', deferred: '#d97706', failed: '#dc2626', rejected: '#7c3aed', suppressed: '#6b7280', bounced: '#be185d', complained: '#0f766e', unsubscribed: '#0891b2', opened: '#ca8a04', clicked: '#4f46e5', openedUniqueHuman: '#a16207', clickedUniqueHuman: '#312e81' };
  // Chart lines: every event type, and the unique human opens and clicks (dashed).
  var CHART_LINES = TYPES.concat(['openedUniqueHuman', 'clickedUniqueHuman']);
  var LINE_NAMES = { openedUniqueHuman: 'unique opens (human)', clickedUniqueHuman: 'unique clicks (human)' };
  // Table columns: the counts (bounces split into hard and soft; opens and clicks in total, by machines, unique by
  // people and unique by machines), then bounces, complaints, unique human opens and clicks per delivered recipient.
  var COUNT_COLUMNS = ['accepted', 'delivered', 'deferred', 'failed', 'rejected', 'suppressed', 'bouncedHard', 'bouncedSoft', 'complained', 'unsubscribed',
    'opened', 'openedMachine', 'openedUniqueHuman', 'openedUniqueMachine', 'clicked', 'clickedMachine', 'clickedUniqueHuman', 'clickedUniqueMachine'];
  var RATE_COLUMNS = ['bounced', 'complained', 'openedUniqueHuman', 'clickedUniqueHuman'];
  var RANGES = { '1h': [3600000, '1m'], '24h': [86400000, '15m'], '7d': [604800000, '1h'], '30d': [2592000000, '6h'] };
  var SVG = 'http://www.w3.org/2000/svg';
  var state = { token: sessionStorage.getItem(TOKEN_KEY), tag: '', pages: [], cursor: null, next: null, range: null };

  function svg(name, attrs) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function fmtTime(iso) { return iso.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z'); }
  function status(text) { $('status').textContent = text || ''; }

  function query(params) {
    var qs = new URLSearchParams();
    Object.keys(params).forEach(function (k) { if (params[k] !== '' && params[k] !== null && params[k] !== undefined) qs.set(k, params[k]); });
    return qs.toString();
  }

  async function api(path, params, method) {
    var res = await fetch(path + '?' + query(params), { method: method || 'GET', headers: { Authorization: 'Bearer ' + state.token }, cache: 'no-store' });
    if (res.status === 401) { forget('The token was refused; enter it again.'); throw new Error('unauthorized'); }
    if (!res.ok) {
      var err = new Error((await refusalOf(res)).text);
      err.status = res.status;
      throw err;
    }
    return res;
  }

  function forget(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-message').textContent = message || '';
  }

  function currentRange() {
    var r = RANGES[$('range').value];
    var to = Math.ceil(Date.now() / 60000) * 60000;
    return { from: new Date(to - r[0]).toISOString(), to: new Date(to).toISOString(), interval: r[1] };
  }

  async function loadAccounts() {
    var body = await (await api('/api/accounts', {})).json();
    var select = $('account');
    var previous = select.value;
    clear(select);
    body.accounts.forEach(function (a) { var o = el('option', a); o.value = a; select.appendChild(o); });
    if (body.accounts.indexOf(previous) >= 0) select.value = previous;
  }

  async function loadStats() {
    state.range = currentRange();
    var report = await (await api('/api/stats', { account: $('account').value, tag: state.tag, from: state.range.from, to: state.range.to, interval: state.range.interval })).json();
    var account = report.accounts[0] || { totals: {}, series: [], tags: [] };
    renderTags(account);
    var tag = state.tag ? account.tags[0] : null;
    renderChart(tag && tag.series ? tag.series : account.series);
    renderDomains(tag && tag.domains ? tag.domains : null);
    $('selected-tag').textContent = state.tag ? 'tag ' + state.tag : 'all tags';
    $('all-tags').hidden = !state.tag;
    rendered($('tags'));
  }

  function countCells(row, totals) {
    COUNT_COLUMNS.forEach(function (t) { row.appendChild(el('td', totals[t] || 0, 'num')); });
    RATE_COLUMNS.forEach(function (t) {
      var delivered = totals.delivered || 0;
      row.appendChild(el('td', delivered === 0 ? '-' : (100 * (totals[t] || 0) / delivered).toFixed(2) + '%', 'num'));
    });
  }

  function renderTags(account) {
    var body = $('tags').tBodies[0];
    clear(body);
    account.tags.forEach(function (t) {
      var row = el('tr');
      row.dataset.tag = t.tag;
      var cell = el('td');
      var b = el('button', t.tag, 'link');
      b.addEventListener('click', function () { selectTag(t.tag); });
      cell.appendChild(b);
      row.appendChild(cell);
      countCells(row, t.totals);
      body.appendChild(row);
    });
    if (account.tags.length === 0) {
      var empty = el('tr');
      var td = el('td', 'No events in this range.');
      td.colSpan = 1 + COUNT_COLUMNS.length + RATE_COLUMNS.length;
      empty.appendChild(td);
      body.appendChild(empty);
    }
    var total = el('tr', null, 'total');
    total.appendChild(el('td', 'Total'));
    countCells(total, account.totals);
    body.appendChild(total);
  }

  function renderDomains(domains) {
    $('domains-section').hidden = domains === null;
    if (domains === null) return;
    var body = $('domains').tBodies[0];
    clear(body);
    domains.forEach(function (d) {
      var row = el('tr');
      row.appendChild(el('td', d.domain));
      countCells(row, d.totals);
      body.appendChild(row);
    });
  }

  function renderChart(series) {
    var chart = $('chart');
    clear(chart);
    var W = Math.max(300, Math.round(chart.clientWidth) || 800), H = Math.max(120, Math.round(chart.clientHeight) || 240), L = 44, R = 12, T = 10, B = 26;
    chart.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var max = 0;
    series.forEach(function (p) { CHART_LINES.forEach(function (t) { if (p[t] > max) max = p[t]; }); });
    var top = max === 0 ? 1 : max;
    var x = function (i) { return L + (series.length <= 1 ? 0 : (i * (W - L - R)) / (series.length - 1)); };
    var y = function (v) { return T + (H - T - B) * (1 - v / top); };
    chart.appendChild(svg('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#9ca3af' }));
    chart.appendChild(svg('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#9ca3af' }));
    [0, top].forEach(function (v) {
      var label = svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#6b7280' });
      label.textContent = String(v);
      chart.appendChild(label);
    });
    if (series.length > 0) {
      [[0, 'start'], [series.length - 1, 'end']].forEach(function (a) {
        var label = svg('text', { x: x(a[0]), y: H - 8, 'text-anchor': a[1], 'font-size': 11, fill: '#6b7280' });
        label.textContent = fmtTime(series[a[0]].start);
        chart.appendChild(label);
      });
    }
    CHART_LINES.forEach(function (t) {
      var points = series.map(function (p, i) { return x(i).toFixed(1) + ',' + y(p[t] || 0).toFixed(1); }).join(' ');
      var attrs = { points: points, fill: 'none', stroke: COLORS[t], 'stroke-width': 2, 'data-type': t };
      if (LINE_NAMES[t]) attrs['stroke-dasharray'] = '5 3';
      var line = svg('polyline', attrs);
      var title = svg('title', {});
      title.textContent = LINE_NAMES[t] || t;
      line.appendChild(title);
      chart.appendChild(line);
    });
  }

  function eventParams() {
    return { account: $('account').value, type: $('filter-type').value, tag: $('filter-tag').value.trim(), recipient: $('filter-recipient').value.trim(), from: state.range ? state.range.from : '' };
  }

  async function loadEvents(cursor) {
    var params = eventParams();
    params.limit = 50;
    params.cursor = cursor || '';
    var page = await (await api('/api/events', params)).json();
    var body = $('events').tBodies[0];
    clear(body);
    page.events.forEach(function (e) {
      var row = el('tr');
      row.dataset.type = e.type;
      row.appendChild(el('td', fmtTime(e.time)));
      row.appendChild(el('td', e.type, 'type-' + e.type));
      row.appendChild(el('td', e.tag || ''));
      row.appendChild(el('td', e.recipient || ''));
      row.appendChild(el('td', e.route || ''));
      row.appendChild(el('td', e.attempt === undefined ? '' : e.attempt, 'num'));
      row.appendChild(el('td', e.latencyMs === undefined ? '' : e.latencyMs, 'num'));
      row.appendChild(el('td', e.reply || '', 'reply'));
      body.appendChild(row);
    });
    if (page.events.length === 0) {
      var empty = el('tr');
      var td = el('td', 'No events match.');
      td.colSpan = 8;
      empty.appendChild(td);
      body.appendChild(empty);
    }
    state.next = page.next;
    rendered($('events'));
    $('older').disabled = page.next === null;
    $('newer').disabled = state.pages.length === 0;
  }

  async function downloadCsv(ev) {
    ev.preventDefault();
    try {
      var res = await api('/api/events', Object.assign(eventParams(), { format: 'csv' }));
      var blob = await res.blob();
      var match = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = match ? match[1] : 'txrelay-events.csv';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    } catch (e) { if (e.message !== 'unauthorized') status('CSV export failed: ' + e.message); }
  }

  // Webhooks: every endpoint of every account, with its state, backlog, next retry, last attempts and actions.
  var ATTEMPTS_SHOWN = 5;
  function fmtAge(seconds) {
    var s = Math.round(seconds || 0);
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }
  function attemptText(a) {
    return (a.status !== null ? String(a.status) : (a.error || 'error')) + ', ' + a.ms + ' ms, ' + fmtTime(a.time);
  }

  async function loadWebhooks() {
    var body;
    try { body = await (await api('/api/webhooks', {})).json(); } catch (e) {
      // An account token does not reach the operator's webhooks: the section stays hidden.
      if (e.status === 403) { renderWebhooks([]); return; }
      throw e;
    }
    renderWebhooks(body.webhooks || []);
  }

  function renderWebhooks(list) {
    $('webhooks-section').hidden = list.length === 0;
    var body = $('webhooks').tBodies[0];
    clear(body);
    list.forEach(function (w) {
      var row = el('tr');
      row.dataset.account = w.account;
      row.dataset.id = w.id;
      row.dataset.state = w.state;
      row.appendChild(el('td', w.account));
      row.appendChild(el('td', w.id));
      row.appendChild(el('td', w.url, 'reply'));
      var st = el('td', null, 'webhook-state');
      st.appendChild(el('span', w.state, 'state-' + w.state));
      if (w.disabledReason) st.appendChild(el('div', w.disabledReason + (w.disabledAt ? ' (' + fmtTime(w.disabledAt) + ')' : ''), 'muted reason'));
      else if (w.failingSince) st.appendChild(el('div', 'failing since ' + fmtTime(w.failingSince), 'muted reason'));
      row.appendChild(st);
      row.appendChild(el('td', w.pending, 'num pending'));
      row.appendChild(el('td', fmtAge(w.lagSeconds), 'num lag'));
      row.appendChild(el('td', w.nextRetryAt ? fmtTime(w.nextRetryAt) : '-', 'next-retry'));
      var at = el('td', null, 'attempts');
      var attempts = (w.lastAttempts || []).slice(-ATTEMPTS_SHOWN).reverse();
      if (attempts.length === 0) at.textContent = 'none yet';
      else {
        var ul = el('ul', null, 'attempts');
        attempts.forEach(function (a) {
          var li = el('li', attemptText(a), a.status !== null && a.status >= 200 && a.status < 300 ? 'type-delivered' : 'type-failed');
          li.title = a.type + ' ' + a.webhookId;
          ul.appendChild(li);
        });
        at.appendChild(ul);
      }
      row.appendChild(at);
      var actions = el('td', null, 'actions');
      var test = el('button', 'Send test event', 'webhook-test');
      test.type = 'button';
      test.addEventListener('click', function () { webhookAction(w, 'test', {}); });
      actions.appendChild(test);
      var from = el('input', null, 'webhook-from');
      from.type = 'datetime-local';
      from.setAttribute('aria-label', 'replay from (local time)');
      actions.appendChild(from);
      var replay = el('button', 'Replay from\u2026', 'webhook-replay');
      replay.type = 'button';
      replay.addEventListener('click', function () {
        var t = from.value ? new Date(from.value) : null;
        if (t === null || isNaN(t.getTime())) { webhookResult('Replay ' + w.account + '/' + w.id + ': choose a time first.', true); return; }
        webhookAction(w, 'replay', { from: t.toISOString() });
      });
      actions.appendChild(replay);
      if (w.state === 'disabled') {
        var enable = el('button', 'Enable', 'webhook-enable primary');
        enable.type = 'button';
        enable.addEventListener('click', function () { webhookAction(w, 'enable', {}); });
        actions.appendChild(enable);
      }
      row.appendChild(actions);
      body.appendChild(row);
    });
    rendered($('webhooks'));
  }

  function webhookResult(text, error) {
    var p = $('webhook-result');
    p.textContent = text;
    p.className = error ? 'error' : '';
  }

  function describeAction(name, w, r) {
    var who = w.account + '/' + w.id;
    if (name === 'test') {
      var a = r.attempt;
      return [(r.ok ? 'Test event to ' + who + ' answered ' : 'Test event to ' + who + ' failed: ') + (a.status !== null ? 'HTTP ' + a.status : a.error) + ' in ' + a.ms + ' ms', !r.ok];
    }
    if (name === 'replay') return ['Replaying ' + who + ' from ' + fmtTime(r.from) + ' (state ' + r.state + ')', false];
    return [r.enabled ? 'Enabled ' + who + ' (state ' + r.state + ')' : who + ' was not disabled (state ' + r.state + ')', false];
  }

  async function webhookAction(w, name, params) {
    var path = '/api/webhooks/' + encodeURIComponent(w.account) + '/' + encodeURIComponent(w.id) + '/' + name;
    webhookResult(name + ' ' + w.account + '/' + w.id + '\u2026', false);
    try {
      var r = await (await api(path, params, 'POST')).json();
      var d = describeAction(name, w, r);
      webhookResult(d[0], d[1]);
    } catch (e) {
      if (e.message === 'unauthorized') return;
      webhookResult(name + ' ' + w.account + '/' + w.id + ' failed: ' + e.message, true);
    }
    try { await loadWebhooks(); } catch (e) { if (e.message !== 'unauthorized') status(e.message); }
  }

  async function refresh() {
    status('');
    try {
      await loadStats();
      state.pages = [];
      state.cursor = null;
      await loadEvents(null);
      await loadWebhooks();
      $('updated').textContent = 'updated ' + fmtTime(new Date().toISOString());
    } catch (e) { if (e.message !== 'unauthorized') status(e.message); }
  }

  function selectTag(tag) {
    state.tag = tag;
    $('filter-tag').value = tag;
    refresh();
  }

  async function start() {
    $('login').hidden = true;
    $('app').hidden = false;
    try { await loadAccounts(); } catch (e) { if (e.message !== 'unauthorized') status(e.message); return; }
    // The management sections (dashboard-management.ts) load the chosen account's keys, templates and suppressions.
    document.dispatchEvent(new CustomEvent('txrelay:connected'));
    await refresh();
  }

  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var token = $('token').value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    state.token = token;
    $('token').value = '';
    start();
  });
  $('logout').addEventListener('click', function () { forget(''); });
  $('refresh').addEventListener('click', refresh);
  $('account').addEventListener('change', function () { state.tag = ''; $('filter-tag').value = ''; refresh(); });
  $('range').addEventListener('change', refresh);
  $('all-tags').addEventListener('click', function () { selectTag(''); });
  $('filters').addEventListener('submit', function (ev) {
    ev.preventDefault();
    state.pages = [];
    state.cursor = null;
    loadEvents(null).catch(function (e) { if (e.message !== 'unauthorized') status(e.message); });
  });
  $('older').addEventListener('click', function () {
    if (state.next === null) return;
    state.pages.push(state.cursor || '');
    state.cursor = state.next;
    loadEvents(state.cursor).catch(function (e) { status(e.message); });
  });
  $('newer').addEventListener('click', function () {
    state.cursor = state.pages.pop() || null;
    loadEvents(state.cursor).catch(function (e) { status(e.message); });
  });
  $('csv').addEventListener('click', downloadCsv);

  var legend = $('legend');
  CHART_LINES.forEach(function (t) {
    var item = el('span');
    var sw = el('span', null, 'swatch');
    sw.style.background = COLORS[t];
    item.appendChild(sw);
    item.appendChild(document.createTextNode(LINE_NAMES[t] || t));
    legend.appendChild(item);
  });

  if (state.token) start(); else forget('');
})();
`;

const COUNT_HEADERS =
  '<th class="num">Accepted</th><th class="num">Delivered</th><th class="num">Deferred</th><th class="num">Failed</th><th class="num">Rejected</th><th class="num">Suppressed</th>' +
  '<th class="num">Bounced hard</th><th class="num">Bounced soft</th><th class="num">Complained</th><th class="num">Unsubscribed</th><th class="num">Opened</th><th class="num">Opened by machines</th><th class="num">Unique opens (human)</th><th class="num">Unique opens (machine)</th>' +
  '<th class="num">Clicked</th><th class="num">Clicked by machines</th><th class="num">Unique clicks (human)</th><th class="num">Unique clicks (machine)</th>' +
  '<th class="num">Bounce rate</th><th class="num">Complaint rate</th><th class="num">Open rate (unique human)</th><th class="num">Click rate (unique human)</th>';

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>txrelay dashboard</title>
<style>${STYLE}</style>
<style>${MESSAGES_STYLE}</style>
<style>${MANAGEMENT_STYLE}</style>
</head>
<body>
<header><h1>txrelay</h1><span id="updated"></span></header>
<div id="login" hidden>
  <form id="login-form">
    <h2>Admin token</h2>
    <p>Enter the admin token from the relay's configuration, or an account token (<code>txa_...</code>: that account only). It is kept in this tab only (sessionStorage).</p>
    <input id="token" type="password" autocomplete="off" placeholder="token">
    <button class="primary" id="connect" type="submit">Connect</button>
    <p id="login-message"></p>
  </form>
</div>
<main id="app" hidden>
  <div class="controls">
    <span><label for="account">Account</label><select id="account"></select></span>
    <span><label for="range">Range</label><select id="range">
      <option value="1h">last hour</option><option value="24h" selected>last 24 hours</option><option value="7d">last 7 days</option><option value="30d">last 30 days</option>
    </select></span>
    <button id="refresh" type="button">Refresh</button>
    <button id="logout" type="button">Forget token</button>
  </div>
  <p id="status" role="alert"></p>
  <section>
    <h2>Per-tag counts</h2>
    <table id="tags"><thead><tr><th>Tag</th>${COUNT_HEADERS}</tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Over time: <span id="selected-tag">all tags</span> <button id="all-tags" class="link" type="button" hidden>show all tags</button></h2>
    <svg id="chart" role="img" aria-label="events over time" xmlns="http://www.w3.org/2000/svg"></svg>
    <div class="legend" id="legend"></div>
  </section>
  <section id="domains-section" hidden>
    <h2>By recipient domain</h2>
    <table id="domains"><thead><tr><th>Domain</th>${COUNT_HEADERS}</tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Recent events</h2>
    <form id="filters" class="controls">
      <span><label for="filter-type">Type</label><select id="filter-type">
        <option value="">any</option><option>accepted</option><option>delivered</option><option>deferred</option><option>failed</option><option>rejected</option><option>suppressed</option><option>bounced</option><option>complained</option><option>unsubscribed</option><option value="failed,deferred,rejected,bounced,complained">problems</option>
      </select></span>
      <span><label for="filter-tag">Tag</label><input id="filter-tag" size="16"></span>
      <span><label for="filter-recipient">Recipient</label><input id="filter-recipient" size="28" placeholder="exact address"></span>
      <button class="primary" id="apply-filters" type="submit">Apply</button>
      <a id="csv" href="#" download>Download CSV</a>
    </form>
    <table id="events"><thead><tr><th>Time (UTC)</th><th>Type</th><th>Tag</th><th>Recipient</th><th>Route</th><th class="num">Attempt</th><th class="num">ms</th><th>Reply</th></tr></thead><tbody></tbody></table>
    <p><button id="newer" type="button" disabled>Newer</button> <button id="older" type="button" disabled>Older</button></p>
  </section>
${MESSAGES_SECTION}
  <section id="webhooks-section" hidden>
    <h2>Webhooks</h2>
    <p id="webhook-result" role="status"></p>
    <table id="webhooks"><thead><tr><th>Account</th><th>Id</th><th>URL</th><th>State</th><th class="num">Pending</th><th class="num">Lag</th><th>Next retry</th><th>Last attempts (newest first)</th><th>Actions</th></tr></thead><tbody></tbody></table>
  </section>
${MANAGEMENT_SECTION}
</main>
<script>${SCRIPT}</script>
<script>${MESSAGES_SCRIPT}</script>
<script>${MANAGEMENT_SCRIPT}</script>
</body>
</html>
`;

function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * Only this page's own scripts and styles run; fetches go to the admin server itself; it frames only its own origin
 * (the template preview, /previews/{ticket}, under its own sandboxing CSP) and is framed by nothing.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${cspHash(SCRIPT)} ${cspHash(MESSAGES_SCRIPT)} ${cspHash(MANAGEMENT_SCRIPT)}`,
  `style-src ${cspHash(STYLE)} ${cspHash(MESSAGES_STYLE)} ${cspHash(MANAGEMENT_STYLE)}`,
  "connect-src 'self'",
  "frame-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
