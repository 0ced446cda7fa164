/**
 * Native-mode latency: a full flow against the embedded provider, the browser part
 * scripted over HTTP (bench/scripted-browser.ts). Prints medians over many runs of
 *  - runNative() → authorize URL handed to showWindow,
 *  - callback received → result resolved, minus the provider's own time,
 *  - cancel() → rejection,
 * each beside a baseline measured in the same run: a 100 ms polling loop, the way
 * PyWry waits for its callback and its cancel flag. Goal: ours within 2 ms of the event.
 *
 *   npm run bench:native [-- --runs 30]
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startDevProvider } from '../src/dev/index.js';
import { AuthFlowManager } from '../src/flow/auth-flow-manager.js';
import { GenericOIDCProvider } from '../src/providers/index.js';
import type { OAuthProvider } from '../src/providers/types.js';
import { scriptedSignIn } from './scripted-browser.js';
import { median } from './stats.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);

/** Wraps a provider to add up the time spent waiting for the provider itself. */
function timed(provider: OAuthProvider) {
  const clock = { providerMs: 0 };
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const start = performance.now();
      try {
        return await fn(...args);
      } finally {
        clock.providerMs += performance.now() - start;
      }
    };
  const wrapped: OAuthProvider = {
    name: provider.name,
    clientId: provider.clientId,
    scopes: provider.scopes,
    isOidc: provider.isOidc,
    buildAuthorizeUrl: (params) => provider.buildAuthorizeUrl(params),
    exchangeCode: wrap((params) => provider.exchangeCode(params)),
    getUserInfo: wrap((tokens, options) => provider.getUserInfo(tokens, options)),
    refreshTokens: (token, options) => provider.refreshTokens(token, options),
    revokeToken: (token, hint) => provider.revokeToken(token, hint),
  };
  return { provider: wrapped, clock };
}

/** How long a loop that polls every 100 ms takes to notice an event that happens at a random moment. */
async function pollingDelay(): Promise<number> {
  let firedAt = 0;
  setTimeout(() => {
    firedAt = performance.now();
  }, Math.random() * 100);
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    if (firedAt !== 0) return performance.now() - firedAt;
  }
}

const dev = await startDevProvider({ autoConsent: true });
try {
  const base = new GenericOIDCProvider({ clientId: dev.clientId, issuerUrl: dev.issuer });
  const toUrl: number[] = [];
  const afterCallback: number[] = [];
  const toCancel: number[] = [];
  const polling: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { provider, clock } = timed(base);
    const manager = new AuthFlowManager({ provider });
    let started = 0;
    let callbackAt = 0;
    let browsing: Promise<unknown> = Promise.resolve();
    // The moment the loopback server receives the callback, on this process's clock.
    const onRequest = (message: unknown) => {
      const { request } = message as { request: IncomingMessage };
      if (request.url?.startsWith('/callback?')) callbackAt = performance.now();
    };
    subscribe('http.server.request.start', onRequest);
    started = performance.now();
    const result = manager.runNative({
      showWindow: (url) => {
        toUrl.push(performance.now() - started);
        browsing = scriptedSignIn(url, 'bench');
      },
    });
    await result;
    afterCallback.push(performance.now() - callbackAt - clock.providerMs);
    unsubscribe('http.server.request.start', onRequest);
    await browsing;

    const cancelling = new AuthFlowManager({ provider: base });
    let cancelledAt = 0;
    const waiting = cancelling.runNative({
      showWindow: () =>
        void setTimeout(() => {
          cancelledAt = performance.now();
          cancelling.cancel();
        }, 5),
    });
    await waiting.catch(() => {});
    toCancel.push(performance.now() - cancelledAt);
    polling.push(await pollingDelay());
  }
  const baseline = median(polling);
  const row = (name: string, samples: number[]) =>
    `${name.padEnd(38)} median ${median(samples).toFixed(2).padStart(7)} ms   baseline (100 ms polling) ${baseline.toFixed(2).padStart(7)} ms   ratio ${(median(samples) / baseline).toFixed(3)}`;
  console.log(`native flow, ${runs} runs, embedded provider, browser part scripted over HTTP`);
  console.log(
    `${'runNative() -> authorize URL'.padEnd(38)} median ${median(toUrl).toFixed(2).padStart(7)} ms`,
  );
  console.log(row('callback -> result (minus provider)', afterCallback));
  console.log(row('cancel() -> rejected', toCancel));
  const ok = median(afterCallback) <= 2 && median(toCancel) <= 2;
  console.log(
    ok
      ? 'goal met: settles within 2 ms of the event'
      : 'goal MISSED: more than 2 ms after the event',
  );
} finally {
  await dev.close();
}
