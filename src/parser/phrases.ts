// Phrase tables of the text detectors: which sentences of a report's prose state a failure,
// announce a list of failed addresses, say the message is only delayed, point to help, name
// the sender, or ask a sender to prove themselves (challenge/response). One entry per phrase,
// each with where it is documented or the families it was seen in; compiled once at load into
// one case-insensitive matcher per table.
//
// Patterns are small and anchored on words: no nested or adjacent quantifiers over the same
// characters, at most one bounded gap (`[^\n]{0,N}`) each, so that every matcher is linear in
// the text it reads (see test/parser/linear.test.ts).

export interface Phrase {
  /** A regular-expression source, matched case-insensitively. */
  re: string;
  /** Where the wording is documented, or the families (several) it was seen in. */
  source: string;
}

/** One case-insensitive matcher for a table (`g` for the tables that are scanned with exec). */
export function compile(table: readonly Phrase[], flags = 'i'): RegExp {
  return new RegExp(table.map((p) => `(?:${p.re})`).join('|'), flags);
}

/**
 * Words that state a failure about an address ("unknown", "rejected", "mailbox full"): a line
 * naming an address counts as a failure statement about it only with one of these, a reply
 * code or a status code.
 */
export const FAILURE_PREDICATES: readonly Phrase[] = [
  { re: String.raw`\bunknown\b`, source: 'RFC 3463 X.1.1 wording; Sendmail, Postfix, Exim "User unknown"' },
  { re: String.raw`\bno such\b`, source: 'qmail "no mailbox here by that name", Exim/Courier "no such user"' },
  { re: String.raw`\bnot (?:found|listed|known|exist|valid|available|allowed|permitted|accepted|delivered|reachable)\b`, source: 'Lotus Notes "not listed", Exchange "not found", many' },
  { re: String.raw`\bnot (?:yet )?been (?:delivered|accepted)\b|\bhas not been delivered\b`, source: 'Exim "has not yet been delivered", delay notices "has not been delivered yet"' },
  // (the word before "account" is a provider's or a domain's name: a domain name is at most 255
  // octets, RFC 1035 §2.3.4; bounded, recheck's automaton checker decides the entry at once)
  { re: String.raw`\b(?:does ?n[o']t|do ?n[o']t|did ?n[o']t) (?:exist|have (?:an? |any )?(?:[\w.-]{1,255} )?(?:account|mailbox|e-?mail))`, source: 'Yahoo, Gmail "does not exist", X2/Yahoo "This user doesn\'t have a example.co.jp account"' },
  { re: String.raw`\binvalid\b`, source: 'IMail "Invalid final delivery userid", Zoho "Invalid Address"' },
  { re: String.raw`\breject(?:ed|s|ing)?\b|\brefused\b|\bdenied\b|\bblocked\b|\bblacklisted\b`, source: 'RFC 5321 §4.2 reply texts; Postfix "Recipient address rejected"' },
  { re: String.raw`\bfail(?:ed|s|ure)?\b|\berrors?\b`, source: 'Sendmail "fatal errors", Exim "address(es) failed", many' },
  { re: String.raw`\b(?:disabled|inactive|suspended|deactivated|closed|expired|locked)\b`, source: 'RFC 3463 X.2.1; Gmail, Yahoo "account disabled"' },
  { re: String.raw`\b(?:full|over ?quota|quota|exceed(?:ed|s)?)\b`, source: 'RFC 3463 X.2.2; "Mailbox full", "quota exceeded"' },
  { re: String.raw`\b(?:unavailable|unreachable|unroutable|unrouteable|timed? ?out)\b`, source: 'RFC 5321 550/450 texts; Exim "unrouteable address"' },
  { re: String.raw`\b(?:could ?n[o']t|can ?n[o']t|can't|unable to|impossible to)\b`, source: 'MailFoundry, TrendMicro, Yahoo "unable to deliver"' },
  { re: String.raw`\bundeliver(?:able|ed)\b|\bbounced?\b|\breturned\b`, source: 'Exchange "Undeliverable", many' },
  { re: String.raw`\b(?:loop|too (?:large|big|many)|virus|spam|policy|relay(?:ing)?)\b`, source: 'RFC 3463 X.4.6, X.3.4, X.7.x subjects' },
  { re: String.raw`\b(?:deferred|delayed|temporar(?:y|ily)|try again|retry)\b`, source: 'RFC 5321 4xx texts; Sendmail "Deferred:"' },
  { re: String.raw`\bmoved\b|\bno forwarding\b`, source: 'RFC 3463 X.1.6 "destination mailbox has moved, no forwarding address"' },
  { re: String.raw`\b(?:size|length|storage|space)\b[^\n]{0,30}\b(?:limit|exceed|insufficient|full)|\binsufficient (?:system )?storage\b|\blimit (?:exceeded|reached)\b|\bover (?:the )?(?:limit|quota)\b`, source: 'RFC 3463 X.2.3 "message length exceeds administrative limit", X.3.1 "mail system full"' },
  { re: String.raw`\b(?:not )?authori[sz]ed\b|\bforbidden\b|\bprohibited\b|\bbanned\b|\bgr[ae]ylist(?:ed|ing)?\b|\bcongestion\b|\brate limit`, source: 'RFC 3463 X.7.1 "delivery not authorized", X.4.5 "mail system congestion"; greylisting, rate limits' },
  { re: String.raw`\b(?:terminated|cancel+ed|discontinued|deleted|removed|no longer (?:active|valid|in use|exists?))\b`, source: 'RFC 3463 X.1.1 / X.2.1 wordings of providers ("account terminated", "no longer active")' },
  { re: String.raw`\bhost unknown\b|\bunknown host\b`, source: 'Sendmail "Host unknown", smail "unknown host"' },
  { re: String.raw`\u9001\u4fe1\u306b\u5931\u6557|\u914d\u4fe1\u3067\u304d\u307e\u305b\u3093|\u5b58\u5728\u3057\u307e\u305b\u3093|\u30a8\u30e9\u30fc|\u5c4a\u304d\u307e\u305b\u3093|\u5b9b\u5148\u4e0d\u660e|\u30ea\u30b9\u30c8\u306b\u3042\u308a\u307e\u305b\u3093`, source: 'Japanese NDRs (mFilter "送信に失敗", carriers "存在しません", "届きませんでした", "宛先不明"; Lotus Notes "ディレクトリのリストにありません", its "User not listed in public Name & Address Book")' },
  // the same statements in the other languages NDRs are written in (localized Exchange /
  // Office 365, Courier, provider templates): "could not be delivered", "unknown", "does not exist"
  { re: String.raw`\bnicht zugestellt\b|\bkonnten? nicht\b|\bkann nicht\b|\bunzustellbar\b|\bzustellung fehlgeschlagen\b|\bunbekannt\b|\bexistiert nicht\b|\bpostfach (?:ist )?voll\b`, source: 'German: "konnte nicht zugestellt werden" (and "konnte nicht an a@x zugestellt werden": "could not", as the English predicate), "Unzustellbar", "unbekannt"' },
  { re: String.raw`\bpas pu (?:\u00eatre|etre) (?:remis|distribu\u00e9|distribue|d\u00e9livr\u00e9)|\bnon remis\b|\b\u00e9chec de (?:la )?(?:remise|distribution)\b|\binconnue?\b|\bn'existe pas\b`, source: 'French: "n\'a pas pu être remis", "Non remis", "inconnu"' },
  { re: String.raw`\bno (?:se )?(?:pudo|ha podido) (?:ser )?entreg|\bno entregado\b|\bdesconocido\b|\bno existe\b`, source: 'Spanish: "no se pudo entregar", "desconocido", "no existe"' },
  { re: String.raw`\bnon (?:\u00e8 stato possibile )?recapit|\bnon (?:\u00e8|e') (?:ancora )?stat[oa] (?:recapitat|consegnat)|\bsconosciut[oa]\b|\bnon esiste\b`, source: 'Italian: "non recapitabile", "non è stato recapitato", "sconosciuto"' },
  { re: String.raw`\bn\u00e3o (?:p\u00f4de|pode) ser entregue|\bn\u00e3o foi entregue\b|\bn\u00e3o entregue\b|\bdesconhecido\b|\bn\u00e3o existe\b`, source: 'Portuguese: "não pôde ser entregue", "não foi entregue", "desconhecido"' },
  { re: String.raw`\bniet (?:worden )?(?:bezorgd|afgeleverd)\b|\bonbestelbaar\b|\bonbekend\b`, source: 'Dutch: "kan niet worden bezorgd", "onbekend"' },
  { re: String.raw`\u043d\u0435 (?:\u043c\u043e\u0436\u0435\u0442 \u0431\u044b\u0442\u044c )?\u0434\u043e\u0441\u0442\u0430\u0432\u043b|\u043d\u0435 \u0441\u0443\u0449\u0435\u0441\u0442\u0432\u0443\u0435\u0442`, source: 'Russian: "не может быть доставлено", "не существует"' },
  { re: String.raw`\u65e0\u6cd5(?:\u9001\u8fbe|\u6295\u9012)|\u6295\u9012\u5931\u8d25|\u9000\u4fe1|\u4e0d\u5b58\u5728|\u7121\u6cd5\u50b3\u905e|\u50b3\u905e\u5931\u6557`, source: 'Chinese: "无法送达", "投递失败", "退信", "不存在", "無法傳遞"' },
  { re: String.raw`\uc804\ub2ec\ub418\uc9c0 \uc54a|\ubc30\ub2ec\ub418\uc9c0 \uc54a|\uc874\uc7ac\ud558\uc9c0 \uc54a`, source: 'Korean: "전달되지 않았습니다", "존재하지 않습니다"' },
];

/**
 * A line that announces a list of failed addresses ("The following addresses had permanent
 * fatal errors", "Delivery to the following recipients failed permanently:"): the addresses
 * alone on the lines below it are failed recipients.
 */
export const LIST_HEADINGS: readonly Phrase[] = [
  { re: String.raw`\bfollowing (?:e-?mail |mail |recipient |destination )?(?:address(?:es|\(es\))?|recipients?\(?s?\)?|users?|destinations?)\b`, source: 'Sendmail, Exim, qmail, Exchange, Gmail, X1-X4 ("the following address(es)")' },
  { re: String.raw`\b(?:failed|bad|invalid|unknown|undeliverable|rejected) (?:recipients?|addresses|address(?:\(es\))?)(?: follows?)?[\s:|*=-]*$`, source: 'smail "Failed addresses follow:", Courier "failed recipients"' },
  { re: String.raw`\b(?:could not be|was not|were not|cannot be|can't be) delivered to[\s:]*$`, source: 'Domino "was not delivered to:", MailFoundry' },
  { re: String.raw`\u4ee5\u4e0b\u306e[^\n]{0,20}(?:\u5931\u6557|\u30a8\u30e9\u30fc|\u3067\u304d\u307e\u305b\u3093)|\u4e0b\u8a18\u306e[^\n]{0,20}(?:\u5931\u6557|\u30a8\u30e9\u30fc|\u3067\u304d\u307e\u305b\u3093)`, source: 'Japanese NDRs: 以下の/下記の ... 失敗/エラー/できません (mFilter, carriers)' },
  { re: String.raw`\bfolgenden? (?:empf\u00e4nger|adressen?)\b|\bdestinataires? suivants?\b|\bsiguientes? destinatarios?\b|\bseguenti destinatari\b|\bdestinat\u00e1rios? (?:a seguir|seguintes?)\b|\bvolgende (?:ontvangers?|adressen?)\b`, source: 'localized NDR headings: "the following recipients" in German, French, Spanish, Italian, Portuguese, Dutch' },
  { re: String.raw`\u4ee5\u4e0b\u6536\u4ef6\u4eba|\u4e0b\u5217\u6536\u4ef6\u4eba|\u4ee5\u4e0b\u306e\u53d7\u4fe1\u8005|\u0441\u043b\u0435\u0434\u0443\u044e\u0449\u0438\u043c (?:\u043f\u043e\u043b\u0443\u0447\u0430\u0442\u0435\u043b\u044f\u043c|\u0430\u0434\u0440\u0435\u0441\u0430\u0442\u0430\u043c)`, source: 'localized NDR headings: "the following recipients" in Chinese, Japanese, Russian' },
];

/**
 * Lines that point to help, not to a failure: an address on them is a contact, never a failed
 * recipient ("For further assistance, please send mail to postmaster", "contact
 * name@directory.example", a signature's "mailto:").
 */
export const HELP_CONTEXT: readonly Phrase[] = [
  { re: String.raw`\bcontact\b|\bcontacting\b`, source: 'Postfix/Exchange/Notes help sentences; #13 "contact name@directory"' },
  { re: String.raw`\bquestions?\b|\bassistance\b|\b(?:help|service) ?desk\b|\bsupport\b|\bfor (?:more )?(?:help|information|details)\b|\bif you need help\b`, source: 'Postfix "For further assistance", provider footers; an administrator\'s own help text in an NDR ("If you need help, the IT Service Desk ...")' },
  { re: String.raw`\bplease (?:send|write|mail|e-?mail|reply|forward|report|notify|inform|call)\b|\bsend (?:an? )?(?:e-?)?mail to\b|\bwrite to\b|(?<!\bin )\breply to\b|\breport (?:this|it)\b`, source: 'Postfix bounce(5) template, provider footers (not "in reply to": Postfix\'s own "(in reply to RCPT TO command)" after a reply)' },
  { re: String.raw`\bmailto:|\bphone\b|\btel(?:ephone)?[.:]|\bcall us\b|\bvisit\b|https?://`, source: 'signatures and footers' },
  { re: String.raw`\bforward (?:this|it)\b|\bif you (?:believe|think|feel)\b`, source: 'help instructions of NDR footers: "forward this message to <help desk>", "if you believe this is an error, ..."' },
  // the same help sentences in the other languages of the failure predicates above
  { re: String.raw`\bwenden sie sich\b|\bkontaktieren\b|\bbei fragen\b|\bhilfe\b`, source: 'German: "wenden Sie sich bitte an", "kontaktieren Sie", "Bei Fragen"' },
  { re: String.raw`\bcontacte[rz]\b|\bpour toute question\b|\bassistance\b|\baide\b`, source: 'French: "contactez", "veuillez contacter", "Pour toute question"' },
  { re: String.raw`\bcontact[eo]\b|\bcontactar\b|\bp\u00f3ngase en contacto\b|\bsi tiene (?:preguntas|dudas)\b|\bayuda\b|\bsoporte\b`, source: 'Spanish: "contacte con", "póngase en contacto", "si tiene preguntas"' },
  { re: String.raw`\bcontatt(?:are|i|ate)\b|\bper (?:domande|assistenza)\b|\bassistenza\b`, source: 'Italian: "contattare", "per assistenza"' },
  { re: String.raw`\bentre em contato\b|\bcontate\b|\bd\u00favidas\b|\bsuporte\b|\bajuda\b`, source: 'Portuguese: "entre em contato", "dúvidas"' },
  { re: String.raw`\bneem contact op\b|\bcontact opnemen\b|\bvragen\b`, source: 'Dutch: "neem contact op", "vragen"' },
];

/**
 * Words right before an address that make it the sender, not a recipient ("not accepting mail
 * from <x>", "MAIL FROM:<x>", "sent by x", "Reply-To: x").
 */
export const SENDER_CONTEXT: readonly Phrase[] = [
  { re: String.raw`\bfrom[\s:<]*$`, source: '#13 "not accepting mail from ...", SMTP "MAIL FROM:<...>"' },
  { re: String.raw`\b(?:sender|originator|envelope-from|return-path|reply-to|sent by|author|submitted by|on behalf of)(?: address)?[\s:=<]*$`, source: 'NDR summaries naming the sender' },
  { re: String.raw`\bidentities failed the check in region [\w-]{1,40}[\s:<]*$`, source: 'Amazon SES SMTP interface: "554 Message rejected: Email address is not verified. The following identities failed the check in region REGION: identity0, identity1" (AWS Knowledge Center, ses-554-400-message-rejected-error): the sending identities (From, Source, Sender, Return-Path) that are not verified, never the failed recipient' },
  { re: String.raw`(?:\babsender|exp\u00e9diteur|\bexpediteur|\bremitente|\bmittente|\bremetente|\bafzender)(?:adresse| address| adresse| dirección| indirizzo| endereço)?[\s:=<]*$`, source: 'the same summaries in German, French, Spanish, Italian, Portuguese, Dutch (Absender, expéditeur, remitente, mittente, remetente, afzender)' },
];

/**
 * Words right after an address that make it the sender: the reply to MAIL FROM quotes the
 * sender's address first, then says what it is ("553 5.7.1 <a@x>: Sender address rejected: ...",
 * "553 5.1.8 <a@x>... Domain of sender address a@x does not exist").
 */
export const SENDER_AFTER_CONTEXT: readonly Phrase[] = [
  { re: String.raw`^[\s>:.]{0,8}sender address rejected\b`, source: 'Postfix smtpd(8) smtpd_sender_restrictions replies "<%s>: Sender address rejected: %s"' },
  { re: String.raw`^[\s>:.]{0,8}domain of sender address\b`, source: 'Sendmail "<%s>... Domain of sender address %s does not exist"; Sisimai 4.25 Reason/Rejected.pm' },
];

/**
 * Words right before an address that make it the recipient's new or forwarding address, not a
 * failed one ("User not local; please try <x>", "has moved to x", "has been replaced by x").
 */
export const NEW_ADDRESS_CONTEXT: readonly Phrase[] = [
  { re: String.raw`\bplease try[\s:<]*$|\bwill forward to[\s:<]*$`, source: 'RFC 5321 §3.4: 551 "User not local; please try <forward-path>", 251 "User not local; will forward to <forward-path>"' },
  { re: String.raw`\bhas been replaced by[\s:<]*$`, source: "Sisimai 4.25 Reason/HasMoved.pm (the text that defines hasmoved)" },
  { re: String.raw`\b(?:moved|changed|forwarded|redirected) to[\s:<("'[]*$|\bnew (?:e-?mail )?address(?: is)?[\s:<("'[]*$`, source: 'RFC 5321 §3.4 251/551 (a changed address and where mail goes now), in the words of relays\' own notices' },
];

/**
 * Sentences that say the report is a warning only: delivery is still being tried. Recipients
 * of such a report are delayed (Action delayed), never failed, unless their own text carries a
 * permanent (5xx) reply.
 */
export const DELAY_STATEMENTS: readonly Phrase[] = [
  { re: String.raw`\bthis is a warning (?:message )?only\b|\bwarning only\b`, source: 'Sendmail and Postfix delay notices ("THIS IS A WARNING MESSAGE ONLY"), Exchange delay DSN' },
  { re: String.raw`\byou do not need to resend\b|\bdo not need to resend your message\b`, source: 'Sendmail, Postfix, Exchange delay notices' },
  { re: String.raw`\b(?:delivery )?attempts will continue\b|\bwill (?:continue to )?(?:re)?try(?:ing)?\b|\bwill keep trying\b|\bwill be retried\b|\bstill (?:being )?(?:trying|retried)\b`, source: '#13 "delivery attempts will continue to be made for 5 days"; Postfix "It will be retried until", Exim "Delivery attempts will continue", Gmail "will retry"' },
  { re: String.raw`\bhas not yet been delivered\b|\bnot yet been delivered\b|\bhas been delayed\b|\b(?:is|was) delayed\b|\bdelivery (?:is |has been )?delayed\b|\bdelayed mail\b|\bdelay(?:ed)? (?:notification|warning|report)\b`, source: 'Exim "has not yet been delivered", Exchange "Delivery has been delayed", RFC 3464 delay DSN subjects' },
  { re: String.raw`\bcould not (?:be delivered|send (?:the )?message) for (?:the )?(?:past|more than|last) \d`, source: 'Sendmail "could not send message for past 4 hours", Postfix "could not be delivered for more than 4 hour(s)"' },
  { re: String.raw`\bno action is required on your part\b|\btemporar(?:y|ily) (?:deferred|problem|failure)\b`, source: 'Exim delay warning; Gmail "temporary problem delivering"' },
  { re: String.raw`\bdelivery incomplete\b|\bdelivery status notification \(delay\)`, source: 'Gmail "Delivery incomplete"; Exchange/Gmail "Delivery Status Notification (Delay)"' },
  // the same statements ("a warning only", "you do not need to resend", "delivery will be tried
  // again", "not yet delivered", "delivery delayed") in the languages of the failure predicates
  // above: without them a localized warning read as a failure (issue #13, harm 7)
  { re: String.raw`\bnur eine warnung\b|\bnicht erneut (?:zu )?(?:senden|versenden|schicken)\b|\b(?:noch|bisher) nicht zugestellt\b|\bwird (?:weiterhin|erneut) versucht\b|\bversucht weiterhin\b|\bweitere zustellversuche\b|\bzustellung verz\u00f6gert\b|\bwurde verz\u00f6gert\b`, source: 'German: "Dies ist nur eine Warnung", "Sie müssen die Nachricht nicht erneut senden", "noch nicht zugestellt", "Zustellung verzögert"' },
  { re: String.raw`\bun avertissement\b|\bbesoin de (?:la |le )?renvoyer\b|\binutile de (?:le |la )?renvoyer\b|\bpas encore (?:pu )?(?:\u00e9t\u00e9 |\u00eatre )?(?:remis|distribu\u00e9)|\bcontinuera (?:d'essayer|\u00e0 essayer|de tenter)\b|\bnouvelles? tentatives?\b|\bremise (?:diff\u00e9r\u00e9e|retard\u00e9e)|\ba \u00e9t\u00e9 retard\u00e9`, source: 'French: "ceci est un avertissement", "vous n\'avez pas besoin de renvoyer", "pas encore été remis", "remise différée"' },
  { re: String.raw`\bs(?:o|\u00f3)lo (?:es )?una advertencia\b|\bno (?:es necesario|necesita) (?:que )?(?:vuelva a enviar|reenviar|reenv\u00ede)|\b(?:todav\u00eda|a\u00fan) no (?:se )?ha (?:sido |podido ser )?entregad|\bseguir\u00e1 intentando\b|\bse (?:volver\u00e1|seguir\u00e1) a intentar\b|\bentrega retrasada\b|\bha sido retrasad`, source: 'Spanish: "solo una advertencia", "no es necesario que vuelva a enviar", "todavía no se ha entregado", "entrega retrasada"' },
  { re: String.raw`\bsolo un avviso\b|\bnon (?:\u00e8 necessario|occorre) (?:inviare di nuovo|rinviare|reinviare)\b|\bnon (?:\u00e8|e') ancora stat[oa] (?:recapitat|consegnat)|\bcontinuer\u00e0 a (?:tentare|provare)\b|\bconsegna ritardata\b|\s\u00e8 stat[oa] ritardat`, source: 'Italian: "solo un avviso", "non è necessario inviare di nuovo", "non è ancora stato recapitato", "consegna ritardata"' },
  { re: String.raw`\bapenas um aviso\b|\bn\u00e3o (?:\u00e9 necess\u00e1rio|precisa) (?:reenviar|enviar novamente)\b|\bainda n\u00e3o foi entregue\b|\bcontinuar\u00e1 (?:tentando|a tentar)\b|\bentrega atrasada\b|\bfoi atrasad`, source: 'Portuguese: "apenas um aviso", "não é necessário reenviar", "ainda não foi entregue", "entrega atrasada"' },
  { re: String.raw`\bslechts een waarschuwing\b|\bniet opnieuw (?:te )?(?:verzenden|versturen)\b|\bnog niet (?:bezorgd|afgeleverd)\b|\bblijft proberen\b|\bwordt opnieuw geprobeerd\b|\b(?:bezorging|aflevering) vertraagd\b|\bis vertraagd\b`, source: 'Dutch: "slechts een waarschuwing", "niet opnieuw te verzenden", "nog niet bezorgd", "bezorging vertraagd"' },
];

/**
 * Challenge/response and allow-list requests: an auto-reply asking the sender to prove they are
 * human or to add themselves to the recipient's allowed senders. Not a failure: the message is
 * held until the sender answers.
 */
export const CHALLENGE_STATEMENTS: readonly Phrase[] = [
  { re: String.raw`\bconfirm (?:that )?you are (?:a )?(?:human|real person|person)\b|\bprove (?:that )?you are (?:a )?(?:human|real person|not a (?:robot|spammer))\b|\bverify (?:that )?you are (?:a )?(?:human|real person|not a (?:robot|spammer))\b`, source: '#13; TMDA, SpamArrest, Boxbe challenges' },
  { re: String.raw`\b(?:approved|allowed|authori[sz]ed|trusted|accepted|safe) senders?(?: list)?\b|\bsender (?:white|allow) ?list\b|\b(?:white|allow) ?list(?:ed)?\b`, source: '#13 "add yourself to my allowed senders"; SpamArrest "list of approved senders", ChoiceMail' },
  { re: String.raw`\b(?:confirm|verify|validate) (?:your )?(?:e-?mail|message|identity|address)\b[^\n]{0,60}\b(?:deliver|release|held|hold|receive)`, source: 'TMDA "confirm your message", Boxbe "confirm your email"' },
  { re: String.raw`\b(?:message|e-?mail) (?:has been |is |was )?(?:held|quarantined|on hold) (?:pending|until|for) (?:your )?(?:confirmation|verification|approval|response)\b`, source: 'TMDA, Mailblocks, Bluebottle challenges' },
  { re: String.raw`\bchallenge[- ]response\b|\bspam ?arrest\b|\bboxbe\b|\bchoicemail\b|\bmailblocks\b|\btmda\b`, source: 'vendor names of challenge/response services' },
];

/**
 * An SMTP reply code (RFC 5321 §4.2) or enhanced status code (RFC 3463) of class 4 or 5. A reply
 * code is followed by its text, a hyphen or an enhanced status code, never by another group of
 * digits: "call +1 555 0100" in a help line is a telephone number.
 */
export const CODE_IN_TEXT = /(?:^|[^\d.])[45]\d\d(?![\d.]|[ \t]+\d(?!\.\d))|(?:^|[^\d.])[45]\.\d{1,3}\.\d{1,3}(?![\d.])/;
