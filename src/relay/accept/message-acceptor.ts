// The accept path after DATA: parsed message + envelope + account -> one composed message per recipient.
// Every refusal is an SmtpError with the reply of SPEC §3; nothing here touches the network or the disk.
import { hostname as osHostname } from 'node:os';
import { composeMessage, encodeHtml, parseAddressList, type ComposeMailbox, type Mailbox, type ParsedMessage } from '../../mime/index.js';
import { SmtpError } from '../../protocol/index.js';
import type { AccountConfig, RelayConfig, TemplateConfig } from '../config/index.js';
import { checkSenderDomain, normalizeTag, parseVariables, printable, selectRoute, type SelectedRoute } from './policy.js';
import { TemplateCache } from '../template/index.js';
import { TemplatePartError, renderTemplateParts } from './template-render.js';
import type { StoredTemplate, TagStore, TemplateStore } from '../store/store.js';
import type { SpoolRecipient } from '../storage/spool/index.js';
import { recipientNames } from './recipient-names.js';
import { unsubscribeHeaders, type UnsubscribeTokens } from '../unsubscribe/index.js';
import { findTrackedLinks, parseTrackRequest, resolveTracking, rewriteHtml, type MessageTracking, type TrackedLinks, type TrackingTokens } from '../tracking/index.js';

/** What one accepted SMTP message becomes before it is spooled. */
export interface AcceptedMessage {
  account: AccountConfig;
  route: SelectedRoute;
  tag: string;
  template: string | null;
  subject: string;
  from: ComposeMailbox;
  recipients: SpoolRecipient[];
  /** The links the bodies' click URLs stand for (the same for every recipient); null = the message is not tracked. */
  tracking: { links: string[] } | null;
}

export interface AcceptInput {
  parsed: ParsedMessage;
  /** The account AUTH chose, or null. The X-Auth-APIKey header wins over it. */
  sessionAccount: AccountConfig | null;
  /** RCPT addresses in order. */
  recipients: readonly string[];
  /** Resolves an API key presented in the header. */
  lookupKey(key: string): AccountConfig | null;
}

export class MessageAcceptor {
  private readonly templates = new TemplateCache(1000);
  private readonly hostname: string;

  constructor(
    private readonly config: RelayConfig,
    private readonly tags: TagStore,
    /** Bumped on every configuration reload, so cached templates of an older configuration are not reused. */
    private readonly generation: number,
    /** Signs the unsubscribe links of accounts and templates that have them; null = no links. */
    private readonly unsubscribeTokens: UnsubscribeTokens | null = null,
    /** Signs the open and click URLs of accounts that track; null = nothing is tracked. */
    private readonly trackingTokens: TrackingTokens | null = null,
    /** Templates created through the management API; the file's template of the same name wins. */
    private readonly storedTemplates: TemplateStore | null = null,
  ) {
    this.hostname = config.hostname || osHostname();
  }

  /** `id` is the queue id: each outbound Message-ID is `<id>.<n>@hostname`, so a Message-ID leads to its queue entry. */
  accept(input: AcceptInput, id: string): AcceptedMessage {
    const { parsed } = input;
    const h = parsed.headers;
    const account = this.accountOf(input);
    const route = selectRoute(account, h.route);

    const templateId = h.template?.trim() || null;
    let stored: TemplateConfig | null = null;
    /** Part of the compiled-template cache key: the configuration generation, or a stored template's revision. */
    let version: string | number = this.generation;
    if (templateId !== null) {
      stored = Object.hasOwn(account.templates, templateId) ? account.templates[templateId]! : null;
      if (stored === null) {
        const fromStore = this.storedTemplates?.get(account.id, templateId) ?? null;
        if (fromStore !== null) {
          stored = templateConfigOf(fromStore);
          version = `r${fromStore.revision}`;
        }
      }
      if (stored === null) throw new SmtpError(554, '5.6.0', `X-Transactional-Template "${printable(templateId)}" is not a template of this account`);
    }

    // A template's own tag wins over the header (SPEC §3).
    const tag = stored?.tag ?? normalizeTag(h.tag);
    this.tags.admit(account.id, tag, this.config.limits.maxTagsPerAccount);

    const fromEntry = (stored?.from ? firstMailbox(stored.from) : null) ?? h.from;
    if (fromEntry === null) throw new SmtpError(554, '5.6.0', 'The From header is required');
    if (fromEntry.address === null || fromEntry.address === '') throw new SmtpError(554, '5.6.0', 'The From header has no address');
    const from: ComposeMailbox = { name: fromEntry.name, address: fromEntry.address };
    checkSenderDomain(account, from.address);
    // A Reply-To without an address (a name alone) says nothing to reply to: dropped.
    const replyToEntry = (stored?.replyTo ? firstMailbox(stored.replyTo) : null) ?? h.replyTo;
    const replyTo: ComposeMailbox | null = replyToEntry?.address ? { name: replyToEntry.name, address: replyToEntry.address } : null;

    let html = stored !== null ? stored.html : parsed.html;
    if (html === null) {
      if (this.config.textOnly === 'wrap' && parsed.text !== null) html = wrapText(parsed.text);
      else throw new SmtpError(554, '5.6.0', 'Text-only bodies are not supported; send an HTML part');
    }
    let subject = stored?.subject ?? h.subject ?? '';

    const variables = parseVariables(h.variables, this.config.limits.maxVariablesBytes);
    if (variables !== null) {
      const key = templateId !== null ? `${account.id}\u0000${templateId}` : null;
      ({ subject, html } = this.render(key, version, templateId, { subject, html }, variables));
    }

    const unsubscribe = this.unsubscribeTokens === null ? null : (stored?.unsubscribe ?? account.unsubscribe);
    const track = this.trackingOf(account, tag, stored, h.track);
    // Untracked, every recipient's message has the same body: encode it once, compose only the headers per recipient.
    const shared = track === null ? encodeHtml(html) : null;
    let links: string[] | null = null;
    const recipients: SpoolRecipient[] = [];
    const names = recipientNames(h.to, input.recipients);
    let found: TrackedLinks | undefined;
    for (let i = 0; i < input.recipients.length; i++) {
      const address = input.recipients[i]!;
      const name = names[i]!;
      const extraHeaders = unsubscribe === null ? null : unsubscribeHeaders(this.unsubscribeTokens!, unsubscribe, account.id, tag, address);
      let body = shared;
      if (track !== null) {
        // Tracked, each recipient's links carry its own tokens (the rewrite happens before DKIM signs the body).
        const url = (kind: 'open' | 'click', link: number): string => `${track.baseUrl}/${kind === 'open' ? 'o' : 'c'}/${this.trackingTokens!.sign({ kind, account: account.id, id, recipient: i, link })}`;
        const skipPrefixes = unsubscribe === null ? [] : [unsubscribe.baseUrl];
        // The link positions are the same for every recipient: parse once, splice each recipient's tokens.
        found ??= findTrackedLinks(html, skipPrefixes);
        const r = rewriteHtml(html, { clicks: track.clicks, clickUrl: (j) => url('click', j), pixelUrl: track.opens ? url('open', 0) : null, skipPrefixes }, found);
        links ??= r.links;
        body = encodeHtml(r.html);
      }
      recipients.push({
        recipient: address,
        body: composeMessage({ from, to: { name, address }, replyTo, subject, html: body!, hostname: this.hostname, messageId: `${id}.${i}@${this.hostname}`, extraHeaders }),
      });
    }
    return { account, route, tag, template: templateId, subject, from, recipients, tracking: links === null ? null : { links } };
  }

  /** Tracking of the message: template > tag > account, narrowed by X-Transactional-Track; null = not tracked. */
  private trackingOf(account: AccountConfig, tag: string, stored: TemplateConfig | null, header: string | null): MessageTracking | null {
    const asked = parseTrackRequest(header);
    if (asked === null) throw new SmtpError(554, '5.6.0', `X-Transactional-Track must be none, opens, clicks or all, got "${printable(header!, 40)}"`);
    if (this.trackingTokens === null) return null;
    return resolveTracking(account.tracking, tag, stored?.tracking ?? null, asked);
  }

  private accountOf(input: AcceptInput): AccountConfig {
    const key = input.parsed.headers.apiKey;
    if (key !== null && key !== '') {
      const account = input.lookupKey(key);
      if (account === null) throw new SmtpError(535, '5.7.8', 'Authentication credentials invalid (X-Auth-APIKey)');
      return account;
    }
    if (input.sessionAccount !== null) return input.sessionAccount;
    throw new SmtpError(530, '5.7.0', 'Authentication required: use AUTH or an X-Auth-APIKey header');
  }

  private render(
    storedKey: string | null,
    version: string | number,
    templateId: string | null,
    parts: { subject: string; html: string },
    variables: Record<string, unknown>,
  ): { subject: string; html: string } {
    try {
      return renderTemplateParts(parts, variables, {
        templateName: templateId,
        limits: this.config.limits.template,
        // Stored templates compile once per configuration generation; a message's own body compiles per message.
        ...(storedKey !== null ? { compile: (part, source, options) => this.templates.getOrCompile(`${storedKey}\u0000${part}`, version, source, options) } : {}),
      });
    } catch (e) {
      if (e instanceof TemplatePartError) throw new SmtpError(554, '5.6.0', printable(e.message, 400));
      throw e;
    }
  }
}

/** A template from the store in the shape the file's templates have (no file, no unsubscribe or tracking of its own). */
export function templateConfigOf(t: StoredTemplate): TemplateConfig {
  return { html: t.html, htmlFile: null, subject: t.subject, from: t.from, replyTo: t.replyTo, tag: t.tag, unsubscribe: null, tracking: t.tracking ?? null };
}

function firstMailbox(s: string): Mailbox | null {
  return parseAddressList(s)[0] ?? null;
}

/** textOnly "wrap": plain text becomes a minimal HTML document, escaped, line breaks kept. */
export function wrapText(text: string): string {
  const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html><html><body><pre style="white-space:pre-wrap;font-family:inherit">${escaped}</pre></body></html>`;
}
