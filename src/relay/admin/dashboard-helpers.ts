// What every script of the dashboard page needs: one source, interpolated at the top of each script (each script is
// its own IIFE, allowed by its own CSP hash, so they cannot share functions at run time without globals).
export const DASHBOARD_HELPERS = `
  var TOKEN_KEY = 'txrelay-admin-token';
  function $(id) { return document.getElementById(id); }
  function el(name, text, cls) {
    var e = document.createElement(name);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  // Counts renders, so a test (or a curious operator) can tell a fresh table from the previous one.
  function rendered(node) { node.dataset.renders = String(Number(node.dataset.renders || 0) + 1); }
  // A refused request: its JSON error body ({ parameter, reason }) if it has one, and a one-line text for the page.
  async function refusalOf(res) {
    var body = null;
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    return { body: body, text: body ? (body.parameter ? body.parameter + ': ' : '') + body.reason : 'HTTP ' + res.status };
  }
`;
