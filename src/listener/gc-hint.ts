// The SMTP thread's share of ../gc-hint.ts: the DATA chunks of every session.
//
// Two collections, for the two ways a chunk dies:
//  - young: with few sessions at once a chunk is written (or dropped) before it has outlived
//    two scavenges, and a scavenge every MINOR_EVERY bytes of DATA (~1 ms: only young
//    objects) frees it; measured, a refused 25 MB message then grows RSS by 1-2 MB, a spooled
//    one by 6-8;
//  - promoted: with many sessions a chunk waits behind the others' (each session holds a few
//    socket reads in its streams and spool write), outlives those scavenges and is promoted;
//    only a full collection frees it. One every MAJOR_EVERY bytes of big messages (spooled, or
//    dropped) keeps that garbage under about MAJOR_EVERY (each byte is garbage once, the
//    socket's read: ./data-stream.ts makes no copy of it), where V8 by itself waited for 64 MB more
//    each time. Small messages do not count there: a full collection costs the SMTP thread
//    several ms (its heap holds the API and the metrics too), and their own JS objects bring
//    V8's collections often enough.
import { v8Gc } from '../gc-hint.js';

/** DATA bytes (all sessions, all messages) between two scavenges. */
export const MINOR_EVERY = 1024 * 1024;
/** DATA bytes of spooled or dropped messages between two full collections. */
export const MAJOR_EVERY = 16 * 1024 * 1024;

/** Counts DATA bytes (all sessions); `big`: they belong to a message that is spooled or dropped. */
export function dataGcHint(minorEvery = MINOR_EVERY, majorEvery = MAJOR_EVERY): (bytes: number, big: boolean) => void {
  const gc = v8Gc();
  if (!gc) return () => {};
  let minor = 0;
  let major = 0;
  return (bytes, big) => {
    minor += bytes;
    if (big) major += bytes;
    if (major >= majorEvery) {
      major = 0;
      minor = 0;
      gc({ type: 'major' });
    } else if (minor >= minorEvery) {
      minor = 0;
      gc({ type: 'minor' });
    }
  };
}
