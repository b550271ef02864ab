import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntil } from './service-process.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

describe('the TCP proxy of the network tests', () => {
  let hits = 0;
  const server = createServer((_, response) => {
    hits++;
    response.end('pong');
  });
  let proxy: TcpProxy;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = await startTcpProxy({ host: '127.0.0.1', port: typeof address === 'object' && address ? address.port : 0 });
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('forwards when up, refuses when down, and when holding lets the request through but not the answer', async () => {
    expect(await (await fetch(proxy.url)).text()).toBe('pong');
    proxy.mode('down');
    const before = hits;
    await expect(fetch(proxy.url)).rejects.toThrow();
    expect(hits).toBe(before);
    proxy.mode('hold');
    const controller = new AbortController();
    const pending = fetch(proxy.url, { signal: controller.signal }).catch((error: unknown) => error);
    await pollUntil(
      async () => proxy.heldBytes(),
      (bytes) => bytes > 0,
      30_000,
      'the answer to be held back',
    );
    expect(hits).toBe(before + 1); // the server answered; the client never heard
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    proxy.mode('up');
    expect(await (await fetch(proxy.url)).text()).toBe('pong');
  });
});
