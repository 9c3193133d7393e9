// Issue #19's commands: an account's soft-bounce limit (`bounced accounts soft-limit`) and the
// exports (`bounced export`). Registered beside the policy commands (src/cli.ts).
import type { Command } from 'commander';
import { userInfo } from 'node:os';
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

function fail(name: string, error: string): void {
  console.error(`bounced ${name}: ${error}`);
  process.exitCode = 1;
}
