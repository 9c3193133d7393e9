// The references phrase tables cite, said once. A phrase's `source` is one of these, or
// `seen: <MTA families>` naming two or more independent families that write the wording.

/** Sisimai's public reason definitions, whose names and meanings this classifier reuses. */
export const SISIMAI = 'Sisimai reason definitions (libsisimai.org/en/reason)';
/**
 * Sisimai 5's reason definitions (its lib/Sisimai/Reason modules, 2024-2026: the phrase lists that
 * define each reason name the labels use) and its remote-host conventions (lib/Sisimai/Rhost:
 * each provider's published codes as it files them). Read as facts, issue #13 round 15.
 */
export const SISIMAI5 = 'Sisimai 5 reason definitions (lib/Sisimai/Reason)';
export const SISIMAI5_RHOST = 'Sisimai 5 remote-host conventions (lib/Sisimai/Rhost)';
export const RFC3463 = 'RFC 3463 (enhanced status codes)';
export const RFC5321 = 'RFC 5321 §4.2 (reply codes)';
export const RFC7505 = 'RFC 7505 (null MX)';
export const RFC7208 = 'RFC 7208 (SPF)';
export const RFC7489 = 'RFC 7489 (DMARC)';
export const RFC3207 = 'RFC 3207 (STARTTLS)';
export const RFC4954 = 'RFC 4954 (SMTP AUTH)';
export const GOOGLE = 'Google: SMTP error reference (support.google.com/a/answer/3726730)';
export const MICROSOFT = 'Microsoft: Exchange Online NDR reference (learn.microsoft.com, non-delivery reports in Exchange Online)';
export const YAHOO = 'Yahoo: SMTP error codes (senders.yahooinc.com/smtp-error-codes)';
export const APPLE = 'Apple: iCloud Mail postmaster information (support.apple.com/en-us/102322)';
export const COX = 'Cox: postmaster email administration (cox.com/residential/support/cox-postmaster-email-administration.html)';
export const SPECTRUM = 'Spectrum: understanding email error codes (spectrumbusiness.net/support/internet/understanding-email-error-codes)';
/** GTUBE: the documented spam test string, e.g. rspamd's reply to it is "554 5.7.1 Gtube pattern". */
export const GTUBE = 'GTUBE, the Generic Test for Unsolicited Bulk Email (SpamAssassin docs: a message carrying it is spam; rspamd refuses it with "Gtube pattern", rspamd_check_gtube)';
export const GODADDY = 'GoDaddy: fix rejected email with a bounce error (godaddy.com/help/40685)';
export const MIMECAST = 'Mimecast: SMTP error codes (community.mimecast.com, Mimecast SMTP Error Codes)';
export const ZOHO = 'Zoho Mail: SMTP error codes (zoho.com/mail/help)';
export const ORANGE = 'Orange: postmaster error codes (postmaster.orange.fr, codes OFR/LPN)';
export const POWERMTA = 'PowerMTA user guide: bounce categories (X-PowerMTA-BounceCategory)';
export const EXCHANGE_LEGACY = 'Microsoft KB: Exchange 5.5/2000/2003 NDR diagnostic codes (000C05A6 ...)';
export const DOCOMO = 'NTT docomo: reception settings refusals (mfsmax.docomo.ne.jp replies)';
export const MESSAGELABS = 'Symantec Email Security.cloud (MessageLabs): SMTP reply reference';
export const PROOFPOINT = 'Proofpoint: SMTP error reference (dnsbl-lookup and policy replies)';
export const TONLINE = 'Deutsche Telekom T-Online: postmaster information (postmaster.t-online.de)';
export const YANDEX = 'Yandex Mail: SMTP error replies (yandex.com/support/mail)';
export const COMCAST = 'Comcast: SMTP error codes (postmaster.comcast.net/smtp-error-codes.php)';
export const QQ = 'Tencent QQ Mail: bounce help (service.mail.qq.com)';
export const NETEASE = 'NetEase 163/126: bounce codes help (mail.163.com/help)';
export const AMAVIS = 'amavisd-new: the SMTP responses of its destiny settings ("554 5.7.0 Reject, id=<id> - INFECTED: <virus name>", README.customize; "- BANNED: <part>", "- spam": Amavis/Conf.pm %smtp_reason_by_ccat)';
// Round 5 (issue #13, providers)
export const OUTLOOKCOM = 'Outlook.com postmaster: troubleshooting and error codes (sendersupport.olc.protection.outlook.com/pm/troubleshooting.aspx)';
export const GMX = 'GMX / WEB.DE postmaster: error messages (postmaster.gmx.net/en/error-messages)';
export const MAILRU = 'Mail.ru postmaster: SMTP replies (help.mail.ru/developers/mailing_rules/smtp)';
export const ATT = 'AT&T postmaster: error codes and block notices (abuse_rbl@abuse-att.net)';
export const AMAZONSES = 'Amazon SES Developer Guide: notification contents (bounce types and sub-types, delayType)';
/** i.ua (Ukraine): every refusal links its error page, mail.i.ua/err/<n>/, one page per cause. */
export const IUA = 'i.ua (Ukraine) mail: the error pages its refusals link, mail.i.ua/err/<n>/ (1 relaying through it, 2 no such user, 3 mailbox unused 3 months, 4 mailbox full, 5 sending limit, 6 use your provider\'s SMTP, 7 bad HELO, 8 sender not verifiable, 9 sender IP listed, 10 not on the recipient\'s allowed list)';
export const FACEBOOK = 'Facebook postmaster: SMTP response codes (postmaster.facebook.com/response_codes)';
// Round 5: entries that stood on `seen:` in fewer than two families, grounded where a reference exists
export const BARRACUDA_BRBL = 'Barracuda Networks: Barracuda Reputation Block List (barracudacentral.org/rbl), the list refusals cite';
export const SPAMHAUS_PBL = 'Spamhaus: Policy Block List (spamhaus.org/pbl): end-user and dynamic IP ranges that should not send direct';
export const POSIX_ENOSPC = 'POSIX errno ENOSPC, strerror text "No space left on device" (IEEE Std 1003.1, <errno.h>)';
export const POSTFIX_ANVIL = 'Postfix: smtpd(8) with anvil(8), postconf(5) smtpd_client_message_rate_limit ("the maximal number of message delivery requests that any client is allowed to make to this service per time unit"); its deferral at MAIL FROM, "450 4.7.1 Error: too much mail from <client>" (src/smtpd/smtpd.c)';
export const POSTFIX_HELO = 'Postfix: postconf(5) smtpd_helo_restrictions, the refusal of the HELO/EHLO hostname the client gave ("<name>: Helo command rejected: Host not found" for reject_unknown_helo_hostname, "Invalid name", "need fully-qualified hostname"); the reason definitions we reuse file a refusal of "the parameter of HELO/EHLO command" under Blocked';
export const POSTFIX_VERIFY = 'Postfix: ADDRESS_VERIFICATION_README (450 4.1.1 "unverified address: Address verification in progress" while its probe is pending; the probe\'s own reply once it is known)';
// Round 6 (issue #13, providers2)
export const CISCO = 'Cisco Secure Email (IronPort AsyncOS) user guide: the default SMTP responses of its SPF and DMARC verification profiles ("550 #5.7.1 SPF unauthorized mail is prohibited.", "550 #5.7.1 DMARC unauthenticated mail is prohibited."), mail flow policy limits (452 too many recipients), LDAP accept queries (550 #5.1.0 Address rejected) and SenderBase reputation filtering (554 "sending MTA\'s poor reputation", Cisco tech note 200436)';
export const CHARTER = 'Charter (Spectrum) postmaster services (charter.com support article 1953): mail its anti-spam system flags is refused with "550 Message Rejected"';
export const YAHOO_TS03 = 'Yahoo Help SLN3436: "421 4.7.1 [TS03] All messages from <IP> permanently deferred" (a volume from the IP characteristic of unsolicited bulk mail: do not resend)';
export const ATT_BELLSOUTH = 'AT&T (BellSouth) mail block inquiry: error message summary (rbl.att.net/block_enduser.html): 421 DNS look-up failure, 521 <IP> is blocked, 550 [suspend], 550 unauthorized interface, 550 blocked by ldap:ou=rblmx';
export const PROOFPOINT_ESSENTIALS = 'Proofpoint Essentials SMTP Discovery (partner FAQs: Spambrella "Common email delivery error codes", GoDaddy help 24676): an address marked invalid is refused with "550 5.7.1 Recipient address rejected: User email address is marked as invalid"';
export const BROADCOM_NDR = 'Broadcom KB 162445 (Symantec Email Security.cloud / MessageLabs): remote refusals quoted in its NDRs, listed by cause (size, mailbox full, relaying, spam content, sender refused, SPF, expiry)';
/** Dovecot's quota plugin: its quota_exceeded_message default, sent in the LDA's/LMTP's rejection. */
export const DOVECOT_QUOTA = 'Dovecot: quota plugin, quota_exceeded_message default "Quota exceeded (mailbox for user is full)" (doc.dovecot.org, Quota configuration)';
// Round 8 (issue #13): the last thin entries, grounded or removed
/**
 * "User unknown" in another language: the literal translation of RFC 3463's X.1.1 ("the mailbox
 * specified in the address does not exist"), as MTAs localised for that language word it. The
 * meaning is the code's documented one; no file of ours shows these wordings.
 */
export const X11_TRANSLATED = 'RFC 3463 X.1.1 (bad destination mailbox address), literally translated';
/** "Mailbox full" in another language: RFC 3463's X.2.2 title, literally translated (as X11_TRANSLATED). */
export const X22_TRANSLATED = 'RFC 3463 X.2.2 (mailbox full), literally translated';
