/**
 * Who is signing in, for rate limiting: the client's address as the server adapter (or the
 * trusted proxy) reports it, reduced to what one client controls: an IPv4 address, or an
 * IPv6 /64 (one subscriber's allocation: a single client may use any of its 2^64 addresses).
 *
 * @module
 */

/**
 * What a server adapter passes next to the request. `@hono/node-server` passes
 * `{ incoming, outgoing }` (Node's request and response), `Deno.serve` its handler info
 * (`remoteAddr`), `Bun.serve` its server (`requestIP`); others may pass `{ remoteAddress }`.
 */
export interface RequestEnv {
  /** The peer address, when the adapter knows it directly. */
  remoteAddress?: string;
  /** Node's IncomingMessage, as `@hono/node-server` passes it. */
  incoming?: { socket?: { remoteAddress?: string } };
  /** Deno's `ServeHandlerInfo.remoteAddr`. */
  remoteAddr?: { hostname?: string };
  /** Bun's `Server.requestIP`. */
  requestIP?: (request: Request) => { address?: string } | null | undefined;
}

/** Longest address text looked at (an IPv6 address with a zone is well below). */
const MAX_ADDRESS = 64;

/**
 * The client's address: from `custom` when the app gives it, else the right-most
 * `X-Forwarded-For` entry (the one the trusted proxy added) when `trustProxy`, else what the
 * adapter reports; `undefined` when none is known.
 */
export function clientAddress(
  request: Request,
  env: unknown,
  trustProxy: boolean,
  custom?: (request: Request, env: unknown) => string | undefined,
): string | undefined {
  if (custom !== undefined) {
    const address: unknown = custom(request, env);
    return typeof address === 'string' ? address : undefined;
  }
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for');
    const last = forwarded?.slice(forwarded.lastIndexOf(',') + 1).trim();
    if (last) return last;
  }
  if (typeof env !== 'object' || env === null) return undefined;
  const { remoteAddress, incoming, remoteAddr, requestIP } = env as RequestEnv;
  const address =
    remoteAddress ??
    incoming?.socket?.remoteAddress ??
    remoteAddr?.hostname ??
    (typeof requestIP === 'function' ? requestIP.call(env, request)?.address : undefined);
  return typeof address === 'string' && address.length > 0 ? address : undefined;
}

/**
 * The rate-limit key of an address: `ip:a.b.c.d` for IPv4 (IPv4-mapped IPv6 included),
 * `ip6:<first four groups>::/64` for IPv6; `undefined` when it is not an IP address.
 */
export function addressKey(address: string | null | undefined): string | undefined {
  if (typeof address !== 'string' || address.length > MAX_ADDRESS) return undefined;
  // Some proxies add the client's port: `203.0.113.7:51234`, `[2001:db8::1]:51234`.
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$|^\[([^\]]+)\]:\d{1,5}$/.exec(address);
  if (withPort !== null) address = (withPort[1] ?? withPort[2]) as string;
  const ipv4 = canonicalIpv4(address);
  if (ipv4 !== undefined) return `ip:${ipv4}`;
  const groups = ipv6Groups(address);
  if (groups === undefined) return undefined;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return `ip:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `ip6:${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

function canonicalIpv4(text: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match === null) return undefined;
  const parts = match.slice(1).map(Number);
  return parts.every((part) => part <= 255) ? parts.join('.') : undefined;
}

/** The eight 16-bit groups of an IPv6 address (brackets and zone allowed), or `undefined`. */
function ipv6Groups(text: string): number[] | undefined {
  let address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  if (!/^[0-9A-Fa-f:.]+$/.test(address)) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] as string, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<number>(Math.max(missing, 0)).fill(0), ...tail];
}

/** Groups of one side of `::`; a dotted IPv4 may end the address (`last`). */
function parseGroups(part: string, last: boolean): number[] | undefined {
  if (part === '') return [];
  const groups: number[] = [];
  const items = part.split(':');
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    if (last && i === items.length - 1 && item.includes('.')) {
      const ipv4 = canonicalIpv4(item);
      if (ipv4 === undefined) return undefined;
      const [a = 0, b = 0, c = 0, d = 0] = ipv4.split('.').map(Number);
      groups.push((a << 8) | b, (c << 8) | d);
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(item)) {
      groups.push(Number.parseInt(item, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}
