// A global budget of message bytes held in memory across SMTP sessions.
//
// Each session gathers its message in memory until the pipeline has stored it (see
// Listener.receive): at the default maximum of 30 MB a message and 100 clients, that could be
// ~3 GB at once. The budget bounds the sum. A message whose bytes would pass it is not held:
// the rest of its DATA is read and dropped, and the answer is 452 4.3.1 (RFC 3463 "mail system
// full", RFC 1870's code for "insufficient storage"), a temporary refusal: the sender keeps
// the message and retries, when the messages in flight have been stored. A SIZE= declared at
// MAIL FROM that cannot fit now is refused there (RFC 1870 §6.1), before the bytes are sent.

export class ByteBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Bytes held now by all sessions. */
  get inFlight(): number {
    return this.held;
  }

  /** Whether `n` more bytes fit now (without taking them). */
  fits(n: number): boolean {
    return this.held + n <= this.limit;
  }

  /** One message's share: grows chunk by chunk, given back once. */
  open(): MessageShare {
    return new MessageShare(this);
  }

  /** @internal */
  take(n: number): boolean {
    if (this.held + n > this.limit) return false;
    this.held += n;
    return true;
  }

  /** @internal */
  give(n: number): void {
    this.held = Math.max(0, this.held - n);
  }
}

export class MessageShare {
  private bytes = 0;
  private refused = false;

  constructor(private readonly budget: ByteBudget) {}

  /** Counts `n` more bytes of this message; false (from then on) once the budget is out. */
  add(n: number): boolean {
    if (this.refused) return false;
    if (this.budget.take(n)) {
      this.bytes += n;
      return true;
    }
    // Over: what this message held is dropped at once, and given back.
    this.refused = true;
    this.release();
    return false;
  }

  get overBudget(): boolean {
    return this.refused;
  }

  /** Gives the bytes back (the message was stored, refused, or its session ended). Idempotent. */
  release(): void {
    this.budget.give(this.bytes);
    this.bytes = 0;
  }
}
