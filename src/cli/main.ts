#!/usr/bin/env node
/**
 * The ESM entry of the `authflow` command (the executable, `bin.cts`, comes here for everything
 * its fast path does not answer; this file is also a complete entry point on its own): the
 * process's context, the command line run by `root.ts`, then the process's exit.
 *
 * @module
 */
import { runCli } from './root.js';
import { processContext } from './shared/context.js';
import { processOutput } from './shared/output.js';
import { scrubSecretFromTitle } from './shared/secret-flag.js';

const argv = process.argv.slice(2);
// First of all: other local users can read our command line.
scrubSecretFromTitle(argv);
const code = await runCli(argv, processContext());
// Flush before deciding how to end: stdout may be a pipe (e.g. `$(authflow token)`).
await processOutput().flush();
// A command that talked to a provider may leave idle keep-alive sockets: do not wait for them.
process.exit(code);
