// One field of an HTML form body, as mail providers post it for RFC 8058: application/x-www-form-urlencoded
// (most) or multipart/form-data (Gmail). Only what a one-click POST needs; anything else is "no such field".

/** The value of `name` in the body, or null when absent or the media type is neither form type. */
export function formField(contentType: string, contentTypeHeader: string, body: Buffer, name: string): string | null {
  if (contentType === 'application/x-www-form-urlencoded') return new URLSearchParams(body.toString('latin1')).get(name);
  if (contentType === 'multipart/form-data') return multipartField(contentTypeHeader, body, name);
  return null;
}

/** RFC 7578: the part whose Content-Disposition is form-data; name="<name>", its body up to the next delimiter. */
function multipartField(header: string, body: Buffer, name: string): string | null {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(header);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) return null;
  const text = body.toString('latin1');
  const delimiter = '--' + boundary;
  for (const part of text.split(delimiter).slice(1)) {
    if (part.startsWith('--')) break; // the close delimiter
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd < 0) continue;
    const head = part.slice(0, headEnd);
    const disposition = /^content-disposition:\s*form-data\s*;([^\r\n]*)$/im.exec(head);
    const partName = disposition ? /(?:^|;)\s*name="([^"]*)"/i.exec(disposition[1]!)?.[1] : undefined;
    if (partName !== name) continue;
    let value = part.slice(headEnd + 4);
    if (value.endsWith('\r\n')) value = value.slice(0, -2);
    return value;
  }
  return null;
}
