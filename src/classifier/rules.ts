// The reason table: data, checked top to bottom, first match wins. Each verdict records the
// rule id and the text it matched (`bounced classify --explain`).
//
// Reason names are Sisimai 5.6+'s (see src/report.ts). Phrases were collected from real NDRs
// and from the public descriptions of Sisimai's reasons; they are matched case-insensitively
// over the recipient's diagnostic text (Diagnostic-Code or the NDR line for that address).
//
// Order = specificity. When the status code and the text disagree the more specific wins:
//   0. VENDOR status    exact vendor codes (Microsoft 5.4.312...).
//  0b. VENDOR text      one MTA's fixed wording or code (Exchange "(000C05A6)", Notes "not listed
//                       in Domino Directory", Orange "OFR_506", Gmail "(state 18)"); `fixed`: final.
//  0c. VENDOR category  the reporting MTA's own classification (PowerMTA bounce category); final.
//  0d. HOST             one provider's documented reply conventions (docomo, MessageLabs); final.
//   1. STRONG text   phrases that name one cause unambiguously ("mailbox full", "user unknown",
//                    "SPF", "relay access denied"); they beat any status code, because servers
//                    send 5.1.1 / 5.7.1 / 5.0.0 loosely ("user over quota (#5.1.1)").
//   2. SPECIFIC status  RFC 3463 / vendor codes that name one cause (5.1.1, 5.2.2, 5.7.26...),
//                       and reply 551.
//   3. WEAK text     phrases that hint ("access denied", "blocked", "not allowed", "refused").
//   4. GENERIC status   a refusal of MAIL FROM, then class/subject defaults (5.7.x -> blocked,
//                       4.4.x -> networkerror...).
//   5. LAST text     wording that names no cause by itself ("Recipient address rejected").
// Rules 1 and 3 have `example` texts: test/classifier/rules.test.ts checks that each example
// fires its own rule (not an earlier one), so the table stays honest as it grows.
import type { Reason } from '../report.js';

export interface Rule {
  /** Stable id: `text.<name>` or `status.<code>`. */
  id: string;
  reason: Reason;
  /** Regex over the diagnostic text (case-insensitive). */
  pattern?: RegExp;
  /**
   * Status prefixes: '5.1.1' matches exactly 5.1.1; '5.7.' matches any 5.7.x; 'x.2.2' any class.
   * With a `pattern` too, both must match.
   */
  status?: string[];
  /** SMTP reply codes (e.g. 551) that decide the reason by themselves. */
  reply?: number[];
  /** Never when the SMTP command was one of these ("unknown" after MAIL FROM is the sender). */
  notCommand?: string[];
  /** Only when the SMTP command was one of these (RCPT, DATA, MAIL, ...). */
  command?: string[];
  /** Only for reports read by one of these detectors (a family whose bounces all mean one thing). */
  detector?: string[];
  /**
   * A vendor's fixed wording or code: the reason is final. The "user unknown said after DATA is
   * a filter" adjustment of ./index.ts does not apply (Sisimai's Lhost modules set these reasons
   * themselves, before any such guess).
   */
  fixed?: boolean;
  /**
   * Only when the host that refused (Remote-MTA, else the Reporting-MTA when the refusing
   * gateway wrote the report itself) matches: a documented convention of one provider's servers.
   */
  host?: RegExp;
  /**
   * The reporting MTA's own classification (`RecipientReport.vendorCategory`, e.g.
   * `powermta:bad-mailbox`); a rule with only this (and optionally `status`) decides by it.
   */
  vendorCategory?: string[];
  /** A text (or status) that must fire this rule; used by the tests. */
  example: string;
  /** Host / vendor category the example needs (tests). */
  exampleContext?: MatchContext;
}

/** What a rule may look at besides the text, the status, the reply code and the command. */
export interface MatchContext {
  /** The refusing host (Remote-MTA, else Reporting-MTA), lower case, without a trailing dot. */
  host?: string | null;
  vendorCategory?: string | null;
}

// --- 0. exact vendor codes -----------------------------------------------------------------------
// Microsoft's three-digit details (5.4.312, 5.1.351, 5.7.509...) name exactly one cause and come
// with generic prose ("Message expired, DNS query failed"): they go first.
const VENDOR_STATUS: Rule[] = [
  { id: 'status.ms-dns-failed', reason: 'networkerror', status: ['x.4.312', 'x.4.311'], example: '5.4.312' },
  { id: 'status.ms-expired', reason: 'expired', status: ['x.4.316', 'x.4.300'], example: '5.4.316' },
  { id: 'status.ms-recipient', reason: 'userunknown', status: ['x.1.351', 'x.1.352', 'x.4.310'], example: '5.1.351' },
  { id: 'status.ms-dmarc', reason: 'authfailure', status: ['x.7.509', 'x.7.510'], example: '5.7.509' },
  { id: 'status.ms-reputation', reason: 'badreputation', status: ['x.7.650', 'x.7.651', 'x.7.652'], example: '4.7.650' },
  { id: 'status.ms-banned', reason: 'blocked', status: ['x.7.606', 'x.7.511'], example: '5.7.606' },
];

// --- 0b. vendor-fixed wording -----------------------------------------------------------------
// Texts and codes that one MTA or gateway always writes for one cause. They carry no SMTP
// command ("user unknown" with no command is otherwise read as a recipient-side filter), so
// they are matched first and marked `fixed`.
const VENDOR_TEXT: Rule[] = [
  // Exchange 2000/2003 "MSEXCH:IMS:<org>:<site>:<server> 0 (000C05A6) Unknown Recipient": the
  // eight hex digits name the cause (Microsoft KB Q183588 and friends)
  { id: 'vendor.msexch-unknown', reason: 'userunknown', fixed: true, pattern: /\(000C05A6\)/i, example: 'The recipient name is not recognized MSEXCH:IMS:ORG:SITE:MX 0 (000C05A6) Unknown Recipient' },
  { id: 'vendor.msexch-ambiguous', reason: 'filtered', fixed: true, pattern: /\(000C0595\)/i, example: 'MSEXCH:IMS:ORG:SITE:MX 0 (000C0595) Ambiguous Recipient' },
  { id: 'vendor.msexch-system', reason: 'systemerror', fixed: true, pattern: /\((?:00010256|000D06B5)\)/i, example: 'MSEXCH:IMS:ORG:SITE:MX 0 (000D06B5) No proxy for recipient (non-smtp mail?)' },
  { id: 'vendor.msexch-hops', reason: 'networkerror', fixed: true, pattern: /\(00120270\)/i, example: 'MSEXCH:IMS:ORG:SITE:MX 0 (00120270) Too Many Hops' },
  { id: 'vendor.msexch-conversion', reason: 'contenterror', fixed: true, pattern: /\((?:00050311|000502CC)\)/i, example: 'MSEXCH:IMS:ORG:SITE:MX 0 (00050311) Conversion to Internet format failed' },
  { id: 'vendor.msexch-auth', reason: 'securityerror', fixed: true, pattern: /\(000B0981\)/i, example: 'MSEXCH:IMS:ORG:SITE:MX 0 (000B0981) 502 Server does not support AUTH' },
  // Lotus Notes / Domino: the recipient is not in the server's directory
  { id: 'vendor.notes-directory', reason: 'userunknown', fixed: true, pattern: /not listed in (?:the )?(?:public name & address book|domino directory)|domino ディレクトリには見つかりません|ディレクトリのリストにありません/i, example: 'User some.name (kijitora@example.jp) not listed in Domino Directory' },
  // Ipswitch IMail: "Unknown user: <address>", "Invalid final delivery userid: <address>"
  { id: 'vendor.imail-user', reason: 'userunknown', fixed: true, pattern: /^(?:unknown user|invalid final delivery userid): \S+@/i, example: 'Unknown user: kijitora@example.com' },
  // Google Groups answers a refused post with a fixed notice (in the sender's language) listing
  // four possible causes: no such group, group removed, must join first, closed to posting.
  // All four mean "your post was refused"; the four bullets are the language-neutral mark.
  { id: 'family.googlegroups-post', detector: ['googlegroups'], reason: 'rejected', fixed: true, pattern: /(?:(?:^|\s)\* [^*]+){4}/, example: 'The group you tried to contact (g) may not exist: * You might have spelled the group name incorrectly. * The owner may have removed this group. * You may need to join the group. * This group may not be open to posting.' },
  // Orange and La Poste (France) end each reply with a code: "OFR_506", "LPN105_104",
  // "OFR006_102"; the last three digits name the cause (Orange's postmaster error list).
  { id: 'vendor.orange-blocked', reason: 'blocked', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])(?:102|103|510|999)\b/i, example: '550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam. OFR006_102 Ref' },
  { id: 'vendor.orange-spf', reason: 'authfailure', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])401\b/i, example: '550 5.5.0 SPF: x is not allowed to send mail. LPN004_401' },
  { id: 'vendor.orange-spam', reason: 'spamdetected', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])506\b/i, example: '550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]' },
  { id: 'vendor.orange-rate', reason: 'ratelimited', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])104\b/i, example: '421 Too many connections, slow down. LPN105_104' },
  { id: 'vendor.orange-auth', reason: 'securityerror', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])(?:305|402)\b/i, example: '550 5.5.0 Authentification requise. Authentication Required. LPN105_402' },
  { id: 'vendor.orange-sender', reason: 'rejected', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])(?:403|405|415|421)\b/i, example: '550 5.0.1 Emetteur invalide. Invalid Sender. LPN105_405' },
  { id: 'vendor.orange-user', reason: 'userunknown', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])?(?:416|418)\b/i, example: '550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. LPN416' },
  { id: 'vendor.orange-full', reason: 'mailboxfull', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])417\b/i, example: '552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417' },
  { id: 'vendor.orange-suspend', reason: 'suspend', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])(?:420|426)\b/i, example: '550 5.5.0 Le compte du destinataire est bloque. The recipient account isblocked. LPN007_426' },
  { id: 'vendor.orange-system', reason: 'systemerror', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])505\b/i, example: '421 4.2.0 Service refuse. Veuillez essayer plus tard. OFR005_505 [505]' },
  { id: 'vendor.orange-size', reason: 'emailtoolarge', fixed: true, pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_])514\b/i, example: '552 Taille limite du message atteinte. OFR_514' },
  // Gmail relaying a remote refusal appends its own session state: "(state 15)", "(state 17)"
  // and "(state 18)" are refusals after DATA, i.e. the remote side's content/recipient filter
  // ("550 550 Unknown user x@y (state 18)", "554 554 5.7.0 Header error (state 18)").
  { id: 'vendor.gmail-state-data', reason: 'filtered', fixed: true, pattern: /\(state 1[578]\)\.?\s*$/i, example: '554 554 5.7.0 Header error (state 18).' },
  // Gmail / Google Workspace "** Message not delivered **": the 'Send mail as' account (an
  // external SMTP server the sender configured for an alias) failed; the sender's own setup
  { id: 'vendor.google-send-mail-as', reason: 'rejected', fixed: true, pattern: /from a different address or alias using the ['\u2019]send mail as['\u2019] feature/i, example: "Unspecified Error (SENT_SECOND_EHLO): Smtp server does not advertise AUTH capability You're sending this from a different address or alias using the 'Send mail as' feature." },
  // au (EZweb) marks a refusal by the recipient's own anti-spam / domain filter settings with
  // `X-SPASIGN: NG`; the ezweb detector then types the diagnostic `x-spasign`
  { id: 'vendor.ezweb-spasign', reason: 'filtered', fixed: true, detector: ['ezweb'], pattern: /^x-spasign;/i, example: 'x-spasign; Each of the following recipients was rejected by a remote mail server.' },
  // Verizon Wireless MMS gateway
  { id: 'vendor.verizon-mm', reason: 'userunknown', fixed: true, pattern: /no valid recipients for this mm\b/i, example: 'Message could not be delivered to mobile. Error: No valid recipients for this MM' },
  // Trend Micro InterScan / Vision One: this sentence alone is its "no such recipient"
  { id: 'vendor.trendmicro-unable', reason: 'userunknown', fixed: true, pattern: /^(?:reason: )?unable to deliver message to <[^<>\s]+>(?: \(and other recipients in the same domain\))?\.?$/i, example: 'Reason: Unable to deliver message to <kijitora@example.jp> (and other recipients in the same domain).' },
];

// --- 0c. the reporting MTA's own classification -------------------------------------------------
// Some MTAs classify each failure themselves and say so in a per-recipient field (PowerMTA's
// X-PowerMTA-BounceCategory, set by its bounce-category rules over the remote reply). That
// reading is the vendor's, made with rules tuned to the remote hosts it talks to: it is final.
// Categories that name no cause (`other`, `unknown`, `bad-configuration`) fall through.
const VENDOR_CATEGORY: Rule[] = [
  // "bad mailbox" with RFC 3463 X.2.1 "mailbox disabled, not accepting messages": the mailbox
  // exists but is disabled (suspend), as PowerMTA's inactive-mailbox says outright
  { id: 'category.mailbox-disabled', reason: 'suspend', fixed: true, vendorCategory: ['powermta:bad-mailbox', 'powermta:inactive-mailbox'], status: ['x.2.1'], example: '5.2.1', exampleContext: { vendorCategory: 'powermta:bad-mailbox' } },
  { id: 'category.bad-mailbox', reason: 'userunknown', fixed: true, vendorCategory: ['powermta:bad-mailbox'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:bad-mailbox' } },
  { id: 'category.inactive-mailbox', reason: 'suspend', fixed: true, vendorCategory: ['powermta:inactive-mailbox'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:inactive-mailbox' } },
  { id: 'category.bad-domain', reason: 'hostunknown', fixed: true, vendorCategory: ['powermta:bad-domain'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:bad-domain' } },
  { id: 'category.quota', reason: 'mailboxfull', fixed: true, vendorCategory: ['powermta:quota-issues'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:quota-issues' } },
  { id: 'category.expired', reason: 'expired', fixed: true, vendorCategory: ['powermta:message-expired'], example: '4.0.0', exampleContext: { vendorCategory: 'powermta:message-expired' } },
  { id: 'category.no-answer', reason: 'networkerror', fixed: true, vendorCategory: ['powermta:no-answer-from-host', 'powermta:bad-connection'], example: '4.0.0', exampleContext: { vendorCategory: 'powermta:no-answer-from-host' } },
  { id: 'category.routing', reason: 'systemerror', fixed: true, vendorCategory: ['powermta:routing-errors'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:routing-errors' } },
  { id: 'category.spam', reason: 'spamdetected', fixed: true, vendorCategory: ['powermta:spam-related'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:spam-related' } },
  { id: 'category.virus', reason: 'virusdetected', fixed: true, vendorCategory: ['powermta:virus-related'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:virus-related' } },
  { id: 'category.policy', reason: 'policyviolation', fixed: true, vendorCategory: ['powermta:policy-related'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:policy-related' } },
  { id: 'category.content', reason: 'contenterror', fixed: true, vendorCategory: ['powermta:content-related'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:content-related' } },
  { id: 'category.invalid-sender', reason: 'rejected', fixed: true, vendorCategory: ['powermta:invalid-sender'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:invalid-sender' } },
  { id: 'category.relaying', reason: 'norelaying', fixed: true, vendorCategory: ['powermta:relaying-issues'], example: '5.0.0', exampleContext: { vendorCategory: 'powermta:relaying-issues' } },
];

// --- 0d. conventions of one provider's servers --------------------------------------------------
// Replies whose meaning is that host's own, documented by the provider or long observed (the
// host-specific tables of Sisimai's Rhost modules). Matched on the refusing host only.
const HOST: Rule[] = [
  // NTT docomo (mfsmax.docomo.ne.jp) answers "550 Unknown user" to DATA, with Status 5.0.0,
  // when the recipient's reception settings refuse the sender (the address exists; a refusal
  // at RCPT is the missing mailbox). Status 5.2.0 for the same words is its domain filter,
  // which the general "user unknown after DATA" reading already makes `filtered`.
  { id: 'host.docomo-data-refused', reason: 'rejected', fixed: true, host: /(?:^|\.)docomo\.ne\.jp$/, command: ['DATA'], status: ['5.0.0'], pattern: /\bunknown user\b/i, example: '550 Unknown user kijitora@docomo.ne.jp', exampleContext: { host: 'mfsmax.docomo.ne.jp' } },
  // Symantec Email Security.cloud (MessageLabs) refuses an invalid recipient with the
  // non-standard reply code 542 ("542 <addr> Rejected")
  // Yahoo Inc. (*.yahoodns.net) answers MAIL FROM with "[TSS04] Messages from <ip> temporarily
  // deferred due to unexpected volume or user complaints" for any sender it will not take
  // (reputation, missing SPF/DKIM/DMARC, ...), and "[TSS09]/[TSS11] All messages from <ip> will
  // be permanently deferred": a refusal of the sender, not a reading of its reputation
  { id: 'host.yahoo-sender-deferred', reason: 'rejected', fixed: true, host: /(?:^|\.)yahoodns\.net$/, pattern: /temporarily deferred due to unexpected volume or user complaints|all messages from \S+ will be permanently deferred/i, example: '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1', exampleContext: { host: 'mta6.am0.yahoodns.net' } },
  // AOL's own MTAs report a recipient domain whose MX lookup gets a malformed answer as
  // permanently undeliverable (5.4.4): the domain does not accept mail
  { id: 'host.aol-mx-malformed', reason: 'notaccept', fixed: true, host: /(?:^|\.)aol\.com$/, pattern: /type=mx: malformed or unexpected name server reply/i, example: 'Name service error for name=example.org type=MX: Malformed or unexpected name server reply', exampleContext: { host: 'omr-a015e.mx.aol.com' } },
  { id: 'host.messagelabs-542', reason: 'userunknown', fixed: true, host: /(?:^|\.)messagelabs\.com$/, pattern: /^542[ -]/, example: '542 kijitora@example.com Rejected', exampleContext: { host: 'server-00.bemta-0.messagelabs.com' } },
];

// --- 1. strong text -----------------------------------------------------------------------------
const STRONG: Rule[] = [
  { id: 'text.virus', reason: 'virusdetected', pattern: /\bvirus(?:es)? (?:detected|found)|infected with|contains? (?:a )?virus|malware (?:detected|found)|\bvirus\b.{0,40}\b(?:rejected|found|detected)|message contains? malicious/i, example: '550 5.7.0 Message rejected: virus found in message' },
  // a verdict that the message IS spam beats the advice that often follows it ("... rejected due
  // to spam classification. ... Set up SPF records for your sending domain")
  { id: 'text.spam-verdict', reason: 'spamdetected', pattern: /reject, id=\d|blacklisted url in message|blocked for abuse\. see http:\/\/att\.net|work\.drbl\.imedia\.ru|mail content denied|message rejected because of unacceptable content|reject bulk\.advertising|rejected - bulk email|rejecting (?:banned|mail) content|rejected by spam filtering engine|recurrent pattern detection system|temporarily blocked by our filter|failed several antispam checks|message filtered\. (?:please see the faqs section on spam|refer to the troubleshooting page)|(?:rejected|blocked|refused) (?:due to|as|because of|for) (?:being )?(?:spam|junk)\b|spam classification|(?:classified|identified|detected|flagged|marked) as spam\b/i, example: 'Your email to group g@example.com was rejected due to spam classification. Set up SPF records for your sending domain' },
  { id: 'text.dmarc-spf-dkim', reason: 'authfailure', pattern: /doesn't meet the (?:required authentication level|authentication requirements)|\bdmarc\b|\bspf\b|sender policy framework|\bdkim\b|domainkeys|is not designated by|not authorized to send on behalf|unauthenticated email (?:from|is not accepted)|sender authentication failed|email authentication failed|does not pass (?:dmarc|spf|authentication)|failed (?:spf|dkim|dmarc)|authentication[ -]results.{0,20}fail|does not have authentication information|fails? to pass authentication/i, example: '550 5.7.1 Unauthenticated email from example.com is not accepted due to domain\'s DMARC policy' },
  { id: 'text.require-ptr', reason: 'requireptr', pattern: /cannot resolve your address|forward dns entry does not point to the sending ip|dns lookup failure: [\w.-]{1,255} try again later|unverif[iy]able sending ips?|reverse (?:dns|lookup|hostname|host name|mapping)|\bptr\b|\brdns\b|no dns (?:pointer|name)|cannot find your hostname|can't find your hostname|ip name lookup failed|unresolvable (?:relay )?host ?name|hostname (?:does not|doesn't) match|host name of your ip|the ip address you are sending from has no|does not have a valid hostname|client host rejected: cannot find your|(?:domain|hostname|helo|host name) .{0,60}mismatch/i, example: '550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]' },
  // before sender-rejected: qmail wraps every MAIL FROM refusal in "but sender was rejected"
  { id: 'text.reputation', reason: 'badreputation', pattern: /poor (?:email )?reputation|ip\/domain reputation|very low reputation|none\/bad reputation|(?:poor|bad|low) (?:sender |ip |domain )?reputation|reputation (?:of|for) (?:the )?(?:sending|sender|your)|sender reputation|ip reputation|unexpected volume or user complaints/i, example: '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints' },
  // (includes the sender/envelope phrases of Sisimai's public `rejected` list: BATV, null sender,
  // gateway users, list posting rights)
  { id: 'text.sender-rejected', reason: 'rejected', pattern: /sending this from a different address or alias using the|is not a registered gateway user|backscatter protection detected an invalid|denied \[bouncedeny\]|denied by secumail valid-address-filter|emetteur invalide|empty envelope senders? (?:is )?not allowed|null sender is not allowed|no third-party dsns|unsigned dsn for|from: domain is invalid|fully qualified email address required|returned mail not accepted here|sender is spammer|sender domain is empty|batv (?:failed to verify|validation failure)|rejected by batv defense|this server does not accept mail from|not allowed to post to this (?:mailing )?list|your access to submit messages to this e-mail system has been rejected|not a member of (?:this|the) (?:mailing )?list|only (?:list )?members (?:can|may) (?:post|send)|sender (?:address |domain )?(?:rejected|refused|denied|blocked|invalid|not (?:allowed|authorized|accepted))|(?:envelope[ -])?sender (?:verify|verification) failed|(?:sender|from) domain (?:must exist|does not exist|is invalid|not found)|domain of sender address .{1,120} does not exist|mail from (?:address )?(?:rejected|refused|not accepted|must)|invalid sender|unroutable sender|sender is (?:on|in) (?:the )?(?:user )?(?:deny|block)list|sender not pre-?approved|not accepting mail from this sender|bogus mail from|you are not allowed to send mail|mail from not owned by user|rejected (?:due to|because of) (?:the )?sender|sender unknown|unknown sender|from address (?:rejected|blocked|is invalid)|your (?:e-?mail )?address has been (?:blacklisted|blocked)|from an address that has been (?:blacklisted|blocked)|sender was rejected|(?:mail ?from|sender|envelope from) (?:domain|address) (?:is )?(?:listed|blacklisted|blocked)/i, example: '550 5.1.8 <neko@example.org>: Sender address rejected: Domain not found' },
  { id: 'text.client-blocked', reason: 'blocked', pattern: /no access from mail server|refused to talk to me|client host (?:\[[^\]]{1,60}\] )?(?:rejected|blocked)|not accepting connections|my name was rejected|blocked using|blacklisted by|ip address (?:is )?(?:black|block)listed|(?:ip|host|address) (?:source )?(?:bloquee|blocked) |connections? (?:not accepted|refused) from|listed (?:in|at|on|by) (?:[\w.-]+\.)?(?:spamhaus|spamcop|sorbs|barracuda|dnsbl|rbl)|(?:invalid|bad|unauthori[sz]ed) ip (?:for|address)|your (?:ip|network|server)(?: address)? (?:has been|is) (?:blocked|blacklisted|listed)|use the smtp server of your isp|dynamic ip|dial-?up|residential ip/i, example: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org' },
  { id: 'text.relay-denied', reason: 'norelaying', pattern: /email address is not verified\. the following identities failed|relay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed)|prohibited|refused)|not (?:permitted|allowed) to relay|we do not relay|unable to relay|relay not authori[sz]ed|no relaying|relaying mail to .{1,80} is not allowed|cannot relay|will not relay|isn't allowed to relay|relay denied|not configured to relay/i, example: '554 5.7.1 <x@example.net>: Relay access denied' },
  // list and organization policies whose wording would otherwise read as content or null MX
  // ("an illegal attachment on your message", "the recipient is not accepting mail with ...")
  { id: 'text.policy-phrase', reason: 'policyviolation', pattern: /illegal attachment on your message|recipient is not accepting mail with|by non-member to a members-only list|message bounced due to organizational settings|message given low priority|protocol violation|not subscribed to this group|content presents a potential|do not accept messages containing images|without solving a captcha/i, example: '552 5.7.0 Message bounced due to organizational settings' },
  // sending-rate refusals whose wording says "quota" or "exceeded" (Amazon SES "Throttling
  // failure: Daily message quota exceeded" is the sender's quota, not the mailbox's)
  { id: 'text.rate-limit-phrase', reason: 'ratelimited', pattern: /throttling failure|max emails per hour|too many smtp sessions for this host|trop de connexions|too many errors from your ip|numerous attempts to deliver this message/i, example: '454 Throttling failure: Daily message quota exceeded.' },
  // header and encoding problems whose wording says "size exceeds" (not the message size)
  { id: 'text.content-header', reason: 'contenterror', pattern: /header size exceeds|improperly-formatted binary content|unnecessary base64 encoding|mime complexity exceeds/i, example: '552 5.6.0 Header size exceeds maximum permitted' },
  // before too-large: "mailbox size limit exceeded" is the mailbox, not the message
  { id: 'text.mailbox-full', reason: 'mailboxfull', pattern: /diskspace quota|does not have enough space|not sufficient disk space|mailbox size limit exceeded|mailbox would exceed maximum allowed storage|mail file size exceeds the maximum size allowed for mail delivery|mailbox exceeded (?:the )?(?:local )?limit|mailbox (?:is )?full|mail ?box (?:is )?full|full mailbox|quota (?:exceeded|violation|full)|over (?:the )?(?:allowed )?quota|(?:exceeded|exceeds?|exceeding) (?:his|her|their|the|its)?\s?(?:mailbox |storage |disk )?(?:quota|storage allocation|disk space)|(?:disk|mail|mailbox|user|storage) quota|not enough (?:disk |storage )?space|mailfolder is full|mailbox (?:size limit|has exceeded)|user has too many messages|has exceeded (?:his|her|the) (?:mailbox|storage)|inbox is full|boite (?:du destinataire )?pleine|space has been used up|is over disk quota|maildir over quota|too much mail data|mailbox would exceed/i, example: '552 5.2.2 <x@example.jp>... Mailbox Full' },
  { id: 'text.too-large', reason: 'emailtoolarge', pattern: /exceeded maximum inbound message size|line limit exceeded|\bsize limit\b|taille limite du message|(?:message|mail|email|e-mail)(?: size)? (?:is |was )?(?:too (?:large|big|long)|exceeds?|larger than)|size (?:limit|of message) exceed|exceeds? (?:the )?(?:maximum|max\.?|fixed|size|message size)|message size exceeds|message length exceeds|too big for|maximum (?:message )?size|message file too big|size exceeds maximum|exceeded (?:the )?maximum (?:allowed )?size|message too large/i, example: '552 5.3.4 Message size exceeds fixed maximum message size' },
  { id: 'text.has-moved', reason: 'hasmoved', pattern: / has been replaced by |address has (?:been )?(?:moved|changed)|changed (?:his|her|their) (?:e-?mail )?address|no longer (?:at|with) this (?:address|domain)|user has moved|recipient no longer on server/i, example: '550 5.1.6 recipient no longer on server: kijitora@example.jp' },
  { id: 'text.null-mx', reason: 'notaccept', pattern: /indicated no smtp service|null ?mx|(?:host|domain|server) does not accept (?:any )?mail|does not accept mail|will not accept mail|not accepting (?:any )?(?:network )?(?:messages|mail)|mail receiving disabled|no mx (?:record|found)|couldn't find a mail exchanger|could not find a mail exchanger/i, example: '556 5.1.10 Recipient domain example.com has null MX: does not accept mail' },
  { id: 'text.suspend', reason: 'suspend', pattern: /is currently suspended|archived recipient|email account that you tried to reach is disabled|user is terminated|temporarily inactive|has been temporarily suspended|user or domain is disabled|\btemporar(?:y|ily) locked\b|account (?:has been |is |was )?(?:disabled|suspended|deactivated|locked|frozen|inactive|expired|blocked)|mailbox (?:has been |is |currently )?(?:disabled|suspended|deactivated|frozen|locked|inactive)|(?:user|recipient|address|mailbox) (?:is )?(?:suspended|deactivated|frozen)|has been (?:disabled|suspended|deactivated|frozen)|is a deactivated mailbox|account (?:is )?not active|inactive (?:account|mailbox|user)|disabled (?:account|mailbox|recipient|user)|recipient suspend|service (?:is )?suspended|account has been terminated|boite du destinataire archivee/i, example: '550 5.2.1 The email account that you tried to reach is disabled: account has been disabled' },
  // DNS trouble that names no missing domain: before host-unknown ("Host not found, try again"
  // is Sendmail's temporary resolver failure, not an answer that the domain does not exist)
  { id: 'text.dns-temporary', reason: 'networkerror', pattern: /host not found, try again|unrouteable mail domain|dns records for the destination computer could not be found|malformed (?:or unexpected )?name server reply/i, example: 'Deferred: Host not found, try again' },
  // before user-unknown: "Recipient address rejected: unknown domain name" is the domain
  { id: 'text.host-unknown', notCommand: ['MAIL'], reason: 'hostunknown', pattern: /unroutable address|\b553 [\w-]+(?:\.[\w-]+)+ does not exist|host (?:or domain name )?(?:not found|unknown)|unknown (?:host|domain)|no such domain|domain (?:does not|doesn't|must) exist|domain (?:name )?not found|domain is not reachable|host unreachable|unrouteable address|name or service not known|nxdomain|mail domain mentioned in email address is unknown|recipient domain must exist|unknown domain name|mx records point to non-existent hosts|(?:the )?domain (?:is )?(?:invalid|not valid)|no route to (?:domain|this host)|dns error: domain name not found|account or domain may not exist|host [\w.-]{1,255} not found/i, example: '550 5.1.2 Host unknown (Name server: example.invalid: host not found)' },
  { id: 'text.user-unknown', notCommand: ['MAIL'], reason: 'userunknown', pattern: /#5\.1\.1 bad address|email address could not be found|mailbox unavaiable|nessun utente simile|no mail ?box available for this user|not a local address|recipient is not accepted|recipient refuses to accept your mail|your envelope recipient has been denied|the following recipients was undeliverable|the user's email name is not found|this email address is wrong or no longer valid|badrecipientto list|this spectator does not exist|user missing home directory|user not active|invalid or unknown virtual user|account unavailable|destination server rejected recipients|<[^<>\s]{1,254}> not found|account \S{1,254} does not exist at the organization|bad (?:destination )?recipient|mailbox \S{1,254} (?:does not exist|unavailable or access denied)|no \S{1,254} in name directory|non-?existent user|rcpt [<(]\S{1,254}[>)] does(?: not|n't) exist|recipient \S{1,254} was not found in|user \S{1,254} (?:was not found|does not exist)|user \(\S{1,254}\) unknown|unknown local-part|user ?unknown|unknown (?:user|recipient|mailbox|local ?part|address|e-?mail address|account)|no such (?:user|mailbox|recipient|address|account|person|local user)|(?:user|recipient|mailbox|address|account|addressee|e-?mail address|destination|local part)(?: name)? (?:does not|doesn't|did not|dose not) exist|(?:user|recipient|mailbox|address|account)s? (?:is )?(?:not found|not known|unknown|invalid|not exist|not listed)|invalid (?:recipient|mailbox|user|address|e-?mail address|account)|(?:is )?not a (?:valid|known) (?:user|recipient|mailbox|address)|mailbox (?:is )?(?:unavailable|not available|not present|invalid|not exist)|(?:mailbox|user|recipient) not (?:found|here|local|available|ok)|address (?:not|is not) (?:present|listed|valid|recognized)|no mailbox (?:here|by that name|found|available)|no account by that name|recipient (?:address )?rejected: (?:user|access denied|undeliverable|unknown|invalid)|bad (?:recipient|destination mailbox)|not (?:listed in|found in) (?:the )?directory|there is no one at this address|email account that you tried to reach does not exist|addressee unknown|resolver\.adr\.recipient ?not ?found|recipientnotfound|can't accept user|this user doesn't have a .{1,40} account|no valid recipients|badrcptto|validrcptto|utilisateur inconnu|destinataire invalide|usuario (?:desconocido|no existe)|no existe (?:dicha persona|ese usuario)|benutzer unbekannt|keine e-mails empfangen|is not an active address|user not exist|unknown or illegal alias|mailbox does not exist|this address no longer accepts mail|recipient is not local|no such local user|dest(?:ination)? address(?:es)? (?:were|was) unknown/i, example: '550 5.1.1 <kijitora@example.jp>: Recipient address rejected: User unknown in local recipient table' },
  { id: 'text.filtered', reason: 'filtered', pattern: /account is protected by|message rejected due to user rules|not found recipient account|recipient id refuse to receive mail|recipient is only accepting mail from specific|user refuses to receive this mail|you have been blocked by the recipient|user reject|rejected by (?:the )?recipient|refused due to recipient preferences|recipient (?:has )?(?:refused|rejected) (?:your|this|the)|not accepting any mail|restricted (?:sms )?e-?mail|due to extended inactivity new mail|message filtered|rejected by (?:\w+ )?filter|(?:recipient|user)(?:'s)? (?:filter|preferences|rules)/i, example: '550 5.1.1 RCP-P2 Refused due to recipient preferences' },
  { id: 'text.spam', reason: 'spamdetected', pattern: /\bspam\b|spam[a-z]{2,}|\buce\b|unsolicited|junk mail|bulk mail|content filter(?:ing)? rejection|message (?:content|body) (?:was )?rejected|rejected (?:as|for) (?:junk|bulk)|high (?:spam )?score|classified as (?:junk|bulk)|looks like (?:junk|bulk)|message was (?:identified|detected|classified) as|surbl|uribl|url (?:in message )?(?:is )?(?:black|block)listed|suspicious (?:content|message|url)/i, example: '550 5.7.1 Message looks like spam to our Content Filtering' },
  { id: 'text.rate-limit', reason: 'ratelimited', pattern: /rate ?limit|too many (?:connections|concurrent|messages|mails|sessions|recipients|emails|simultaneous)|throttl|(?:sending|receiving) (?:mail )?at a rate|exceeded the (?:maximum )?(?:number of )?(?:connections|messages|recipients|message rate)|connection (?:rate )?limit|temporarily rate limited|exceeded (?:its|the) (?:sending|receiving) limits?|too fast|slow down|has exceeded its .{0,20}limit|frequency limit/i, example: '452 4.5.3 Too many connections from your host' },
  { id: 'text.starttls', reason: 'failedstarttls', pattern: /does not support (?:starttls|tls)\b|(?:starttls|tls) (?:is )?not (?:supported|available|offered|advertised)|starttls (?:failed|error|negotiation failed)|tls (?:handshake|negotiation) fail|(?:cannot|could not|unable to) (?:negotiate|establish) tls|tls is required but|must issue a starttls|encryption required|tls required|requires? (?:a )?(?:secure|encrypted|tls) connection/i, example: '530 5.7.0 Must issue a STARTTLS command first' },
  { id: 'text.auth-required', reason: 'securityerror', pattern: /account not subscribed to ses|authentication failure|authentication turned on in your email client|executable files are not allowed in compressed files|you don't authenticate|verification failure|is a dead domain|is not authorized to perform ses:|authentication (?:required|failed|credentials invalid|is required|needed)|(?:must|need to) (?:be )?authenticat|sender requires authentication|not authenticated|insecure mail relay|login failed|unauthorized (?:sender|access|user)|security (?:policy|violation|error)|submission requires authentication|smtp auth(?:entication)? (?:required|failed)|unauthenticated senders?|turn on smtp authentication/i, example: '530 5.7.0 Authentication required' },
  { id: 'text.not-rfc-compliant', reason: 'notcompliantrfc', pattern: /p=rfcmessagenoncompliant|not (?:rfc ?5322|rfc ?822|rfc ?2822|rfc)[ -]?compliant|not compliant with rfc|(?:duplicate|multiple) (?:header|from|date|subject|message-id)|multiple addresses in (?:the )?from|rfc ?5322 (?:violation|non-?compliant)|message is not rfc|missing (?:required )?(?:header|date|from|message-id)/i, example: '550 5.7.1 This message is not RFC 5322 compliant. There are multiple From headers' },
  { id: 'text.content', reason: 'contenterror', pattern: /improper use of 8-bit data|header (?:size|line)s? (?:exceeds?|too (?:long|large|many))|mime (?:complexity|error|format)|message header size|routing loop detected -- too many received|invalid (?:message )?(?:content|header|mime|character)|malformed (?:message|header|mime)|content (?:rejected|not allowed|error)|attachment (?:not allowed|type|rejected)|prohibited attachment|banned (?:attachment|file)|illegal (?:attachment|characters? in header)|line too long/i, example: '554 5.6.0 Message contains invalid header' },
  { id: 'text.policy', reason: 'policyviolation', pattern: /policy (?:violation|reasons|rejection)|violat(?:es?|ion of|ing) (?:our |the )?(?:\w+ )?polic|(?:rejected|denied|blocked|not allowed) (?:by|due to|per|under|for) (?:\w+ ){0,2}polic|message (?:not allowed|rejected) by (?:\w+ ){0,2}polic|organization(?:al)? policy|closed mailing list|not accepting mail with (?:attachments|embedded images)|mass mailer|you're using a mass mailer|email not accepted for policy reasons|does not comply with (?:our|the) policy|content policy|prohibited by policy|header error|network not allowed/i, example: '554 Mail from a@example.net rejected for policy reasons' },
  { id: 'text.no-connection', reason: 'networkerror', pattern: /(?:wasn't|was not) able to establish an smtp connection|malformed or unexpected name server reply|dns (?:type '?mx'? )?lookup .{0,80}(?:servfail|timed out|timeout)/i, example: "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)" },
  { id: 'text.expired', reason: 'expired', pattern: /could not find a gateway for|delivery attempts will continue to be made|failed to deliver to domain|has not been collected after|unable to deliver message after multiple retries|was not reachable within the allowed queue period|could not be delivered for more than|(?:delivery|retry|queue) (?:time(?:out)?|period|limit) (?:has )?(?:expired|exceeded)|retry time(?:out)? (?:not reached|exceeded)|(?:message|envelope) (?:has )?expired|(?:giving|gave) up (?:on|after)|could not be delivered (?:for|within|in) (?:the last )?\d|was not delivered within|too long in (?:the )?queue|in the queue too long|queue(?:d)? too long|message timed out|unable to deliver .{0,60} for \d+ (?:days|hours)|have been failing for|expired after|maximum time (?:exceeded|limit)|retry limit exceeded|delivery expired|failed \d+ attempts|connection timed out|timed out while|did not accept our requests to connect|server did not respond|no longer (?:retrying|try)|could not deliver for the last|giving up\./i, example: 'Delivery time expired: giving up on delivery' },
  { id: 'text.mailer', reason: 'mailererror', pattern: /^x-unix;|mailer error|(?:command|program|pipe) (?:died|failed|exited|returned)|exit(?:ed)? (?:status|code) \d|procmail|local delivery (?:failed|error)|unknown mailer error|mail(?:er)? program (?:failed|error)|\|\s*\/[\w/.-]+/i, example: 'x-unix; /usr/bin/procmail: command died with status 1' },
  { id: 'text.system-full', reason: 'systemfull', pattern: /(?:mail )?system (?:is )?full|insufficient system (?:storage|resources)|disk full|out of disk|file system full|queue directory full|no space left on device|server is full|insufficient disk space/i, example: '452 4.3.1 Insufficient system storage' },
  // the remote host itself turned our connection away (Sendmail "Connection refused by host",
  // "Connection reset by peer" mid-session): it is refusing us, not unreachable (Sisimai: blocked)
  { id: 'text.connection-refused-by', reason: 'blocked', pattern: /connection refused by [\w.[\]-]+|connection reset by peer|connection (?:was )?dropped by (?:the )?remote host/i, example: 'Deferred: Connection refused by mx.example.jp.' },
  { id: 'text.network', reason: 'networkerror', pattern: /mail forwarding loop for|maximum forwarding loop count exceeded|message looping|host name lookup failure|connection (?:refused|reset|lost|dropped|closed)|lost connection|no route to host|network is unreachable|could not connect|unable to connect|couldn't connect|(?:dns|mx) (?:lookup|query) (?:failed|error)|temporary (?:lookup|dns) failure|name server (?:failure|error|timeout)|host (?:is )?unreachable|too many hops|hop count exceeded|routing loop|mail (?:for .{1,100} )?loops back to myself|loop detected|unable to resolve|dns (?:failure|error|problem|servfail)/i, example: 'connect to mx.example.org[192.0.2.25]:25: Connection refused' },
  { id: 'text.system', reason: 'systemerror', pattern: /interrupted system call|encountered an error while being processed|would create a mail loop|local configuration error|loop was found in the mail exchanger|queue file write error|there is no mdb|remote server is misconfigured|timeout waiting for input|internal (?:server )?error|local error in processing|(?:system|server|mail system) configuration error|system config error|aliasing\/forwarding loop|can't create user output file|could not load drd|upstream error|resources (?:temporarily )?unavailable|mailbox (?:cannot be opened|busy|locked)|system error|i\/o error|unable to (?:open|write|deliver to) mailbox/i, example: '451 4.3.0 Internal server error, please try again later' },
  { id: 'text.syntax', reason: 'syntaxerror', pattern: /improper sequence of commands|syntax error|command (?:unrecognized|not (?:recognized|implemented))|unrecognized command|bad sequence of commands|(?:invalid|illegal) (?:command|argument|parameter)|parameter not implemented|malformed address/i, example: '501 5.5.2 Syntax error in parameters or arguments' },
];

// --- 2. specific status codes -------------------------------------------------------------------
// RFC 3463 codes that name one cause.
const SPECIFIC_STATUS: Rule[] = [
  // X.4.1 is "no answer from host" (RFC 3463), but a server that answers "rejected" did answer:
  // Microsoft ("550 5.4.1 Recipient address rejected: Access denied") and others use 5.4.1 for
  // a plain refusal. Both the status and the text must match.
  { id: 'status.x.4.1-refused', reason: 'rejected', status: ['x.4.1'], pattern: /\brejected\b/i, example: '550 5.4.1 All recipient addresses rejected : Access denied' },
  // RFC 5321 §3.4: 551 User not local; please try <forward-path>. After the strong text: some
  // servers answer 551 for anything ("551 ... forbidden by invalid RDNS record").
  { id: 'reply.551', reason: 'hasmoved', reply: [551], example: '551' },
  { id: 'status.x.1.1', reason: 'userunknown', status: ['x.1.1'], example: '5.1.1' },
  { id: 'status.x.1.2', reason: 'hostunknown', status: ['x.1.2'], example: '5.1.2' },
  { id: 'status.x.1.6', reason: 'hasmoved', status: ['x.1.6'], example: '5.1.6' },
  { id: 'status.x.1.10', reason: 'userunknown', status: ['x.1.10'], example: '5.1.10' },
  { id: 'status.x.2.2', reason: 'mailboxfull', status: ['x.2.2'], example: '5.2.2' },
  { id: 'status.x.2.3', reason: 'emailtoolarge', status: ['x.2.3', 'x.3.4'], example: '5.3.4' },
  { id: 'status.x.4.7', reason: 'expired', status: ['x.4.7'], example: '4.4.7' },
  { id: 'status.x.7.25', reason: 'requireptr', status: ['x.7.25'], example: '5.7.25' },
  { id: 'status.auth', reason: 'authfailure', status: ['x.7.20', 'x.7.21', 'x.7.22', 'x.7.23', 'x.7.24', 'x.7.26'], example: '5.7.26' },
  { id: 'status.x.7.13', reason: 'suspend', status: ['x.7.13'], example: '5.7.13' },
];

// --- 3. weak text ---------------------------------------------------------------------------------
const WEAK: Rule[] = [
  { id: 'text.blocked', reason: 'blocked', pattern: /black ?list|block ?list|blocked|\bdnsbl\b|\brbl\b|spamhaus|spamcop|sorbs|barracuda|listed (?:in|at|on|by)|(?:client|your) (?:host|ip|address) (?:\[[^\]]{1,60}\] )?(?:rejected|refused)|access denied|your (?:ip|network|server|host)(?: address)? (?:has been|is|was) |not allowed to (?:connect|send)|banned|poor ip|service refused|refused|rejected due to (?:ip|your ip)/i, example: '550 Access denied, banned sending host' },
  // "Temporary failure" / "try again later" alone name no cause (onhold): only the server's
  // own trouble ("temporary local problem", "service unavailable") is a system error
  { id: 'text.service-unavailable', reason: 'systemerror', pattern: /temporary local (?:failure|problem|error)|service (?:not available|unavailable|temporarily unavailable)|transaction failed|server error|service currently unavailable/i, example: '451 Temporary local problem - please try later' },
  { id: 'text.filter-word', reason: 'filtered', pattern: /filter/i, example: '550 Message caught by filtering rules' },
];

// --- 4. generic status (class.subject defaults) ---------------------------------------------------
const GENERIC_STATUS: Rule[] = [
  // refused in answer to MAIL FROM with no stronger text: the sender (address, domain) was
  // refused. After the text tiers: a reply to MAIL FROM may well name a cause of its own
  // ("... is on our block list", "service permits 2 unverifyable sending IPs"); user/host
  // unknown wording after MAIL FROM is the sender's (text.user-unknown has notCommand MAIL).
  { id: 'command.mail', reason: 'rejected', command: ['MAIL'], pattern: /[\s\S]/, example: 'SMTP error from remote mail server after MAIL FROM:<a@example.org>: 550 5.1.0 Not accepted' },

  { id: 'status.x.1.x-sender', reason: 'rejected', status: ['x.1.7', 'x.1.8'], example: '5.1.8' },
  { id: 'status.x.1.3', reason: 'userunknown', status: ['x.1.3', 'x.1.4', 'x.1.5', 'x.1.0'], example: '5.1.0' },
  { id: 'status.x.2.x', reason: 'filtered', status: ['x.2.0', 'x.2.1', 'x.2.4'], example: '5.2.0' },
  { id: 'status.x.3.1', reason: 'systemfull', status: ['x.3.1'], example: '4.3.1' },
  { id: 'status.x.3.2', reason: 'notaccept', status: ['x.3.2'], example: '5.3.2' },
  { id: 'status.x.3.x', reason: 'systemerror', status: ['x.3.'], example: '4.3.0' },
  { id: 'status.x.4.4', reason: 'hostunknown', status: ['x.4.4'], example: '5.4.4' },
  { id: 'status.x.4.5', reason: 'systemfull', status: ['x.4.5'], example: '4.4.5' },
  { id: 'status.x.4.x', reason: 'networkerror', status: ['x.4.'], example: '4.4.1' },
  // x.5.0 ("other or undefined protocol status") is Sendmail's default for any deferral: no cause
  { id: 'status.x.5.x', reason: 'syntaxerror', status: ['x.5.1', 'x.5.2', 'x.5.3', 'x.5.4', 'x.5.5', 'x.5.6'], example: '5.5.2' },
  { id: 'status.x.6.x', reason: 'contenterror', status: ['x.6.'], example: '5.6.0' },
  { id: 'status.x.7.7', reason: 'contenterror', status: ['x.7.7'], example: '5.7.7' },
  { id: 'status.x.7.9', reason: 'policyviolation', status: ['x.7.9'], example: '5.7.9' },
  { id: 'status.x.7.8', reason: 'securityerror', status: ['x.7.8', 'x.7.10', 'x.7.11', 'x.7.6', 'x.7.5', 'x.7.4'], example: '5.7.8' },
  { id: 'status.x.7.x', reason: 'blocked', status: ['x.7.'], example: '5.7.1' },
];

// --- 5. last resort text ------------------------------------------------------------------------
// "Recipient address rejected" alone names no cause: Postfix prefixes every RCPT-time policy
// reply with it ("...: Multiple authentication checks failed" comes with 5.7.26). Only when
// nothing else spoke is it a missing recipient.
const LAST: Rule[] = [
  { id: 'text.address-rejected', reason: 'userunknown', pattern: /(?:recipient )?address rejected|rcpt to not accepted|recipient not accepted/i, example: '550 <a@example.jp>: Recipient address rejected.' },
  { id: 'text.not-accepted', reason: 'rejected', pattern: /rejected|not accepted|denied|administrative prohibition/i, example: '550 Message rejected' },
];

export const RULES: readonly Rule[] = [...VENDOR_STATUS, ...VENDOR_TEXT, ...VENDOR_CATEGORY, ...HOST, ...STRONG, ...SPECIFIC_STATUS, ...WEAK, ...GENERIC_STATUS, ...LAST];

/** Does `status` (c.s.d) match a rule prefix ('5.1.1', 'x.2.2', '5.7.')? */
export function statusMatches(status: string, prefix: string): boolean {
  // 'x.' prefixes compare from the subject on, whatever the class digit
  const anyClass = prefix.startsWith('x.') && isDigit(status.charCodeAt(0));
  const from = anyClass ? 1 : 0;
  if (prefix.endsWith('.')) return status.startsWith(anyClass ? prefix.slice(1) : prefix, from);
  return anyClass ? status.length === prefix.length && status.endsWith(prefix.slice(1)) : status === prefix;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * A status derived from the reason when the message carried no code (statusDerived=true):
 * the class from the reply code or the action, subject.detail from this table.
 */
export const DERIVED_STATUS: Record<Reason, string> = {
  userunknown: '1.1', hostunknown: '1.2', hasmoved: '1.6', notaccept: '1.10', mailboxfull: '2.2',
  emailtoolarge: '3.4', contenterror: '6.0', spamdetected: '7.1', filtered: '2.0', securityerror: '7.0',
  virusdetected: '7.1', policyviolation: '7.1', authfailure: '7.26', blocked: '7.1', badreputation: '7.1',
  requireptr: '7.25', rejected: '7.1', norelaying: '7.1', notcompliantrfc: '6.0', ratelimited: '7.0',
  networkerror: '4.0', systemerror: '3.0', systemfull: '3.1', mailererror: '3.0', suspend: '2.1',
  expired: '4.7', failedstarttls: '7.10', syntaxerror: '5.0', suppressed: '0.0', onhold: '0.0',
  undefined: '0.0', delivered: '0.0', feedback: '0.0', vacation: '0.0',
};
