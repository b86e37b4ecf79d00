// Which part is the body, decided while the message streams (RFC 8621 §4.1.4, as Python's get_body reads it):
// the first text/html part in depth-first order that is not an attachment, not inside an attachment or a
// message/rfc822 part, and, inside multipart/related, is the `start` part (or else the first part).

/** An open multipart, as body selection sees it. */
export interface SelectionScope {
  subtype: string;
  /** Normalised Content-ID named by multipart/related's `start` parameter, or null. */
  start: string | null;
  eligibility: Eligibility;
}

export interface Eligibility {
  /** The entity may be (or contain) the body. */
  eligible: boolean;
  /** Set when eligibility rests on "first part of related" while that related names a `start` not yet seen. */
  provisionalOf: SelectionScope | null;
  /** The nearest multipart/related whose `start` this entity (or an ancestor) is. */
  confirms: SelectionScope | null;
}

export const ROOT_ELIGIBILITY: Eligibility = { eligible: true, provisionalOf: null, confirms: null };
const NOT_ELIGIBLE: Eligibility = { eligible: false, provisionalOf: null, confirms: null };

/** "<abc@x>" and "abc@x" name the same Content-ID. */
export function normaliseContentId(id: string | null | undefined): string | null {
  if (!id) return null;
  let s = id.trim();
  if (s.startsWith('<')) s = s.slice(1);
  if (s.endsWith('>')) s = s.slice(0, -1);
  s = s.trim();
  return s === '' ? null : s;
}

/** Eligibility of the child at `index` of `parent`, given the child's Content-ID and disposition. */
export function childEligibility(
  parent: SelectionScope,
  index: number,
  contentId: string | null,
  disposition: string | null,
): Eligibility {
  if (!parent.eligibility.eligible || disposition === 'attachment') return NOT_ELIGIBLE;
  const inherited = parent.eligibility;
  if (parent.subtype !== 'related') return inherited;
  if (parent.start === null) return index === 0 ? inherited : NOT_ELIGIBLE;
  if (contentId !== null && contentId === parent.start) {
    return { eligible: true, provisionalOf: inherited.provisionalOf, confirms: parent };
  }
  if (index === 0) return { eligible: true, provisionalOf: parent, confirms: inherited.confirms };
  return NOT_ELIGIBLE;
}
