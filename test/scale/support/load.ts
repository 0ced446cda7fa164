// Load during a failover: reader loops (protected pages of signed-in users) and writer loops
// (login starts) run until stopped; every answer is recorded with its time, so that a test
// can count what users saw before, during and after the failover.
import { Hono } from 'hono';
import type { AuthApp, AuthEnv } from '../../../src/deploy/index.js';

/** One answer: when it was asked for, and its HTTP status (0: the call threw). */
export interface Answer {
  at: number;
  status: number;
}

/** A Hono app with the auth routes and one protected page, `/api/me`. */
export function protectedSite(auth: AuthApp): Hono<AuthEnv> {
  const site = new Hono<AuthEnv>();
  site.use(auth.middleware());
  site.get(
    '/api/me',
    auth.protect((c, session) => c.json({ user: session.userId })),
  );
  return site;
}

/** Runs each loop until `stop()`, which resolves every answer. */
export function startLoad(loops: {
  reads: (() => Promise<number>)[];
  writes: (() => Promise<number>)[];
}) {
  let running = true;
  const reads: Answer[] = [];
  const writes: Answer[] = [];
  const loop = async (call: () => Promise<number>, into: Answer[], pauseMs: number) => {
    while (running) {
      const at = Date.now();
      let status = 0;
      try {
        status = await call();
      } catch {
        status = 0;
      }
      into.push({ at, status });
      // A floor on every loop: no spinning, and CPU left for the Redis processes.
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  const done = Promise.all([
    ...loops.reads.map((call) => loop(call, reads, 5)),
    ...loops.writes.map((call) => loop(call, writes, 25)),
  ]);
  return {
    reads,
    writes,
    async stop() {
      running = false;
      await done;
      return { reads, writes };
    },
  };
}

/** Counts of each status among `answers`, e.g. `{ 200: 512, 503: 3 }`. */
export function histogram(answers: readonly Answer[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** What users saw from `killedAt` on, as one line for the test log (and docs/deploy.md). */
export function report(
  label: string,
  killedAt: number,
  promotedAt: number,
  load: { reads: Answer[]; writes: Answer[] },
  isWriteSuccess: (status: number) => boolean,
) {
  const reads = load.reads.filter((answer) => answer.at >= killedAt);
  const writes = load.writes.filter((answer) => answer.at >= killedAt);
  const failedWrites = writes.filter((answer) => !isWriteSuccess(answer.status));
  const lastFailure = failedWrites.at(-1)?.at;
  const summary = {
    promotionSeconds: (promotedAt - killedAt) / 1000,
    fullServiceSeconds: lastFailure === undefined ? 0 : (lastFailure - killedAt) / 1000,
    reads: histogram(reads),
    writes: histogram(writes),
  };
  console.log(`[scale] ${label}: ${JSON.stringify(summary)}`);
  return summary;
}
