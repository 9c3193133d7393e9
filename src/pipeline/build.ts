// The one builder of the pipeline and its services: the daemon (its SMTP/API thread and its
// intake and processing threads), every CLI command and the tests open the store and make
// the VERP codec, the account policy and the settle step here, from the configuration.
import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { PolicyRules } from '../policy/apply.js';
import { PolicyService } from '../policy/service.js';
import { connectStore } from '../store/connect.js';
import type { NodeId, Store } from '../store/contract.js';
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
  return 60_000 + batchSize * 4 * config.pipeline.parseBudgetMs;
}

/** The node id of a process in `role` on this host. */
export function nodeId(role: BuildOptions['role'] = 'daemon'): NodeId {
  return role === 'daemon' ? hostname() : `${hostname()}/${role}-${process.pid}`;
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
  const store = await connectStore({
    dataDir: config.dataDir,
    sqlite: { synchronous: config.store.synchronous, busyTimeoutMs: config.store.busyTimeoutMs, writeTurn: opts.writeTurn, walAutocheckpointPages: opts.walAutocheckpointPages, checkpointEveryMs: opts.checkpointEveryMs },
  });
  let verp: VerpCodec;
  try {
    // Whether the database holds mail is asked only when a secret was just generated.
    const hasMessages = (await store.messages.list({ limit: 1 })).length > 0;
    verp = verpCodec(config, { log: opts.log, storeHasMessages: () => hasMessages });
  } catch (err) {
    await store.close();
    throw err;
  }
  const rules = new PolicyRules(config.policy);
  const policy = new PolicyService(store, config, verp, rules);
  const settler = new Settler(store, rules);
  const node = nodeId(opts.role);
  return {
    config,
    store,
    verp,
    rules,
    policy,
    settler,
    node,
    processor: (log, popts = {}) => new Processor(store, verp, log, { leaseMs: claimLeaseMs(config, popts.batchSize), ...popts, node, settler }),
    close: () => store.close(),
  };
}
