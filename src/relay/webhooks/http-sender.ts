// One POST of a webhook, on node:http/https, bounded by one timeout from connect to the end of the response.
// The answer is only its status: the response body is read and dropped (a receiver's body means nothing here).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export type SendResult = { status: number; ms: number } | { error: string; ms: number };

/** How a worker posts: the real one below, or a test's. */
export interface WebhookTransport {
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult>;
  close(): void;
}

export class HttpTransport implements WebhookTransport {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(maxSockets: number) {
    this.http = new HttpAgent({ keepAlive: true, maxSockets });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets });
  }

  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
    const started = Date.now();
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    const data = Buffer.from(body, 'utf8');
    return new Promise<SendResult>((resolve) => {
      let done = false;
      const finish = (r: { status: number } | { error: string }): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ ...r, ms: Date.now() - started });
      };
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        {
          method: 'POST',
          agent: secure ? this.https : this.http,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(data.length), 'user-agent': 'txrelay-webhooks' },
        },
        (res: IncomingMessage) => {
          res.on('data', () => undefined);
          res.on('end', () => finish({ status: res.statusCode ?? 0 }));
          res.on('error', (err) => finish({ error: err.message }));
        },
      );
      const timer = setTimeout(() => {
        finish({ error: `timeout after ${timeoutMs} ms` });
        req.destroy();
      }, timeoutMs);
      timer.unref();
      req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
      req.end(data);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
