// The pages of the unsubscribe link: GET shows a confirmation with a button that POSTs (link scanners fetch with
// GET, so GET changes nothing, RFC 8058 §3.2); the POST's answer says it is done. No script, nothing external.

/** For the pages' Content-Security-Policy header: inline style only; the form posts back to this origin. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em;color:#111}button{font:inherit;padding:.5em 1.2em;cursor:pointer}';

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`;
}

function what(recipient: string, tag: string | null): string {
  return tag === null ? `<b>${escapeHtml(recipient)}</b>` : `<b>${escapeHtml(recipient)}</b> (messages tagged <b>${escapeHtml(tag)}</b>)`;
}

/** The form has no action: it posts to the page's own URL, whatever path a reverse proxy put in front. */
export function confirmationPage(recipient: string, tag: string | null): string {
  return page(
    'Unsubscribe',
    `<h1>Unsubscribe</h1><p>Stop sending mail to ${what(recipient, tag)}?</p>` +
      '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>',
  );
}

export function unsubscribedPage(recipient: string, tag: string | null): string {
  return page('Unsubscribed', `<h1>Unsubscribed</h1><p>No more mail will be sent to ${what(recipient, tag)}.</p>`);
}
