/**
 * The pages the loopback server shows in the browser at the end of a native sign-in, and the
 * contract for replacing them.
 *
 * @module
 */
import { escapeHtml } from './html.js';

/** What a success page is told. */
export interface SuccessPageContext {
  /** The provider's name, e.g. `google`. */
  provider: string;
}

/** What an error page is told. Values are raw text: templates must escape them (see {@link escapeHtml}). */
export interface ErrorPageContext {
  /** The provider's name. */
  provider: string;
  /** HTTP status the page is served with. */
  status: number;
  /** A short title, e.g. `Sign-in failed`. */
  title: string;
  /** What happened and what to do, in plain text. */
  message: string;
}

/**
 * Templates for the pages the loopback server shows in the browser. Each returns a whole HTML
 * document; a template left out keeps the default.
 *
 * @example
 * ```ts
 * const flow = new AuthFlowManager({
 *   provider,
 *   loopback: {
 *     pages: {
 *       success: ({ provider }) =>
 *         `<!doctype html><title>Done</title><p>Signed in with ${escapeHtml(provider)}.</p>`,
 *     },
 *   },
 * });
 * ```
 */
export interface LoopbackPages {
  /** Shown after the user signed in. */
  success?: (context: SuccessPageContext) => string;
  /** Shown for a failed sign-in or a bad request. */
  error?: (context: ErrorPageContext) => string;
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style></head><body>${body}</body></html>`;
}

/** The default success page: "You are signed in", and that the window can be closed. */
export function defaultSuccessPage(context: SuccessPageContext): string {
  return layout(
    'Signed in',
    `<h1>You are signed in</h1><p>Signed in with ${escapeHtml(context.provider)}. You can close this window and return to the application.</p>`,
  );
}

/** The default error page: the context's title and message, escaped. */
export function defaultErrorPage(context: ErrorPageContext): string {
  return layout(
    context.title,
    `<h1>${escapeHtml(context.title)}</h1><p>${escapeHtml(context.message)}</p>`,
  );
}
