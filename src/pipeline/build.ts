// The one builder of the pipeline and its services: the daemon (its SMTP/API thread and its
// intake and processing threads), every CLI command and the tests open the store and make
// the VERP codec, the account policy and the settle step here, from the configuration.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { PolicyRules } from '../policy/apply.js';
import { PolicyService } from '../policy/service.js';
import { spoolDirOf } from '../spool/dir.js';
import { connectStore, isPostgresUrl, type StoreTarget } from '../store/connect.js';
import type { NodeId, Store, SuppressionRepo } from '../store/contract.js';
import type { WriteTurn } from '../store/sqlite/write-turn.js';
import type { VerpCodec } from '../verp/index.js';
import { verpCodec } from '../verp/secret.js';
import { DEFAULT_BATCH, Processor, type ProcessorOptions } from './processor.js';
import { Settler } from './settle.js';

export interface BuildOptions {
  /** Hears of a VERP secret generated now (and warns if the database already has mail). */
  log?: Logger;
  /** The process's write turn (SQLite), shared by its threads' connections. */
  writeTurn?: WriteTurn;
  /**
   * Who claims messages: the daemon is its host (its node, which takes back its own claims
   * after a restart); any other process that processes (`bounced tick`) names itself apart.
   */
  role?: 'daemon' | string;
  /** SQLite: WAL pages before a commit of this connection checkpoints (SqliteStoreOptions). */
  walAutocheckpointPages?: number;
  /** SQLite: a PASSIVE checkpoint after transactions, outside the write turn, at most this often (SqliteStoreOptions). */
  checkpointEveryMs?: number;
}

export interface Built {
  config: Config;
  store: Store;
  verp: VerpCodec;
  /** The account policy's configuration and memory (src/policy/apply.ts). */
  rules: PolicyRules;
  /** What the API and the CLI ask of the policy. */
  policy: PolicyService;
  /** The settle step (settle.ts): a batch of outcomes in one transaction. */
  settler: Settler;
  /** This process's node id for claims and leases. */
  node: NodeId;
  /** Where the pre-send check reads: the read replica (database.readUrl), else the store. */
  presend: Pick<SuppressionRepo, 'preSend' | 'hitsMany'>;
  /** A processor of stored messages over this store, settling through `settler`. */
  processor(log: Logger, opts?: Omit<ProcessorOptions, 'node' | 'settler'>): Processor;
  close(): Promise<void>;
}

/**
 * How long a claim of a batch holds against other nodes: a minute plus the wall-clock bound of
 * parsing the whole batch (4 x pipeline.parseBudgetMs per message, parse-host.ts), so that a
 * slow but live node never has its batch taken over.
 */
export function claimLeaseMs(config: Config, batchSize = DEFAULT_BATCH): number {
  if (config.database.claimLeaseMs > 0) return config.database.claimLeaseMs;
  return 60_000 + batchSize * 4 * config.pipeline.parseBudgetMs;
}

/**
 * The node id of a process in `role`: `nodeId` from the configuration (BOUNCED_NODE_ID), else
 * the host name and a hash of the resolved data directory, so that two daemons on one host
 * (each with its own dataDir) are two nodes, and a daemon restarted on the same host and
 * directory is the same node and takes back its own claims at once. Any other process that
 * processes or runs jobs (`bounced tick`, `ingest`) names itself apart, by its pid.
 */
export function nodeId(config: Pick<Config, 'nodeId' | 'dataDir'>, role: BuildOptions['role'] = 'daemon'): NodeId {
  const base = config.nodeId || `${hostname()}:${createHash('sha256').update(resolve(config.dataDir)).digest('hex').slice(0, 8)}`;
  return role === 'daemon' ? base : `${base}/${role}-${process.pid}`;
}

/** The password file's first line (database.passwordFile), or undefined. */
function readPassword(config: Config): string | undefined {
  const file = config.database.passwordFile;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
  } catch (err) {
    // A configuration error (the file is the operator's), said without the password.
    throw Object.assign(new Error(`database.passwordFile: cannot read ${file}: ${(err as Error).message}`), { name: 'ConfigError' });
  }
}

/** Where the configuration puts the store: database.url (PostgreSQL), else SQLite in dataDir. */
export function storeTarget(config: Config, opts: Pick<BuildOptions, 'writeTurn' | 'walAutocheckpointPages' | 'checkpointEveryMs'> = {}): StoreTarget {
  return {
    url: config.database.url || null,
    dataDir: config.dataDir,
    sqlite: { synchronous: config.store.synchronous, busyTimeoutMs: config.store.busyTimeoutMs, mmapBytes: config.store.mmapBytes, presendMemory: config.store.presendMemory, writeTurn: opts.writeTurn, walAutocheckpointPages: opts.walAutocheckpointPages, checkpointEveryMs: opts.checkpointEveryMs, spoolDir: spoolDirOf(config) },
    postgres: { max: config.database.poolSize, password: readPassword(config), spoolDir: spoolDirOf(config) },
  };
}

/**
 * The daemon's WAL checkpoints (issue #20: no 250 waits for one). SQLite's own checkpoint runs
 * inside the commit that crosses wal_autocheckpoint, holding the process's write turn, so an
 * intake commit waits for its copy and fsync whichever thread made it. The intake and
 * processing connections set this backstop (16 MiB of WAL) instead, and the processing thread
 * runs a PASSIVE checkpoint after its settling transactions, outside the write turn, at most
 * every CHECKPOINT_EVERY_MS (at 10 MB/s of 20 KB reports: about 2.5 MB of WAL each time).
 * Under a steady load those leave the WAL never wholly copied at the moment a writer begins, so
 * it only starts again from its beginning when a commit crosses the backstop; by then almost
 * all of it is copied and that commit's own checkpoint has little left to do. So the WAL file
 * grows to about the backstop and no further (measured: 16,384 pages let it reach 68 MB).
 */
export const WAL_BACKSTOP_PAGES = 4_096;
export const CHECKPOINT_EVERY_MS = 250;

export async function buildPipeline(config: Config, opts: BuildOptions = {}): Promise<Built> {
  const target = storeTarget(config, opts);
  const store = await connectStore(target);
  let verp: VerpCodec;
  let replica: Store | null = null;
  try {
    // Whether the database holds mail is asked only when a secret was just generated.
    const hasMessages = (await store.messages.list({ limit: 1 })).length > 0;
    verp = verpCodec(config, { log: opts.log, storeHasMessages: () => hasMessages });
    // The pre-send check may read from a replica: it never migrates, and a few connections do.
    if (isPostgresUrl(config.database.readUrl)) {
      replica = await connectStore({ ...target, url: config.database.readUrl, postgres: { ...target.postgres, migrate: false, max: Math.min(4, config.database.poolSize) } });
    }
  } catch (err) {
    await store.close();
    throw err;
  }
  const rules = new PolicyRules(config.policy);
  const presend = replica ? replica.suppressions : store.suppressions;
  const policy = new PolicyService(store, config, verp, rules, presend);
  const settler = new Settler(store, rules);
  const node = nodeId(config, opts.role);
  return {
    config,
    store,
    verp,
    rules,
    policy,
    settler,
    node,
    presend,
    processor: (log, popts = {}) => new Processor(store, verp, log, { leaseMs: claimLeaseMs(config, popts.batchSize), ...popts, node, settler }),
    close: async () => {
      await replica?.close();
      await store.close();
    },
  };
}
