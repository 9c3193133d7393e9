import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { Config } from '../config/schema.js';
import type { Built } from '../pipeline/build.js';
import type { RegisterErrorCode } from '../inbox/service.js';
import { TLS_MODES, type InboxSecret, type TlsMode } from '../inbox/types.js';
import { printRows } from './print.js';

// Connected inboxes from the command line (issue #17): add (the secret only from a file,
// never an argument that `ps` shows), list (never the secret), remove, sync --once. The IMAP
// side (imapflow) is loaded by the commands that use it, not by every `bounced` command.
const service = () => import('../inbox/service.js');

export interface InboxCliHelpers {
  config: () => Config;
  withPipeline: <T>(config: Config, name: string, fn: (p: Built) => Promise<T>) => Promise<T | undefined>;
}

/** sysexits(3): what a script around `bounced inboxes` may act on. */
const EX_USAGE = 64;
const EX_TEMPFAIL = 75;
const EX_NOPERM = 77;
const EX_CONFIG = 78;

const ADD_EXITS: Record<RegisterErrorCode, number> = { invalid_inbox: EX_USAGE, plaintext_not_allowed: EX_USAGE, unknown_account: 1, no_credential_key: EX_CONFIG, conflict: 1 };
/** A sync's error: the user must fix the credentials (77), or a later try may work (75). */
const CREDENTIAL_CODES = new Set(['auth_failed', 'token_rejected', 'credentials_unreadable']);

function fail(name: string, message: string, code: number): void {
  console.error(`bounced inboxes ${name}: ${message}`);
  process.exitCode = code;
}

/** A secret file's text: one line, its end-of-line dropped. */
function readSecret(path: string): string {
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}

export function registerInboxCommands(program: Command, h: InboxCliHelpers): void {
  const inboxes = program.command('inboxes').description('connected inboxes (IMAP): bounces of one-to-one mail');

  inboxes
    .command('add')
    .description('connect an inbox of an account (credentials stored encrypted with inboxes.credentialKey)')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--host <host>', 'IMAP server')
    .option('--port <port>', 'IMAP port', (v) => Number(v), 993)
    .addOption(new Option('--tls <mode>', 'implicit (IMAPS), starttls, none (loopback only)').choices(TLS_MODES).default('implicit'))
    .requiredOption('--user <user>', 'login')
    .option('--password-file <file>', 'file holding the password')
    .option('--token-file <file>', 'file holding an OAuth2 access token (XOAUTH2)')
    .option('--move-to <folder>', 'move found bounces to this folder (default: they stay)')
    .option('--sent-folder <path>', 'the Sent folder when the server marks none (\\Sent)')
    .option('--window-hours <n>', 'how far back a gateway notice may refer to a sent message', (v) => Number(v))
    .action(async (o: { account: string; host: string; port: number; tls: TlsMode; user: string; passwordFile?: string; tokenFile?: string; moveTo?: string; sentFolder?: string; windowHours?: number }) => {
      if (Boolean(o.passwordFile) === Boolean(o.tokenFile)) return fail('add', 'give exactly one of --password-file and --token-file', EX_USAGE);
      let secret: InboxSecret;
      try {
        secret = o.passwordFile ? { kind: 'password', password: readSecret(o.passwordFile) } : { kind: 'xoauth2', accessToken: readSecret(o.tokenFile!) };
      } catch (err) {
        return fail('add', `cannot read the secret file: ${(err as Error).message}`, 66);
      }
      const cfg = h.config();
      const { credentialKeys, registerInbox } = await service();
      await h.withPipeline(cfg, 'inboxes add', async ({ store }) => {
        const r = await registerInbox(
          store,
          credentialKeys(cfg.inboxes),
          { accountId: o.account, host: o.host, port: o.port, tls: o.tls, user: o.user, secret, moveTo: o.moveTo ?? null, sentFolder: o.sentFolder ?? null, windowHours: o.windowHours ?? null },
          Date.now(),
        );
        if (!r.ok) return fail('add', r.message, ADD_EXITS[r.code]);
        console.error(`connected ${r.inbox.id} for account ${o.account}; a running daemon syncs it within ${cfg.inboxes.pollIntervalSeconds} s`);
        console.log(r.inbox.id);
      });
    });

  inboxes
    .command('list')
    .description('connected inboxes: status, last sync, counters (never the secret)')
    .option('--account <id>', 'only this account')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'table']).default('table'))
    .action(async (o: { account?: string; format: 'jsonl' | 'table' }) => {
      await h.withPipeline(h.config(), 'inboxes list', async ({ store }) => {
        const rows = (await store.inboxes.list(o.account)).map((i) => {
          const c = (i.status.counters ?? {}) as { scanned?: number; bounces?: Record<string, number> };
          return {
            ...i,
            state: i.status.state,
            error: i.status.errorCode,
            lastSyncAt: i.status.lastSyncAt === null ? null : new Date(i.status.lastSyncAt).toISOString(),
            scanned: c.scanned ?? 0,
            bounces: Object.values(c.bounces ?? {}).reduce((a, b) => a + b, 0),
            // the node watching (or syncing) it, while its lease runs
            watchedBy: i.lease && i.lease.until > Date.now() ? i.lease.node : null,
          };
        });
        printRows(rows, o.format, ['id', 'accountId', 'host', 'port', 'tls', 'user', 'state', 'error', 'lastSyncAt', 'scanned', 'bounces', 'watchedBy']);
      });
    });

  inboxes
    .command('remove')
    .description('disconnect an inbox: its credentials and sync state are deleted; the bounce records stay')
    .argument('<id>', 'inbox id (ibx_...)')
    .requiredOption('--account <id>', 'account id')
    .action(async (id: string, o: { account: string }) => {
      const ok = await h.withPipeline(h.config(), 'inboxes remove', ({ store }) => store.inboxes.remove(o.account, id));
      if (ok === false) fail('remove', `no inbox ${id} of account ${o.account}`, 1);
    });

  inboxes
    .command('sync')
    .description('sync one inbox now and exit: 0 done, 75 a temporary error, 77 the credentials are refused or unreadable')
    .argument('<id>', 'inbox id (ibx_...)')
    .requiredOption('--once', 'one sync, then exit (watching is the daemon\'s job)')
    .action(async (id: string) => {
      const cfg = h.config();
      const { InboxService } = await service();
      const { createLogger } = await import('../log.js');
      await h.withPipeline(cfg, 'inboxes sync', async ({ store, rules }) => {
        const svc = new InboxService({ store, rules, log: createLogger(process.env.BOUNCED_LOG_LEVEL ?? 'warn').child({ mod: 'inbox' }), config: cfg.inboxes });
        if (!svc.configured) return fail('sync', 'inboxes.credentialKey is not configured', EX_CONFIG);
        const out = await svc.syncNow(id);
        if (out === null) return fail('sync', `no inbox ${id}`, 1);
        const c = out.status.counters;
        const found = Object.values(c.bounces).reduce((a, b) => a + b, 0);
        if (!out.ok) return fail('sync', `${out.error.code}: ${out.error.message}`, CREDENTIAL_CODES.has(out.error.code) ? EX_NOPERM : EX_TEMPFAIL);
        console.log(JSON.stringify({ id, scanned: c.scanned, sentIndexed: c.sentIndexed, bounces: found, duplicates: c.duplicates, pendingUids: out.status.pendingUids }));
      });
    });
}
