import { p } from '../phrase.js';
import type { ReasonTable } from './table.js';

const LOCAL = 'seen: Sendmail (prog mailer), Postfix local(8) pipe, Exim pipe transport, procmail';

/**
 * A local delivery program failed: the address was found, its delivery agent (a pipe, procmail,
 * a script) exited with an error. Never a missing mailbox (RFC 3464 "x-unix" diagnostics).
 */
export const mailererror: ReasonTable = {
  id: 'text.mailererror',
  reason: 'mailererror',
  note: 'a local delivery program (pipe, procmail, script) failed',
  phrases: [
    // a local delivery program whose #! interpreter cannot be run (bash: execute_cmd.c)
    p('bad interpreter', 'bash(1): a script whose #! interpreter cannot be executed fails with "<script>: <interpreter>: bad interpreter: <strerror>"', '/home/u/.qmail: /usr/local/bin/filter: /usr/bin/perl: bad interpreter: No such file or directory'),
    p('x-unix;', 'RFC 3464 §2.3.6 diagnostic type of a local (Unix) mailer', 'x-unix; /usr/bin/procmail: command died with status 1'),
    p('mailer error', LOCAL),
    p('unknown mailer error', LOCAL),
    p('command died', LOCAL),
    p('command failed', LOCAL),
    p('command exited', LOCAL),
    p('command returned', LOCAL),
    p('program died', LOCAL),
    p('program failed', LOCAL),
    p('program exited', LOCAL),
    p('child process of * transport returned', 'Exim specification, "The pipe transport": "Child process of <transport> transport returned <n>"', 'Child process of address_pipe transport returned 67 from command: /usr/bin/filter'),
    p('pipe to |', 'Exim: pipe transport ("pipe to |/path")', 'pipe to |/usr/local/bin/filter kijitora@example.com'),
    p('pipe died', LOCAL),
    p('pipe failed', LOCAL),
    p('exit status', LOCAL),
    p('exit code', LOCAL),
    p('exited with status', LOCAL),
    p('procmail', LOCAL),
    p('local delivery failed', LOCAL),
    p('local delivery error', LOCAL),
    p('mail program failed', LOCAL),
    p('mailer program failed', LOCAL),
  ],
};
