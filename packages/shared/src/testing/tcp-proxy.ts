/**
 * A TCP proxy in front of a server, for tests of what happens when the network fails: `up` forwards both ways;
 * `down` refuses every connection (and cuts the open ones), as a building without reception does; `hold` forwards
 * what the client sends but keeps the server's answers back — the request reaches the server and is done there, the
 * client never hears of it (cut off after the server acted). `heldBytes` says when an answer is being held back.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'up' | 'down' | 'hold';

export interface TcpProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  mode(next: ProxyMode): void;
  /** Bytes of answers held back since the proxy was last put in `hold`. */
  heldBytes(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'up';
  let held = 0;
  const open = new Set<Socket>();
  const cut = () => {
    for (const socket of open) socket.destroy();
    open.clear();
  };
  const server: Server = createServer((client) => {
    if (mode === 'down') {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (mode === 'hold') held += chunk.length;
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    mode(next) {
      if (next === 'hold') held = 0;
      if (next === 'down') cut();
      mode = next;
    },
    heldBytes: () => held,
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
