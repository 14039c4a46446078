// One HTTP exchange with the model hub over node:http/https: proxies, redirects, cancellation, stalls, and what the
// hub declares about a file (X-Linked-Size / X-Linked-Etag survive the redirect to the CDN, the CDN's headers don't).
import * as http from 'node:http';
import * as https from 'node:https';
import { CancelledError, UserError } from '../../errors';
import { proxyFor } from './proxy';

export interface HubRequestOptions {
  /** Where proxy variables, HF_TOKEN and HF_ENDPOINT are read; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Extra trusted CA certificates (PEM), e.g. a corporate proxy's; NODE_EXTRA_CA_CERTS works too. */
  ca?: string | Buffer;
  signal?: AbortSignal;
  /** Give up on a connection that sends nothing for this long. */
  stallTimeoutMs?: number;
}

/** What the hub says a file is, before any byte of it arrives. */
export interface DeclaredFile {
  size?: number;
  /** Lower-case hex; only the LFS sha256 (64 hex digits) counts, not a git blob sha1. */
  sha256?: string;
}

export interface HubResponse {
  res: http.IncomingMessage;
  /** The URL that answered, after redirects. */
  url: string;
  declared: DeclaredFile;
  /** The proxy the last hop went through, if any. */
  proxy?: string;
  /** Stops watching for cancellation and discards the connection if the body was not read to the end. */
  close(): void;
}

/** The hub (or the proxy in front of it) could not be reached at all: no response came back. */
export class HubUnreachableError extends Error {
  constructor(readonly url: string, readonly proxy: string | undefined, readonly reason: string) {
    super(`cannot reach ${new URL(url).origin}${proxy ? ` through proxy ${redactProxy(proxy)}` : ''} (${reason})`);
    this.name = 'HubUnreachableError';
  }
}

/** The connection broke or stalled after it was established; worth resuming. */
export class TransferInterruptedError extends Error {
  constructor(readonly url: string, readonly reason: string) {
    super(`download of ${url} was interrupted (${reason})`);
    this.name = 'TransferInterruptedError';
  }
}

const USER_AGENT = 'gla-studio/0.1 (node; +https://github.com/gla-studio)';
const MAX_REDIRECTS = 10;
const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN',
  'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EPROTO',
]);
const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function redactProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return proxy;
  }
}

// https-proxy-agent is ESM-only; Node 20.19+ loads it through require(), and esbuild bundles it either way.
type AgentConstructor = new (proxy: string | URL, opts?: https.AgentOptions) => http.Agent;
let httpsProxyAgent: AgentConstructor | undefined;
function HttpsProxyAgent(): AgentConstructor {
  httpsProxyAgent ??= (require('https-proxy-agent') as { HttpsProxyAgent: AgentConstructor }).HttpsProxyAgent;
  return httpsProxyAgent;
}

function normaliseEtag(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const bare = v.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(bare) ? bare : undefined;
}

export function headerInt(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

/** Hub metadata from one response: X-Linked-* always, the plain ETag only on the hub's own responses. */
function declaredBy(res: http.IncomingMessage, fromHub: boolean): DeclaredFile {
  const out: DeclaredFile = {};
  const linkedSize = headerInt(res.headers['x-linked-size']);
  if (linkedSize !== undefined) out.size = linkedSize;
  const linkedSha = normaliseEtag(res.headers['x-linked-etag']);
  if (linkedSha) out.sha256 = linkedSha;
  else if (fromHub) {
    const etag = normaliseEtag(res.headers.etag);
    if (etag) out.sha256 = etag;
  }
  return out;
}

function authHeader(env: NodeJS.ProcessEnv): string | undefined {
  const token = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim();
  return token ? `Bearer ${token}` : undefined;
}

interface Exchange {
  res: http.IncomingMessage;
  detach(): void;
  req: http.ClientRequest;
}

/** Sends one request, through a proxy where the environment asks for one, and waits for the response head. */
function exchange(method: string, url: URL, headers: Record<string, string>, opts: HubRequestOptions): Promise<Exchange> {
  const env = opts.env ?? process.env;
  const signal = opts.signal;
  if (signal?.aborted) return Promise.reject(new CancelledError());
  const proxy = proxyFor(url, env);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') {
    return Promise.reject(new UserError(`cannot download ${url.href}: only http and https URLs are supported`));
  }
  const allHeaders: Record<string, string> = { 'User-Agent': USER_AGENT, 'Accept-Encoding': 'identity', ...headers };
  let options: https.RequestOptions;
  let transport: typeof http | typeof https = secure ? https : http;
  if (proxy && !secure) {
    // Plain HTTP through a forward proxy: the request line carries the absolute URL.
    transport = proxy.protocol === 'https:' ? https : http;
    if (proxy.username || proxy.password) {
      const auth = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      allHeaders['Proxy-Authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
    }
    allHeaders.Host = url.host;
    options = {
      method,
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      path: url.href,
      headers: allHeaders,
      ca: opts.ca,
    };
  } else {
    options = {
      method,
      protocol: url.protocol,
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      headers: allHeaders,
      ca: opts.ca,
      // HTTPS through a proxy tunnels with CONNECT.
      agent: proxy ? new (HttpsProxyAgent())(proxy, { ca: opts.ca, keepAlive: false }) : undefined,
    };
  }

  return new Promise<Exchange>((resolve, reject) => {
    let responded = false;
    const req = transport.request(options);
    const onAbort = () => req.destroy(new CancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const detach = () => signal?.removeEventListener('abort', onAbort);
    req.setTimeout(opts.stallTimeoutMs ?? 60_000, () => {
      req.destroy(Object.assign(new Error(`no data for ${Math.round((opts.stallTimeoutMs ?? 60_000) / 1000)} s`), { code: 'ESTALLED' }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (responded) return;
      detach();
      if (err instanceof CancelledError || signal?.aborted) return reject(new CancelledError());
      const code = err.code ?? '';
      if (TLS_TRUST_CODES.has(code)) {
        return reject(new UserError(
          `cannot verify the TLS certificate of ${url.host} (${err.message}); behind a proxy that re-signs TLS, point NODE_EXTRA_CA_CERTS at its CA certificate`,
        ));
      }
      const reason = code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
      reject(new HubUnreachableError(url.href, proxy?.href, reason || code || 'connection failed'));
    });
    req.on('response', (res) => {
      responded = true;
      // Readers see a broken body through their iterator; this only keeps a drained response from crashing us.
      res.on('error', () => undefined);
      resolve({ res, detach, req });
    });
    req.end();
  });
}

/**
 * GET or HEAD a hub URL, following redirects. HEAD follows only same-host redirects (a signed CDN URL may refuse
 * HEAD), so a HEAD can end on a 3xx whose X-Linked-* headers say what the file is.
 */
export async function hubRequest(
  method: 'GET' | 'HEAD',
  url: string,
  headers: Record<string, string>,
  opts: HubRequestOptions = {},
): Promise<HubResponse> {
  const env = opts.env ?? process.env;
  const origin = new URL(url);
  const auth = authHeader(env);
  const declared: DeclaredFile = {};
  let current = origin;
  for (let hop = 0; ; hop++) {
    const sameHost = current.host === origin.host && current.protocol === origin.protocol;
    // The token goes to the hub only, never to a CDN it redirects to.
    const hopHeaders = auth && sameHost ? { ...headers, Authorization: auth } : headers;
    const { res, detach, req } = await exchange(method, current, hopHeaders, opts);
    const found = declaredBy(res, sameHost);
    if (declared.size === undefined && found.size !== undefined) declared.size = found.size;
    if (declared.sha256 === undefined && found.sha256 !== undefined) declared.sha256 = found.sha256;
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location) {
      const next = new URL(location, current);
      const nextSameHost = next.host === origin.host && next.protocol === origin.protocol;
      if (method === 'GET' || nextSameHost) {
        res.resume();
        detach();
        if (hop + 1 >= MAX_REDIRECTS) throw new UserError(`too many redirects downloading ${url}`);
        current = next;
        continue;
      }
    }
    let closed = false;
    const proxy = proxyFor(current, env);
    return {
      res,
      url: current.href,
      declared,
      proxy: proxy ? redactProxy(proxy.href) : undefined,
      close() {
        if (closed) return;
        closed = true;
        detach();
        if (!res.complete) req.destroy();
      },
    };
  }
}

/** Size and sha256 the hub declares for a file, from a HEAD; undefined fields where it declares nothing. */
export async function probeHubFile(url: string, opts: HubRequestOptions = {}): Promise<DeclaredFile & { status: number }> {
  const r = await hubRequest('HEAD', url, {}, opts);
  try {
    const status = r.res.statusCode ?? 0;
    const declared: DeclaredFile = { ...r.declared };
    if (status === 200 && declared.size === undefined) declared.size = headerInt(r.res.headers['content-length']);
    return { ...declared, status };
  } finally {
    r.res.resume();
    r.close();
  }
}

/** Whether an error from a transfer in progress is worth resuming. */
export function isInterruption(err: unknown): boolean {
  if (err instanceof TransferInterruptedError) return true;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  return CONNECT_CODES.has(code) || code === 'ESTALLED' || code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (err instanceof Error && err.message === 'aborted');
}
