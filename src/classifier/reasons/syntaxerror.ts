import { p } from '../phrase.js';
import { RFC5321 } from '../sources.js';
import type { ReasonTable } from './table.js';

/** The SMTP conversation itself went wrong (RFC 5321 500-504, RFC 3463 X.5.x). */
export const syntaxerror: ReasonTable = {
  id: 'text.syntaxerror',
  reason: 'syntaxerror',
  note: 'a command or its arguments were not understood (RFC 5321 500-504)',
  phrases: [
    // Exim's address parser (a redirected or rewritten address it cannot read)
    p('angle-brackets nested too deep', 'Exim: parse.c, "angle-brackets nested too deep" (exim4 4.96)'),
    p('domain missing in source-routed address', 'Exim: parse.c, "domain missing in source-routed address" (exim4 4.96)'),
    p('syntax error', RFC5321 + ' (500/501 texts)', '501 5.5.2 Syntax error in parameters or arguments'),
    p('bad sequence of commands', RFC5321 + ' (503 text)'),
    p('improper sequence of commands', RFC5321),
    p('command unrecognized', RFC5321 + ' (500 text)'),
    p('command not recognized', RFC5321),
    p('command not implemented', RFC5321 + ' (502 text)'),
    p('unrecognized command', RFC5321),
    p('parameter not implemented', RFC5321 + ' (504 text)'),
    p('invalid command', RFC5321),
    p('invalid argument', RFC5321),
    p('invalid parameter', RFC5321),
    p('illegal command', RFC5321),
    p('illegal argument', RFC5321),
    p('malformed address', RFC5321),
  ],
};
