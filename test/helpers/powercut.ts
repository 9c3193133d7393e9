// The power-cut reconstructor (test/reliability/powercut.test.ts).
//
// Inputs: a snapshot of a data directory taken while the daemon was stopped (every file and
// name in it durable: the test stops the daemon cleanly and calls sync first), and the log that
// test/reliability/powercut-shim.c wrote while a daemon ran on that directory until it was
// SIGKILLed. Output: a directory holding what a disk may keep after a power cut at the log's end.
//
// What is modelled:
// - File contents. A write is durable once a later fsync/fdatasync of the same file (same
//   inode) that began after the write was logged returned 0; so is an ftruncate or fallocate.
//   Those covered operations form a prefix of the file's operations in log order. Of the rest:
//   mode `none` keeps nothing; mode `pages` (seeded) keeps, for each 4 KiB page of the file
//   independently, the first k of the uncovered writes that touch it (k random, 0 to all),
//   as the kernel may write a dirty page back at any moment and pages in any order. A kept
//   write past the covered size grows the file to its end. fdatasync and fsync count the same
//   (fdatasync writes the size a read needs).
// - Directory entries. A name created (open with O_CREAT of a new name), unlinked, renamed or
//   made (mkdir) is durable once its directory was fsynced after it; in mode `pages` each
//   uncovered change is applied or not at random, in log order. A file whose name did not
//   survive is gone with its contents, as after a crash before the directory reached the disk.
// - syncfs covers everything logged before it.
// - A write counts from the moment it returned (the shim's D record): a sync that began
//   earlier does not cover it. Writes in flight at the cut (W without D) are never covered;
//   mode pages may keep their pages like any other unsynced write.
//
// What is not: a write torn inside one 4 KiB page (disks write a sector, 512 B or 4 KiB,
// atomically; SQLite's WAL checksums detect torn frames anyway); an uncovered ftruncate
// (its size change is dropped); the order a journaling file system gives metadata (ext4 would
// never keep a later unlink without an earlier create: the random subset here is harsher);
// hard links, and *at calls relative to a directory fd (the daemon uses none: the shim's strace
// check). SQLite's -shm is not in the image: it is rebuilt from the WAL on open.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname as pathDirname, join, relative } from 'node:path';
import { rng } from '../../scripts/prng.mjs';

/** A seeded generator (mulberry32): the same seed, the same image. */
export { rng };

// Directories are named relative to the data directory, which itself is ''.
const dirname = (p: string): string => (pathDirname(p) === '.' ? '' : pathDirname(p));

export type LogRecord =
  | { k: 'O'; ino: number; created: boolean; path: string }
  | { k: 'W'; id: number; ino: number; off: number; data: Buffer }
  | { k: 'D'; id: number; rc: number }
  | { k: 'T'; ino: number; len: number }
  | { k: 'A'; ino: number; mode: number; off: number; len: number }
  | { k: 'S'; seq: number; ino: number }
  | { k: 'E'; seq: number; ino: number; rc: number }
  | { k: 'N' | 'U' | 'X'; path: string }
  | { k: 'R'; from: string; to: string };

/** Parses the shim's log; a record cut short by the SIGKILL (the last one) is dropped. */
export function parseLog(buf: Buffer): LogRecord[] {
  const out: LogRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) break;
    const text = buf.toString('utf8', at, nl);
    at = nl + 1;
    const k = text[0];
    const rest = text.slice(2);
    const f = rest.split(' ').map(Number);
    switch (k) {
      case 'O': {
        const m = /^(\d+) ([01]) (.*)$/.exec(rest)!;
        out.push({ k, ino: Number(m[1]), created: m[2] === '1', path: m[3]! });
        break;
      }
      case 'W': {
        const len = f[3]!;
        if (at + len > buf.length) return out;
        out.push({ k, id: f[0]!, ino: f[1]!, off: f[2]!, data: buf.subarray(at, at + len) });
        at += len;
        break;
      }
      case 'D':
        out.push({ k, id: f[0]!, rc: f[1]! });
        break;
      case 'T':
        out.push({ k, ino: f[0]!, len: f[1]! });
        break;
      case 'A':
        out.push({ k, ino: f[0]!, mode: f[1]!, off: f[2]!, len: f[3]! });
        break;
      case 'S':
        out.push({ k, seq: f[0]!, ino: f[1]! });
        break;
      case 'E':
        out.push({ k, seq: f[0]!, ino: f[1]!, rc: f[2]! });
        break;
      case 'N':
      case 'U':
      case 'X':
        out.push({ k, path: rest });
        break;
      case 'R': {
        const [from, to] = rest.split('\t');
        out.push({ k, from: from!, to: to! });
        break;
      }
      default:
        throw new Error(`powercut log: unknown record ${JSON.stringify(text.slice(0, 80))} at byte ${at}`);
    }
  }
  return out;
}

export interface Snapshot {
  dir: string;
  /** Relative path -> inode and bytes; directories with bytes null. */
  entries: Map<string, { ino: number; bytes: Buffer | null }>;
}

/** Reads a stopped daemon's data directory (the durable starting point), skipping -shm files. */
export function snapshot(dir: string): Snapshot {
  const entries = new Map<string, { ino: number; bytes: Buffer | null }>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        entries.set(rel, { ino: st.ino, bytes: null });
        walk(p);
      } else if (!name.endsWith('-shm')) entries.set(rel, { ino: st.ino, bytes: readFileSync(p) });
    }
  };
  walk(dir);
  return { dir, entries };
}


type FileOp = { idx: number; r: Extract<LogRecord, { k: 'W' | 'T' | 'A' }> };
interface FileObj {
  base: Buffer;
  ops: FileOp[];
  /** Operations with idx below this are covered by a completed sync. */
  coveredBelow: number;
}
type NameOp =
  | { idx: number; dir: string; kind: 'link'; name: string; obj: FileObj | 'dir' }
  | { idx: number; dir: string; kind: 'unlink'; name: string }
  | { idx: number; dirs: [string, string]; kind: 'rename'; from: string; to: string };

const PAGE = 4096;

export interface Image {
  /** Relative path -> bytes (directories: null). */
  files: Map<string, Buffer | null>;
  /** What the log held, for the test's own checks (that syncs happened, that files were covered). */
  stats: { records: number; writes: number; syncs: number; uncoveredWrites: number };
}

/**
 * The durable image after a power cut at the log's end. `mode` none: only what syncs covered;
 * pages: plus a seeded random choice of the rest (see the header); all: every change logged,
 * which must equal the directory as the killed process left it (the test's check that no
 * change escaped the shim).
 */
export function reconstruct(snap: Snapshot, log: readonly LogRecord[], mode: 'none' | 'pages' | 'all', seed = 1, opts: { inFlight?: boolean } = {}): Image {
  const root = snap.dir;
  const rel = (p: string) => relative(root, p);
  const random = rng(seed);
  const byIno = new Map<number, FileObj>();
  const pathOfIno = new Map<number, string>();
  const live = new Map<string, FileObj | 'dir'>();
  const objOfName = new Map<string, FileObj | 'dir'>();
  for (const [p, e] of snap.entries) {
    const o: FileObj | 'dir' = e.bytes === null ? 'dir' : { base: e.bytes, ops: [], coveredBelow: 0 };
    if (o !== 'dir') byIno.set(e.ino, o);
    live.set(p, o);
    objOfName.set(p, o);
    pathOfIno.set(e.ino, p);
  }
  const nameOps: NameOp[] = [];
  const dirCoveredBelow = new Map<string, number>();
  let allCoveredBelow = 0;
  const starts = new Map<number, number>();
  let writes = 0;
  let syncs = 0;
  // Writes logged (W) and not yet returned (D): at the end, those in flight at the cut.
  const begun = new Map<number, Extract<LogRecord, { k: 'W' }>>();

  log.forEach((r, idx) => {
    switch (r.k) {
      case 'O': {
        const p = rel(r.path);
        pathOfIno.set(r.ino, p);
        if (r.created) {
          const obj: FileObj = { base: Buffer.alloc(0), ops: [], coveredBelow: 0 };
          byIno.set(r.ino, obj);
          live.set(p, obj);
          nameOps.push({ idx, dir: dirname(p), kind: 'link', name: p, obj });
        } else if (!byIno.has(r.ino) && !(live.get(p) === 'dir')) {
          // A file that existed but is not in the snapshot: only a directory can be (opened to fsync it).
          if (!statIsDirHint(r.path, snap)) throw new Error(`powercut: ${p} opened, neither created in the log nor in the snapshot`);
        }
        break;
      }
      case 'W':
        begun.set(r.id, r);
        break;
      case 'D':
      case 'T':
      case 'A': {
        let op: FileOp['r'];
        if (r.k === 'D') {
          const w = begun.get(r.id)!;
          begun.delete(r.id);
          if (r.rc <= 0) break;
          // A write counts from its return: a sync that began before that may not hold it.
          op = { ...w, data: w.data.subarray(0, r.rc) };
          writes++;
        } else op = r;
        const obj = byIno.get(op.ino);
        if (!obj) throw new Error(`powercut: a change to inode ${op.ino}, never opened`);
        obj.ops.push({ idx, r: op });
        break;
      }
      case 'S':
        starts.set(r.seq, idx);
        break;
      case 'E': {
        const s = starts.get(r.seq);
        if (s === undefined || r.rc !== 0) break;
        syncs++;
        if (r.ino === 0) {
          allCoveredBelow = Math.max(allCoveredBelow, s);
          break;
        }
        const obj = byIno.get(r.ino);
        if (obj) obj.coveredBelow = Math.max(obj.coveredBelow, s);
        else {
          const d = pathOfIno.get(r.ino);
          if (d !== undefined) dirCoveredBelow.set(d, Math.max(dirCoveredBelow.get(d) ?? 0, s));
        }
        break;
      }
      case 'N': {
        const p = rel(r.path);
        live.set(p, 'dir');
        nameOps.push({ idx, dir: dirname(p), kind: 'link', name: p, obj: 'dir' });
        break;
      }
      case 'U':
      case 'X': {
        const p = rel(r.path);
        live.delete(p);
        nameOps.push({ idx, dir: dirname(p), kind: 'unlink', name: p });
        break;
      }
      case 'R': {
        const from = rel(r.from);
        const to = rel(r.to);
        const o = live.get(from);
        if (o !== undefined) live.set(to, o);
        live.delete(from);
        nameOps.push({ idx, dirs: [dirname(from), dirname(to)], kind: 'rename', from, to });
        break;
      }
    }
  });

  // Writes in flight at the cut: they may have reached the page cache or not. Never covered;
  // in mode all, applied when `inFlight` (the test compares the directory with both replays).
  for (const w of begun.values()) {
    const obj = byIno.get(w.ino);
    if (obj && (mode !== 'all' || opts.inFlight)) obj.ops.push({ idx: Infinity, r: w });
  }

  // The names: the snapshot's, then each covered change (and in mode pages some others), in order.
  const names = new Map(objOfName);
  const dirCovered = (d: string, idx: number) => idx < Math.max(dirCoveredBelow.get(d) ?? 0, allCoveredBelow);
  for (const op of nameOps) {
    const covered = op.kind === 'rename' ? dirCovered(op.dirs[0], op.idx) && dirCovered(op.dirs[1], op.idx) : dirCovered(op.dir, op.idx);
    if (!covered && mode !== 'all' && (mode === 'none' || random() < 0.5)) continue;
    if (op.kind === 'link') names.set(op.name, op.obj);
    else if (op.kind === 'unlink') names.delete(op.name);
    else {
      const o = names.get(op.from);
      names.delete(op.from);
      if (o !== undefined) names.set(op.to, o);
    }
  }

  // The contents.
  let uncoveredWrites = 0;
  const contents = new Map<FileObj, Buffer>();
  const contentOf = (obj: FileObj): Buffer => {
    const done = contents.get(obj);
    if (done) return done;
    const below = mode === 'all' ? Infinity : Math.max(obj.coveredBelow, allCoveredBelow);
    // The file's bytes are buf[0, size); the buffer doubles as the file grows (a WAL grows
    // by thousands of frames: copying it at each would be quadratic).
    let buf = Buffer.from(obj.base);
    let size = buf.length;
    const grow = (len: number) => {
      if (len > buf.length) {
        const bigger = Buffer.alloc(Math.max(len, buf.length * 2));
        buf.copy(bigger, 0, 0, size);
        buf = bigger;
      }
      size = Math.max(size, len);
    };
    const rest: FileOp[] = [];
    for (const op of obj.ops) {
      if (mode !== 'all' && op.idx >= below) {
        rest.push(op);
        continue;
      }
      const r = op.r;
      if (r.k === 'W') {
        grow(r.off + r.data.length);
        r.data.copy(buf, r.off);
      } else if (r.k === 'T') {
        if (r.len < size) buf.fill(0, r.len, size);
        grow(r.len);
        size = r.len;
      } else if ((r.mode & 1) === 0) grow(r.off + r.len); // not FALLOC_FL_KEEP_SIZE
    }
    const pending = rest.filter((op): op is FileOp & { r: { k: 'W' } } => op.r.k === 'W') as Array<{ idx: number; r: Extract<LogRecord, { k: 'W' }> }>;
    uncoveredWrites += pending.length;
    if (mode === 'pages' && pending.length > 0) {
      // Per page, how many of the uncovered writes touching it reached the disk (a prefix).
      const touching = new Map<number, number>();
      for (const { r } of pending) {
        for (let p = Math.floor(r.off / PAGE); p * PAGE < r.off + r.data.length; p++) touching.set(p, (touching.get(p) ?? 0) + 1);
      }
      const keep = new Map<number, number>();
      for (const [p, n] of touching) keep.set(p, Math.floor(random() * (n + 1)));
      const seen = new Map<number, number>();
      for (const { r } of pending) {
        for (let p = Math.floor(r.off / PAGE); p * PAGE < r.off + r.data.length; p++) {
          const nth = seen.get(p) ?? 0;
          seen.set(p, nth + 1);
          if (nth >= keep.get(p)!) continue;
          const from = Math.max(r.off, p * PAGE);
          const to = Math.min(r.off + r.data.length, (p + 1) * PAGE);
          grow(to);
          r.data.copy(buf, from, from - r.off, to - r.off);
        }
      }
    }
    const bytes = buf.subarray(0, size);
    contents.set(obj, bytes);
    return bytes;
  };

  const files = new Map<string, Buffer | null>();
  for (const [p, o] of names) files.set(p, o === 'dir' ? null : contentOf(o));
  // Writes to files whose names did not survive count too.
  for (const obj of new Set(byIno.values())) contentOf(obj);
  return { files, stats: { records: log.length, writes, syncs, uncoveredWrites } };
}

// A directory the daemon opened to fsync it must be in the snapshot (or made in the log).
function statIsDirHint(path: string, snap: Snapshot): boolean {
  const p = relative(snap.dir, path);
  return p === '' || snap.entries.get(p)?.bytes === null;
}

/** Writes an image into `dir` (which must not exist or be empty). */
export function writeImage(img: Image, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const sorted = [...img.files.entries()].sort(([a], [b]) => a.length - b.length);
  for (const [p, bytes] of sorted) {
    if (p === '') continue;
    const at = join(dir, p);
    if (bytes === null) mkdirSync(at, { recursive: true });
    else {
      mkdirSync(pathDirname(at), { recursive: true });
      writeFileSync(at, bytes);
    }
  }
}
