// One remote reply carried by different MTAs' notices (issue #13, round 20): Postfix's text
// ("<a>: host mx said: REPLY (in reply to RCPT TO command)", as its notice reads once flattened,
// forwarded or sent without the delivery-status part), qmail's ("Remote host said: REPLY"),
// Exim's and Sendmail's. Found by carrying every failed record's reply of the corpus's dev part
// and fixtures/ in each format and comparing the readings; each case here is generated mail. The
// reason is the reply's, whoever carries it, and an address the reply names as the sender's is
// nobody's failure.
import MailComposer from 'nodemailer/lib/mail-composer';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/classifier/index.js';
import { parseMessageSync } from '../../src/parser/index.js';

const compose = (o: ConstructorParameters<typeof MailComposer>[0]) => new MailComposer(o).compile().build();

/** Records as `address reason`. */
const records = async (raw: Buffer | Promise<Buffer>) => {
  const r = parseMessageSync(await raw);
  const v = classify(r);
  return r.recipients.map((x, i) => `${x.finalRecipient} ${v[i].reason}`);
};

const COMMAND = { RCPT: 'RCPT TO', DATA: 'end of DATA', MAIL: 'MAIL FROM' } as const;
type Command = keyof typeof COMMAND;

/** Postfix's bounce(8) text for one recipient, its reply joined onto one line as smtp(8) quotes it. */
const postfixText = (rcpt: string, reply: string, command: Command) =>
  compose({
    from: 'Mail Delivery System <MAILER-DAEMON@mx.sender.example>',
    to: 'bounces@sender.example',
    subject: 'Undelivered Mail Returned to Sender',
    text:
      'This is the mail system at host mx.sender.example.\n\nI\'m sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It\'s attached below.\n\n' +
      `                   The mail system\n\n<${rcpt}>: host mx.example.net[192.0.2.1] said: ${reply} (in reply to ${COMMAND[command]}\n    command)\n`,
  });

/** qmail-send's failure notice for one recipient. */
const qmailText = (rcpt: string, reply: string, command: 'RCPT' | 'DATA') =>
  compose({
    from: 'MAILER-DAEMON@mx.sender.example',
    to: 'bounces@sender.example',
    subject: 'failure notice',
    text:
      "Hi. This is the qmail-send program at mx.sender.example.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n" +
      `<${rcpt}>:\n192.0.2.1 ${command === 'RCPT' ? 'does not like recipient' : 'failed after I sent the message'}.\nRemote host said: ${reply}\nGiving up on 192.0.2.1.\n`,
  });

/** The text of Exim's failure notice for one recipient. */
const eximBody = (rcpt: string, reply: string, command: Command) =>
  'This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n' +
  `  ${rcpt}\n    host mx.example.net [192.0.2.1]\n    SMTP error from remote mail server after ${command === 'RCPT' ? `RCPT TO:<${rcpt}>` : command === 'DATA' ? 'end of data' : 'MAIL FROM:<news@sender.example> SIZE=2048'}:\n    ${reply}\n`;

/** Exim's failure notice for one recipient. */
const eximText = (rcpt: string, reply: string, command: Command) =>
  compose({
    from: 'Mail Delivery System <Mailer-Daemon@mx.sender.example>',
    to: 'bounces@sender.example',
    subject: 'Mail delivery failed: returning message to sender',
    headers: { 'X-Failed-Recipients': rcpt },
    text: eximBody(rcpt, reply, command),
  });

describe('the reply decides, not the words of the MTA that quotes it', () => {
  it('"host <name> said:" is who spoke: a reply "User not found" after it is an unknown user, not an unknown host', async () => {
    expect(await records(postfixText('jane@example.net', '550 User not found', 'RCPT'))).toEqual(['jane@example.net userunknown']);
    expect(await records(postfixText('jane@example.net', '550 Mailbox not found.', 'RCPT'))).toEqual(['jane@example.net userunknown']);
    expect(await records(qmailText('jane@example.net', '550 User not found', 'RCPT'))).toEqual(['jane@example.net userunknown']);
    // the MTA's own words about a host still count where they are the failure
    expect(await records(postfixText('jane@example.net', '550 5.1.2 Host unknown (Name server: example.net: host not found)', 'RCPT'))).toEqual(['jane@example.net hostunknown']);
  });

  // replies from the providers' published references and RFC 3463, each carried three ways
  const REPLIES: [string, Command][] = [
    ['550 User not found', 'RCPT'],
    ['550 5.1.1 <jane@example.net>: Recipient address rejected: User unknown in virtual mailbox table', 'RCPT'],
    ['550-5.7.1 [192.0.2.9] Messages with multiple 550-5.7.1 addresses in From: header are not accepted. 550 5.7.1 x1si2.3 - gsmtp', 'DATA'],
    ['421-4.7.0 [192.0.2.9] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. To protect our 421-4.7.0 users from spam, mail sent from your IP address has been temporarily 421 4.7.0 blocked. https://support.google.com/mail/?p=UnsolicitedRateLimitError x1si2.3 - gsmtp', 'MAIL'],
    ['552-5.2.2 The email account that you tried to reach is over quota. Please direct 552 5.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaPerm x1si2.3 - gsmtp', 'RCPT'],
    ['554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org', 'RCPT'],
  ];
  it.each(REPLIES)('%s reads the same from Postfix\'s text as from Exim\'s notice', async (reply, command) => {
    const exim = await records(eximText('jane@example.net', reply, command));
    expect(exim).toHaveLength(1);
    expect(await records(postfixText('jane@example.net', reply, command))).toEqual(exim);
    if (command !== 'MAIL') expect(await records(qmailText('jane@example.net', reply, command))).toEqual(exim);
  });
});

describe('the address a refusal of MAIL FROM names is the sender\'s', () => {
  const REFUSAL = '550 5.7.0 <news@sender.example>... Please use the smtp server of your ISP';
  it('in Postfix\'s text ("in reply to MAIL FROM command"): the recipient fails, the sender is no record', async () => {
    const got = await records(postfixText('jane@example.net', REFUSAL, 'MAIL'));
    expect(got.map((x) => x.split(' ')[0])).toEqual(['jane@example.net']);
  });
  it('in a Sendmail transcript (">>> MAIL From:<a>") and in a forwarded Exim notice ("after MAIL FROM:<a>")', async () => {
    const sendmail = compose({
      from: 'Mail Delivery Subsystem <MAILER-DAEMON@mx.sender.example>',
      to: 'bounces@sender.example',
      subject: 'Returned mail: see transcript for details',
      text:
        '   ----- The following addresses had permanent fatal errors -----\n<jane@example.net>\n' +
        `    (reason: ${REFUSAL})\n\n   ----- Transcript of session follows -----\n... while talking to mx.example.net.:\n` +
        `>>> MAIL From:<news@sender.example> SIZE=2048\n<<< ${REFUSAL}\n554 5.0.0 Service unavailable\n`,
    });
    expect((await records(sendmail)).map((x) => x.split(' ')[0])).toEqual(['jane@example.net']);
    const body = eximBody('jane@example.net', REFUSAL, 'MAIL');
    const forwarded = compose({
      from: 'Alice Example <alice@corp-fwd.example>',
      to: 'bounces@sender.example',
      subject: 'Fwd: Mail delivery failed: returning message to sender',
      text: `See below.\n\n---------- Forwarded message ---------\nFrom: Mail Delivery System <Mailer-Daemon@mx.sender.example>\nSubject: Mail delivery failed: returning message to sender\n\n${body}`,
    });
    expect((await records(forwarded)).map((x) => x.split(' ')[0])).toEqual(['jane@example.net']);
  });
});

describe('an address the report names as the sender is the sender\'s wherever it stands', () => {
  it('Postfix\'s reject_unverified_sender quotes its probe of the sender\'s own server: no record for the sender', async () => {
    const reply = '450 4.1.7 <news@sender.example>: Sender address rejected: unverified address: host mx.sender.example[192.0.2.7] said: 550 5.1.1 <news@sender.example>: Recipient address rejected: User unknown';
    expect((await records(postfixText('jane@example.net', reply, 'RCPT'))).map((x) => x.split(' ')[0])).toEqual(['jane@example.net']);
  });
});

describe('the address a reply to an entry names is that entry\'s', () => {
  it('"<a>: host mx said: 550 5.1.1 <b>: ..." fails a, whom the remote knew as b (an alias, a forward)', async () => {
    const got = await records(postfixText('jane@example.net', '550 5.1.1 <jane.doe@mail.example.net>: Recipient address rejected: User unknown in virtual mailbox table', 'RCPT'));
    expect(got).toEqual(['jane@example.net userunknown']);
  });
});

describe('a multi-line reply joined onto one line keeps its roles', () => {
  it('"551-5.1.6 User not local; please try 551 5.1.6 <new>": the new address is where mail goes now, not a failure', async () => {
    const got = await records(postfixText('jane.doe@example.com', '551-5.1.6 User not local; please try 551 5.1.6 <jane@newco.example.net>', 'RCPT'));
    expect(got).toEqual(['jane.doe@example.com hasmoved']);
  });
});

/** Postfix's delay notice as text only (flattened, forwarded, or sent without its delivery-status part). */
const postfixDelayText = (rcpt: string, reply: string) =>
  compose({
    from: 'Mail Delivery System <MAILER-DAEMON@mx.sender.example>',
    to: 'bounces@sender.example',
    subject: 'Delayed Mail (still being retried)',
    text:
      'This is the mail system at host mx.sender.example.\n\n' +
      '####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\n' +
      'Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.\n\n                   The mail system\n\n' +
      `<${rcpt}>: host mx.example.net[192.0.2.1] said: ${reply} (in reply to RCPT TO\n    command)\n`,
  });

describe('a delay notice read from its text stays a delay, whatever numbers its reply holds', () => {
  // each reply carried at stop 42 by the delay probe: a 4.5.0 status (its "5.0" is no 5.x.y), a
  // provider's help link with "#554", a Yahoo-style "(554.30)" code in the words
  it.each([
    ['450 4.5.0 Adresse destinataire invalide. Invalid recipient. LPN007_416'],
    ['454 Email rejected due to security policies - https://community.mimecast.com/docs/DOC-1369#554 [Zw3hd5tTNoG.uk123]'],
    ['454 delivery error: dd Sorry, your message to jane@example.net cannot be delivered. This mailbox is disabled (554.30).'],
  ])('%s', async (reply) => {
    const r = parseMessageSync(await postfixDelayText('jane@example.net', reply));
    expect(r.kind).toBe('delay');
    expect(r.recipients.map((x) => `${x.finalRecipient} ${x.action}`)).toEqual(['jane@example.net delayed']);
    expect(classify(r)[0]?.hardbounce).toBe(false);
  });
  it('a permanent reply in the same notice is a failure', async () => {
    const r = parseMessageSync(await postfixDelayText('jane@example.net', '550 5.1.1 <jane@example.net>: Recipient address rejected: User unknown'));
    expect(r.recipients.map((x) => x.action)).toEqual(['failed']);
  });
});
