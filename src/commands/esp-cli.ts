// Issue #19's commands: an account's soft-bounce limit (`bounced accounts soft-limit`) and the
// exports (`bounced export`) and `bounced reclassify`. Registered beside the policy commands (src/cli.ts).
import { Argument, Option, type Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { userInfo } from 'node:os';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { ConfigError } from '../config/errors.js';
import { checkExportFilter, EXPORT_FORMATS, EXPORT_KINDS, exportChunks, ExportError, type ExportFormat, type ExportKind } from '../exports/index.js';
import { PROVIDERS } from '../esp/types.js';
import { checkSoftBounceLimit } from '../policy/rules.js';
import type { PolicyCliHelpers } from './policy-cli.js';

const actor = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

export function registerEspCommands(program: Command, helpers: PolicyCliHelpers): void {
  const accounts = program.commands.find((c) => c.name() === 'accounts') ?? program.command('accounts');
  accounts
    .command('soft-limit')
    .description('show or set the account\'s soft-bounce limit: N soft bounces of an address within D days (no delivery between) suppress it for S days')
    .requiredOption('--account <id>', 'the account')
    .option('--bounces <n>', 'soft bounces that suppress (at least 2)', (v) => Number(v))
    .option('--window-days <d>', '... within this many days', (v) => Number(v))
    .option('--suppress-days <s>', 'for this many days', (v) => Number(v))
    .option('--off', 'remove the limit (soft bounces never suppress: the default)')
    .action(async (o: { account: string; bounces?: number; windowDays?: number; suppressDays?: number; off?: boolean }) => {
      const setting = o.bounces !== undefined || o.windowDays !== undefined || o.suppressDays !== undefined;
      const limit = setting ? { bounces: o.bounces ?? NaN, windowDays: o.windowDays ?? NaN, suppressDays: o.suppressDays ?? NaN } : null;
      if (limit && o.off) return fail('accounts soft-limit', 'give --off or the three numbers, not both');
      const problem = limit ? checkSoftBounceLimit(limit) : null;
      if (problem) return fail('accounts soft-limit', `${problem} (give --bounces, --window-days and --suppress-days)`);
      await helpers.withPipeline(helpers.config(), 'accounts soft-limit', async ({ store }) => {
        if (!(await store.accounts.exists(o.account))) return fail('accounts soft-limit', `no account ${o.account}`);
        if (limit || o.off) {
          const now = Date.now();
          await store.transaction(async (tx) => {
            await tx.accounts.setSoftBounceLimit(o.account, limit, now);
            await tx.audit.add({ at: now, actor: actor(), accountId: o.account, action: 'account.update', subject: 'soft_bounce_limit', detail: limit ? { ...limit } : null });
          });
        }
        console.log(JSON.stringify({ account: o.account, softBounceLimit: await store.accounts.softBounceLimit(o.account) }));
      });
    });
}

function time(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const t = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t)) throw new ConfigError(`bounced export: ${flag} ${value} is not epoch milliseconds or an ISO 8601 date`);
  return t;
}

/** Writes chunks to `out`, waiting whenever it asks to (a slow pipe holds one page, not the export). */
async function writeAll(chunks: AsyncIterable<string>, out: Writable): Promise<number> {
  let bytes = 0;
  for await (const c of chunks) {
    bytes += Buffer.byteLength(c);
    if (!out.write(c)) await once(out, 'drain');
  }
  return bytes;
}

export function registerExportCommand(program: Command, helpers: PolicyCliHelpers): void {
  program
    .command('export')
    .description('export bounces, deliveries, suppressions or provider events as CSV or JSON lines (streamed a page at a time)')
    .addArgument(new Argument('<kind>', 'what to export').choices(EXPORT_KINDS))
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('csv'))
    .option('--account <id>', 'only this account (required for suppressions)')
    .option('--since <time>', 'created (deliveries: first evidence; events: received) at or after: epoch ms or ISO 8601')
    .option('--until <time>', '... and before')
    .option('--category <c>', 'bounces: category; deliveries: state; suppressions: reason; events: kind')
    .addOption(new Option('--provider <p>', 'events only').choices(PROVIDERS))
    .option('--out <file>', 'write here instead of stdout')
    .action(async (kind: ExportKind, o: { format: ExportFormat; account?: string; since?: string; until?: string; category?: string; provider?: (typeof PROVIDERS)[number]; out?: string }) => {
      const f = { accountId: o.account, since: time(o.since, '--since'), until: time(o.until, '--until'), category: o.category, provider: o.provider };
      try {
        checkExportFilter(kind, f);
      } catch (err) {
        if (err instanceof ExportError) return fail('export', err.message);
        throw err;
      }
      await helpers.withPipeline(helpers.config(), 'export', async ({ store }) => {
        const out = o.out ? createWriteStream(o.out) : process.stdout;
        await writeAll(exportChunks(store, kind, o.format, f), out);
        if (o.out) {
          out.end();
          await once(out, 'finish');
        }
      });
    });
}

function fail(name: string, error: string): void {
  console.error(`bounced ${name}: ${error}`);
  process.exitCode = 1;
}

export function registerReclassifyCommand(program: Command, helpers: PolicyCliHelpers): void {
  program
    .command('reclassify')
    .description('after a classifier change: classify the stored reports of bounce records again and rewrite the records whose classification changed (audited; evidence, rates, events and suppressions stay as they were)')
    .option('--account <id>', 'only this account\'s records')
    .option('--since <time>', 'records created at or after: epoch ms or ISO 8601')
    .option('--until <time>', '... and before')
    .option('--detector <name>', 'only records of this detector (postfix, exim, ...)')
    .option('--dry-run', 'count what would change; write nothing')
    .option('--verbose', 'print each change (JSON line) before the summary')
    .action(async (o: { account?: string; since?: string; until?: string; detector?: string; dryRun?: boolean; verbose?: boolean }) => {
      const f = { accountId: o.account, since: time(o.since, '--since'), until: time(o.until, '--until'), detector: o.detector };
      const cfg = helpers.config();
      await helpers.withPipeline(cfg, 'reclassify', async ({ store }) => {
        // The parse worker with its budget, as for new mail: a stored report is still a stranger's.
        const [{ ParseHost, parseHostOptions }, { reclassify }, { createLogger }] = await Promise.all([
          import('../pipeline/parse-host.js'),
          import('../pipeline/reclassify.js'),
          import('../log.js'),
        ]);
        const parser = new ParseHost(parseHostOptions(cfg, createLogger(cfg.logLevel)));
        try {
          const onChange = o.verbose ? (c: unknown) => console.log(JSON.stringify(c)) : undefined;
          const r = await reclassify(store, parser, f, { now: Date.now(), actor: actor(), dryRun: o.dryRun, onChange });
          console.log(JSON.stringify({ dryRun: Boolean(o.dryRun), ...r }));
        } finally {
          await parser.close();
        }
      });
    });
}
