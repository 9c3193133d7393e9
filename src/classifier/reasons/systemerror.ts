import { p } from '../phrase.js';
import { AMAVIS, COX, MIMECAST, SISIMAI5, SISIMAI5_RHOST } from '../sources.js';
import type { ReasonTable } from './table.js';

const SYS = 'seen: Postfix, Sendmail, Exim, Microsoft Exchange (server-side faults)';

/** The receiving server's own fault (RFC 3463 X.3.x). */
export const systemerror: ReasonTable = {
  id: 'text.systemerror',
  reason: 'systemerror',
  note: "a fault of the receiving mail system itself (RFC 3463 X.3.0, X.3.5)",
  phrases: [
    // (round 15) the receiving system's own trouble, named (Sisimai 5 SystemError; Cox's reply page)
    p('could not load drd for domain', SISIMAI5 + ' (SystemError)', '451 4.3.0 Could not load DRD for domain example.jp'),
    p('there is no mdb', SISIMAI5 + ' (SystemError)', '451 4.3.0 Recipient deferred because there is no Mdb'),
    p('server temporarily not available', COX + ' (451 "esmtp server temporarily not available"); ' + SISIMAI5_RHOST + ' (Cox)', '451 4.3.0 esmtp server temporarily not available'),
    // Courier's esmtp client: the destination's MX records break RFC 1035 (an MX naming an address or an alias)
    p("this domain's dns violates rfc 1035", 'Courier: courieresmtp, hard_error "This domain\'s DNS violates RFC 1035." (courier 1.1)'),
    // HCL (Lotus) Domino: the name matches several person documents (RFC 3463 X.1.4, an ambiguous
    // address). Worded as the directory's failure it is the system's, as Exchange's
    // RESOLVER.ADR.Ambiguous; a bare X.1.4 code says less and reads `filtered` (status.ts)
    p('several matches found in domino directory', 'HCL Domino router: "Several matches found in Domino Directory" (RFC 3463 X.1.4: the address matches more than one recipient)'),
    // fml (the mailing-list manager) refuses a Message-ID it has already distributed: its loop guard
    p('duplicated message-id', 'fml: its loop check refuses a posting whose Message-ID it has seen ("Duplicated Message-ID"), an error of the list system, not of the member'),
    p('internal error', SYS, '451 4.3.0 Internal error, please try again later'),
    p('internal server error', SYS),
    p('local error in processing', 'RFC 5321 §4.2.2 (451 text)'),
    p('local configuration error', SYS),
    p('system configuration error', SYS),
    p('server configuration error', SYS),
    p('mail system configuration error', SYS),
    p('system config error', SYS),
    p('remote server is misconfigured', SYS),
    p('queue file write error', 'Postfix: cleanup(8) write error'),
    p('interrupted system call', SYS),
    p('encountered an error while being processed', SYS),
    p('would create a mail loop', SYS),
    p('loop was found in the mail exchanger', SYS),
    p('aliasing/forwarding loop', SYS),
    // Exim: a redirection (alias, .forward) asked for delivery to a file or a pipe that the
    // router does not allow: the receiving system's configuration refused it
    p('delivery to file forbidden', 'Exim: redirect router without allow_filter/allow_file, "delivery to file forbidden" (exim4 4.96)', 'delivery to file forbidden'),
    p('delivery to pipe forbidden', 'Exim: redirect router without allow_pipe, "delivery to pipe forbidden" (exim4 4.96)', 'delivery to pipe forbidden'),
    p("can't create user output file", 'Sendmail: local mailer cannot write the mailbox'),
    p('timeout waiting for input', SYS),
    p('resources temporarily unavailable', SYS),
    p('resources unavailable', SYS),
    p('mailbox cannot be opened', SYS),
    p('mailbox busy', SYS),
    p('mailbox locked', SYS),
    p('unable to open mailbox', SYS),
    p('unable to write mailbox', SYS),
    p('system error', SYS),
    p('i/o error', SYS),
    p('upstream error', SYS),
    p('unable to process connection at this time', MIMECAST),
  ],
};

/** "Try later" wordings that blame the server: read last, after the command and the enhanced code (./index.ts LAST). */
export const serviceUnavailable: ReasonTable = {
  id: 'text.service-unavailable',
  reason: 'systemerror',
  note: "the server says it cannot serve now (RFC 5321 421/451 texts)",
  phrases: [
    p('temporary local problem', 'Postfix/Exim: 451 "Temporary local problem"', '451 Temporary local problem - please try later'),
    p('temporary local failure', SYS),
    p('temporary local error', SYS),
    p('service not available', 'RFC 5321 §4.2.2 (421 text)'),
    p('service unavailable', SYS),
    p('service temporarily unavailable', SYS),
    p('service currently unavailable', SYS),
    p('transaction failed', 'RFC 5321 §4.2.2 (554 text)'),
    p('server error', SYS),
  ],
};

/**
 * Faults of the receiving system whose wording holds another reason's words ("unable to relay",
 * "invalid user"): read early, before norelaying and userunknown.
 *   - amavisd-new could not hand a checked message back to its MTA (its CC_MTA category, status
 *     5.3.5 or 4.x): a fault of the receiving system's filter chain;
 *   - Dovecot's LDA/LMTP could not read the user's own settings or look the user up: the mailbox
 *     exists, the server's configuration or user database failed.
 */
export const systemFaultWordings: ReasonTable = {
  id: 'text.system-fault',
  reason: 'systemerror',
  note: "the receiving system's own fault, worded with another reason's words",
  phrases: [
    p('unable to relay message back to mta', AMAVIS + '; CC_MTA: "id=<id> - Unable to relay message back to MTA"', '550 5.3.5 Reject, id=12345-01 - Unable to relay message back to MTA'),
    p('temporary mta failure on relaying', AMAVIS + '; CC_MTA: "Temporary MTA failure on relaying"'),
    p('rejected by next-hop mta on relaying', AMAVIS + '; CC_MTA: "Rejected by next-hop MTA on relaying"'),
    p('temporary user lookup failure', 'Dovecot LMTP: the user database lookup failed for now ("451 4.3.0 <address> Temporary user lookup failure", lmtp, dovecot 2.3.19)', '451 4.3.0 <kijitora@example.jp> Temporary user lookup failure'),
    p('invalid user settings', 'Dovecot LDA/LMTP 2.0-2.2: the user\'s settings (userdb fields, mail location) could not be used ("Invalid user settings. Refer to server log for more information.", lib-storage mail-storage-service); 2.3 says "Invalid userdb input"', '550 5.3.5 <kijitora@example.jp> Invalid user settings. Refer to server log for more information.'),
    p('invalid userdb input', 'Dovecot 2.3 lib-storage: a user database field it cannot use ("Invalid userdb input <field>: <error>", libdovecot-storage, dovecot 2.3.19)'),
  ],
};
