import type { Config } from '../config/schema.js';
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
export function openPipeline(config: Config, opts: { writeTurn?: WriteTurn } = {}): { store: SqliteStore; verp: VerpCodec; policy: SqlitePolicyService } {
  const store = openStore(config, opts);
  const verp = verpCodec(config);
  // Rules that must run inside the transaction of the change they react to are attached here.
  const policy = attachPolicy(store, config, verp);
  return { store, verp, policy };
}
