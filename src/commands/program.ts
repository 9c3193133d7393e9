// The `bounced` program as both entries build it: the whole command line (../cli.ts) and the
// single-file `classify` (../classify-main.ts, which ../bin.ts starts for `bounced classify`).
// Its name, version, global options and exit codes are said here once, so that both answer
// alike. Light on purpose: commander and node:fs only.
import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { exitForCommander, UsageError } from './usage.js';

/** sysexits.h: a configuration error. */
export const EX_CONFIG = 78;

/**
 * The package's version. package.json sits beside dist/ and src/: two folders above this
 * module, one above the single-file build (dist/classify-main.js) that holds it.
 */
function version(): string {
  const file = [new URL('../package.json', import.meta.url), new URL('../../package.json', import.meta.url)].find((u) => existsSync(u));
  return file ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'unknown';
}

/** The program with its global options and its exits, before any command is added. */
export function bouncedProgram(): Command {
  return (
    new Command()
      .name('bounced')
      .description('Bounce-processing mail daemon: DSNs, NDRs, ARF complaints and auto-replies in; suppression out.')
      .version(version(), '-V, --version', 'print the version')
      .option('-c, --config <file>', 'JSON config file (or BOUNCED_CONFIG)')
      .showHelpAfterError()
      // Usage errors exit 64 (EX_USAGE), help and --version 0 (./usage.ts); set before the
      // subcommands are added, which inherit it.
      .exitOverride(exitForCommander)
  );
}

/** Parses the command line and runs the command; an error becomes its message and exit code. */
export function runProgram(program: Command): void {
  program.parseAsync(process.argv).catch((err: unknown) => {
    if (err instanceof UsageError) {
      console.error(err.message);
      process.exit(err.exitCode);
    }
    if ((err as Error)?.name === 'ConfigError' || (err as Error)?.name === 'EspConfigError') {
      console.error(`bounced: ${(err as Error).message}`);
      process.exit(EX_CONFIG);
    }
    console.error(`bounced: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  });
}
