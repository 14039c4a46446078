// A tiny HTTP proxy on 127.0.0.1 that forwards plain requests (absolute-URI) and tunnels CONNECT, counting both.
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export class CountingProxy {
  /** Absolute URLs of plain HTTP requests forwarded. */
  readonly forwarded: string[] = [];
  /** host:port of CONNECT tunnels opened. */
  readonly tunnels: string[] = [];
  /** Proxy-Authorization headers seen. */
  readonly auth: (string | undefined)[] = [];
  private server!: http.Server;
  private readonly sockets = new Set<net.Socket>();

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.forwarded.push(req.url ?? '');
      this.auth.push(req.headers['proxy-authorization']);
      let target: URL;
      try {
        target = new URL(req.url ?? '');
      } catch {
        return void res.writeHead(400).end('absolute URL expected');
      }
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          up.on('error', () => res.destroy());
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    this.server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      this.tunnels.push(req.url ?? '');
      this.auth.push(req.headers['proxy-authorization']);
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
