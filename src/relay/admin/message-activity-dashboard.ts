// The dashboard's "Message activity" section (dashboard.ts includes it): search by recipient or message id, each
// message's timeline per recipient, and the retained copy as a download. Its own script and style, allowed by hash
// in the page's Content-Security-Policy like the page's; it reads the token the page keeps in sessionStorage.
// Data goes into the page with textContent only, never as HTML.
import { DASHBOARD_HELPERS } from './dashboard-helpers.js';

export const MESSAGES_STYLE = `
#messages td.recipients { white-space: normal; }
#message-detail { margin-top: 12px; padding: 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
#message-detail h3 { font-size: 14px; margin: 0 0 4px; }
#message-facts { color: var(--muted); margin: 0; }
#message-detail h4 { font-size: 13px; margin: 12px 0 4px; }
#message-note.error { color: #b91c1c; }
table.timeline { background: #fff; }
.status-delivered { color: #15803d; }
.status-failed, .status-suppressed, .status-bounced, .status-complained { color: #b91c1c; }
.status-deferred { color: #b45309; }
`;

// Plain ES2020 in the browser; no backticks or template placeholders inside, as it lives in a TS template literal.
export const MESSAGES_SCRIPT = `
'use strict';
(function () {
${DASHBOARD_HELPERS}  var SINCE = { '1h': 3600000, '24h': 86400000, '7d': 604800000, '30d': 2592000000 };
  // An outbound Message-ID: <queue id>.<n>@host; any other address is a recipient.
  var MESSAGE_ID = /^<?[A-Za-z0-9_-]{1,64}\\.\\d{1,6}@[^\\s<>@]+>?$/;
  var search = { params: null, next: null };

  function fmtTime(iso) { return iso ? iso.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z') : ''; }
  function note(text, error) { var p = $('message-note'); p.textContent = text || ''; p.className = error ? 'error' : ''; }

  async function call(path, params) {
    var qs = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) { if (params[k] !== '' && params[k] !== null && params[k] !== undefined) qs.set(k, params[k]); });
    var res = await fetch(path + (qs.toString() ? '?' + qs.toString() : ''), { headers: { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) }, cache: 'no-store' });
    if (!res.ok) {
      throw new Error((await refusalOf(res)).text);
    }
    return res;
  }

  function messagePath(id) { return '/api/messages/' + encodeURIComponent(id); }

  async function runSearch(ev) {
    ev.preventDefault();
    var q = $('message-query').value.trim();
    $('message-detail').hidden = true;
    if (!q) { note('Enter a recipient address or a message id.', true); return; }
    if (q.indexOf('@') < 0 || MESSAGE_ID.test(q)) { await showMessage(q); return; }
    search.params = { recipient: q, since: new Date(Date.now() - SINCE[$('message-since').value]).toISOString(), limit: 25 };
    clear($('messages').tBodies[0]);
    await loadPage(null);
  }

  async function loadPage(cursor) {
    note('Searching\\u2026', false);
    try {
      var params = Object.assign({}, search.params, { cursor: cursor || '' });
      var page = await (await call('/api/messages', params)).json();
      renderMessages(page.messages);
      search.next = page.next;
      $('messages-more').hidden = page.next === null;
      var found = $('messages').tBodies[0].rows.length;
      note(found + ' message(s); ' + page.scanned + ' events read' + (page.scanLimitHit ? ' (the scan limit of ' + page.scanLimit + ' events was reached: More searches further back)' : ''), false);
    } catch (e) { note('Search failed: ' + e.message, true); }
    rendered($('messages'));
  }

  function renderMessages(list) {
    var table = $('messages');
    table.hidden = false;
    var body = table.tBodies[0];
    list.forEach(function (m) {
      var row = el('tr');
      row.dataset.id = m.id;
      row.appendChild(el('td', fmtTime(m.acceptedAt)));
      var cell = el('td');
      var b = el('button', m.id, 'link message-open');
      b.type = 'button';
      b.addEventListener('click', function () { showMessage(m.id); });
      cell.appendChild(b);
      row.appendChild(cell);
      row.appendChild(el('td', m.account || ''));
      row.appendChild(el('td', m.tag || ''));
      var rc = el('td', null, 'recipients');
      m.recipients.forEach(function (r, i) {
        if (i > 0) rc.appendChild(document.createTextNode(', '));
        rc.appendChild(el('span', r.recipient + ' ', null));
        rc.appendChild(el('span', r.status, 'status-' + r.status));
      });
      row.appendChild(rc);
      body.appendChild(row);
    });
  }

  async function showMessage(ref) {
    var detail = $('message-detail');
    try {
      var m = await (await call(messagePath(ref), {})).json();
      $('message-title').textContent = 'Message ' + m.id;
      var facts = ['account ' + (m.account || '-'), 'tag ' + (m.tag || '-'), 'route ' + (m.route || '-'), 'accepted ' + (m.acceptedAt ? fmtTime(m.acceptedAt) : 'not in the log')];
      if (!m.complete) facts.push(m.scanLimitHit ? 'incomplete: the scan limit was reached' : 'incomplete: its first events are no longer in the log');
      if (m.retainedUntil) facts.push('copies kept until ' + fmtTime(m.retainedUntil));
      $('message-facts').textContent = facts.join(' \\u00b7 ');
      var box = $('message-recipients');
      clear(box);
      m.recipients.forEach(function (r) { box.appendChild(recipientBlock(m.id, r)); });
      detail.dataset.id = m.id;
      detail.hidden = false;
      note('', false);
    } catch (e) {
      detail.hidden = true;
      note('Message ' + ref + ': ' + e.message, true);
    }
    rendered(detail);
  }

  function recipientBlock(id, r) {
    var div = el('div', null, 'recipient');
    div.dataset.recipient = r.recipient;
    var h = el('h4', r.recipient + ' \\u2014 ');
    h.appendChild(el('span', r.status, 'status-' + r.status));
    if (r.opens || r.clicks) h.appendChild(document.createTextNode(' (' + r.opens + ' opens, ' + r.clicks + ' clicks)'));
    div.appendChild(h);
    var table = el('table', null, 'timeline');
    var head = el('tr');
    ['Time (UTC)', 'Event', 'Attempt', 'ms', 'Reply / detail'].forEach(function (t) { head.appendChild(el('th', t)); });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    r.timeline.forEach(function (s) {
      var row = el('tr');
      row.dataset.type = s.type;
      row.appendChild(el('td', fmtTime(s.time)));
      row.appendChild(el('td', s.type, 'status-' + s.type));
      row.appendChild(el('td', s.attempt === undefined ? '' : s.attempt, 'num'));
      row.appendChild(el('td', s.latencyMs === undefined ? '' : s.latencyMs, 'num'));
      var detail = [s.reply, s.status, s.diagnostic, s.reason, s.url].filter(function (x) { return x !== undefined && x !== null && x !== ''; }).join(' \\u00b7 ');
      row.appendChild(el('td', detail, 'reply'));
      body.appendChild(row);
    });
    div.appendChild(table);
    if (r.content) {
      var b = el('button', 'Download what was sent (.eml)', 'message-content');
      b.type = 'button';
      b.addEventListener('click', function () { download(id, r.recipient); });
      div.appendChild(b);
    }
    return div;
  }

  async function download(id, recipient) {
    try {
      var res = await call(messagePath(id) + '/content', { recipient: recipient });
      var blob = await res.blob();
      var match = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = match ? match[1] : id + '.eml';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    } catch (e) { note('Content of ' + id + ' for ' + recipient + ': ' + e.message, true); }
  }

  $('message-search').addEventListener('submit', function (ev) { runSearch(ev).catch(function (e) { note(e.message, true); }); });
  $('messages-more').addEventListener('click', function () { if (search.next !== null) loadPage(search.next); });
})();
`;

export const MESSAGES_SECTION = `
  <section id="messages-section">
    <h2>Message activity</h2>
    <form id="message-search" class="controls">
      <span><label for="message-query">Recipient or message id</label><input id="message-query" size="44" placeholder="jane@example.org, a queue id or a Message-ID"></span>
      <span><label for="message-since">Since</label><select id="message-since">
        <option value="1h">last hour</option><option value="24h">last 24 hours</option><option value="7d" selected>last 7 days</option><option value="30d">last 30 days</option>
      </select></span>
      <button class="primary" id="message-go" type="submit">Search</button>
    </form>
    <p id="message-note" role="status"></p>
    <table id="messages" hidden><thead><tr><th>Accepted (UTC)</th><th>Message</th><th>Account</th><th>Tag</th><th>Recipients</th></tr></thead><tbody></tbody></table>
    <p><button id="messages-more" type="button" hidden>More</button></p>
    <div id="message-detail" hidden>
      <h3 id="message-title"></h3>
      <p id="message-facts"></p>
      <div id="message-recipients"></div>
    </div>
  </section>`;
