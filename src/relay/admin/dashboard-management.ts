// The dashboard's management sections (issue 17 §2; dashboard.ts includes them): the selected account's API keys,
// templates with a live preview, and suppressions, over the management API. Its own script and style, allowed by
// hash in the page's Content-Security-Policy like the page's; it reads the token the page keeps in sessionStorage
// and follows the page's account picker (which lists only its own account for an account token). Data goes into
// the page with textContent only, never as HTML; a 403 is shown as a message in its section.
//
// The preview: the render endpoint's HTML is shown in an <iframe sandbox> (no allow-scripts, no allow-same-origin)
// that loads GET /previews/{ticket} (template-preview.ts says why: a srcdoc or blob: frame would inherit this page's
// CSP, which refuses the email's inline styles; that route serves it under its own CSP, which lets them through
// and nothing else). The dashboard's CSP allows frames from its own origin only.
import { DASHBOARD_HELPERS } from './dashboard-helpers.js';

export const MANAGEMENT_STYLE = `
.mgmt textarea { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; padding: 4px 8px; border: 1px solid #d1d5db; border-radius: 4px; width: 100%; }
.mgmt .note { min-height: 1.4em; margin: 4px 0; }
.mgmt .note.error, .field-error { color: #b91c1c; }
.field-error { display: block; min-height: 1.2em; font-size: 12px; white-space: pre-wrap; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
#key-new { padding: 10px 12px; margin: 8px 0; border: 2px solid #d97706; border-radius: 6px; background: #fffbeb; }
#key-new code { display: inline-block; padding: 2px 6px; background: #fff; border: 1px solid var(--line); user-select: all; overflow-wrap: anywhere; }
#key-new strong { color: #b45309; }
.editor { display: grid; grid-template-columns: minmax(320px, 1fr) minmax(320px, 1fr); gap: 16px; align-items: start; }
.editor .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 0 12px; }
.editor .fields label, .editor .wide label { display: block; margin: 6px 0 2px; }
.editor .fields input { width: 100%; }
.editor .wide { grid-column: 1 / -1; }
#tpl-html { height: 260px; }
#tpl-vars { height: 80px; }
#preview-subject { font-weight: 600; min-height: 1.4em; overflow-wrap: anywhere; }
#preview-frame { width: 100%; height: 420px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
#import-errors { margin: 4px 0; padding-left: 18px; color: #b91c1c; }
`;

// Plain ES2020 in the browser; no backticks or template placeholders inside, as it lives in a TS template literal.
export const MANAGEMENT_SCRIPT = `
'use strict';
(function () {
${DASHBOARD_HELPERS}  var TEMPLATE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
  var PAGE = 50;
  var PREVIEW_DELAY_MS = 400;
  var state = { account: '', readOnly: false, previewTimer: null, previewSeq: 0, supp: { pages: [], cursor: null, next: null, prefix: '' } };

  function button(text, cls, onClick) {
    var b = el('button', text, cls);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }
  function fmtTime(iso) { return iso ? iso.replace('T', ' ').replace(/\\.\\d+Z$/, 'Z') : '-'; }
  function note(id, text, error) { var p = $(id); p.textContent = text || ''; p.className = 'note' + (error ? ' error' : ''); }
  function emptyRow(body, text, span) { var tr = el('tr'); var td = el('td', text, 'muted'); td.colSpan = span; tr.appendChild(td); body.appendChild(tr); }

  // Every call carries the page's token; a refusal becomes an Error with the status and the JSON body.
  async function call(method, path, body, type) {
    var headers = { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN_KEY) };
    var init = { method: method, headers: headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = type || 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    var res = await fetch(path, init);
    if (!res.ok) {
      var refusal = await refusalOf(res);
      var b = refusal.body;
      var text = refusal.text;
      if (res.status === 401) text = 'the token was refused (' + text + ')';
      if (res.status === 403) text = 'not allowed with this token: ' + (b ? b.reason : 'forbidden');
      var err = new Error(text);
      err.status = res.status;
      err.body = b;
      throw err;
    }
    return res;
  }
  function accountPath(rest) { return '/api/accounts/' + encodeURIComponent(state.account) + rest; }

  // An action asked twice: the first click shows the question and the buttons that answer it.
  function confirmed(label, cls, question, yes, action) {
    var box = el('span');
    function ask() {
      clear(box);
      box.appendChild(el('span', question + ' ', 'confirm-question'));
      box.appendChild(button(yes, cls + '-confirm primary', function () { action(); }));
      box.appendChild(button('Cancel', cls + '-cancel', reset));
    }
    function reset() { clear(box); box.appendChild(button(label, cls, ask)); }
    reset();
    return box;
  }

  async function download(path, fallbackName, noteId) {
    try {
      var res = await call('GET', path);
      var blob = await res.blob();
      var match = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
      var a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = match ? match[1] : fallbackName;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
    } catch (e) { note(noteId, 'Export: ' + e.message, true); }
  }

  // ---- API keys ----
  async function loadKeys() {
    var body = $('keys').tBodies[0];
    try {
      var list = (await (await call('GET', accountPath('/keys'))).json()).keys;
      clear(body);
      list.forEach(function (k) {
        var row = el('tr');
        row.dataset.id = k.id;
        row.dataset.source = k.source;
        row.appendChild(el('td', k.id, 'mono'));
        row.appendChild(el('td', k.label || ''));
        row.appendChild(el('td', fmtTime(k.createdAt)));
        row.appendChild(el('td', k.expiresAt ? fmtTime(k.expiresAt) + (k.expired ? ' (expired)' : '') : 'never', k.expired ? 'type-failed' : ''));
        row.appendChild(el('td', k.source === 'config' ? 'not tracked' : fmtTime(k.lastUsedAt)));
        row.appendChild(el('td', k.source === 'config' ? 'configuration file' : 'API'));
        var actions = el('td', null, 'actions');
        if (k.source === 'api') actions.appendChild(confirmed('Revoke', 'key-revoke', 'Revoke ' + k.id + '? It stops working at once.', 'Yes, revoke', function () { revokeKey(k.id); }));
        else actions.appendChild(el('span', 'remove it from the file', 'muted'));
        row.appendChild(actions);
        body.appendChild(row);
      });
      if (list.length === 0) emptyRow(body, 'No keys.', 7);
    } catch (e) {
      clear(body);
      note('key-note', 'Keys: ' + e.message, true);
    }
    rendered($('keys'));
  }

  async function createKey(ev) {
    ev.preventDefault();
    var body = {};
    var label = $('key-label').value.trim();
    if (label) body.label = label;
    if ($('key-expires').value) {
      var t = new Date($('key-expires').value);
      if (isNaN(t.getTime())) { note('key-note', 'The expiry is not a valid time.', true); rendered($('keys')); return; }
      body.expiresAt = t.toISOString();
    }
    try {
      var k = await (await call('POST', accountPath('/keys'), body)).json();
      $('key-secret').textContent = k.key;
      $('key-new-id').textContent = k.id + (k.label ? ' (' + k.label + ')' : '') + ', account ' + k.account;
      $('key-copy').textContent = 'Copy';
      $('key-new').hidden = false;
      $('key-label').value = '';
      $('key-expires').value = '';
      note('key-note', '', false);
    } catch (e) { note('key-note', 'Creating a key: ' + e.message, true); }
    await loadKeys();
  }

  async function revokeKey(id) {
    try {
      await call('DELETE', accountPath('/keys/' + encodeURIComponent(id)));
      note('key-note', 'Revoked ' + id + ': SMTP AUTH and X-Auth-APIKey refuse it from now on.', false);
    } catch (e) { note('key-note', 'Revoking ' + id + ': ' + e.message, true); }
    await loadKeys();
  }

  function hideNewKey() { $('key-secret').textContent = ''; $('key-new').hidden = true; }

  function copyKey() {
    var secret = $('key-secret').textContent;
    navigator.clipboard.writeText(secret).then(function () { $('key-copy').textContent = 'Copied'; }, function () {
      // No clipboard (permission refused): select the key so Ctrl+C copies it.
      var range = document.createRange();
      range.selectNodeContents($('key-secret'));
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      $('key-copy').textContent = 'Selected: press Ctrl+C';
    });
  }

  // ---- Templates ----
  var FIELDS = ['name', 'html', 'subject', 'from', 'replyTo', 'tag', 'variables'];
  function fieldError(name, text, e) {
    var s = $('tpl-error-' + name);
    s.textContent = text || '';
    if (e && e.line) { s.dataset.line = e.line; s.dataset.column = e.column; } else { delete s.dataset.line; delete s.dataset.column; }
  }
  function clearFieldErrors() { FIELDS.forEach(function (f) { fieldError(f, ''); }); }

  // A 400 or 422 naming a field of the form is shown under it, with its line and column; the rest in the note.
  function showError(e, what, noteId) {
    var b = e.body;
    if (b && b.parameter && FIELDS.indexOf(b.parameter) >= 0 && e.status !== 403) {
      fieldError(b.parameter, b.reason, b);
      if (b.parameter === 'html' && b.line) caretAt($('tpl-html'), b.line, b.column);
    }
    note(noteId, what + ': ' + e.message, true);
  }

  function caretAt(area, line, column) {
    var lines = area.value.split('\\n');
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += Math.max(0, column - 1);
    area.setSelectionRange(offset, offset);
  }

  async function loadTemplates() {
    var body = $('templates').tBodies[0];
    try {
      var list = (await (await call('GET', accountPath('/templates'))).json()).templates;
      clear(body);
      list.forEach(function (t) {
        var row = el('tr');
        row.dataset.name = t.name;
        row.dataset.source = t.source;
        var cell = el('td');
        cell.appendChild(button(t.name, 'link template-open', function () { openTemplate(t.name); }));
        row.appendChild(cell);
        row.appendChild(el('td', t.source === 'config' ? 'configuration file (read-only)' : t.shadowed ? 'API (the file\\'s template of this name wins)' : 'API'));
        row.appendChild(el('td', t.subject || '', 'muted'));
        row.appendChild(el('td', t.tag || ''));
        row.appendChild(el('td', fmtTime(t.updatedAt)));
        var actions = el('td', null, 'actions');
        if (!t.readOnly) actions.appendChild(confirmed('Delete', 'template-delete', 'Delete template ' + t.name + '?', 'Yes, delete', function () { deleteTemplate(t.name); }));
        row.appendChild(actions);
        body.appendChild(row);
      });
      if (list.length === 0) emptyRow(body, 'No templates.', 6);
    } catch (e) {
      clear(body);
      note('tpl-note', 'Templates: ' + e.message, true);
    }
    rendered($('templates'));
  }

  function setEditor(t, readOnly) {
    clearFieldErrors();
    $('tpl-name').value = t.name || '';
    $('tpl-html').value = t.html || '';
    ['subject', 'from', 'replyTo', 'tag'].forEach(function (f) { $('tpl-' + f).value = t[f] || ''; });
    state.readOnly = readOnly;
    ['name', 'html', 'subject', 'from', 'replyTo', 'tag'].forEach(function (f) { $('tpl-' + f).readOnly = readOnly; });
    $('tpl-save').disabled = readOnly;
    $('tpl-mode').textContent = readOnly ? 'Template ' + t.name + ' comes from the configuration file: read-only here (edit the file and reload); the preview works.' : t.name ? 'Editing ' + t.name + '.' : 'New template.';
  }

  async function openTemplate(name) {
    try {
      var t = (await (await call('GET', accountPath('/templates/' + encodeURIComponent(name)))).json()).template;
      setEditor(t, t.source === 'config');
      note('tpl-note', '', false);
      await preview();
    } catch (e) { note('tpl-note', 'Template ' + name + ': ' + e.message, true); }
    rendered($('template-editor'));
  }

  async function saveTemplate(ev) {
    ev.preventDefault();
    if (state.readOnly) return;
    clearFieldErrors();
    var name = $('tpl-name').value.trim();
    if (!TEMPLATE_NAME.test(name)) {
      fieldError('name', 'a name of 1 to 64 of A-Z a-z 0-9 . _ -');
      note('tpl-note', 'Not saved: the name is missing or not valid.', true);
      rendered($('template-editor'));
      return;
    }
    var body = { html: $('tpl-html').value };
    ['subject', 'from', 'replyTo', 'tag'].forEach(function (f) { var v = $('tpl-' + f).value.trim(); if (v) body[f] = v; });
    try {
      var r = await (await call('PUT', accountPath('/templates/' + encodeURIComponent(name)), body)).json();
      note('tpl-note', (r.created ? 'Created ' : 'Saved ') + name + ' (revision ' + r.template.revision + ').', false);
      $('tpl-mode').textContent = 'Editing ' + name + '.';
      await loadTemplates();
    } catch (e) { showError(e, 'Not saved', 'tpl-note'); }
    rendered($('template-editor'));
  }

  async function deleteTemplate(name) {
    try {
      await call('DELETE', accountPath('/templates/' + encodeURIComponent(name)));
      note('tpl-note', 'Deleted ' + name + '.', false);
    } catch (e) { note('tpl-note', 'Deleting ' + name + ': ' + e.message, true); }
    await loadTemplates();
  }

  function schedulePreview() {
    clearTimeout(state.previewTimer);
    state.previewTimer = setTimeout(function () { preview(); }, PREVIEW_DELAY_MS);
  }

  // Renders the editor's draft through the API, then shows it in the sandboxed frame (see the head comment).
  async function preview() {
    clearTimeout(state.previewTimer);
    var seq = ++state.previewSeq;
    var name = $('tpl-name').value.trim();
    if (!TEMPLATE_NAME.test(name)) name = 'draft';
    fieldError('variables', '');
    var variables;
    try {
      variables = $('tpl-vars').value.trim() ? JSON.parse($('tpl-vars').value) : {};
    } catch (e) {
      fieldError('variables', 'not valid JSON: ' + e.message);
      note('preview-note', 'Preview: the variables are not valid JSON.', true);
      rendered($('preview'));
      return;
    }
    var body = { variables: variables, html: $('tpl-html').value };
    if ($('tpl-subject').value.trim()) body.subject = $('tpl-subject').value;
    try {
      var r = await (await call('POST', accountPath('/templates/' + encodeURIComponent(name) + '/render'), body)).json();
      var p = await (await call('POST', '/api/previews', r.html, 'text/html')).json();
      if (seq !== state.previewSeq) return;
      fieldError('html', '');
      fieldError('subject', '');
      $('preview-subject').textContent = r.subject === null ? '(no subject in the template: the message keeps its own)' : r.subject;
      await showFrame(p.url);
      if (seq !== state.previewSeq) return;
      $('preview').dataset.state = 'ok';
      note('preview-note', 'Rendered as the relay renders it, ' + fmtTime(new Date().toISOString()) + '.', false);
    } catch (e) {
      if (seq !== state.previewSeq) return;
      $('preview').dataset.state = 'error';
      showError(e, 'Preview', 'preview-note');
    }
    rendered($('preview'));
  }

  function showFrame(url) {
    return new Promise(function (resolve) {
      var frame = $('preview-frame');
      var timer = setTimeout(done, 10000);
      function done() { clearTimeout(timer); frame.removeEventListener('load', done); resolve(); }
      frame.addEventListener('load', done);
      frame.src = url;
    });
  }

  // ---- Suppressions ----
  // The list is ordered by address (domain lower-cased) and its cursor is the last address seen (base64url), so a
  // search starts the list just before the text typed and keeps the addresses that begin with it.
  function addressKey(a) { var at = a.lastIndexOf('@'); return at < 0 ? a : a.slice(0, at) + '@' + a.slice(at + 1).toLowerCase(); }
  function base64url(text) {
    var bytes = new TextEncoder().encode(text);
    var bin = '';
    bytes.forEach(function (b) { bin += String.fromCharCode(b); });
    return btoa(bin).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function cursorBefore(prefix) {
    var last = prefix.charCodeAt(prefix.length - 1);
    if (prefix.length === 1 && last <= 0x21) return null;
    var before = last > 0x21 && (last < 0xd800 || last > 0xdfff) ? prefix.slice(0, -1) + String.fromCharCode(last - 1) + '\\uffff' : prefix.slice(0, -1);
    return before === '' ? null : base64url(before);
  }

  async function loadSuppressions(cursor) {
    var body = $('suppressions').tBodies[0];
    var prefix = state.supp.prefix;
    var q = new URLSearchParams({ limit: String(PAGE) });
    var start = cursor || (prefix ? cursorBefore(prefix) : null);
    if (start) q.set('cursor', start);
    try {
      var page = await (await call('GET', accountPath('/suppressions?' + q.toString()))).json();
      var list = page.suppressions;
      var ended = false;
      if (prefix) {
        list = list.filter(function (s) {
          var k = addressKey(s.address);
          if (k.indexOf(prefix) === 0) return true;
          if (k > prefix) ended = true;
          return false;
        });
      }
      clear(body);
      list.forEach(function (s) {
        var row = el('tr');
        row.dataset.address = s.address;
        row.appendChild(el('td', s.address));
        row.appendChild(el('td', s.reason, 'muted'));
        row.appendChild(el('td', fmtTime(s.time)));
        row.appendChild(el('td', s.tag || ''));
        var actions = el('td', null, 'actions');
        actions.appendChild(button('Remove', 'supp-remove', function () { removeSuppression(s); }));
        row.appendChild(actions);
        body.appendChild(row);
      });
      if (list.length === 0) emptyRow(body, prefix ? 'No address begins with ' + prefix + '.' : 'The list is empty.', 5);
      state.supp.cursor = cursor || null;
      state.supp.next = ended ? null : page.next;
    } catch (e) {
      clear(body);
      state.supp.next = null;
      note('supp-note', 'Suppressions: ' + e.message, true);
    }
    $('supp-next').disabled = state.supp.next === null;
    $('supp-prev').disabled = state.supp.pages.length === 0;
    rendered($('suppressions'));
  }

  function firstSuppressionPage() {
    state.supp.pages = [];
    return loadSuppressions(null);
  }

  async function addSuppression(ev) {
    ev.preventDefault();
    var body = { address: $('supp-address').value.trim() };
    if ($('supp-reason').value.trim()) body.reason = $('supp-reason').value.trim();
    if ($('supp-tag').value.trim()) body.tag = $('supp-tag').value.trim();
    try {
      var r = await (await call('POST', accountPath('/suppressions'), body)).json();
      note('supp-note', r.added ? 'Added ' + body.address + '.' : body.address + ' was already listed.', false);
      $('supp-address').value = '';
      $('supp-reason').value = '';
      $('supp-tag').value = '';
    } catch (e) { note('supp-note', 'Adding ' + body.address + ': ' + e.message, true); }
    await firstSuppressionPage();
  }

  async function removeSuppression(s) {
    try {
      await call('DELETE', accountPath('/suppressions/' + encodeURIComponent(s.address) + (s.tag ? '?tag=' + encodeURIComponent(s.tag) : '')));
      note('supp-note', 'Removed ' + s.address + (s.tag ? ' (tag ' + s.tag + ')' : '') + '.', false);
    } catch (e) { note('supp-note', 'Removing ' + s.address + ': ' + e.message, true); }
    await loadSuppressions(state.supp.cursor);
  }

  async function importSuppressions(ev) {
    ev.preventDefault();
    var list = $('import-errors');
    clear(list);
    var file = $('supp-file').files[0];
    if (!file) { note('supp-note', 'Choose a CSV file first.', true); rendered($('suppressions')); return; }
    try {
      var r = await (await call('POST', accountPath('/suppressions/import'), await file.text(), 'text/csv')).json();
      note('supp-note', 'Imported ' + file.name + ': ' + r.rows + ' rows, ' + r.added + ' added, ' + r.existing + ' already listed.', false);
      $('supp-file').value = '';
    } catch (e) {
      var b = e.body;
      if (b && b.errors) {
        b.errors.forEach(function (x) { list.appendChild(el('li', 'line ' + x.line + ': ' + x.parameter + ' ' + x.reason)); });
        if (b.errorCount > b.errors.length) list.appendChild(el('li', (b.errorCount - b.errors.length) + ' more'));
        note('supp-note', 'Nothing was imported from ' + file.name + ': ' + b.errorCount + ' error(s).', true);
      } else note('supp-note', 'Import: ' + e.message, true);
    }
    await firstSuppressionPage();
  }

  // ---- Wiring ----
  async function loadAll() {
    state.account = $('account').value;
    if (!state.account) return;
    hideNewKey();
    note('key-note', '', false);
    note('tpl-note', '', false);
    note('supp-note', '', false);
    setEditor({}, false);
    $('preview-subject').textContent = '';
    $('preview-frame').removeAttribute('src');
    await Promise.all([loadKeys(), loadTemplates(), firstSuppressionPage()]);
  }

  document.addEventListener('txrelay:connected', loadAll);
  $('account').addEventListener('change', loadAll);
  $('key-form').addEventListener('submit', createKey);
  $('key-copy').addEventListener('click', copyKey);
  $('key-dismiss').addEventListener('click', hideNewKey);
  $('template-form').addEventListener('submit', saveTemplate);
  $('tpl-new').addEventListener('click', function () { setEditor({}, false); note('tpl-note', '', false); });
  $('tpl-preview').addEventListener('click', function () { preview(); });
  ['tpl-html', 'tpl-subject', 'tpl-vars'].forEach(function (id) { $(id).addEventListener('input', schedulePreview); });
  $('supp-search').addEventListener('submit', function (ev) {
    ev.preventDefault();
    state.supp.prefix = addressKey($('supp-query').value.trim());
    firstSuppressionPage();
  });
  $('supp-add').addEventListener('submit', addSuppression);
  $('supp-import').addEventListener('submit', importSuppressions);
  $('supp-export').addEventListener('click', function () { download(accountPath('/suppressions.csv'), 'suppressions.csv', 'supp-note'); });
  $('supp-next').addEventListener('click', function () {
    if (state.supp.next === null) return;
    state.supp.pages.push(state.supp.cursor || '');
    loadSuppressions(state.supp.next);
  });
  $('supp-prev').addEventListener('click', function () { loadSuppressions(state.supp.pages.pop() || null); });
})();
`;

export const MANAGEMENT_SECTION = `
  <section id="keys-section" class="mgmt">
    <h2>API keys of the account</h2>
    <form id="key-form" class="controls">
      <span><label for="key-label">Label</label><input id="key-label" size="28" maxlength="200" placeholder="WordPress plugin"></span>
      <span><label for="key-expires">Expires (optional, local time)</label><input id="key-expires" type="datetime-local"></span>
      <button class="primary" id="key-create" type="submit">Create key</button>
    </form>
    <div id="key-new" role="alert" hidden>
      <p>New key <span id="key-new-id"></span>:</p>
      <p><code id="key-secret"></code> <button id="key-copy" type="button">Copy</button></p>
      <p><strong>Copy it now: you will not see it again.</strong> The relay keeps only its hash. <button id="key-dismiss" type="button">I have copied it</button></p>
    </div>
    <p id="key-note" class="note" role="status"></p>
    <table id="keys"><thead><tr><th>Id</th><th>Label</th><th>Created (UTC)</th><th>Expires (UTC)</th><th>Last used (UTC)</th><th>Source</th><th>Actions</th></tr></thead><tbody></tbody></table>
  </section>
  <section id="templates-section" class="mgmt">
    <h2>Templates of the account</h2>
    <table id="templates"><thead><tr><th>Name</th><th>Source</th><th>Subject</th><th>Tag</th><th>Updated (UTC)</th><th>Actions</th></tr></thead><tbody></tbody></table>
    <p id="tpl-note" class="note" role="status"></p>
    <div class="editor" id="template-editor">
      <form id="template-form">
        <p id="tpl-mode" class="muted">New template.</p>
        <div class="fields">
          <div><label for="tpl-name">Name</label><input id="tpl-name" maxlength="64" placeholder="receipt"><span class="field-error" id="tpl-error-name"></span></div>
          <div><label for="tpl-tag">Tag</label><input id="tpl-tag" maxlength="64"><span class="field-error" id="tpl-error-tag"></span></div>
          <div class="wide"><label for="tpl-subject">Subject</label><input id="tpl-subject" maxlength="998" placeholder="Your receipt {{ order.id }}"><span class="field-error" id="tpl-error-subject"></span></div>
          <div><label for="tpl-from">From</label><input id="tpl-from" placeholder="Shop &lt;shop@example.com&gt;"><span class="field-error" id="tpl-error-from"></span></div>
          <div><label for="tpl-replyTo">Reply-To</label><input id="tpl-replyTo"><span class="field-error" id="tpl-error-replyTo"></span></div>
        </div>
        <div class="wide"><label for="tpl-html">HTML</label><textarea id="tpl-html" spellcheck="false"></textarea><span class="field-error" id="tpl-error-html"></span></div>
        <p><button class="primary" id="tpl-save" type="submit">Save</button> <button id="tpl-new" type="button">New template</button></p>
      </form>
      <div id="preview">
        <label for="tpl-vars">Variables (JSON, as in X-Transactional-Variables)</label>
        <textarea id="tpl-vars" spellcheck="false">{}</textarea><span class="field-error" id="tpl-error-variables"></span>
        <p><button id="tpl-preview" type="button">Preview</button> <span class="muted">(also as you type)</span></p>
        <p id="preview-note" class="note" role="status"></p>
        <div>Subject: <span id="preview-subject"></span></div>
        <iframe id="preview-frame" sandbox title="the rendered HTML (sandboxed: its scripts do not run)"></iframe>
      </div>
    </div>
  </section>
  <section id="suppressions-section" class="mgmt">
    <h2>Suppressions of the account</h2>
    <form id="supp-search" class="controls">
      <span><label for="supp-query">Address begins with</label><input id="supp-query" size="30"></span>
      <button id="supp-find" type="submit">Search</button>
      <button id="supp-export" type="button">Export CSV</button>
    </form>
    <form id="supp-add" class="controls">
      <span><label for="supp-address">Address</label><input id="supp-address" size="28" required></span>
      <span><label for="supp-reason">Reason</label><input id="supp-reason" size="24" placeholder="added by an operator"></span>
      <span><label for="supp-tag">Tag (optional)</label><input id="supp-tag" size="12"></span>
      <button class="primary" id="supp-add-button" type="submit">Add</button>
    </form>
    <form id="supp-import" class="controls">
      <span><label for="supp-file">Import CSV (address,reason per line, or an export)</label><input id="supp-file" type="file" accept=".csv,text/csv"></span>
      <button id="supp-import-button" type="submit">Import</button>
    </form>
    <p id="supp-note" class="note" role="status"></p>
    <ul id="import-errors"></ul>
    <table id="suppressions"><thead><tr><th>Address</th><th>Reason</th><th>Time (UTC)</th><th>Tag</th><th>Actions</th></tr></thead><tbody></tbody></table>
    <p><button id="supp-prev" type="button" disabled>Previous page</button> <button id="supp-next" type="button" disabled>Next page</button></p>
  </section>`;
