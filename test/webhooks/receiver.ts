// A webhook receiver on node:http that checks every request's signature with the npm `standardwebhooks` library
// (an implementation independent of the relay's), and answers as the test's `answer` function says.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Answer = 'ok' | '500' | '410' | 'hang' | 'close' | { slowMs: number };

export interface Received {
  id: string;
  timestamp: string;
  body: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  verified: boolean;
  answer: Answer;
}

export class WebhookReceiver {
  readonly requests: Received[] = [];
  /** Answer of the n-th request (from 0); default: 200. */
  answer: (n: number, r: Received) => Answer = () => 'ok';
  inFlight = 0;
  maxInFlight = 0;
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();
  url = '';

  constructor(private readonly secret: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/mail`;
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Requests answered 2xx, by webhook-id (a receiver de-duplicating by it). */
  acknowledged(): Map<string, Received> {
    const m = new Map<string, Received>();
    for (const r of this.requests) if (r.answer === 'ok' || typeof r.answer === 'object') m.set(r.id, r);
    return m;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    };
    let verified = false;
    try {
      new Webhook(this.secret).verify(body, headers);
      verified = true;
    } catch {
      verified = false;
    }
    const r: Received = { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], body, payload: JSON.parse(body) as Received['payload'], verified, answer: 'ok' };
    r.answer = this.answer(this.requests.length, r);
    this.requests.push(r);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const done = (status: number): void => {
      this.inFlight--;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('thanks\n');
    };
    const a = r.answer;
    if (a === 'ok') done(200);
    else if (a === '500') done(500);
    else if (a === '410') done(410);
    else if (a === 'close') {
      this.inFlight--;
      req.socket.destroy();
    } else if (a === 'hang') {
      this.hanging.add(res);
      res.on('close', () => {
        this.hanging.delete(res);
        this.inFlight--;
      });
    } else setTimeout(() => done(204), a.slowMs);
  }
}
