/**
 * Exit codes and the errors the CLI raises itself.
 *
 * @module
 */
import { ErrorCodes } from '../../errors.js';

/** Exit codes (a documented contract: see docs/cli.md). */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /** Failure (not signed in, provider error, store error...). */
  FAILURE: 1,
  /** Usage error: a bad flag or a missing setting. */
  USAGE: 2,
  /** The user did not finish signing in in time. */
  TIMEOUT: 3,
  /** Cancelled (Ctrl-C). */
  CANCELLED: 4,
} as const;

/** A wrong command line or a missing setting: exit code 2. */
export class UsageError extends Error {
  /** The command whose usage to point at, for the hint line. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** A failure with a chosen exit code and a message that says what to do. */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;

  constructor(message: string, exitCode: number = ExitCode.FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof CliError) return error.exitCode;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === ErrorCodes.TIMEOUT) return ExitCode.TIMEOUT;
  if (code === ErrorCodes.CANCELLED) return ExitCode.CANCELLED;
  if (code === ErrorCodes.INVALID_CONFIGURATION) return ExitCode.USAGE;
  return ExitCode.FAILURE;
}
