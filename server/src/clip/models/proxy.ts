// Which proxy, if any, a download goes through: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, minus NO_PROXY.
import { BlockList, isIP } from 'node:net';

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  // Lower case first, as curl and most tools read them.
  const v = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return v && v.trim() ? v.trim() : undefined;
}

/** The proxy URL for a request to `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const scheme = target.protocol === 'https:' ? 'https_proxy' : target.protocol === 'http:' ? 'http_proxy' : undefined;
  if (!scheme) return undefined;
  const raw = envValue(env, scheme) ?? envValue(env, 'all_proxy');
  if (!raw) return undefined;
  if (bypassesProxy(target, envValue(env, 'no_proxy'))) return undefined;
  try {
    // "proxy:3128" without a scheme means a plain HTTP proxy.
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    return undefined;
  }
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** NO_PROXY entries: `*`, host names (`example.com` also covers sub-domains, `.example.com` only them), IPs, IPv4/IPv6 CIDRs, each with an optional `:port`. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = defaultPort(target);
  const hostIp = isIP(host);
  for (let entry of noProxy.split(/[\s,]+/)) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1];
      entryPort = bracketed[2];
    } else if (isIP(entry.split('/')[0]) !== 6) {
      const m = /^(.*?):(\d+)$/.exec(entry);
      if (m) {
        entry = m[1];
        entryPort = m[2];
      }
    }
    if (entryPort && entryPort !== port) continue;
    if (entry.includes('/') && hostIp) {
      const [net, bitsText] = entry.split('/');
      const family = isIP(net);
      const bits = Number(bitsText);
      if (family && family === hostIp && Number.isInteger(bits)) {
        const list = new BlockList();
        try {
          list.addSubnet(net, bits, family === 4 ? 'ipv4' : 'ipv6');
        } catch {
          continue;
        }
        if (list.check(host, family === 4 ? 'ipv4' : 'ipv6')) return true;
      }
      continue;
    }
    const bare = entry.replace(/^\*?\./, '');
    if (host === bare && !entry.startsWith('.') && !entry.startsWith('*.')) return true;
    if (!hostIp && host.endsWith(`.${bare}`)) return true;
  }
  return false;
}
