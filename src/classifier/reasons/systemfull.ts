import { p } from '../phrase.js';
import { POSIX_ENOSPC } from '../sources.js';
import type { ReasonTable } from './table.js';

const DISK = 'seen: Sendmail ("Insufficient disk space"), Postfix ("Insufficient system storage"), Exim (spool full)';

/** The receiving system is out of storage (RFC 3463 X.3.1). */
export const systemfull: ReasonTable = {
  id: 'text.systemfull',
  reason: 'systemfull',
  note: "the receiving system's storage is full (RFC 3463 X.3.1)",
  phrases: [
    p('insufficient system storage', 'RFC 5321 §4.2.2 (452 text)', '452 4.3.1 Insufficient system storage'),
    p('insufficient system resources', DISK),
    p('insufficient disk space', DISK),
    p('mail system full', 'RFC 3463 X.3.1 (title)'),
    p('system is full', DISK),
    p('disk full', DISK),
    p('out of disk', DISK),
    p('file system full', DISK),
    p('queue directory full', DISK),
    p('no space left on device', POSIX_ENOSPC),
    p('server is full', DISK),
    p('not enough free space', 'qmail (vpopmail): "550 Requested action not taken: mailbox unavailable (not enough free space)", filed as systemfull by Sisimai 4.25 Lhost/qmail.pm', '550 Requested action not taken: mailbox unavailable (not enough free space)'),
    // Exim's refusal while its spool partition is short of space (check_spool_space,
    // check_spool_inodes): a 452, RFC 5321's "insufficient system storage"
    p('space shortage', 'RFC 5321 §4.2.2 (452: insufficient system storage); Exim: check_spool_space, "452 Space shortage, please try later" (exim4 4.96)', '452 Space shortage, please try later'),
  ],
};
