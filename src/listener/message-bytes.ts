// One SMTP message's bytes while its DATA arrives: in memory up to spool.aboveBytes, then in a
// spool file (issue #20) with only the head (RAW_HEAD_BYTES, all that processing reads) kept
// in memory for the database row. Memory-held bytes count against the global ByteBudget.
import { RAW_HEAD_BYTES } from '../domain/index.js';
import type { SpooledBytes } from '../store/contract.js';
import { SpoolWriter } from '../spool/writer.js';
import type { MessageShare } from './data-budget.js';

/**
 * A message held in memory is kept in parts of this size, never joined into one buffer: each
 * part is a buffer of its own, which the pipeline worker takes over without a copy, and the
 * store writes as it is (the first as the message's head).
 */
export const PART_BYTES = 1024 * 1024;

/**
 * Past this many bytes a message that may be spooled (spool.aboveBytes at most the head) is
 * gathered straight into its head buffer, chunk by chunk, instead of holding the chunks: so
 * when it is spooled, nothing but the head is in memory. Holding the chunks until the switch
 * and copying them into the head then held each message's first MiB twice, and 20 sessions
 * reaching their first MiB together made 40 MiB at once (bench/README.md "Round 7"). Below it
 * (most reports are a few KiB) a message is its chunks, without a 1 MiB buffer of its own.
 */
export const HEAD_FROM_BYTES = 64 * 1024;

/**
 * A head buffer: 1 MiB of its own (never a slice of Node's shared pool), whose memory comes from
 * V8's page allocator (mmap) rather than from malloc. An ArrayBuffer with a maxByteLength (a
 * resizable one, ES2024) is reserved and committed by V8 itself; an ordinary one is malloc'd,
 * and glibc gives each thread its own arena: a head that the SMTP thread allocates and the
 * intake thread frees left its MiB resident in the SMTP thread's arena, to be reused only by
 * that thread, while the worker threads' own allocations came on top (bench/README.md "Round
 * 7": 20 concurrent 30 MB messages grew RSS by 51 MB instead of 59, five pairs of runs). Its
 * pages are unmapped once it is collected, in whichever thread, and only those written to
 * are ever resident. It stays the same size (never resized), and moves to the intake thread
 * like any other ArrayBuffer (src/pipeline/remote.ts movable()).
 */
function newHeadBuffer(): Buffer {
  const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
  return Buffer.from(new Resizable(RAW_HEAD_BYTES, { maxByteLength: RAW_HEAD_BYTES }));
}

/** Where and past what size messages are spooled. */
export interface SpoolPlan {
  dir: string;
  above: number;
}

/** What the intake is given: the whole message in memory, or its head and its spool file. */
export type HeldBytes = { raw: Buffer | Buffer[]; spool?: SpooledBytes };

export class MessageBytes {
  private parts: Buffer[] = [];
  private chunks: Buffer[] = [];
  private held = 0;
  private total = 0;
  private writer: SpoolWriter | null = null;
  /**
   * A spooled message's head: one buffer of RAW_HEAD_BYTES, filled as the DATA arrives. One
   * allocation, not a copy per chunk joined at the end (which held the head twice, and left
   * 1 MiB of garbage per message for the collector), and a buffer of its own, which the
   * intake thread takes over without a copy (src/pipeline/remote.ts movable()).
   */
  private head: Buffer | null = null;
  private headLen = 0;
  private dropped = false;

  constructor(
    private readonly spool: SpoolPlan | null,
    private readonly share: MessageShare,
    /** Stops (true) or resumes (false) reading the session while the disk catches up. */
    private readonly pause: (paused: boolean) => void,
  ) {}

  /** Whether the chunks stay in memory until the message is stored (false: spooled, or dropped). */
  get heldInMemory(): boolean {
    return this.writer === null && !this.dropped;
  }

  /** Whether the bytes go to a spool file. */
  get spooling(): boolean {
    return this.writer !== null;
  }

  add(chunk: Buffer): void {
    if (this.dropped) return;
    this.total += chunk.length;
    if (this.writer) {
      this.keepHead(chunk);
      this.writer.write(chunk);
      return;
    }
    if (this.head) {
      // Gathering into the head (the chunk is garbage at once): spooled past spool.aboveBytes.
      const before = this.headLen;
      this.keepHead(chunk);
      if (this.total > this.spool!.above) this.startSpool(this.spool!.dir, before, chunk);
      return;
    }
    if (!this.share.add(chunk.length)) return this.drop();
    this.chunks.push(chunk);
    this.held += chunk.length;
    // Spooling starts before the chunks are joined into a part: the file takes them as they are.
    if (this.spool && this.total > this.spool.above) return this.startSpool(this.spool.dir);
    if (this.spool && this.spool.above <= RAW_HEAD_BYTES && this.total > HEAD_FROM_BYTES) return this.startHead();
    if (this.held >= PART_BYTES) {
      this.parts.push(Buffer.concat(this.chunks, this.held));
      this.chunks = [];
      this.held = 0;
    }
  }

  /** From here on the bytes go into the head buffer (which now counts against the budget in their place). */
  private startHead(): void {
    this.share.release();
    if (!this.share.add(RAW_HEAD_BYTES)) return this.drop();
    for (const b of this.chunks) this.keepHead(b);
    this.chunks = [];
    this.held = 0;
  }

  /**
   * From now on to a file, and only the head stays in memory. What memory holds is written
   * first: the chunks, or (gathered into the head) its first `headBytes` bytes and then `chunk`
   * whole (its start is in the head too when the head was not full).
   */
  private startSpool(dir: string, headBytes = 0, chunk?: Buffer): void {
    const writer = new SpoolWriter(dir, this.pause);
    this.writer = writer;
    if (chunk) {
      // The head's bytes up to headBytes are never changed again: keepHead() only appends.
      if (headBytes > 0) writer.write(this.head!.subarray(0, headBytes));
      writer.write(chunk);
      return;
    }
    const before = [...this.parts, ...this.chunks];
    this.parts = [];
    this.chunks = [];
    this.held = 0;
    for (const b of before) {
      this.keepHead(b);
      writer.write(b);
    }
    // The budget now counts the head buffer alone (the rest waits for the disk, bounded by the writer).
    this.share.release();
    this.share.add(this.head ? this.head.length : 0);
  }

  /** Copies what is still missing of the head (a copy: the chunk itself is freed once written). */
  private keepHead(chunk: Buffer): void {
    const take = Math.min(chunk.length, RAW_HEAD_BYTES - this.headLen);
    if (take <= 0) return;
    this.head ??= newHeadBuffer();
    chunk.copy(this.head, this.headLen, 0, take);
    this.headLen += take;
  }

  /** Holds nothing more (the message will be refused); a spool file is removed. */
  drop(): void {
    if (this.dropped) return;
    this.dropped = true;
    this.parts = [];
    this.chunks = [];
    this.held = 0;
    this.head = null;
    this.share.release();
    if (this.writer) void this.writer.discard();
  }

  /** The bytes for the intake; a spooled message's file is durable (file and directory synced) first. */
  async finish(): Promise<HeldBytes> {
    if (this.writer) {
      const spool = await this.writer.finish();
      return { raw: this.headBytes(), spool };
    }
    // Gathered into the head and not spooled: its bytes (a copy of their length, unless full).
    if (this.head) return { raw: this.headBytes() };
    const last = Buffer.concat(this.chunks, this.held);
    return { raw: this.parts.length ? [...this.parts, last] : last };
  }

  /** The head as stored: the whole buffer when full (spool.aboveBytes >= the head: always), else a copy of its bytes. */
  private headBytes(): Buffer {
    const head = this.head ?? Buffer.alloc(0);
    return this.headLen === head.length ? head : Buffer.from(head.subarray(0, this.headLen));
  }

  /** The message is refused or its session broke: drop it, remove its file. Never throws. */
  async discard(): Promise<void> {
    this.drop();
    await this.writer?.discard();
  }
}
