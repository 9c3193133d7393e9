// Notice formats that carry remote replies (issue #13, round 20): each builds the notice an MTA
// or a provider writes for a list of failed (or delayed) recipients, every one with its own
// reply, in the layout its software uses (Postfix bounce(8) text and DSN, Exim's deliver.c
// messages, qmail-send's failure notice, Sendmail's savemail.c sections, Exchange's NDR and
// delay DSN, Gmail's and Yahoo's notices). Only the layout is theirs; the replies are the ones
// a test hands in. Tests: test/parser/carriers.test.ts.

/** One recipient and the reply its delivery got. */
export interface Entry {
  rcpt: string;
  /** The remote reply, one line ("550 5.1.1 <a@b>... User unknown"). */
  reply: string;
  /** Its enhanced status code as the reporting MTA gives it. */
  status: string;
  /** The SMTP command the reply answered, when known. */
  command: 'RCPT' | 'DATA' | 'MAIL' | 'CONNECT' | null;
}

const head = (subject: string, from: string, extra = '') =>
  `Return-Path: <>\nFrom: ${from}\nTo: bounces@sender.example\nSubject: ${subject}\nDate: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <n1@mx.sender.example>\nMIME-Version: 1.0\n${extra}`;
const original = (es: readonly Entry[]) =>
  `From: Sender <news@sender.example>\nTo: ${es.map((e) => e.rcpt).join(', ')}\nSubject: Our news\nMessage-ID: <m1@sender.example>\n\nHello\n`;
const POSTFIX_COMMAND = { RCPT: 'RCPT TO', DATA: 'end of DATA', MAIL: 'MAIL FROM' } as const;
const postfixCommand = (c: Entry['command']) => (c === 'RCPT' || c === 'DATA' || c === 'MAIL' ? POSTFIX_COMMAND[c] : null);
const eximAfter = (e: Entry) =>
  e.command === 'RCPT' ? `RCPT TO:<${e.rcpt}>` : e.command === 'DATA' ? 'end of data' : e.command === 'MAIL' ? 'MAIL FROM:<news@sender.example> SIZE=1234' : 'initial connection';
const MAILER_DAEMON = 'MAILER-DAEMON@mx.sender.example (Mail Delivery System)';
const EXIM_FROM = 'Mail Delivery System <Mailer-Daemon@mx.sender.example>';

/** Failure notices: each returns null when its format cannot say what an entry needs (a command it never reports). */
export const FAILURE_CARRIERS: Record<string, (es: readonly Entry[]) => string | null> = {
  dsn: (es) =>
    head('Undelivered Mail Returned to Sender', MAILER_DAEMON) +
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n' +
    '--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.sender.example\n' +
    es.map((e) => `\nFinal-Recipient: rfc822; ${e.rcpt}\nAction: failed\nStatus: ${e.status}\nRemote-MTA: dns; mx.rcpt.example\nDiagnostic-Code: smtp; ${e.reply}\n`).join('') +
    `\n--B\nContent-Type: text/rfc822-headers\n\n${original(es)}--B--\n`,
  postfix: (es) =>
    es.every((e) => postfixCommand(e.command))
      ? head('Undelivered Mail Returned to Sender', MAILER_DAEMON) +
        "Content-Type: text/plain\n\nThis is the mail system at host mx.sender.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below.\n\n                   The mail system\n\n" +
        es.map((e) => `<${e.rcpt}>: host mx.rcpt.example[192.0.2.1] said: ${e.reply} (in reply to ${postfixCommand(e.command)}\n    command)\n`).join('\n') +
        `\n--- original ---\n${original(es)}`
      : null,
  exim: (es) =>
    es.every((e) => e.command)
      ? head('Mail delivery failed: returning message to sender', EXIM_FROM, `X-Failed-Recipients: ${es.map((e) => e.rcpt).join(', ')}\n`) +
        'Content-Type: text/plain\n\nThis message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n' +
        es.map((e) => `  ${e.rcpt}\n    host mx.rcpt.example [192.0.2.1]\n    SMTP error from remote mail server after ${eximAfter(e)}:\n    ${e.reply}\n`).join('') +
        `\n------ This is a copy of the message, including all the headers. ------\n\n${original(es)}`
      : null,
  qmail: (es) =>
    es.every((e) => e.command === 'RCPT' || e.command === 'DATA')
      ? head('failure notice', 'MAILER-DAEMON@mx.sender.example') +
        "Content-Type: text/plain\n\nHi. This is the qmail-send program at mx.sender.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n" +
        es.map((e) => `<${e.rcpt}>:\n192.0.2.1 ${e.command === 'RCPT' ? 'does not like recipient' : 'failed after I sent the message'}.\nRemote host said: ${e.reply}\nGiving up on 192.0.2.1.\n`).join('\n') +
        `\n--- Below this line is a copy of the message.\n\n${original(es)}`
      : null,
  sendmail: (es) =>
    es.every((e) => e.command === 'RCPT')
      ? head('Returned mail: see transcript for details', 'Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>') +
        'Content-Type: text/plain\n\nThe original message was received at Mon, 1 Jan 2024 00:00:00 +0000\nfrom localhost [127.0.0.1]\n\n   ----- The following addresses had permanent fatal errors -----\n' +
        es.map((e) => `<${e.rcpt}>\n    (reason: ${e.reply})\n`).join('') +
        '\n   ----- Transcript of session follows -----\n... while talking to mx.rcpt.example.:\n>>> MAIL From:<news@sender.example>\n<<< 250 OK\n' +
        es.map((e) => `>>> RCPT To:<${e.rcpt}>\n<<< ${e.reply}\n`).join('') +
        `\n   ----- Original message follows -----\n\n${original(es)}`
      : null,
  exchange: (es) =>
    head('Undeliverable: Our news', 'postmaster@sender.example') +
    'Content-Type: text/plain\n\nDelivery has failed to these recipients or groups:\n\n' +
    es.map((e) => `${e.rcpt}\nA problem occurred during the delivery of this message to this e-mail address.\n\n`).join('') +
    'Diagnostic information for administrators:\n\nGenerating server: mx.sender.example\n\n' +
    es.map((e) => `${e.rcpt}\nRemote Server returned '${e.reply}'\n\n`).join('') +
    `Original message headers:\n\n${original(es)}`,
  yahoo: (es) =>
    es.every((e) => e.command === 'RCPT' || e.command === 'DATA' || e.command === 'MAIL')
      ? head('Failure Notice', 'MAILER-DAEMON@yahoo.com') +
        'Content-Type: text/plain\n\nSorry, we were unable to deliver your message to the following address.\n\n' +
        es.map((e) => `<${e.rcpt}>:\nRemote host said: ${e.reply} [${e.command === 'RCPT' ? 'RCPT_TO' : e.command === 'MAIL' ? 'MAIL_FROM' : 'DATA'}]\n`).join('\n') +
        `\n--- Below this line is a copy of the message.\n\n${original(es)}`
      : null,
};

/** Delay notices ("still being retried") for one recipient whose reply was transient. */
export const DELAY_CARRIERS: Record<string, (e: Entry) => string> = {
  postfixDsn: (e) =>
    head('Delayed Mail (still being retried)', MAILER_DAEMON) +
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: text/plain\n\n' +
    'This is the mail system at host mx.sender.example.\n\n####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\n' +
    `Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n                   The mail system\n\n<${e.rcpt}>: host mx.rcpt.example[192.0.2.1] said: ${e.reply} (in reply to RCPT TO\n    command)\n\n` +
    `--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.sender.example\n\nFinal-Recipient: rfc822; ${e.rcpt}\nAction: delayed\nStatus: ${e.status}\nDiagnostic-Code: smtp; ${e.reply}\nWill-Retry-Until: Sat, 6 Jan 2024 00:00:00 +0000\n\n--B--\n`,
  postfixText: (e) =>
    head('Delayed Mail (still being retried)', MAILER_DAEMON) +
    'Content-Type: text/plain\n\nThis is the mail system at host mx.sender.example.\n\n####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\n' +
    `Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n                   The mail system\n\n<${e.rcpt}>: host mx.rcpt.example[192.0.2.1] said: ${e.reply} (in reply to RCPT TO\n    command)\n`,
  exim: (e) =>
    head('Warning: message 1abcde-000123-AB delayed 24 hours', EXIM_FROM, `X-Failed-Recipients: ${e.rcpt}\n`) +
    'Content-Type: text/plain\n\nThis message was created automatically by mail delivery software.\nA message that you sent has not yet been delivered to one or more of its\nrecipients after more than 24 hours on the queue on mx.sender.example.\n\n' +
    `The address to which the message has not yet been delivered is:\n\n  ${e.rcpt}\n    host mx.rcpt.example [192.0.2.1]\n    SMTP error from remote mail server after RCPT TO:<${e.rcpt}>:\n    ${e.reply}\n\n` +
    'No action is required on your part. Delivery attempts will continue for\nsome time, and this warning may be repeated at intervals if the message\nremains undelivered.\n',
  sendmail: (e) =>
    head('Warning: could not send message for past 4 hours', 'Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>') +
    'Content-Type: text/plain\n\n    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n    **********************************************\n\n' +
    `   ----- Transcript of session follows -----\n<${e.rcpt}>... Deferred: ${e.reply}\nWarning: message still undelivered after 4 hours\nWill keep trying until message is 5 days old\n`,
  exchange: (e) =>
    head('Delivery delayed:Our news', 'Microsoft Outlook <postmaster@sender.example>') +
    `Content-Type: text/plain\n\nDelivery is delayed to these recipients or groups:\n\n${e.rcpt}\n\nSubject: Our news\n\nThis message hasn't been delivered yet. Delivery will continue to be attempted.\n\n` +
    `Diagnostic information for administrators:\n\nGenerating server: mx.sender.example\n\n${e.rcpt}\nRemote Server at mx.rcpt.example (192.0.2.1) returned '${e.reply}'\n`,
  gmail: (e) =>
    head('Delivery Status Notification (Delay)', 'Mail Delivery Subsystem <mailer-daemon@googlemail.com>') +
    'Content-Type: text/plain\n\nThis is an automatically generated Delivery Status Notification\n\nTHIS IS A WARNING MESSAGE ONLY.\n\nYOU DO NOT NEED TO RESEND YOUR MESSAGE.\n\n' +
    `Delivery to the following recipient has been delayed:\n\n     ${e.rcpt}\n\nMessage will be retried for 2 more day(s)\n\nTechnical details of temporary failure:\n[mx.rcpt.example. 192.0.2.1: ${e.reply}]\n`,
};

/**
 * The same reply as a transient one, the way a server that defers says it: every reply code
 * 5xx made 4xx, every 5.x.y status 4.x.y; the addresses in it are left as they are.
 */
export function transient(reply: string, keep: readonly string[]): string {
  const pieces = keep.length ? reply.split(new RegExp(keep.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))) : [reply];
  const kept = keep.length ? reply.match(new RegExp(keep.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')) ?? [] : [];
  const turn = (s: string) => s.replace(/(^|\s)5(\d\d)([ -])/g, '$14$2$3').replace(/(^|[^\d.])5\.(\d{1,3}\.\d{1,3})(?![.\d])/g, '$14.$2');
  return pieces.map((p, i) => turn(p) + (kept[i] ?? '')).join('');
}
