// app/api/profile/route.ts: calls an API as the signed-in user with a fresh access token.
import { AuthenticationError } from 'authflow';
import { auth } from '@/lib/auth';

export const runtime = 'nodejs';

export async function GET(request: Request): Promise<Response> {
  try {
    const token = await auth.getAccessToken(request);
    if (token === null) return Response.json({ error: 'not_authenticated' }, { status: 401 });
    const answer = await fetch('https://graph.microsoft.com/v1.0/me', {
      headers: { authorization: `${token.tokenType} ${token.accessToken}` },
    });
    return Response.json(await answer.json(), { status: answer.status });
  } catch (error) {
    // reauth_required: the provider ended the grant; the session is gone, sign in again.
    if (error instanceof AuthenticationError) {
      return Response.json({ error: error.code }, { status: 401 });
    }
    throw error;
  }
}
