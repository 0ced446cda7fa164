/**
 * `login --client-secret-stdin`: the client secret from standard input, or from a hidden prompt
 * when standard input is a terminal, so that it never has to be on the command line (where every
 * local user can read it in the process list; `shared/secret-flag.ts` masks it there).
 *
 * @module
 */
import { AuthFlowCancelled } from '../../../errors.js';
import type { Stdin } from '../../shared/context.js';
import { UsageError } from '../../shared/exit.js';

/** Reads the client secret from standard input: a hidden prompt on a terminal, else everything piped in. */
export async function readClientSecret(
  stdin: Stdin,
  prompt: (text: string) => void = (text) => process.stderr.write(text),
): Promise<string> {
  const secret = stdin.isTTY
    ? await promptHidden(stdin, prompt)
    : (await readAll(stdin)).replace(/\r?\n$/, '');
  if (secret.length === 0) {
    throw new UsageError(
      stdin.isTTY
        ? 'No client secret was entered.'
        : '--client-secret-stdin: standard input was empty. Pipe the secret in, e.g. from your password manager.',
      'login',
    );
  }
  return secret;
}

async function readAll(stdin: Stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from a terminal in raw mode, echoing nothing. Ctrl-C cancels. */
function promptHidden(stdin: Stdin, prompt: (text: string) => void): Promise<string> {
  // Raw mode (no echo) before the prompt: a fast typist or a script answers at once.
  stdin.setRawMode?.(true);
  prompt('Client secret (input hidden): ');
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      prompt('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new AuthFlowCancelled('Sign-in cancelled.'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
  });
}
