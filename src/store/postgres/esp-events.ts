// ESP events (issue #19) on PostgreSQL: one row per (provider, event id); two nodes taking the
// same event: the unique key lets one insert win, the other reads "already recorded".
import { canonicalAddress } from '../../address.js';
import type * as C from '../contract.js';
import { espEventWhere } from '../esp-query.js';
import * as R from '../rows.js';
import { all, type PgCtx } from './repos.js';

export class PgEspEvents implements C.EspEventRepo {
  constructor(private readonly c: PgCtx) {}

  add(e: C.EspEventInput): Promise<boolean> {
    return this.c.run(async (q) => {
      const rows = await all(
        q,
        `INSERT INTO esp_events (provider, event_id, endpoint_id, account_id, kind, recipient, message_id, at, received_at, message_row)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (provider, event_id) DO NOTHING RETURNING id`,
        [e.provider, e.eventId, e.endpointId, e.accountId, e.kind, canonicalAddress(e.recipient), e.messageId, e.at, e.receivedAt, e.messageRow],
      );
      return rows.length === 1;
    });
  }

  has(provider: string, eventId: string): Promise<boolean> {
    return this.c.run(async (q) => (await all(q, `SELECT 1 FROM esp_events WHERE provider = $1 AND event_id = $2`, [provider, eventId])).length > 0);
  }

  list(q: C.EspEventQuery): Promise<C.EspEventRecord[]> {
    const { where, params } = espEventWhere(q, (i) => `$${i}`);
    return this.c.run(async (qq) =>
      (await all(qq, `SELECT * FROM esp_events WHERE ${where} ORDER BY id LIMIT $${params.length + 1}`, [...params, q.limit ?? 1000])).map(R.toEspEvent),
    );
  }
}
