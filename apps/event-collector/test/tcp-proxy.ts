import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that can be frozen: while frozen nothing passes in either direction (the
 * sockets stay open), as when a network partition cuts one instance off from DynamoDB.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  private readonly server: Server;
  port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.frozen) {
        client.pause();
        this.held.push(client);
      } else this.wire(client);
    });
  }

  private readonly held: Socket[] = [];

  private wire(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => undefined);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  static async start(target: string): Promise<TcpProxy> {
    const u = new URL(target);
    const p = new TcpProxy(u.hostname, Number(u.port));
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.port = (p.server.address() as AddressInfo).port;
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  freeze(): void {
    this.frozen = true;
    for (const s of this.sockets) s.pause();
  }

  thaw(): void {
    this.frozen = false;
    for (const s of this.sockets) s.resume();
    for (const c of this.held.splice(0)) if (!c.destroyed) this.wire(c);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
