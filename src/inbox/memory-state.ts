// InboxState in memory: the tests' and the bench's. Phase B puts the same contract on the store.
import type { FolderCheckpoint, InboxState, SentMessage } from './types.js';

interface PerInbox {
  checkpoints: Map<string, FolderCheckpoint>;
  sentById: Map<string, SentMessage>;
  sentByRecipient: Map<string, SentMessage[]>;
  bounces: Set<string>;
}

export class MemoryInboxState implements InboxState {
  private readonly inboxes = new Map<string, PerInbox>();
  /** Calls per method, so tests can tell a resumed sync from a re-read. */
  readonly calls = { addSent: 0, sentByMessageId: 0, sentToRecipients: 0 };

  private of(inboxId: string): PerInbox {
    let p = this.inboxes.get(inboxId);
    if (!p) {
      p = { checkpoints: new Map(), sentById: new Map(), sentByRecipient: new Map(), bounces: new Set() };
      this.inboxes.set(inboxId, p);
    }
    return p;
  }

  async checkpoint(inboxId: string, folder: string): Promise<FolderCheckpoint | null> {
    const cp = this.of(inboxId).checkpoints.get(folder);
    return cp ? { ...cp } : null;
  }

  async saveCheckpoint(inboxId: string, folder: string, cp: FolderCheckpoint): Promise<void> {
    this.of(inboxId).checkpoints.set(folder, { ...cp });
  }

  async addSent(inboxId: string, messages: SentMessage[]): Promise<void> {
    this.calls.addSent++;
    const p = this.of(inboxId);
    for (const m of messages) {
      const key = m.messageId.toLowerCase();
      if (p.sentById.has(key)) continue;
      p.sentById.set(key, m);
      for (const r of m.recipients) {
        const list = p.sentByRecipient.get(r);
        if (list) list.push(m);
        else p.sentByRecipient.set(r, [m]);
      }
    }
  }

  async sentByMessageId(inboxId: string, messageIds: string[]): Promise<SentMessage[]> {
    this.calls.sentByMessageId++;
    const p = this.of(inboxId);
    const out: SentMessage[] = [];
    for (const id of messageIds) {
      const m = p.sentById.get(id.toLowerCase());
      if (m && !out.includes(m)) out.push(m);
    }
    return out;
  }

  async sentToRecipients(inboxId: string, recipients: string[], since: number, until: number): Promise<SentMessage[]> {
    this.calls.sentToRecipients++;
    const p = this.of(inboxId);
    const out: SentMessage[] = [];
    for (const r of recipients) {
      for (const m of p.sentByRecipient.get(r.toLowerCase()) ?? []) {
        if (m.sentAt >= since && m.sentAt <= until && !out.includes(m)) out.push(m);
      }
    }
    return out;
  }

  async hasBounce(inboxId: string, dedupeKey: string): Promise<boolean> {
    return this.of(inboxId).bounces.has(dedupeKey);
  }

  async rememberBounce(inboxId: string, dedupeKey: string): Promise<void> {
    this.of(inboxId).bounces.add(dedupeKey);
  }

  /** The number of sent messages indexed for an inbox. */
  sentCount(inboxId: string): number {
    return this.of(inboxId).sentById.size;
  }
}
