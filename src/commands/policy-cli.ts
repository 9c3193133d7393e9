import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import type { Config } from '../config/schema.js';
import type { Channel, Profile, SuppressionReason, Tier } from '../policy/contract.js';
import { ADDABLE_REASONS, CHANNELS, PROFILES, TIERS, type AddableReason } from '../domain/index.js';
import type { Built } from '../pipeline/build.js';
import type { PolicyService } from '../policy/service.js';
import { formatOption, printRows, type ListFormat } from './print.js';
import { parseInstant, wholeNumber } from './usage.js';

/** sysexits.h: input data was incorrect; the user named does not exist. */
const EX_DATAERR = 65;
const EX_NOUSER = 67;

// The account policy from the command line: accounts, health, suppressions, appeals,
// unsubscribe headers. Every command that depends on time takes --now (ISO 8601).

export interface PolicyCliHelpers {
  config: () => Config;
  /**
   * Opens the pipeline (pipeline/build.ts), runs fn, closes; a PolicyError is printed and exits 1
   * (undefined). Passed in so that this module loads nothing heavy itself.
   */
  withPipeline: <T>(config: Config, name: string, fn: (p: Built) => Promise<T>) => Promise<T | undefined>;
}

const actorDefault = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

const parseNow = parseInstant;

const jsonOrTable = () => new Option('--format <format>', 'output format').choices(['json', 'table']).default('table');
const listFormat = () => formatOption();
const nowOption = () => new Option('--now <time>', 'the instant (ISO 8601); default: now');
const actorOption = () => new Option('--actor <who>', 'who does this (audited)').default(actorDefault());

/** Runs fn with the policy service; PolicyError -> exit 1 with its message (undefined). */
function withPolicy<T>(helpers: PolicyCliHelpers, name: string, fn: (policy: PolicyService) => Promise<T>): Promise<T | undefined> {
  return helpers.withPipeline(helpers.config(), name, (p) => fn(p.policy));
}

function fail(name: string, error: string): void {
  console.error(`bounced ${name}: ${error}`);
  process.exitCode = 1;
}

export function registerPolicyCommands(program: Command, helpers: PolicyCliHelpers): void {
  // -- accounts ---------------------------------------------------------------------------
  const accounts = program.command('accounts').description('accounts: tier, policy profile, health');
  accounts
    .command('create')
    .description('create an account')
    .requiredOption('--id <id>', 'account id (as in the VERP tokens)')
    .addOption(new Option('--tier <tier>', 'plan').choices(TIERS).makeOptionMandatory())
    .addOption(new Option('--profile <profile>', 'policy profile').choices(PROFILES).default('default'))
    .option('--name <name>', 'display name')
    .option('--contact <email>', 'primary contact: warnings, suspensions and decisions are mailed here')
    .addOption(nowOption())
    .addOption(actorOption())
    .action(async (o: { id: string; tier: Tier; profile: Profile; name?: string; contact?: string; now?: string; actor: string }) => {
      const now = parseNow(o.now, 'accounts create');
      const a = await withPolicy(helpers, 'accounts create', (p) =>
        p.createAccount({ id: o.id, tier: o.tier, profile: o.profile, name: o.name, contactEmail: o.contact }, o.actor, now),
      );
      if (a) console.log(JSON.stringify(a));
    });
  accounts
    .command('update')
    .description('change an account (a profile change re-decides its stored bounces)')
    .argument('<id>')
    .addOption(new Option('--tier <tier>', 'plan').choices(TIERS))
    .addOption(new Option('--profile <profile>', 'policy profile').choices(PROFILES))
    .option('--name <name>', 'display name')
    .option('--contact <email>', 'primary contact')
    .addOption(nowOption())
    .addOption(actorOption())
    .action(async (id: string, o: { tier?: Tier; profile?: Profile; name?: string; contact?: string; now?: string; actor: string }) => {
      const now = parseNow(o.now, 'accounts update');
      const a = await withPolicy(helpers, 'accounts update', (p) => p.updateAccount(id, { tier: o.tier, profile: o.profile, name: o.name, contactEmail: o.contact }, o.actor, now));
      if (a === null) fail('accounts update', `no account ${id}`);
      else if (a) console.log(JSON.stringify(a));
    });
  accounts
    .command('list')
    .description('list accounts')
    .addOption(listFormat())
    .action(async (o: { format: ListFormat }) => {
      const rows = (await withPolicy(helpers, 'accounts list', (p) => p.listAccounts())) ?? [];
      printRows(rows as unknown as Record<string, unknown>[], o.format, ['id', 'tier', 'profile', 'contactEmail', 'name']);
    });
  accounts
    .command('health')
    .description('status (ok, warning, suspended), the month\'s three rates and limits, banner')
    .argument('<id>')
    .addOption(jsonOrTable())
    .addOption(nowOption())
    .action(async (id: string, o: { format: 'json' | 'table'; now?: string }) => {
      const now = parseNow(o.now, 'accounts health');
      const h = await withPolicy(helpers, 'accounts health', (p) => p.health(id, now));
      if (h === null) return fail('accounts health', `no account ${id}`);
      if (!h) return;
      if (o.format === 'json') return void console.log(JSON.stringify(h, null, 2));
      const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
      console.log(`account     ${h.accountId} (${h.tier}, ${h.profile})`);
      console.log(`status      ${h.status}${h.suspension ? ` (${h.suspension})` : ''}   one-to-one: ${h.channel.oneToOne}`);
      console.log(`month       ${h.month}, ${h.figures?.sends ?? 0} sends`);
      for (const [name, r] of Object.entries(h.rates)) {
        console.log(`${name.padEnd(12)}${String(r.count).padStart(6)}  ${pct(r.rate).padStart(8)}  limit ${pct(r.limit)}, warn at ${pct(r.warnAt)}`);
      }
      if (h.banner) console.log(`\n${h.banner}`);
      for (const r of h.recommendations) console.log(`  - ${r}`);
    });
  accounts
    .command('abuse')
    .description('record a direct complaint to the abuse desk (admin); --suspend suspends marketing at once')
    .argument('<id>')
    .requiredOption('--detail <text>', 'what was reported')
    .option('--suspend', 'suspend marketing now')
    .addOption(nowOption())
    .addOption(actorOption())
    .action(async (id: string, o: { detail: string; suspend?: boolean; now?: string; actor: string }) => {
      const now = parseNow(o.now, 'accounts abuse');
      await withPolicy(helpers, 'accounts abuse', (p) => p.recordAbuseReport(id, o.detail, Boolean(o.suspend), o.actor, now));
    });
  accounts
    .command('suspend')
    .description('suspend one channel of an account (admin), e.g. one-to-one for a connected inbox')
    .argument('<id>')
    .addOption(new Option('--channel <channel>', 'channel').choices(CHANNELS).default('one_to_one'))
    .requiredOption('--reason <text>', 'why (audited, mailed to the contact)')
    .addOption(nowOption())
    .addOption(actorOption())
    .action(async (id: string, o: { channel: Channel; reason: string; now?: string; actor: string }) => {
      const now = parseNow(o.now, 'accounts suspend');
      const changed = await withPolicy(helpers, 'accounts suspend', (p) => p.suspendChannel(id, o.channel, o.reason, o.actor, now));
      if (changed === false) console.error('bounced accounts suspend: already suspended');
    });
  accounts
    .command('review')
    .description('review of an account: hold (lock marketing), submit (the account\'s form), approve, deny')
    .argument('<action>', 'hold | submit | approve | deny')
    .argument('<id>')
    .option('--reason <text>', 'why (hold, approve, deny)')
    .option('--contacts-source <text>', 'submit: where the contacts come from')
    .option('--email-purpose <text>', 'submit: the email the account wants to send')
    .addOption(nowOption())
    .addOption(actorOption())
    .action(async (action: string, id: string, o: { reason?: string; contactsSource?: string; emailPurpose?: string; now?: string; actor: string }) => {
      const now = parseNow(o.now, 'accounts review');
      const r = await withPolicy(helpers, 'accounts review', async (p): Promise<{ ok: true } | { ok: false; error: string }> => {
        switch (action) {
          case 'hold':
            await p.holdForReview(id, o.actor, o.reason ?? 'held by an admin', now);
            return { ok: true as const };
          case 'submit':
            return p.submitReview(id, { contactsSource: o.contactsSource, emailPurpose: o.emailPurpose }, now);
          case 'approve':
          case 'deny':
            return p.decideReview(id, action, o.reason ?? '', o.actor, now);
          default:
            return { ok: false as const, error: 'action must be hold, submit, approve or deny' };
        }
      });
      if (r && !r.ok) fail('accounts review', r.error);
    });

  // -- suppressions -----------------------------------------------------------------------
  const suppressions = program.command('suppressions').description('who an account may not mail, and why');
  suppressions
    .command('check')
    .description('may ACCOUNT mail ADDRESS now? (send or not, and why); exit 0: send, 1: do not send, 67: no such account, 65: bad input')
    .argument('<address>')
    .requiredOption('--account <id>', 'account id')
    .option('--campaign <id>', 'the campaign the mail belongs to')
    .addOption(new Option('--channel <channel>', 'channel').choices(CHANNELS).default('marketing'))
    .addOption(jsonOrTable())
    .addOption(nowOption())
    .action(async (address: string, o: { account: string; campaign?: string; channel: Channel; format: 'json' | 'table'; now?: string }) => {
      const now = parseNow(o.now, 'suppressions check');
      // Scripts test the answer by the exit status, as with test(1) or grep: 0 send, 1 do not
      // send. Anything else is not an answer, so it never exits 1: no such account is
      // sysexits EX_NOUSER (67), input the policy refuses EX_DATAERR (65).
      const d = await helpers.withPipeline(helpers.config(), 'suppressions check', (p) =>
        p.policy.checkSendExisting(o.account, address, now, { campaign: o.campaign, channel: o.channel }).catch((err: unknown) => {
          if ((err as Error)?.name !== 'PolicyError') throw err;
          console.error(`bounced suppressions check: ${(err as Error).message}`);
          return 'refused' as const;
        }),
      );
      if (d === 'refused' || d === undefined) return void (process.exitCode = EX_DATAERR);
      if (d === null) {
        console.error(`bounced suppressions check: no account ${o.account}`);
        return void (process.exitCode = EX_NOUSER);
      }
      process.exitCode = d.send ? 0 : 1;
      if (o.format === 'json') return void console.log(JSON.stringify(d));
      console.log(`${d.send ? 'send' : 'do not send'}: ${d.address}`);
      for (const r of d.reasons) console.log(`  ${r.code} (${r.scope}) since ${new Date(r.since).toISOString()}${r.detail ? `: ${r.detail}` : ''}`);
    });
  suppressions
    .command('list')
    .description('suppressions of an account (its own and the global ones)')
    .requiredOption('--account <id>', 'account id')
    .option('--reason <reason>', 'only this reason')
    .addOption(new Option('--scope <scope>', 'account or global').choices(['account', 'global']))
    .option('--limit <n>', 'at most this many', wholeNumber(1), 1000)
    .option('--cursor <cursor>', 'continue after this cursor (printed on stderr when there is more)')
    .addOption(listFormat())
    .action(async (o: { account: string; reason?: SuppressionReason; scope?: 'account' | 'global'; limit: number; cursor?: string; format: ListFormat }) => {
      const page = await withPolicy(helpers, 'suppressions list', (p) => p.listSuppressions({ accountId: o.account, reason: o.reason, scope: o.scope, limit: o.limit, cursor: o.cursor }));
      if (!page) return;
      printRows(page.items as unknown as Record<string, unknown>[], o.format, ['address', 'accountId', 'reason', 'createdAt', 'source']);
      if (page.next) console.error(`more: --cursor ${page.next}`);
    });
  suppressions
    .command('add')
    .description('suppress addresses for an account (an imported opt-out list, a manual block)')
    .argument('<addresses...>')
    .requiredOption('--account <id>', 'account id')
    .addOption(new Option('--reason <reason>', 'why').choices(ADDABLE_REASONS).default('manual'))
    .addOption(nowOption())
    .addOption(actorOption())
    .action(async (addresses: string[], o: { account: string; reason: AddableReason; now?: string; actor: string }) => {
      const now = parseNow(o.now, 'suppressions add');
      const n = await withPolicy(helpers, 'suppressions add', (p) => p.addSuppressions(o.account, addresses, o.reason, o.actor, now));
      if (n !== undefined) console.log(JSON.stringify({ added: n }));
    });
  suppressions
    .command('remove')
    .description('unbounce: lift the account\'s own bounce (or manual/import) suppression of ADDRESS; never a global one, never an unsubscribe or complaint; audited')
    .argument('<address>')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--why <text>', 'why (e.g. "contact allowlisted our IPs")')
    .addOption(nowOption())
    .addOption(actorOption())
    .action(async (address: string, o: { account: string; why: string; now?: string; actor: string }) => {
      const now = parseNow(o.now, 'suppressions remove');
      const removed = await withPolicy(helpers, 'suppressions remove', (p) => p.removeSuppression(o.account, address, o.actor, o.why, now));
      if (removed === false) fail('suppressions remove', `no removable suppression of ${address} for ${o.account}`);
      else if (removed) console.log(JSON.stringify({ removed: true }));
    });

  // -- appeals ----------------------------------------------------------------------------
  const appeals = program.command('appeals').description('appeals against a suspension');
  appeals
    .command('file')
    .description('file an appeal for a suspended account (paid and trial plans; one open at a time)')
    .requiredOption('--account <id>', 'account id')
    .option('--imported-opt-out-list', 'we imported our opt-out list')
    .option('--cleaned-lists', 'we cleaned our lists')
    .option('--mailed-within-year', 'every contact was mailed within the last year')
    .option('--contacts-source <text>', 'where the contacts come from')
    .option('--message <text>', 'anything else the reviewer should know')
    .addOption(new Option('--channel <channel>', 'which suspension').choices(CHANNELS).default('marketing'))
    .addOption(nowOption())
    .action(async (o: { account: string; importedOptOutList?: boolean; cleanedLists?: boolean; mailedWithinYear?: boolean; contactsSource?: string; message?: string; channel: Channel; now?: string }) => {
      const now = parseNow(o.now, 'appeals file');
      const r = await withPolicy(helpers, 'appeals file', (p) =>
        p.fileAppeal(o.account, {
          channel: o.channel,
          importedOptOutList: Boolean(o.importedOptOutList),
          cleanedLists: Boolean(o.cleanedLists),
          mailedWithinYear: Boolean(o.mailedWithinYear),
          contactsSource: o.contactsSource,
          message: o.message,
        }, now),
      );
      if (!r) return;
      if (!r.ok) return fail('appeals file', r.error);
      console.log(JSON.stringify(r));
    });
  appeals
    .command('decide')
    .description('decide an appeal (admin): reinstate or deny, with a reason; suppressions stay either way')
    .argument('<appealId>', 'appeal id', wholeNumber(1))
    .addOption(new Option('--decision <decision>', 'reinstate or deny').choices(['reinstate', 'deny']).makeOptionMandatory())
    .requiredOption('--reason <text>', 'why (mailed to the account)')
    .addOption(nowOption())
    .addOption(actorOption())
    .action(async (appealId: number, o: { decision: 'reinstate' | 'deny'; reason: string; now?: string; actor: string }) => {
      const now = parseNow(o.now, 'appeals decide');
      const r = await withPolicy(helpers, 'appeals decide', (p) => p.decideAppeal(appealId, o.decision, o.reason, o.actor, now));
      if (!r) return;
      if (!r.ok) return fail('appeals decide', r.error);
      console.log(JSON.stringify(r));
    });
  appeals
    .command('list')
    .description('appeals, open and decided')
    .option('--account <id>', 'only this account')
    .addOption(listFormat())
    .action(async (o: { account?: string; format: ListFormat }) => {
      const rows = (await withPolicy(helpers, 'appeals list', (p) => p.listAppeals(o.account))) ?? [];
      printRows(rows as unknown as Record<string, unknown>[], o.format, ['id', 'accountId', 'channel', 'state', 'filedAt', 'decidedBy', 'decisionReason']);
    });

  // -- campaigns, unsubscribe headers, notifications --------------------------------------
  const campaigns = program.command('campaigns').description('campaign figures (the canary protection)');
  campaigns
    .command('sends')
    .description('count sends of a campaign made through another MTA, and/or declare its size')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--campaign <id>', 'campaign id')
    .option('--count <n>', 'sends to add', wholeNumber(0), 0)
    .option('--planned <n>', 'the campaign\'s total size (the canary is a fraction of it)', wholeNumber(1))
    .addOption(nowOption())
    .action(async (o: { account: string; campaign: string; count: number; planned?: number; now?: string }) => {
      const now = parseNow(o.now, 'campaigns sends');
      await withPolicy(helpers, 'campaigns sends', (p) => p.recordCampaignSends(o.account, o.campaign, o.count, o.planned ?? null, now));
    });
  campaigns
    .command('show')
    .description('a campaign\'s sends, hard bounces, rate and state')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--campaign <id>', 'campaign id')
    .action(async (o: { account: string; campaign: string }) => {
      const c = await withPolicy(helpers, 'campaigns show', (p) => p.campaignHealth(o.account, o.campaign));
      if (c === null) return fail('campaigns show', 'no such campaign');
      if (c) console.log(JSON.stringify(c));
    });

  program
    .command('unsubscribe-headers')
    .description('print the List-Unsubscribe and List-Unsubscribe-Post headers for one outgoing mail (RFC 2369, RFC 8058)')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--message <id>', 'message id ([o2o:][<campaign>/]<message>)')
    .requiredOption('--recipient <address>', 'recipient address')
    .option('--domain <domain>', 'bounce domain (default: the first configured)')
    .action(async (o: { account: string; message: string; recipient: string; domain?: string }) => {
      const h = await withPolicy(helpers, 'unsubscribe-headers', async (p) => p.unsubscribeHeaders(o.account, o.message, o.recipient, o.domain));
      if (h) for (const [k, v] of Object.entries(h)) console.log(`${k}: ${v}`);
    });

  const notifications = program.command('notifications').description('mail to account contacts (the outbox)');
  notifications
    .command('list')
    .description('queued and sent notifications')
    .option('--account <id>', 'only this account')
    .addOption(listFormat())
    .action(async (o: { account?: string; format: ListFormat }) => {
      const rows = (await withPolicy(helpers, 'notifications list', (p) => p.listNotifications(o.account))) ?? [];
      printRows(rows as unknown as Record<string, unknown>[], o.format, ['id', 'accountId', 'kind', 'recipient', 'subject', 'attempts', 'sentAt', 'lastError']);
    });
}
