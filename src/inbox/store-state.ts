// InboxState on the store (contract: InboxRepo): checkpoints, the sent index and the found
// bounces' keys live in the database, so a restarted daemon resumes where it was. A found
// bounce's key is written by the intake in the transaction that records it
// (src/pipeline/inbox-intake.ts): rememberBounce has nothing left to do.
import type { Store } from '../store/contract.js';
import type { FolderCheckpoint, InboxState, SentMessage } from './types.js';

export class StoreInboxState implements InboxState {
  constructor(
    private readonly store: Pick<Store, 'inboxes'>,
    private readonly clock: () => number = Date.now,
  ) {}

  checkpoint(inboxId: string, folder: string): Promise<FolderCheckpoint | null> {
    return this.store.inboxes.checkpoint(inboxId, folder);
  }

  saveCheckpoint(inboxId: string, folder: string, cp: FolderCheckpoint): Promise<void> {
    return this.store.inboxes.saveCheckpoint(inboxId, folder, cp, this.clock());
  }

  async addSent(inboxId: string, messages: SentMessage[]): Promise<void> {
    await this.store.inboxes.addSent(inboxId, messages, 'imap');
  }

  sentByMessageId(inboxId: string, messageIds: string[]): Promise<SentMessage[]> {
    return this.store.inboxes.sentByMessageId(inboxId, messageIds);
  }

  sentToRecipients(inboxId: string, recipients: string[], since: number, until: number): Promise<SentMessage[]> {
    return this.store.inboxes.sentToRecipients(inboxId, recipients, since, until);
  }

  hasBounce(inboxId: string, dedupeKey: string): Promise<boolean> {
    return this.store.inboxes.hasBounce(inboxId, dedupeKey);
  }

  async rememberBounce(): Promise<void> {
    // recorded with the bounce itself (one transaction)
  }
}
