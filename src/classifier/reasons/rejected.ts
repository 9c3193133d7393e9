import { p } from '../phrase.js';
import { GOOGLE, MESSAGELABS, MICROSOFT, RFC3463, RFC7505, SISIMAI, SISIMAI5, SISIMAI5_RHOST } from '../sources.js';
import type { ReasonTable } from './table.js';

const SENDER_WORDS = 'RFC 3463 X.1.7 / X.1.8 (bad sender\'s mailbox / system address), in words that name the sender';

const VERIFY = 'seen: Exim (sender verify), Postfix (reject_unknown_sender_domain, reject_unverified_sender)';
const NULL_SENDER = 'seen: IMail, SpamWall, McAfee (refusing the empty envelope sender of a bounce)';
const LISTS = 'seen: Mailman, Google Groups, Sympa (posting refused to non-members)';

/** The sender (envelope sender address or its domain) was refused: a sender-side matter. */
export const rejected: ReasonTable = {
  id: 'text.rejected',
  reason: 'rejected',
  note: "the envelope sender address or its domain was refused",
  phrases: [
    // (round 20) X.7.27's registered title: the sender's domain publishes a null MX, so the
    // sender can take no reply; before notaccept's "null mx", which is the recipient's domain
    p('sender address has null mx', RFC7505 + ' §4.2: X.7.27 "Sender address has null MX"', '550 5.7.27 Sender address has null MX'),
    // (round 15) refusals that name the sender (Sisimai 5 Rejected; MessageLabs' reply list)
    p("can't determine purported responsible address", SISIMAI5 + ' (Rejected: Sender ID, RFC 4407 PRA)', "550 5.7.1 Can't determine Purported Responsible Address"),
    p('senderfilterconfig', MICROSOFT + ' (the sender filter agent); ' + SISIMAI5, '550 5.7.1 Email address is on senderfilterconfig list'),
    p('domain of sender address * does not resolve', SISIMAI5 + ' (Rejected: "domain of sender address"); Sendmail check_mail', '451 4.1.8 Domain of sender address x@x.x does not resolve'),
    p('your email address has been blocked', MESSAGELABS + '; ' + SISIMAI5_RHOST, '553 Sorry, your email address has been blocked'),
    p('your domain has been blocked', MESSAGELABS + '; ' + SISIMAI5_RHOST, '553 Sorry, your domain has been blocked'),
    p('your domain has been blacklisted', MESSAGELABS + '; ' + SISIMAI5_RHOST),
    p('sender email address rejected', SISIMAI),
    p('without a valid sender domain', SISIMAI, '550 Connections not accepted from servers without a valid sender domain'),
    p(
      'sender address rejected',
      'Postfix: smtpd sender restrictions reply',
      '550 5.1.8 <neko@example.org>: Sender address rejected: Domain not found',
    ),
    p('sender address refused', VERIFY),
    p('sender rejected', VERIFY),
    p('sender refused', VERIFY),
    p('sender denied', VERIFY),
    p('sender blocked', VERIFY),
    p('sender invalid', VERIFY),
    p('sender not allowed', VERIFY),
    p('sender not authorized', VERIFY),
    p('sender not accepted', VERIFY),
    p('sender domain rejected', VERIFY),
    p('sender verify failed', 'Exim: sender callout verification'),
    p('sender verification failed', VERIFY),
    p('envelope sender verification failed', VERIFY),
    p('sender domain must exist', VERIFY),
    p('sender domain does not exist', VERIFY),
    // the same words for the sender's domain, before hostunknown's "domain not found" / "domain
    // does not exist", which would make them the recipient's domain and a hard bounce
    p('sender domain not found', 'RFC 3463 X.1.8 (bad sender\'s system address: the words name the sender\'s domain)', '550 5.1.8 Sender domain not found'),
    p('sender domain unknown', 'RFC 3463 X.1.8 (bad sender\'s system address: the words name the sender\'s domain)', '550 Sender domain unknown'),
    // the sender's mailbox or domain named as the one that does not exist or cannot be used:
    // RFC 3463's X.1.7 / X.1.8 in words, ahead of the recipient's "mailbox unavailable",
    // "address does not exist", "domain does not exist"
    p("sender's domain does not exist", SENDER_WORDS, "550 The sender's domain does not exist"),
    p('domain of the sender address', SENDER_WORDS, '550 5.1.2 The domain of the sender address does not exist'),
    p('bad sender address', SENDER_WORDS, '550 Bad sender address: mailbox unavailable'),
    p('sender mailbox unavailable', SENDER_WORDS, '550 Sender mailbox unavailable'),
    p("sender's mailbox does not exist", SENDER_WORDS, "550 The sender's mailbox does not exist"),
    p('sender mailbox does not exist', SENDER_WORDS),
    p('your domain does not exist', 'RFC 3463 X.1.8 (bad sender\'s system address: "your" is the sending side\'s domain)', '550 Your domain does not exist'),
    p('sender domain is invalid', VERIFY),
    p('from domain does not exist', VERIFY),
    p(
      'domain of sender address * does not exist',
      'Postfix: reject_unknown_sender_domain',
      '553 5.1.8 Domain of sender address a@example.org does not exist',
    ),
    p('mail from address rejected', VERIFY),
    p('mail from rejected', VERIFY),
    p('mail from not accepted', VERIFY),
    p('invalid sender', VERIFY),
    // (round 17) more of the Sisimai 5 Rejected definitions the reason tables lacked: each names
    // the sender or refuses a bounce's empty sender (before syntaxerror's "syntax error", which
    // would make it the recipient's). A recipient-side wording after a noun that names the sender
    // ("Sender address does not exist", "MAIL FROM: user unknown") is the sender's by
    // src/classifier/rules.ts senderIsSubject; the entries below are those it cannot see, where
    // no recipient-side wording follows the noun.
    p('sender address invalid', SENDER_WORDS, '550 Sender address invalid'),
    p('sender address is invalid', SENDER_WORDS, '550 Sender address is invalid'),
    p('sender not found', SENDER_WORDS, '550 Sender not found'),
    p('sender does not exist', SENDER_WORDS, '550 The sender does not exist'),
    p('sender * does not exist', SENDER_WORDS, '550 Sender <bounce@sender.example.org> does not exist'),
    p('from address not found', SENDER_WORDS, '550 From address not found'),
    p('from address does not exist', SENDER_WORDS, '550 From address does not exist'),
    p('return path invalid', SENDER_WORDS + ' (the Return-Path is the envelope sender)', '550 Return path invalid'),
    p('invalid return path', SENDER_WORDS + ' (the Return-Path is the envelope sender)', '550 Invalid return path'),
    // the sender's domain named as the one without mail exchangers, unresolvable or invalid:
    // before notaccept's "no MX record" (a null MX, a hard bounce of the recipient), which the
    // word between ("has") keeps senderIsSubject from seeing
    p('sender domain has no mx', SENDER_WORDS, '550 Sender domain has no MX record'),
    p('your domain has no mx', SENDER_WORDS + ' ("your" is the sending side)', '550 Your domain has no MX record'),
    p('your domain is invalid', SENDER_WORDS + ' ("your" is the sending side)', '550 Your domain is invalid'),
    p('could not resolve sender domain', SENDER_WORDS, '451 Could not resolve sender domain'),
    p('domain in your mail from', SENDER_WORDS, '550 The domain in your MAIL FROM does not exist'),
    p('unable to verify sender address', SENDER_WORDS, '550 Unable to verify sender address'),
    p('sender address verification failed', SENDER_WORDS, '550 Sender address verification failed'),
    p('cannot verify your address', SENDER_WORDS, '550 Cannot verify your address'),
    p('your e-mail address is invalid', SENDER_WORDS + ' ("your" is the sending side)', '550 Your e-mail address is invalid'),
    p('no such sender', SENDER_WORDS, '550 No such sender'),
    // the titles of X.1.7 and X.1.8 themselves (RFC 3463 §3.2)
    p("bad sender's mailbox address syntax", RFC3463 + ' X.1.7', "553 5.1.7 Bad sender's mailbox address syntax"),
    p("bad sender's system address", RFC3463 + ' X.1.8', "550 5.1.8 Bad sender's system address"),
    p('rule imposed mailbox access for', SISIMAI5 + ' (Rejected)', '550 5.7.1 Rule imposed mailbox access for sender@example.org refused'),
    p('denied [bouncedeny]', SISIMAI5 + ' (Rejected); ' + NULL_SENDER, '550 5.7.1 Denied [BOUNCEDENY]'),
    p('syntax error: empty email address', SISIMAI5 + ' (Rejected); ' + NULL_SENDER, '550 5.1.7 Syntax error: empty email address'),
    p('rfc 1035 violation: recursive cname records for', SISIMAI5 + " (Rejected: the sender's domain)", '550 5.7.1 RFC 1035 violation: recursive CNAME records for example.org'),
    p('invalid domain, see <url:', SISIMAI5 + " (Rejected: the sender's domain)", '550 5.7.1 Invalid domain, see <URL:http://www.example.net/policy.html>'),
    p('mailfrom domain is listed', 'seen: Vade, Proofpoint (sender domain on a block list)'),
    p('mail from domain is listed', 'seen: Vade, Proofpoint (sender domain on a block list)'),
    p('sender domain is listed', VERIFY),
    p('sender address is listed', VERIFY),
    p('unroutable sender', VERIFY),
    p('sender unknown', VERIFY),
    p('unknown sender', VERIFY),
    p('sender was rejected', 'qmail: "Connected to <host> but sender was rejected"'),
    p('envelope sender is in my badmailfrom list', 'qmail-smtpd(8) control/badmailfrom ("unacceptable envelope sender addresses": every recipient is refused), its reply "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)"; qpsmtpd\'s check_badmailfrom gives the same words', '550 Your envelope sender is in my badmailfrom list'),
    p('that sender cannot send mail here', 'Haraka: haraka-plugin-access README, [deny_msg] mail default "That sender cannot send mail here", its reply to a sender on the mail_from.access blacklist', '550 <s@example.org> That sender cannot send mail here'),
    p('sender is on the user denylist', SISIMAI),
    p('sender is in my black list', SISIMAI),
    p('sender not pre-approved', SISIMAI),
    p("because the sender isn't on the recipient's list of senders to accept mail from", SISIMAI),
    p('not accepting mail from this sender', SISIMAI),
    p('sender is spammer', SISIMAI),
    p('your email address has been blacklisted', 'seen: MessageLabs, Proofpoint'),
    p('sender address has been blacklisted', SISIMAI),
    p('from an address that has been blacklisted', SISIMAI),
    p('bogus mail from', NULL_SENDER),
    p('empty envelope senders not allowed', NULL_SENDER),
    p('null sender is not allowed', NULL_SENDER),
    p('no third-party dsns', NULL_SENDER),
    p('returned mail not accepted here', NULL_SENDER),
    p('unsigned dsn for', 'seen: SonicWall, Barracuda (BATV-checking gateways)'),
    p('batv failed to verify', 'seen: SonicWall, Barracuda (BATV)'),
    p('batv validation failure', 'seen: SonicWall, Barracuda (BATV)'),
    p('rejected by batv defense', 'seen: SonicWall, Barracuda (BATV)'),
    p('backscatter protection detected an invalid', 'MDaemon: backscatter protection'),
    p('fully qualified email address required', 'seen: McAfee, Postfix reject_non_fqdn_sender'),
    p('from: domain is invalid', 'GoDaddy: IB506'),
    p('sender domain is empty', SISIMAI),
    p('denied by secumail valid-address-filter', SISIMAI),
    p('mail from not owned by user', SISIMAI),
    p('you are not allowed to send mail', SISIMAI),
    p('this server does not accept mail from', SISIMAI),
    // any "... not accept mail from <ip / domain / sender>" refuses the sending side, not all
    // mail, as the entry above: before notaccept, whose "does not accept mail" (a null MX, RFC
    // 7505; RFC 3463 X.3.2 "not accepting network messages") would make it a hard bounce
    p('not accept mail from', SISIMAI + ' ("this server does not accept mail from", above); RFC 7505 / RFC 3463 X.3.2 name a host that accepts no mail at all, which "from <sender>" is not', '550 Our system will not accept mail from your IP'),
    p('not accept email from', SISIMAI + ' ("this server does not accept mail from", above); RFC 7505 / RFC 3463 X.3.2 name a host that accepts no mail at all, which "from <sender>" is not', '550 5.7.1 We do not accept email from your network'),
    p('not allowed to post to this list', LISTS),
    p('not allowed to post to this mailing list', LISTS),
    p('not a member of this list', LISTS),
    p('not a member of this mailing list', LISTS + '; fml'),
    p('not a member of the list', LISTS),
    p('only members can post', LISTS),
    p('only list members may post', LISTS),
    p('is not a registered gateway user', SISIMAI),
    p('your access to submit messages to this e-mail system has been rejected', SISIMAI),
    p('mail sending denied', GOOGLE),
    p('sending this from a different address or alias using the', GOOGLE),
    p('emetteur invalide', 'Orange: postmaster error codes (LPN/OFR 405)'),
  ],
};
