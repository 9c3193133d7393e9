import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { openStore } from '../store/index.js';
import type { SqliteStore, WriteTurn } from '../store/sqlite.js';
import { verpCodec } from '../verp/secret.js';
import type { VerpCodec } from '../verp/index.js';
import { attachPolicy, type SqlitePolicyService } from '../policy/service.js';

/**
 * The store with every in-transaction rule attached (policy reacting to deliveries and
 * records). Every edge that writes evidence (serve, ingest, tail, tick, replay) opens the
 * store through here, so none of them can forget a rule.
 */
export function openPipeline(
  config: Config,
  log?: Logger,
  opts: { writeTurn?: WriteTurn } = {},
): { store: SqliteStore; verp: VerpCodec; policy: SqlitePolicyService } {
  const store = openStore(config, opts);
  // `log` hears of a VERP secret generated now (and warns if the database already has mail).
  const verp = verpCodec(config, { log, storeHasMessages: () => store.hasMessages() });
  // Rules that must run inside the transaction of the change they react to are attached here.
  const policy = attachPolicy(store, config, verp);
  return { store, verp, policy };
}
