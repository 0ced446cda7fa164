/**
 * Issue 8 §3: every parser of attacker-controlled input in deploy mode (Cookie headers, the
 * same-origin headers, the client address, query strings, `returnTo`) runs in time linear in
 * its input. Each case compares the worst inputs we know for the parser with a typical input
 * of the same size, at the largest size the parser accepts: a quadratic parser does hundreds
 * of times the work on its worst input there, a linear one a small constant.
 *
 * Two measures, both robust on a loaded machine. Operation counts: the characters our code
 * makes the string and regular-expression primitives touch (indexOf scans, slices, trims,
 * regex inputs), counted by wrapping those primitives during one call; deterministic, and what
 * catches a quadratic scan even when it is a fast one (`indexOf` runs at memory speed). Time:
 * the ratio of the two inputs' per-call times, measured alternately in the same test, each the
 * fastest of several batches (load only ever adds time), and a case fails only when every one
 * of a few measurements fails; this covers what the platform parses for us (URL, query).
 *
 * Ids: R8-DEP-06a … R8-DEP-06e.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressKey, clientAddress } from '../../src/deploy/client-ip.js';
import { readCookie, readCookieOnce, readSingleCookie } from '../../src/deploy/cookies.js';
import { createAuthApp, safeReturnTo } from '../../src/deploy/index.js';
import { isSameOriginRequest } from '../../src/deploy/same-origin.js';
import { BASE_URL, hostileClient, SECRET } from './support/deploy-rig.js';
import { useHostileProvider } from './support/hostile-fixture.js';

const hostile = useHostileProvider();

/** Worst/typical time above this is not linear. */
const MAX_RATIO = 20;
const ROUNDS = 7;
/** Worst/typical operation counts above this are not linear. */
const MAX_OPERATIONS_RATIO = 8;
/** Measurements of a case before it counts as failed. */
const ATTEMPTS = 3;

/** How many characters `cost` says a primitive call touched. */
type Cost = (self: string, args: unknown[], result: unknown) => number;

const length = (value: unknown) => (typeof value === 'string' ? value.length : 0);
const STRING_COSTS: Record<string, Cost> = {
  indexOf: (self, [needle, from], result) =>
    (result === -1 ? self.length : (result as number) + length(needle)) -
    Math.max(0, Number(from ?? 0)),
  lastIndexOf: (self, [, from], result) =>
    Math.min(self.length, Number(from ?? self.length)) - Math.max(0, result as number) + 1,
  includes: (self) => self.length,
  startsWith: (_, [needle]) => length(needle),
  endsWith: (_, [needle]) => length(needle),
  slice: (_, __, result) => length(result),
  substring: (_, __, result) => length(result),
  trim: (self) => self.length,
  trimStart: (self) => self.length,
  trimEnd: (self) => self.length,
  toLowerCase: (self) => self.length,
  split: (self) => self.length,
  replace: (self) => self.length,
  replaceAll: (self) => self.length,
  repeat: (_, __, result) => length(result),
  at: () => 1,
  charCodeAt: () => 1,
};

/**
 * Characters touched by the string and regular-expression primitives while `fn` runs (its
 * own code's work; the platform's parsers use their own, unwrapped primitives).
 */
async function operations(fn: () => unknown): Promise<number> {
  let count = 0;
  const originals: [object, string, unknown][] = [];
  const wrap = (target: object, name: string, cost: Cost) => {
    const original = (target as Record<string, (...args: unknown[]) => unknown>)[name];
    if (original === undefined) return;
    originals.push([target, name, original]);
    (target as Record<string, unknown>)[name] = function (this: string, ...args: unknown[]) {
      const result = original.apply(this, args);
      count += Math.max(1, cost(String(this), args, result));
      return result;
    };
  };
  for (const [name, cost] of Object.entries(STRING_COSTS)) wrap(String.prototype, name, cost);
  for (const name of ['exec', 'test']) wrap(RegExp.prototype, name, (_, [input]) => length(input));
  try {
    await fn();
  } finally {
    for (const [target, name, original] of originals.reverse()) {
      (target as Record<string, unknown>)[name] = original;
    }
  }
  return count;
}

/** Nanoseconds per call of `fn`, over a batch of at least ~3 ms. */
async function perCall(fn: () => unknown, iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** How many calls of `fn` make a batch of about 3 ms (at least one). */
async function batchSize(fn: () => unknown): Promise<number> {
  let iterations = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    const elapsed = Number(process.hrtime.bigint() - start);
    if (elapsed >= 3e6 || iterations >= 1 << 16) return iterations;
    iterations *= 2;
  }
}

/** The fastest per-call time of `worst` over the fastest of `typical`, measured alternately. */
async function ratio(typical: () => unknown, worst: () => unknown): Promise<number> {
  const [nTypical, nWorst] = [await batchSize(typical), await batchSize(worst)];
  let bestTypical = Number.POSITIVE_INFINITY;
  let bestWorst = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    bestTypical = Math.min(bestTypical, await perCall(typical, nTypical));
    bestWorst = Math.min(bestWorst, await perCall(worst, nWorst));
  }
  return bestWorst / bestTypical;
}

/** Inputs of one size: built by a function of the size. */
type Input = (size: number) => string;

/**
 * Asserts that each worst case of a parser costs at most a constant times the typical input
 * of the same size, at the largest size the parser accepts: in operations (deterministic: a
 * quadratic scan shows as hundreds of times the work even when each scan is fast), and in time
 * (the platform's own parsers included).
 */
async function assertLinear(
  label: string,
  size: number,
  typical: Input,
  worst: Record<string, Input>,
  parse: (input: string) => unknown,
): Promise<void> {
  const t = typical(size);
  assert.equal(t.length, size, `${label}: typical input size`);
  for (const [name, make] of Object.entries(worst)) {
    const w = make(size);
    assert.equal(w.length, size, `${label} / ${name}: as large as the typical input`);
    const counted = (await operations(() => parse(w))) / (await operations(() => parse(t)));
    if (process.env.R8_PRINT) console.log(`${label} / ${name}: ${counted.toFixed(2)}× operations`);
    assert.ok(
      counted < MAX_OPERATIONS_RATIO,
      `${label} / ${name}: ${counted.toFixed(1)}× the operations of the typical input (not linear)`,
    );
    // A pause of the machine (another process, a garbage collection) can spoil one
    // measurement; a parser that is not linear fails every one of them.
    let timed = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < ATTEMPTS && timed >= MAX_RATIO; attempt++) {
      timed = await ratio(
        () => parse(t),
        () => parse(w),
      );
      if (process.env.R8_PRINT) console.log(`${label} / ${name}: ${timed.toFixed(2)}× the time`);
    }
    assert.ok(
      timed < MAX_RATIO,
      `${label} / ${name}: ${timed.toFixed(1)}× the typical input's time (not linear)`,
    );
  }
}

/** `unit` repeated to exactly `size` characters, after `prefix` and before `suffix`. */
function fill(unit: string, size: number, prefix = '', suffix = ''): string {
  const body = size - prefix.length - suffix.length;
  return prefix + unit.repeat(Math.ceil(body / unit.length)).slice(0, body) + suffix;
}

/** `fill` as an {@link Input}. */
const filled =
  (unit: string, prefix = '', suffix = ''): Input =>
  (size) =>
    fill(unit, size, prefix, suffix);

describe('linear-time parsers of attacker-controlled input (issue 8)', () => {
  it('R8-DEP-06a Cookie headers: parts without `=`, many duplicates, many `=`', async () => {
    const size = 16_000; // the largest Cookie header read (16 KiB)
    const typical = filled(
      '_ga=GA1.2.1234567890.1700000000; theme=dark; lang=en-GB; consent=analytics%3Dno; ',
      '',
      'authflow_session=abc.def',
    );
    const worst: Record<string, Input> = {
      'parts without =': filled('a;', '', 'authflow_session=x'),
      'spaces without =': filled(' ', 'a;', ';authflow_session=x'),
      'many = in one part': filled('=', 'authflow_session'),
      'distinct duplicates': (n) => {
        let text = '';
        for (let i = 0; text.length < n; i++) text += `authflow_session=${i.toString(36)};`;
        return text.slice(0, n);
      },
      'the name as a prefix': filled('authflow_sessio;', '', 'authflow_session=x'),
    };
    for (const read of [readCookieOnce, readSingleCookie, readCookie]) {
      await assertLinear(read.name, size, typical, worst, (cookie) =>
        read(new Request(BASE_URL, { headers: { cookie } }), 'authflow_session'),
      );
    }
  });

  it('R8-DEP-06b same-origin headers (Origin, Sec-Fetch-Site, Referer) and the client address (X-Forwarded-For)', async () => {
    const size = 8_000;
    const allowed = new Set([BASE_URL]);
    await assertLinear(
      'Referer',
      size,
      filled('/reports/2024/q3?tab=summary&sort=asc', BASE_URL),
      {
        'percent signs': filled('%', `${BASE_URL}/`),
        'dot segments': filled('/..', BASE_URL),
        'backslashes and colons': filled('\\:', 'http://'),
        'at signs': filled('@', 'http://a'),
        'no scheme separator': filled('http:/'),
      },
      (referer) =>
        isSameOriginRequest(
          new Request(`${BASE_URL}/auth/logout`, {
            method: 'POST',
            headers: { 'sec-fetch-site': 'same-origin', referer },
          }),
          allowed,
        ),
    );
    await assertLinear(
      'X-Forwarded-For',
      size,
      filled('203.0.113.7, ', '', '198.51.100.1'),
      {
        commas: filled(','),
        'one long entry': filled('f'),
        'colons (IPv6-like)': filled(':'),
      },
      (forwarded) =>
        addressKey(
          clientAddress(
            new Request(BASE_URL, { headers: { 'x-forwarded-for': forwarded } }),
            undefined,
            true,
          ),
        ),
    );
  });

  it('R8-DEP-06c client addresses', async () => {
    await assertLinear(
      'addressKey',
      64, // longer addresses are not looked at
      filled('2001:db8:85a3:8d3:1319:8a2e:370:7348:'),
      { colons: filled(':'), 'double colons': filled('::1'), dots: filled('1.') },
      addressKey,
    );
  });

  it('R8-DEP-06d query strings of /auth/callback (up to the 8 KiB URL limit)', async () => {
    const app = createAuthApp({
      provider: hostileClient(hostile()),
      secret: SECRET,
      baseUrl: BASE_URL,
    });
    const base = `${BASE_URL}/auth/callback?`;
    // Answered before any store or provider call: a duplicate parameter, or no binding cookie.
    await assertLinear(
      'callback query',
      8_000,
      filled('utm_source=newsletter&utm_medium=email&', base, 'state=abc'),
      {
        'many empty parameters': filled('&', base, 'state=abc'),
        'many names without values': filled('a&', base, 'state=abc'),
        'many percent escapes': filled('%41', `${base}x=`, '&state=abc'),
        'state repeated': filled('state=1&', base),
        'plus signs': filled('+', `${base}code=`, '&state=abc'),
      },
      async (url) => (await app.fetch(new Request(url))).status,
    );
  });

  it('R8-DEP-06e returnTo (up to its 2048-character limit)', async () => {
    await assertLinear(
      'safeReturnTo',
      2048,
      filled('/reports/2024/q3?tab=summary&sort=asc#top'),
      {
        'nested percent-encoding': filled('%25', '/'),
        'encoded slashes': filled('%2F', '/a'),
        'dot segments': filled('/..'),
        'encoded dot segments': filled('/%2e%2e'),
        slashes: filled('/', '/a'),
      },
      (returnTo) => safeReturnTo(returnTo, BASE_URL),
    );
  });
});
