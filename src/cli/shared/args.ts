/**
 * Command-line parsing on node's `util.parseArgs`, with the options every command shares
 * and errors turned into usage errors (exit code 2).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { UsageError } from './exit.js';
import paths from './paths.cjs';

const { PROFILE_NAME } = paths;

/** One option, as `util.parseArgs` takes it. */
export interface OptionSpec {
  /** A value (`--name value`, `--name=value`) or a flag. */
  type: 'string' | 'boolean';
  /** One-letter alias (`-p`). */
  short?: string;
  /** May be given more than once (the values become an array). */
  multiple?: boolean;
}

/** Options every command takes. */
export const COMMON_OPTIONS = {
  profile: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

/** Parsed values: strings, booleans, or arrays of strings. */
export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

/** What {@link parseCommandArgs} returns. */
export interface ParsedCommand {
  /** Option values by name. */
  values: ParsedValues;
  /** Positional arguments. */
  positionals: string[];
  /** The profile name (validated), `default` when not given. */
  profile: string;
}

/**
 * Parses `args` for `command` with its own options plus the common ones. Unknown flags,
 * missing values and unexpected positionals become a {@link UsageError}.
 */
export function parseCommandArgs(
  command: string,
  args: string[],
  options: Record<string, OptionSpec>,
  { positionals = 0 }: { positionals?: number } = {},
): ParsedCommand {
  let parsed: { values: ParsedValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    }) as { values: ParsedValues; positionals: string[] };
  } catch (error) {
    throw new UsageError(cleanParseError(error as Error), command);
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`Unexpected argument "${parsed.positionals[positionals]}".`, command);
  }
  const profile = (parsed.values.profile as string | undefined) ?? 'default';
  if (!PROFILE_NAME.test(profile)) {
    throw new UsageError(
      `Invalid profile name "${profile}": use letters, digits, ".", "_" and "-" (at most 64).`,
      command,
    );
  }
  return { values: parsed.values, positionals: parsed.positionals, profile };
}

// parseArgs' messages mention its own API ("To specify a positional argument starting with a '-'...").
function cleanParseError(error: Error): string {
  const message = error.message;
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `Unknown option ${unknown[1]}.`;
  const needsValue = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (needsValue) return `Option ${needsValue[1]} needs a value.`;
  const noValue = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(message);
  if (noValue) return `Option ${noValue[1]} takes no value.`;
  return message.split('\n')[0] ?? message;
}

/** A string option's value, or `undefined`. */
export function stringValue(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A positive number option (seconds, port...), or `undefined`; a usage error when not a number. */
export function numberValue(
  values: ParsedValues,
  name: string,
  command: string,
  { min = 1, max = Number.MAX_SAFE_INTEGER, integer = true } = {},
): number | undefined {
  const raw = stringValue(values, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (
    raw.trim() === '' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new UsageError(
      `--${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, not "${raw}".`,
      command,
    );
  }
  return value;
}
