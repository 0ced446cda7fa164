// app/auth/[...authflow]/route.ts: every /auth/* route (login, callback, refresh, logout,
// userinfo, status, backchannel-logout). Next.js hands over the Request untouched (no body
// parser), so `auth.fetch` is all it takes.
import { auth } from '@/lib/auth';

// ioredis needs Node's sockets: run on the Node.js runtime, not the Edge runtime.
export const runtime = 'nodejs';

export function GET(request: Request): Promise<Response> {
  return auth.fetch(request);
}

export function POST(request: Request): Promise<Response> {
  return auth.fetch(request);
}
