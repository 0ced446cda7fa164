// HTML pages of the development provider. Self-contained (no fonts or scripts from elsewhere),
// every interpolated value escaped. Element ids are stable: the browser test harness
// (test/helpers/browser.ts) drives the pages by them.
import type { KoaContext } from 'oidc-provider';

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:32px}
main{max-width:360px;margin:0 auto;background:#fff;padding:24px 28px;border-radius:8px;box-shadow:0 1px 3px #0003}
h1{font-size:1.4em;font-weight:500;margin-top:0}.note{color:#777;font-size:.85em}
.error{color:#b00020}input{display:block;width:100%;box-sizing:border-box;margin:0 0 12px;padding:8px;font-size:1em}
button{width:100%;padding:10px;font-size:1em;margin-bottom:8px;cursor:pointer}
button.secondary{background:none;border:1px solid #ccc}code{font-size:1.6em}`;

/** Security headers for every page the development provider renders itself. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Writes one of these pages as the response, with {@link PAGE_HEADERS}. */
export function renderPage(ctx: KoaContext, status: number, html: string): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) ctx.set(name, value);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = html;
}

function layout(title: string, id: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · authflow dev provider</title><style>${STYLE}</style></head>
<body><main id="${id}"><h1>${escapeHtml(title)}</h1>${body}
<p class="note">authflow development provider — for development and tests only.</p></main></body></html>`;
}

/** The sign-in page: any user name is accepted, the password is ignored. */
export function loginPage(options: {
  action: string;
  clientName: string;
  error?: string;
  loginHint?: string;
}): string {
  const error = options.error
    ? `<p class="error" data-error="invalid_login">${escapeHtml(options.error)}</p>`
    : '';
  const value = options.loginHint ? ` value="${escapeHtml(options.loginHint)}"` : '';
  return layout(
    'Sign in',
    'authflow-login',
    `<p>to continue to <strong>${escapeHtml(options.clientName)}</strong></p>${error}
<form method="post" action="${escapeHtml(options.action)}" autocomplete="off">
<input type="text" name="login" placeholder="Any user name" required autofocus maxlength="200"${value}>
<input type="password" name="password" placeholder="Password (ignored)">
<button type="submit" id="authflow-login-submit">Sign in</button></form>`,
  );
}

/** The consent page: approve or deny what the client asks for. */
export function consentPage(options: {
  approveAction: string;
  denyAction: string;
  clientName: string;
  accountId: string;
  scopes: string[];
}): string {
  const scopes = options.scopes.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  return layout(
    'Authorize',
    'authflow-consent',
    `<p><strong>${escapeHtml(options.clientName)}</strong> asks to access your account
<strong>${escapeHtml(options.accountId)}</strong>.</p>${scopes ? `<ul>${scopes}</ul>` : '<p>No new permissions.</p>'}
<form method="post" action="${escapeHtml(options.approveAction)}"><button type="submit" id="authflow-approve">Allow</button></form>
<form method="post" action="${escapeHtml(options.denyAction)}"><button type="submit" class="secondary" id="authflow-deny">Deny</button></form>`,
  );
}

/** An error page showing the OAuth error code and description (never tokens). */
export function errorPage(error: string, description?: string): string {
  const text = description ? `<p data-error-description>${escapeHtml(description)}</p>` : '';
  return layout(
    'Something went wrong',
    'authflow-error',
    `<p><code data-error="${escapeHtml(error)}">${escapeHtml(error)}</code></p>${text}`,
  );
}

/** Device flow: enter the user code. `form` is oidc-provider's form (id `op.deviceInputForm`). */
export function deviceInputPage(form: string, error?: [code: string, message: string]): string {
  const message = error
    ? `<p class="error" data-error="${escapeHtml(error[0])}">${escapeHtml(error[1])}</p>`
    : '<p>Enter the code shown on your device.</p>';
  return layout(
    'Connect a device',
    'authflow-device-input',
    `${message}${form}<button type="submit" form="op.deviceInputForm" id="authflow-device-submit">Continue</button>`,
  );
}

/** Device flow: confirm the code. `form` is oidc-provider's form (id `op.deviceConfirmForm`). */
export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return layout(
    'Confirm device',
    'authflow-device-confirm',
    `<p><strong>${escapeHtml(clientName)}</strong> wants to sign in. Check that your device shows this code:</p>
<p><code data-user-code>${escapeHtml(userCode)}</code></p>${form}
<button type="submit" form="op.deviceConfirmForm" id="authflow-device-continue">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary" id="authflow-device-abort">Abort</button>`,
  );
}

/** Device flow: done. */
export function deviceSuccessPage(clientName: string): string {
  return layout(
    'Device connected',
    'authflow-device-success',
    `<p>You are signed in to <strong>${escapeHtml(clientName)}</strong>. You can close this page.</p>`,
  );
}

/** RP-initiated logout: confirm. `form` is oidc-provider's form (id `op.logoutForm`). */
export function logoutPage(form: string): string {
  return layout(
    'Sign out?',
    'authflow-logout',
    `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes" id="authflow-logout-yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary" id="authflow-logout-no">No, stay signed in</button>`,
  );
}

/** RP-initiated logout without a post_logout_redirect_uri: done. */
export function logoutSuccessPage(): string {
  return layout('Signed out', 'authflow-logout-success', '<p>You are signed out.</p>');
}
