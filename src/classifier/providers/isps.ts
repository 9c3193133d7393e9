// Internet providers whose reply-code pages give numbered codes or fixed wordings.
import { p } from '../phrase.js';
import { APPLE, ATT_BELLSOUTH, CHARTER, COMCAST, COX, GMX, GODADDY, IUA, NETEASE, ORANGE, QQ, SISIMAI5_RHOST, SPECTRUM, TONLINE, YANDEX } from '../sources.js';
import type { Provider } from './provider.js';

/** Cox: "AUP#CXBL" style codes, and fixed wordings at cox.net. */
export const cox: Provider = {
  id: 'cox',
  name: 'Cox Communications',
  source: COX,
  codes: {
    pattern: /\baup#([a-z]{2,6}\d{0,5})\b/,
    codes: {
      cxbl: 'blocked', cdrbl: 'blocked', cxdns: 'requireptr', cxsndr: 'authfailure', cxsmtp: 'rejected',
      cxcnct: 'ratelimited', cxmxrt: 'ratelimited', cxthrt: 'securityerror', cxmj: 'securityerror',
      ipbl0001: 'blocked', ipbl0010: 'blocked', ipbl0100: 'blocked', ipbl1000: 'blocked', ipbl00001: 'blocked',
      urlbl011: 'spamdetected', urlbl101: 'spamdetected', urlbl110: 'spamdetected', urlbl1001: 'spamdetected',
      // round 6 (issue #13): the IP on two or three of the lists its page names (Spamhaus Zen, Return Path, ivmSIP)
      ipbl0011: 'blocked', ipbl0101: 'blocked', ipbl0110: 'blocked', ipbl0111: 'blocked',
      // round 16: the rest of the four list bits (Sisimai 5's Cox conventions list IPBL1001-1111)
      ipbl1001: 'blocked', ipbl1010: 'blocked', ipbl1011: 'blocked', ipbl1100: 'blocked', ipbl1101: 'blocked', ipbl1110: 'blocked', ipbl1111: 'blocked',
    },
    example: '554 cox.net Reject. Your IP has been blocked. AUP#CXBL',
  },
  rules: [],
};

/** Cox wordings that are Cox's own only when a Cox server said them. */
export const coxHosts: Provider = {
  id: 'cox-host',
  name: 'Cox Communications receiving servers',
  source: COX,
  hosts: ['cox.net'],
  rules: [
    // (round 15) Cox's reply list: a client that talked before the greeting, a forbidden attachment
    {
      id: 'policy', reason: 'policyviolation',
      phrases: [
        p('no data before greeting', COX + '; ' + SISIMAI5_RHOST + ' (Cox)', '554 esmtp no data before greeting'),
        p('attachment extension is forbidden', COX + '; ' + SISIMAI5_RHOST + ' (Cox)', '552 5.7.0 attachment extension is forbidden'),
      ],
    },
    {
      id: 'recipient-rejected', reason: 'userunknown',
      phrases: [
        p('recipient rejected', COX + ' (not a valid Cox Email account)', '550 5.1.1 <x@cox.net> recipient rejected'),
      ],
    },
    { id: 'no-rdns', reason: 'requireptr', phrases: [p('rejected - no rdns', COX)] },
    {
      id: 'too-many-invalid', reason: 'blocked',
      phrases: [
        p('too many invalid recipients', COX),
        p('too many bad commands', COX + '; ' + SISIMAI5_RHOST + ' (Cox)', '554 5.7.1 cox too many bad commands from 192.0.2.1'),
      ],
    },
  ],
};

/** Spectrum (Charter): "AUP#I-1000" (incoming) and "AUP#O-1000" (outgoing) numbered codes. */
export const spectrum: Provider = {
  id: 'spectrum',
  name: 'Spectrum (Charter)',
  source: SPECTRUM,
  codes: {
    // round 6: its servers also write the direction as a word, "AUP#In-1020" (Spectrum's community answer)
    pattern: /\baup#(?:in|out|[io])?-?(\d{4})\b/,
    codes: {
      '1000': 'blocked', '1010': 'rejected', '1090': 'systemerror', '1260': 'networkerror', '1500': 'rejected',
      '1520': 'rejected', '1530': 'emailtoolarge', '1540': 'ratelimited', '1550': 'ratelimited',
      '1560': 'policyviolation', '1580': 'ratelimited',
    },
    ranges: [
      [1020, 1080, 'rejected'], [1100, 1150, 'requireptr'], [1160, 1190, 'policyviolation'],
      [1200, 1250, 'blocked'], [1300, 1340, 'ratelimited'], [1350, 1490, 'ratelimited'],
    ],
    example: '554 5.7.1 Your IP address has been blocked. AUP#I-1000',
  },
  rules: [],
};

/** GoDaddy (secureserver.net): replies end with an "IBnnn" code. */
export const godaddy: Provider = {
  id: 'godaddy',
  name: 'GoDaddy Workspace / Microsoft 365 from GoDaddy inbound',
  source: GODADDY,
  hosts: ['secureserver.net'],
  codes: {
    pattern: /\b(ib\d{3})\b/,
    codes: {
      ib401: 'securityerror', ib501: 'notcompliantrfc', ib502: 'notcompliantrfc', ib506: 'rejected', ib508: 'authfailure',
      ib108: 'requireptr', ib212: 'spamdetected', ib705: 'virusdetected', ib605: 'ratelimited', ib007: 'ratelimited',
      ib101: 'ratelimited', ib110: 'blocked', ib111: 'blocked', ib112: 'blocked', ib113: 'blocked', ib504: 'ratelimited',
      ib510: 'ratelimited', ib607: 'ratelimited', ib103: 'badreputation', ib104: 'blocked', ib105: 'blocked', ib106: 'blocked',
    },
    example: '554 Connection refused. This IP address is listed on the Spamhaus Block List (SBL). IB104',
  },
  rules: [
    { id: 'not-found', reason: 'userunknown', phrases: [p('recipient not found', GODADDY), p('account does not exist', GODADDY)] },
    { id: 'disabled', reason: 'suspend', phrases: [p('account disabled', GODADDY)] },
    { id: 'storage', reason: 'mailboxfull', phrases: [p('account storage limit', GODADDY)] },
  ],
};

/** Apple iCloud Mail. */
export const apple: Provider = {
  id: 'apple',
  name: 'Apple iCloud Mail',
  source: APPLE,
  hosts: ['icloud.com', 'me.com', 'mac.com', 'apple.com'],
  rules: [
    {
      id: 'inactive-address', reason: 'userunknown',
      phrases: [
        p('inactive email address', APPLE, '550 5.1.1 <x@icloud.com>: inactive email address'),
        p('unknown or illegal alias', APPLE),
      ],
    },
    { id: 'moved', reason: 'hasmoved', phrases: [p('recipient no longer on server', APPLE)] },
    { id: 'local-policy', reason: 'policyviolation', phrases: [p('due to local policy', APPLE)] },
  ],
};

/**
 * Orange and La Poste (France) end each reply with a code: "OFR_506", "LPN105_104",
 * "OFR006_102"; the last three digits name the cause. The prefix is theirs alone: no host test.
 */
export const orange: Provider = {
  id: 'orange',
  name: 'Orange / Wanadoo / La Poste',
  source: ORANGE,
  codes: {
    pattern: /\b(?:lpn|ofr|ouk)(?:_|\d{3}[-_]|)(\d{3})\b/,
    codes: {
      '102': 'blocked', '103': 'blocked', '510': 'blocked', '999': 'blocked', '401': 'authfailure', '506': 'spamdetected',
      '104': 'ratelimited', '305': 'securityerror', '402': 'securityerror', '403': 'rejected', '405': 'rejected',
      '415': 'rejected', '421': 'rejected', '416': 'userunknown', '418': 'userunknown', '417': 'mailboxfull',
      '420': 'suspend', '426': 'suspend', '505': 'systemerror', '514': 'emailtoolarge',
      // round 15, codes of the same page as Sisimai 5's Rhost/FrancePTT files them: 101 the
      // connecting IP refused, 517 the sending domain's SPF/DNS, 630 a policy refusal
      '101': 'blocked', '517': 'authfailure', '630': 'policyviolation',
    },
    example: '550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]',
  },
  rules: [],
};

/**
 * i.ua (Ukraine) ends each refusal with the address of the page that explains it,
 * "http://mail.i.ua/err/2/": the number names the cause.
 */
export const iua: Provider = {
  id: 'iua',
  name: 'i.ua',
  source: IUA,
  codes: {
    pattern: /\bi\.ua\/err\/(\d{1,2})\b/,
    codes: {
      '1': 'norelaying', '2': 'userunknown', '3': 'suspend', '4': 'mailboxfull', '5': 'ratelimited', '6': 'norelaying',
      '7': 'blocked', '8': 'rejected', '9': 'blocked', '10': 'filtered',
    },
    example: '550 Mailbox is full (http://mail.i.ua/err/4/)',
  },
  rules: [],
};

/** Deutsche Telekom (T-Online) answers a sending IP on its block list with a fixed sentence. */
export const tonline: Provider = {
  id: 'tonline',
  name: 'Deutsche Telekom T-Online',
  source: TONLINE,
  rules: [
    {
      id: 'ip-blocked',
      reason: 'blocked',
      // "(Ask your postmaster ... tosa@...)" ends every T-Online refusal: only the block reply
      // says nothing before it but "A problem occurred." ("too many connections" is a rate limit).
      // (The address itself is not matched: the classifier reads every address as `x@x.x`.)
      phrases: [p('a problem occurred. (ask your postmaster for help or to contact', TONLINE, '554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact tosa@rx.t-online.de to clarify.)')],
    },
  ],
};

/** Yandex: "No such user!" is its reply for a recipient that does not exist (sent with 5.7.1). */
export const yandex: Provider = {
  id: 'yandex',
  name: 'Yandex Mail',
  source: YANDEX,
  rules: [
    { id: 'no-such-user', reason: 'userunknown', phrases: [p('5.7.1 no such user!', YANDEX, '550 5.7.1 No such user!')] },
    // round 6 (issue #13): Yandex's non-delivery help: the recipient's account is blocked for
    // breaking its user agreement (the mailbox exists, disabled: not a policy refusal of the sender)
    {
      id: 'target-blocked', reason: 'suspend',
      phrases: [p('policy rejection on the target address', YANDEX + ' (recipient account blocked)', '550 5.7.1 Policy rejection on the target address')],
    },
  ],
};

/** Comcast: replies carry a code (BL000000 ...) documented on its SMTP error page. */
export const comcast: Provider = {
  id: 'comcast',
  name: 'Comcast (Xfinity)',
  source: COMCAST,
  codes: {
    pattern: /\b((?:bl|rl|es)000[01][01][01])\b/,
    codes: { bl000000: 'blocked', bl000001: 'blocked', bl000010: 'blocked', bl000011: 'blocked', rl000001: 'ratelimited', rl000010: 'ratelimited',
      // round 6 (issue #13): the rest of its list; ES: sent from dynamic / residential IP space, BL0001xx: SenderScore (with Spamhaus, Cloudmark)
      bl000100: 'blocked', bl000101: 'blocked', bl000110: 'blocked', bl000111: 'blocked', es000001: 'blocked', es000010: 'blocked' },
    example: '554 resimta-po-31v.sys.comcast.net comcast 192.0.2.1 Comcast block for spam. Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000000',
  },
  rules: [{ id: 'block-for-spam', reason: 'blocked', phrases: [p('comcast block for spam', COMCAST)] }],
};

/** NetEase (163.com, 126.com): replies carry a class:code pair ("DT:SPM") explained on its help page. */
export const netease: Provider = {
  id: 'netease',
  name: 'NetEase 163/126/yeah.net',
  source: NETEASE,
  // Round 6 (issue #13, providers2): the other class:code pairs of NetEase's bounce-code table
  // ("退信代码说明"): HL the sending IP's behaviour, MI/RP limits per connection or sender, WM its
  // allow lists. Codes the table does not explain (or the rules below read) fall through.
  codes: {
    pattern: /\b((?:dt|hl|mi|rp|wm):[a-z]{3})\b/,
    codes: {
      'hl:rep': 'blocked', 'hl:mep': 'blocked', 'hl:icc': 'ratelimited', 'hl:ifc': 'ratelimited',
      // round 16: HL:IHU the sending IP suspended for its spam or abnormal connections, HL:IPB the
      // IP not among the addresses allowed to send (the same table)
      'hl:ihu': 'blocked', 'hl:ipb': 'blocked',
      'mi:dmc': 'ratelimited', 'rp:drc': 'ratelimited', 'mi:sfq': 'ratelimited',
      'wm:bli': 'blocked', 'wm:blu': 'rejected',
    },
    example: '421 HL:ICC 163 mx12, please see http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1',
  },
  rules: [
    {
      id: 'spam', reason: 'spamdetected',
      phrases: [
        p('dt:spm', NETEASE + ' (content judged to be spam)', '554 DT:SPM 163 mx12,QcCowEAZ_gBZiQ1nQ8SBBA--.12345S2 1712345678'),
      ],
    },
    { id: 'rbl', reason: 'blocked', phrases: [p('dt:rbl', NETEASE + ' (sending IP on a block list)')] },
    { id: 'spf', reason: 'authfailure', phrases: [p('mi:spf', NETEASE + ' (SPF check failed)')] },
  ],
};

/** GMX and WEB.DE (1&1 mail): "554-Transaction failed / 554-Reject due to policy restrictions." */
export const gmx: Provider = {
  id: 'gmx',
  name: 'GMX / WEB.DE',
  source: GMX,
  rules: [
    {
      id: 'policy', reason: 'policyviolation',
      // without "Reject": OpenSMTPD glues a multi-line reply's lines ("failedReject due to ...")
      phrases: [p('due to policy restrictions', GMX, '554-Transaction failed 554-Reject due to policy restrictions.')],
    },
  ],
};

// Round 6 (issue #13, providers2)

/** Charter (Spectrum) receiving servers: mail its anti-spam system flags gets "550 Message Rejected". */
export const charterHosts: Provider = {
  id: 'charter-host',
  name: 'Charter (Spectrum) receiving servers',
  source: CHARTER,
  hosts: ['charter.net', 'charter.com'],
  rules: [
    // the bare reply only: a longer text after it names its own cause
    { id: 'spam-rejected', reason: 'spamdetected', phrases: [p('550 message rejected', CHARTER, '550 Message Rejected')] },
  ],
};

/**
 * GMX / WEB.DE receiving servers: "550 Requested action not taken: mailbox unavailable" and "Unknown
 * user" are their replies for an address that has no mailbox. GMX writes no enhanced status codes
 * (its error-messages page), so no X.1.1 says it; RFC 5321's wording alone also covers policy
 * refusals, hence only at their hosts.
 */
export const gmxHosts: Provider = {
  id: 'gmx-host',
  name: 'GMX / WEB.DE receiving servers',
  source: GMX,
  hosts: ['gmx.net', 'gmx.de', 'gmx.com', 'web.de'],
  rules: [
    {
      id: 'mailbox-unavailable', reason: 'userunknown',
      phrases: [
        p('requested action not taken: mailbox unavailable', GMX, '550 Requested action not taken: mailbox unavailable'),
        // GMX's help names "Unknown user" beside it for a misspelt address
        p('unknown user', GMX + ' (help: email returned as undeliverable)', '550 Unknown user'),
      ],
    },
  ],
};

/**
 * AT&T's BellSouth receiving servers: their block inquiry page explains each refusal. "421-failure
 * in DNS look-up" is the sending IP's missing reverse DNS there (elsewhere the same words may be
 * the receiver's own resolver trouble); "550 unauthorized interface for <IP>" refuses a source
 * that is not a registered mail system.
 */
export const attHosts: Provider = {
  id: 'att-host',
  name: 'AT&T (BellSouth, prodigy.net) receiving servers',
  source: ATT_BELLSOUTH,
  hosts: ['bellsouth.net', 'att.net', 'prodigy.net'],
  rules: [
    { id: 'no-reverse-dns', reason: 'requireptr', phrases: [p('failure in dns look-up', ATT_BELLSOUTH, '421-failure in DNS look-up.')] },
    {
      id: 'unauthorized-interface', reason: 'blocked',
      phrases: [p('unauthorized interface for', ATT_BELLSOUTH, '550 unauthorized interface for <192.0.2.1>')],
    },
  ],
};

/**
 * Tencent QQ Mail / Exmail receiving servers. Its bounce help explains "550 Mailbox unavailable or
 * access denied" as the recipient receiving too much mail in a short time (sending to it is held
 * off for a while: no verdict on the mailbox), and "550 Mail is rejected by recipients" as the
 * recipient's own block list or filter.
 */
export const qqHosts: Provider = {
  id: 'qq-host',
  name: 'Tencent QQ Mail / Exmail receiving servers',
  source: QQ,
  hosts: ['qq.com'],
  rules: [
    { id: 'bounce-attack', reason: 'blocked', phrases: [p('suspected bounce attacks', QQ + '; ' + SISIMAI5_RHOST + ' (Tencent)', '550 Suspected bounce attacks')] },
    {
      id: 'recipient-flooded', reason: 'ratelimited',
      phrases: [p('mailbox unavailable or access denied', QQ + ' (the recipient receives too much mail in a short time)', '550 Mailbox unavailable or access denied')],
    },
    {
      // the same help page: the address does not exist at QQ Mail (a bare 550 whose status says
      // nothing about the phase; at qq.com the wording is the convention for a missing mailbox)
      id: 'mailbox-not-found', reason: 'userunknown',
      phrases: [p('mailbox not found', QQ + ' (the address does not exist)', '550 Mailbox not found')],
    },
    {
      id: 'spam-ip', reason: 'blocked',
      phrases: [p('suspected spam ip', QQ + " (the sending IP's reputation: refused before the content is read)", '550 Suspected spam ip')],
    },
    {
      id: 'recipient-filter', reason: 'filtered',
      phrases: [p('mail is rejected by recipients', QQ + " (the recipient's block list or filter)", '550 Mail is rejected by recipients')],
    },
  ],
};
