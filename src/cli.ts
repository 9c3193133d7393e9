#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { formatOption, printRows, type ListFormat } from './commands/print.js';
import { parseInstant, UsageError, wholeNumber } from './commands/usage.js';
import { bouncedProgram, runProgram } from './commands/program.js';
import { registerClassifyCommand } from './commands/classify-cli.js';
import type { DeliveryState, MessageState } from './domain/index.js';
import { registerPolicyCommands } from './commands/policy-cli.js';
import { registerInboxCommands } from './commands/inboxes-cli.js';
import { registerEspCommands, registerExportCommand, registerReclassifyCommand } from './commands/esp-cli.js';

// Every command but `classify` needs the configuration (zod), logs (pino) and mostly the
// store (better-sqlite3) and the policy: loaded once, just before such a command runs, so
// that `bounced classify` over thousands of files starts in a third of the time.
const loadModules = async () => {
  const parts = await Promise.all([
    import('./commands/backup.js'),
    import('./config/load.js'),
    import('./log.js'),
    import('./pipeline/intake.js'),
    import('./pipeline/parse-host.js'),
    import('./pipeline/build.js'),
    import('./webhooks/dispatcher.js'),
    import('./verp/secret.js'),
    import('./logtail/tailer.js'),
    import('./scheduler/index.js'),
    import('./scheduler/jobs.js'),
    import('./domain/time.js'),
    import('./api/auth.js'),
    import('./address.js'),
    import('./store/inspect.js'),
  ]);
  return Object.assign({}, ...parts) as UnionToIntersection<(typeof parts)[number]>;
};
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
let M!: Awaited<ReturnType<typeof loadModules>>;

// sysexits.h codes that Postfix's pipe(8) understands: 75 means "try again later".
const EX_TEMPFAIL = 75;

// name, version, global options, exit codes: commands/program.ts (shared with classify-main.ts)
const program = bouncedProgram();
program
  .hook('preAction', async (_program, command) => {
    if (command.name() !== 'classify') M ??= await loadModules();
  });

function config(): Config {
  return M.loadConfig({ file: program.opts().config as string | undefined });
}

function cliLogger(cfg: Config, quiet = true): Logger {
  // One-shot commands stay quiet on stderr unless the operator asked for more.
  const level = quiet && !process.env.BOUNCED_LOG_LEVEL ? 'warn' : cfg.logLevel;
  return M.createLogger(level);
}

/**
 * Opens the pipeline (pipeline/build.ts: store, VERP codec, policy) for a command, runs `fn`,
 * closes it. A policy mistake (PolicyError: no such account, a bad tier) is the operator's:
 * its message and exit 1.
 */
async function withPipeline<T>(cfg: Config, name: string, fn: (p: Awaited<ReturnType<typeof M.buildPipeline>>) => Promise<T>, opts: { log?: Logger; role?: string } = {}): Promise<T | undefined> {
  const p = await M.buildPipeline(cfg, { log: opts.log ?? cliLogger(cfg), role: opts.role });
  try {
    return await fn(p);
  } catch (err) {
    if ((err as Error)?.name === 'PolicyError') {
      console.error(`bounced ${name}: ${(err as Error).message}`);
      process.exitCode = 1;
      return undefined;
    }
    throw err;
  } finally {
    await p.close();
  }
}

/** The VERP codec for commands that do not open the store (they still warn of a new secret beside old mail). */
function codecFor(cfg: Config) {
  return M.verpCodec(cfg, { log: cliLogger(cfg), storeHasMessages: () => M.inspectDatabase(cfg.dataDir).hasMessages === true });
}


program
  .command('serve')
  .description('run the daemon: SMTP listener, processing, HTTP API')
  .action(async () => {
    const cfg = config();
    const log = M.createLogger(cfg.logLevel);
    // Loaded here so that one-shot commands (classify above all) do not load the daemon's
    // HTTP server, SMTP server and their dependencies.
    const { startDaemon } = await import('./main.js');
    const daemon = await startDaemon(cfg, log);
    let signalled = false;
    const shutdown = (signal: string) => {
      if (signalled) return;
      signalled = true;
      log.info({ evt: 'SIGNAL', signal }, 'shutting down');
      // Docker gives 10 s after SIGTERM; we promise to be gone within 8.
      const hard = setTimeout(() => {
        log.error({ evt: 'SHUTDOWN_TIMEOUT' }, 'shutdown took too long; exiting');
        process.exit(1);
      }, 8000);
      hard.unref();
      daemon.stop().then(
        () => {
          log.flush();
          process.exitCode = 0;
        },
        (err) => {
          log.error({ evt: 'SHUTDOWN_FAILED', err }, 'shutdown failed');
          process.exitCode = 1;
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });

// the same definition as the single-file build's (classify-main.ts, started by bin.ts)
registerClassifyCommand(program);

/**
 * All of stdin, read through the stream. Not readFileSync(0): importing commander (an ES
 * module importing node:process) sets a piped stdin O_NONBLOCK, and a synchronous read before
 * the writer (Postfix's pipe(8)) has written fails with EAGAIN.
 */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

program
  .command('ingest')
  .description('store one message from FILE or stdin (as a Postfix pipe transport passes it); exit 0 once stored, 75 on a temporary failure')
  .argument('[file]', 'message file, or - for stdin', '-')
  .option('--sender <address>', 'envelope sender (MAIL FROM)', '')
  .option('--recipient <address>', 'envelope recipient (RCPT TO); repeat for several', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .action(async (file: string, opts: { sender: string; recipient: string[] }) => {
    const cfg = config();
    const log = cliLogger(cfg);
    let raw: Buffer;
    try {
      raw = file === '-' ? await readStdin() : readFileSync(file);
    } catch (err) {
      console.error(`bounced ingest: cannot read ${file}: ${(err as Error).message}`);
      process.exitCode = 66; // EX_NOINPUT
      return;
    }
    if (raw.length > cfg.smtp.maxMessageBytes) {
      console.error(`bounced ingest: message of ${raw.length} bytes is over the limit of ${cfg.smtp.maxMessageBytes}`);
      process.exitCode = 69; // EX_UNAVAILABLE: a permanent refusal, Postfix bounces it
      return;
    }
    let pipeline: Awaited<ReturnType<typeof M.buildPipeline>> | undefined;
    let id: number;
    try {
      pipeline = await M.buildPipeline(cfg, { log, role: 'ingest' });
      const intake = new M.Intake(pipeline.store, log, 1);
      id = await intake.accept({
        receivedAt: Date.now(),
        source: 'ingest',
        mailFrom: opts.sender.replace(/^<|>$/g, ''),
        rcptTo: opts.recipient.map((r) => r.replace(/^<|>$/g, '')),
        remoteIp: null,
        helo: null,
        raw,
      });
      log.info({ evt: 'INGESTED', msgRow: id }, 'message stored');
    } catch (err) {
      console.error(`bounced ingest: could not store the message (will be retried): ${(err as Error).message}`);
      await pipeline?.close().catch(() => {});
      process.exitCode = EX_TEMPFAIL;
      return;
    }
    // Stored: from here on the message is ours. Processing it now is a courtesy, of this
    // message only (never the backlog: Postfix may start many ingests at once, and a running
    // daemon or the next `serve` works off the rest), in a parse worker within the budget;
    // if it fails the daemon processes it from the store.
    const processor = pipeline.processor(log, {
      parser: new M.ParseHost(M.parseHostOptions(cfg, log)),
      maxAttempts: cfg.pipeline.maxAttempts,
    });
    try {
      await processor.processOnly([id]);
    } catch (err) {
      log.warn({ evt: 'INGEST_PROCESS_DEFERRED', err }, 'stored, processing deferred');
    }
    await processor.stop();
    await pipeline.close().catch(() => {});
    process.exitCode = 0;
  });

const verp = program.command('verp').description('signed VERP return paths');
verp
  .command('encode')
  .description('print the return path for one message to one recipient')
  .requiredOption('--account <id>', 'account id')
  .requiredOption('--message <id>', 'message id (the sender\'s)')
  .requiredOption('--recipient <address>', 'recipient address')
  .option('--domain <domain>', 'bounce domain (default: the first configured)')
  .action((opts: { account: string; message: string; recipient: string; domain?: string }) => {
    const cfg = config();
    const domain = opts.domain ?? cfg.bounceDomains[0]!;
    console.log(codecFor(cfg).encode({ account: opts.account, message: opts.message, recipient: opts.recipient }, domain));
  });
verp
  .command('decode')
  .description('print the fields of a return path as JSON; exit 1 when the signature is wrong')
  .argument('<address>')
  .action((address: string) => {
    const result = codecFor(config()).decode(address);
    if (result.ok) {
      console.log(JSON.stringify(result.fields));
    } else {
      console.error(`bounced verp decode: ${result.error}`);
      process.exitCode = 1;
    }
  });

program
  .command('migrate')
  .description('create the database or bring its schema up to date')
  .action(async () => {
    const cfg = config();
    await withPipeline(cfg, 'migrate', async ({ store }) => {
      const applied = store.appliedMigrations;
      console.log(`schema at version ${await store.schemaVersion()}${applied.length ? ` (applied now: ${applied.join(', ')})` : ' (up to date)'}`);
    });
  });

program
  .command('backup')
  .description('online copy of the database into FILE (safe while the daemon runs); checks the copy')
  .argument('<file>', 'where to write the copy (its directory must exist)')
  .option('--force', 'replace FILE if it exists')
  .action(async (file: string, opts: { force?: boolean }) => {
    const r = await M.runBackup(config(), file, { force: Boolean(opts.force) });
    if (!r.ok) {
      console.error(`bounced backup: ${r.error}`);
      process.exitCode = r.exitCode;
      return;
    }
    if (r.migrated.length) console.error(`bounced backup: note: migrations ${r.migrated.join(', ')} were applied before the copy`);
    console.log(`wrote ${r.file}: ${r.bytes} bytes, ${r.pages} pages, schema version ${r.schemaVersion}, quick_check ok`);
    // Big messages' spool files (issue #20), restored as <dataDir>/spool beside bounced.db.
    if (r.spool?.files) console.log(`copied ${r.spool.files} spool files (${r.spool.bytes} bytes) to ${r.spool.dir}`);
  });

// `store copy` (issue #15 part 2): an installation's SQLite database into PostgreSQL (src/store/copy.ts).
const storeCmd = program.command('store').description('the database as a whole');
storeCmd
  .command('copy')
  .description('copy every row of a database (SQLite file or directory, or postgres://) into PostgreSQL; counts checked; stop the daemon first')
  .requiredOption('--from <source>', 'sqlite:PATH, a bounced.db file or its directory, or postgres://...')
  .requiredOption('--to <url>', 'postgres://... (migrated first)')
  .option('--resume', 'finish a copy that stopped: rows already in the target are kept')
  .option('--force', 'empty the target first')
  .action(async (opts: { from: string; to: string; resume?: boolean; force?: boolean }) => {
    const cfg = config();
    const { copyStore } = await import('./store/copy.js');
    const { storeTarget } = await import('./pipeline/build.js');
    const r = await copyStore(opts.from, opts.to, {
      resume: Boolean(opts.resume),
      force: Boolean(opts.force),
      password: storeTarget(cfg).postgres?.password,
      onTable: (t) => console.log(`${t.table}\t${t.source} rows\t${t.inserted} inserted\t${t.target} in the target`),
    });
    if (!r.ok) {
      console.error(`bounced store copy: ${r.error}`);
      process.exitCode = r.code === 'target_not_empty' || r.code === 'counts_differ' ? 1 : 66; // EX_NOINPUT: no such source
      return;
    }
    const total = r.tables.reduce((n, t) => n + t.source, 0);
    console.log(`copied ${r.tables.length} tables, ${total} rows; counts equal on both sides`);
  });

const configCmd = program.command('config').description('configuration');
configCmd
  .command('print')
  .description('print the effective configuration (secrets redacted)')
  .option('--keys', 'list every key with its environment variable and default')
  .action((opts: { keys?: boolean }) => {
    if (opts.keys) {
      for (const k of M.describeConfig()) console.log(`${k.path}\t${k.env}\t${JSON.stringify(k.default)}`);
      return;
    }
    const cfg = config();
    // "//" keys are comments to the loader: the output stays a valid config file.
    const db = cfg.database.url ? null : M.inspectDatabase(cfg.dataDir);
    const inUse = {
      '// database': db
        ? `${db.path}${db.exists ? (db.hasMessages ? ' (holds messages)' : db.hasMessages === false ? ' (no messages yet)' : '') : ' (does not exist yet: created on first start)'}`
        : `PostgreSQL ${M.maskUrlPassword(cfg.database.url)}${cfg.database.readUrl ? `; pre-send reads from ${M.maskUrlPassword(cfg.database.readUrl)}` : ''}`,
      '// node': M.nodeId(cfg),
      '// verp.secret from': M.describeVerpSecret(cfg),
    };
    console.log(JSON.stringify({ ...inUse, ...M.redactConfig(cfg) }, null, 2));
  });

const messages = program.command('messages').description('stored messages');
messages
  .command('list')
  .description('list stored messages with their processing state and error')
  .option('--state <state>', 'received | processed | unparseable | duplicate')
  .option('--limit <n>', 'at most this many', wholeNumber(1), 1000)
  .addOption(formatOption())
  .action(async (opts: { state?: MessageState; limit: number; format: ListFormat }) => {
    await withPipeline(config(), 'messages list', async ({ store }) => {
      const rows = await store.messages.list({ state: opts.state, limit: opts.limit });
      printRows(rows as unknown as Record<string, unknown>[], opts.format, ['id', 'receivedAt', 'source', 'mailFrom', 'rcptTo', 'size', 'state', 'attempts', 'kind', 'detector', 'error', 'warning']);
    });
  });

const bounces = program.command('bounces').description('bounce records');
bounces
  .command('list')
  .description('list bounce records')
  .option('--account <id>', 'only this account')
  .option('--recipient <address>', 'only this recipient')
  .option('--limit <n>', 'at most this many', wholeNumber(1), 1000)
  .addOption(formatOption())
  .action(async (opts: { account?: string; recipient?: string; limit: number; format: ListFormat }) => {
    await withPipeline(config(), 'bounces list', async ({ store }) => {
      const recipient = opts.recipient === undefined ? undefined : M.canonicalAddress(opts.recipient);
      const rows = await store.bounces.list({ accountId: opts.account, recipient, limit: opts.limit });
      printRows(rows as unknown as Record<string, unknown>[], opts.format, ['id', 'accountId', 'recipient', 'type', 'reason', 'category', 'status', 'verified', 'rule', 'warning']);
    });
  });

program
  .command('tail')
  .description('follow a Postfix log (status=sent|deferred|bounced|expired) and record delivery evidence')
  .argument('[file]', 'the log file (default: tail.file / BOUNCED_TAIL_FILE)')
  .option('--once', 'read from the checkpoint to the end of the file, record, and exit')
  .action(async (file: string | undefined, opts: { once?: boolean }) => {
    const cfg = config();
    const path = file ?? cfg.tail.file;
    if (!path) throw new M.ConfigError('bounced tail: no file given and tail.file (BOUNCED_TAIL_FILE) is empty');
    const log = cliLogger(cfg, Boolean(opts.once));
    const built = await M.buildPipeline(cfg, { log });
    const tailer = new M.LogTailer({ path, store: built.store, rules: built.rules, verp: built.verp, log, pollMs: cfg.tail.pollMs });
    if (opts.once) {
      try {
        const stats = await tailer.runOnce();
        console.log(JSON.stringify(stats));
      } finally {
        await built.close();
      }
      return;
    }
    await tailer.start();
    const stop = () => {
      void tailer
        .stop()
        .then(() => built.close())
        .then(() => {
          process.exitCode = 0;
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

program
  .command('tick')
  .description('run every scheduled job due at an instant once (process spool, expire pending, ...) and exit')
  .option('--now <time>', 'the instant (ISO 8601); default: now')
  .action(async (opts: { now?: string }) => {
    const cfg = config();
    const now = parseInstant(opts.now, 'tick');
    const log = cliLogger(cfg);
    await withPipeline(
      cfg,
      'tick',
      async (built) => {
        // The process-spool job parses in a parse worker within the budget, like the daemon.
        const processor = built.processor(log, { now: () => now, parser: new M.ParseHost(M.parseHostOptions(cfg, log)), maxAttempts: cfg.pipeline.maxAttempts });
        try {
          const webhooks = M.configuredDispatcher(cfg, { webhooks: built.store.webhooks, node: built.node }, log);
          const jobs = [...M.standardJobs(cfg, built, processor, webhooks), ...M.policyJobs(cfg, built.policy, built.store, log)];
          const ran = await new M.Scheduler(built.store.jobs, jobs, log, { node: built.node }).runDue(now);
          console.log(JSON.stringify({ now: new Date(now).toISOString(), ran }));
        } finally {
          await processor.stop();
        }
      },
      { log, role: 'tick' },
    );
  });

const deliveries = program.command('deliveries').description('delivery records: one outcome per (account, message, recipient)');
deliveries
  .command('list')
  .description('list delivery records with state, times, attempts and evidence count')
  .option('--account <id>', 'only this account')
  .option('--state <state>', 'pending | delivered | soft | hard')
  .option('--limit <n>', 'at most this many', wholeNumber(1), 1000)
  .addOption(formatOption())
  .action(async (opts: { account?: string; state?: DeliveryState; limit: number; format: ListFormat }) => {
    await withPipeline(config(), 'deliveries list', async ({ store }) => {
      const rows = await store.deliveries.list({ accountId: opts.account, state: opts.state, limit: opts.limit });
      printRows(rows as unknown as Record<string, unknown>[], opts.format, ['id', 'accountId', 'messageId', 'recipient', 'state', 'attempts', 'evidenceCount', 'reason', 'status']);
    });
  });

const sends = program.command('sends').description('send counts per account and day (the denominator of the rates)');
sends
  .command('add')
  .description('count sends made through another MTA')
  .requiredOption('--account <id>', 'account id')
  .requiredOption('--count <n>', 'how many', wholeNumber(0))
  .option('--day <YYYY-MM-DD>', 'the day (UTC); default: today')
  .action(async (opts: { account: string; count: number; day?: string }) => {
    if (opts.day && !/^\d{4}-\d{2}-\d{2}$/.test(opts.day)) throw new UsageError('bounced sends add: --day must be YYYY-MM-DD');
    await withPipeline(config(), 'sends add', async ({ store, policy }) => {
      // An id typed by hand must name an existing account (the account rule: src/policy/apply.ts).
      await policy.requireAccount(opts.account);
      await store.sends.add(opts.account, opts.day ?? M.utcDay(Date.now()), opts.count);
    });
  });
sends
  .command('list')
  .description('send counts per account and day')
  .option('--account <id>', 'only this account')
  .addOption(formatOption())
  .action(async (opts: { account?: string; format: ListFormat }) => {
    await withPipeline(config(), 'sends list', async ({ store }) => {
      printRows((await store.sends.list(opts.account)) as unknown as Record<string, unknown>[], opts.format, ['accountId', 'day', 'count']);
    });
  });

registerPolicyCommands(program, { config, withPipeline: (c, name, fn) => withPipeline(c, name, fn) });
// Connected inboxes (issue #17).
registerInboxCommands(program, { config, withPipeline: (c, name, fn) => withPipeline(c, name, fn) });
registerEspCommands(program, { config, withPipeline: (c, name, fn) => withPipeline(c, name, fn) });
registerExportCommand(program, { config, withPipeline: (c, name, fn) => withPipeline(c, name, fn) });
registerReclassifyCommand(program, { config, withPipeline: (c, name, fn) => withPipeline(c, name, fn) });

const keys = program.command('keys').description('API keys of accounts (only their sha256 is stored)');
keys
  .command('create')
  .description('create an API key for an account and print it (the only time it is shown)')
  .requiredOption('--account <id>', 'account id')
  .option('--name <name>', 'a label for the key')
  .action(async (opts: { account: string; name?: string }) => {
    await withPipeline(config(), 'keys create', async ({ store }) => {
      if (!(await store.accounts.exists(opts.account))) {
        console.error(`bounced keys create: no account ${opts.account} (create it first: POST /v1/accounts)`);
        process.exitCode = 1;
        return;
      }
      const { record, key } = await M.createApiKey(store.keys, opts.account, opts.name ?? null, Date.now());
      console.error(`created ${record.id} for account ${opts.account}; store the key now, it is not shown again:`);
      console.log(key);
    });
  });
keys
  .command('list')
  .description("an account's keys: id, prefix, created, revoked")
  .requiredOption('--account <id>', 'account id')
  .addOption(formatOption())
  .action(async (opts: { account: string; format: ListFormat }) => {
    await withPipeline(config(), 'keys list', async ({ store }) => {
      printRows((await store.keys.list(opts.account)) as unknown as Record<string, unknown>[], opts.format, ['id', 'prefix', 'name', 'createdAt', 'revokedAt']);
    });
  });
keys
  .command('revoke')
  .description('revoke a key (a running daemon refuses it within 30 s; DELETE /v1/accounts/:id/keys/:keyId at once)')
  .argument('<keyId>', 'key id (key_...)')
  .requiredOption('--account <id>', 'account id')
  .action(async (keyId: string, opts: { account: string }) => {
    const ok = await withPipeline(config(), 'keys revoke', ({ store }) => store.keys.revoke(opts.account, keyId, Date.now()));
    if (ok === false) {
      console.error(`bounced keys revoke: no active key ${keyId} for account ${opts.account}`);
      process.exitCode = 1;
    }
  });

runProgram(program);
