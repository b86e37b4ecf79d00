// A TCP relay between the client under test and a real upstream that records what the client wrote, one entry
// per read, so a test can see how commands were batched on the wire (RFC 2920) and count connections.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface WireRecorder {
  port: number;
  /** Client-to-server reads of each connection, as latin1 text. */
  readonly connections: string[][];
  /** Cuts every connection, as a server that drops idle clients does. */
  cut(): void;
  close(): Promise<void>;
}

export async function startWireRecorder(upstreamPort: number): Promise<WireRecorder> {
  const connections: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const reads: string[] = [];
    connections.push(reads);
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d: Buffer) => {
      reads.push(d.toString('latin1'));
      upstream.write(d);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    cut() {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
