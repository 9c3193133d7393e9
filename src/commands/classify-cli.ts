// `bounced classify`'s command-line definition, shared by the whole command line (../cli.ts)
// and the single-file build that starts fast (../classify-main.ts).
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { runClassify } from './classify.js';
import { formatOption, type ListFormat } from './print.js';
import { wholeNumber } from './usage.js';

export function registerClassifyCommand(program: Command): void {
  program
    .command('classify')
    .description('parse and classify message files (folders are walked recursively); prints one line per recipient')
    .argument('<paths...>', 'files or folders')
    .addOption(formatOption('jsonl'))
    .option('--explain', 'add which detector and rule decided, on which text')
    .option('--progress', 'a progress line on stderr (default: when stderr is a terminal)')
    .option('--no-progress', 'no progress line')
    .option('--jobs <n>', 'threads that classify at once, for runs of many files (default: the cores available less one)', wholeNumber(1))
    .action(async (paths: string[], opts: { format: ListFormat; explain?: boolean; progress?: boolean; jobs?: number }) => {
      const progress = opts.progress ?? Boolean(process.stderr.isTTY);
      // A classifying thread keeps V8's own helper threads (JIT compilation, GC) busy about a
      // third of a core (measured, bench/README.md): one thread per core would oversubscribe.
      const jobs = opts.jobs ?? Math.max(1, availableParallelism() - 1);
      process.exitCode = await runClassify(paths, { format: opts.format, explain: Boolean(opts.explain), jobs, progress: progress ? { out: process.stderr, always: opts.progress === true } : undefined }, process.stdout);
    });
}
