// The contract between the public HTTP listener and what it serves (unsubscribe links; tracking later, issue 18):
// a handler gets a small request and returns its reply; the server alone writes replies, counts and logs.

export type PublicMethod = 'GET' | 'POST';

export interface PublicRequest {
  /** HEAD reaches the GET handler (its reply's body is dropped): a handler can tell them apart here. */
  readonly method: 'GET' | 'HEAD' | 'POST';
  /** The path after "/<prefix>/": one segment, never empty, never containing "/". */
  readonly rest: string;
  /** The client's address: the peer, or from X-Forwarded-For when the peer is a trusted proxy. */
  readonly client: string;
  readonly userAgent: string;
  /** The media type of the body, lower-case, without parameters ("" when absent). */
  readonly contentType: string;
  /** The raw Content-Type header (multipart needs its boundary). */
  readonly contentTypeHeader: string;
  /** The body, at most the server's maxBodyBytes (past it the server answers 413 itself). */
  body(): Promise<Buffer>;
}

export interface PublicReply {
  status: number;
  /** Default "text/plain; charset=utf-8". */
  contentType?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

export type PublicHandler = (req: PublicRequest) => PublicReply | Promise<PublicReply>;

/** What one path prefix ("/u/...") answers, by method. */
export interface PublicRoute {
  methods: Partial<Record<PublicMethod, PublicHandler>>;
}

export const NOT_FOUND: PublicReply = { status: 404, body: 'not found\n' };
