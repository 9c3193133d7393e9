// ESP events (issue #19) on SQLite: one row per (provider, event id).
import { canonicalAddress } from '../../address.js';
import type * as C from '../contract.js';
import { espEventWhere } from '../esp-query.js';
import * as R from '../rows.js';
import type { Ctx } from './repos.js';

const INSERT = `INSERT INTO esp_events (provider, event_id, endpoint_id, account_id, kind, recipient, message_id, at, received_at, message_row)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, event_id) DO NOTHING`;

export class SqliteEspEvents implements C.EspEventRepo {
  constructor(private readonly c: Ctx) {}

  add(e: C.EspEventInput): Promise<boolean> {
    return this.c.g.write(
      () =>
        this.c.cached(INSERT).run(e.provider, e.eventId, e.endpointId, e.accountId, e.kind, canonicalAddress(e.recipient), e.messageId, e.at, e.receivedAt, e.messageRow)
          .changes === 1,
    );
  }

  has(provider: string, eventId: string): Promise<boolean> {
    const sql = `SELECT 1 FROM esp_events WHERE provider = ? AND event_id = ?`;
    return this.c.g.read(() => this.c.cached(sql).get(provider, eventId) !== undefined);
  }

  list(q: C.EspEventQuery): Promise<C.EspEventRecord[]> {
    const { where, params } = espEventWhere(q, () => '?');
    const sql = `SELECT * FROM esp_events WHERE ${where} ORDER BY id LIMIT ?`;
    return this.c.g.read(() => (this.c.cached(sql).all(...params, q.limit ?? 1000) as R.Row[]).map(R.toEspEvent));
  }
}
