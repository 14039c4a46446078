// A real HTTP(S) server on 127.0.0.1 that answers like the Hugging Face hub: `/<repo>/resolve/<rev>/<file>`, small
// files served directly (ETag = git blob sha1), LFS files redirected to a second "CDN" server with X-Linked-Size and
// X-Linked-Etag (sha256) on the redirect, HTTP Range on the CDN. Faults are switched on per file.
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface HubFault {
  /** Destroy the socket after this many body bytes, for the next `times` GETs of the file (default once). */
  cutAfter?: number;
  times?: number;
  /** Answer every Range request with the whole file (200). */
  ignoreRange?: boolean;
  /** Serve bytes that differ from what the headers declare. */
  corrupt?: boolean;
  /** Answer this status (e.g. 404, 500) for the next `times` requests. */
  status?: number;
  /** Send the body in slices of `chunk` bytes, `delayMs` apart. */
  throttle?: { chunk: number; delayMs: number };
}

export interface SeenRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range?: string;
  authorization?: string;
  /** The request line's target, absolute when it came through a forward proxy. */
  rawUrl: string;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function gitBlobSha1(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Deterministic bytes that differ from position to position (so a shifted resume would be caught). */
export function patternBytes(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

interface StoredFile {
  bytes: Buffer;
  lfs: boolean;
}

export class FakeHub {
  readonly requests: SeenRequest[] = [];
  private readonly files = new Map<string, StoredFile>();
  private readonly faults = new Map<string, HubFault>();
  private readonly redirects = new Map<string, string>();
  private hub!: http.Server;
  private cdn!: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(private readonly tls?: { key: string | Buffer; cert: string | Buffer }) {}

  /** Adds a file at `<repo>/<path>`; an LFS file is redirected to the CDN like the hub does with large files. */
  addFile(repo: string, path: string, bytes: Buffer, opts: { lfs?: boolean } = {}): void {
    this.files.set(`${repo}/${path}`, { bytes, lfs: opts.lfs ?? false });
  }

  /** Faults for `<repo>/<path>`. */
  fault(repo: string, path: string, fault: HubFault): void {
    this.faults.set(`${repo}/${path}`, { times: 1, ...fault });
  }

  /** A same-host redirect from one repo name to another, like a renamed repo. */
  renameRepo(from: string, to: string): void {
    this.redirects.set(from, to);
  }

  get url(): string {
    return this.base(this.hub);
  }

  get cdnUrl(): string {
    return this.base(this.cdn);
  }

  private base(server: http.Server): string {
    const { port } = server.address() as AddressInfo;
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  }

  async start(): Promise<this> {
    const make = (handler: http.RequestListener) => (this.tls ? https.createServer(this.tls, handler) : http.createServer(handler));
    this.hub = make((req, res) => this.handleHub(req, res));
    this.cdn = make((req, res) => this.handleCdn(req, res));
    for (const server of [this.hub, this.cdn]) {
      server.on('connection', (s) => {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    }
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([this.hub, this.cdn].map((s) => new Promise((resolve) => s.close(resolve))));
  }

  gets(path?: string): SeenRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && (!path || r.path.endsWith(path)));
  }

  private record(server: 'hub' | 'cdn', req: http.IncomingMessage): string {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    this.requests.push({
      server,
      method: req.method ?? '',
      path: decodeURIComponent(path),
      range: req.headers.range,
      authorization: req.headers.authorization,
      rawUrl: req.url ?? '',
    });
    return decodeURIComponent(path);
  }

  private takeFault(key: string): HubFault | undefined {
    const f = this.faults.get(key);
    if (!f) return undefined;
    return f;
  }

  private spend(key: string, f: HubFault): void {
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.delete(key);
  }

  private handleHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = this.record('hub', req);
    const m = /^\/(.+?\/.+?)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!m) return void res.writeHead(404).end('Entry not found');
    const [, repo, rev, file] = m;
    const renamed = this.redirects.get(repo);
    if (renamed) {
      res.writeHead(307, { Location: `/${renamed}/resolve/${rev}/${file}` }).end();
      return;
    }
    const key = `${repo}/${file}`;
    const stored = this.files.get(key);
    const fault = this.takeFault(key);
    if (fault?.status) {
      this.spend(key, fault);
      return void res.writeHead(fault.status).end(`status ${fault.status}`);
    }
    if (!stored) return void res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end('Entry not found');
    if (stored.lfs) {
      const sha = sha256(stored.bytes);
      res.writeHead(302, {
        Location: `${this.cdnUrl}/lfs/${sha}?key=${encodeURIComponent(key)}`,
        'X-Linked-Size': String(stored.bytes.length),
        'X-Linked-Etag': `"${sha}"`,
        ETag: `"${sha}"`,
        'X-Repo-Commit': '0123456789abcdef0123456789abcdef01234567',
      });
      res.end();
      return;
    }
    this.serve(req, res, key, stored.bytes, { ETag: `"${gitBlobSha1(stored.bytes)}"` });
  }

  private handleCdn(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.record('cdn', req);
    const key = new URL(req.url ?? '/', 'http://x').searchParams.get('key') ?? '';
    const stored = this.files.get(key);
    if (!stored) return void res.writeHead(403).end('AccessDenied');
    // A CDN's own ETag is not the sha256.
    this.serve(req, res, key, stored.bytes, { ETag: `"${createHash('md5').update(stored.bytes).digest('hex')}-1"` });
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse, key: string, original: Buffer, headers: Record<string, string>): void {
    const fault = this.takeFault(key);
    let bytes = original;
    if (fault?.corrupt) {
      bytes = Buffer.from(original);
      bytes[bytes.length >> 1] ^= 0xff;
    }
    const size = bytes.length;
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const out: Record<string, string> = { ...headers, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (range && !fault?.ignoreRange) {
      start = Number(range[1]);
      if (start >= size) {
        res.writeHead(416, { ...out, 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      out['Content-Range'] = `bytes ${start}-${size - 1}/${size}`;
    }
    const body = bytes.subarray(start);
    out['Content-Length'] = String(body.length);
    res.writeHead(status, out);
    if (req.method === 'HEAD') return void res.end();
    if (fault?.cutAfter !== undefined && req.method === 'GET') {
      this.spend(key, fault);
      const part = body.subarray(0, Math.min(fault.cutAfter, body.length));
      res.write(part, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (fault?.throttle) {
      const { chunk, delayMs } = fault.throttle;
      let at = 0;
      const next = () => {
        if (res.destroyed || res.socket?.destroyed) return;
        if (at >= body.length) return void res.end();
        res.write(body.subarray(at, at + chunk));
        at += chunk;
        setTimeout(next, delayMs);
      };
      next();
      return;
    }
    res.end(body);
  }
}
