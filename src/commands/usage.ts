// The command line's usage errors, said once. A wrong option, a missing argument, a value that
// does not parse: sysexits.h EX_USAGE (64), as BSD tools and Postfix's own commands exit,
// so a script (or pipe(8)) tells a caller's mistake apart from a temporary failure (75) or a
// bad configuration (78). Light on purpose: `bounced classify` loads it at every start.
import { CommanderError, InvalidArgumentError } from 'commander';

/** sysexits.h: the command was used incorrectly. */
export const EX_USAGE = 64;

/** Thrown by an action for an option value it cannot use; cli.ts exits EX_USAGE with the message. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = EX_USAGE;
}

/**
 * commander's exit, mapped: help and --version exit 0, every parse error (unknown option or
 * command, missing or invalid argument, a group named without its subcommand) EX_USAGE.
 * commander has printed its message (and the help, showHelpAfterError) on stderr already.
 */
export function exitForCommander(err: CommanderError): never {
  const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || (err.code === 'commander.help' && err.exitCode === 0);
  process.exit(ok ? 0 : EX_USAGE);
}

/** An option parser for a whole number >= min (commander reports a throw as a usage error). */
export function wholeNumber(min = 0): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new InvalidArgumentError(`must be a whole number >= ${min}`);
    return Number(value);
  };
}

/** An instant given as ISO 8601 (--now): ms since the epoch; a UsageError when it is not a date. */
export function parseInstant(value: string | undefined, what: string): number {
  if (!value) return Date.now();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`bounced ${what}: --now ${value} is not an ISO 8601 date`);
  return t;
}

export { CommanderError };
