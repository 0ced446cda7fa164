/**
 * The shared "deliver one callback and expect a refusal" step of the native security tests
 * (the provider itself comes from ./hostile-fixture.ts). Not a test file itself.
 */
import assert from 'node:assert/strict';
import type { AuthenticationError, ErrorCode } from '../../../src/errors.js';
import {
  assertNoSecrets,
  type GrantSpec,
  type HostileProvider,
} from '../../helpers/hostile-provider.js';
import {
  assertRejected,
  assertStoppedAfterToken,
  type FlowRun,
  type NativeRig,
  type NativeRigOptions,
  nativeRig,
  type RawResponse,
  runScripted,
  type WindowRun,
} from './native-harness.js';

/** A flow whose window delivered one callback (a fresh code for `grant`, plus `extra`). */
export interface Delivered {
  rig: NativeRig;
  run: FlowRun;
  /** The final page the browser was shown. */
  page: RawResponse;
  /** Index of the first provider request of this flow. */
  since: number;
}

/** Runs a flow whose browser comes back with a code for `grant` (and `extra` parameters). */
export function deliver(
  op: HostileProvider,
  grant: GrantSpec = {},
  extra: Record<string, string> = {},
  options: NativeRigOptions = {},
): Promise<Delivered> {
  return deliverWith(op, (window) => window.callbackWith(grant, extra), options);
}

/** Runs a flow whose browser comes back at the callback URL `build` makes. */
export async function deliverWith(
  op: HostileProvider,
  build: (window: WindowRun) => URL | Promise<URL>,
  options: NativeRigOptions = {},
): Promise<Delivered> {
  const rig = nativeRig(op, options);
  const since = op.requests.length;
  let page: RawResponse | undefined;
  const run = await runScripted(rig, async (window) => {
    page = await window.visit(await build(window));
  });
  assert.ok(page, 'the browser got a page');
  return { rig, run, page, since };
}

/**
 * Expects a delivered flow to have failed with `code`, stored nothing, shown a failure page
 * without secrets, and made exactly `tokenRequests` token requests with nothing after them.
 */
export async function expectRefused(
  delivered: Delivered,
  code: ErrorCode | ErrorCode[],
  tokenRequests: number,
): Promise<AuthenticationError> {
  const error = await assertRejected(delivered.rig, delivered.run, { code });
  assert.equal(delivered.page.status, 400, 'the browser is shown a failure page');
  assert.match(delivered.page.body, /Sign-in (failed|refused)/);
  assertNoSecrets(delivered.page.body);
  assertStoppedAfterToken(delivered.rig.op, delivered.since, tokenRequests);
  return error;
}

/** Expects a delivered flow to have succeeded and stored the tokens under the user's id. */
export async function expectSignedIn(delivered: Delivered, sub = 'user-1'): Promise<void> {
  assert.equal(delivered.run.error, undefined, delivered.run.error?.message);
  assert.equal(delivered.run.result?.success, true);
  assert.equal(delivered.page.status, 200);
  assert.deepEqual(await delivered.rig.store.listKeys(), [sub]);
  delivered.rig.session.dispose();
}
