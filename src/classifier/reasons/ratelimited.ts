import { p } from '../phrase.js';
import { APPLE, COX, GODADDY, GOOGLE, MICROSOFT, MIMECAST, POSTFIX_ANVIL, SISIMAI, SISIMAI5, YAHOO } from '../sources.js';
import type { ReasonTable } from './table.js';

const RATE = 'seen: Postfix (anvil), Exim (ratelimit ACL), Microsoft Exchange, Gmail';

/** Sending-rate refusals whose words also say "quota" or "exceeded" (not the mailbox's quota). */
export const ratePhrases: ReasonTable = {
  id: 'text.rate-phrase',
  reason: 'ratelimited',
  note: "the sender's rate or volume is over the receiver's limit",
  phrases: [
    p('throttling failure', 'Amazon SES: sending quota throttling'),
    p('daily sending quota exceeded', GOOGLE),
    p('daily user sending limit exceeded', GOOGLE),
    p('smtp relay limit exceeded', GOOGLE),
    p('max emails per hour', SISIMAI),
    p('too many smtp sessions for this host', SISIMAI),
    p('trop de connexions', 'Orange: postmaster error codes (LPN/OFR 104)'),
    p('too many errors from your ip', SISIMAI),
    p('numerous attempts to deliver this message', SISIMAI),
    p('due to excessive volume', APPLE),
    p('receiving mail too quickly', YAHOO),
    p('receiving mail at a rate that prevents additional messages', GOOGLE),
    p('message threshold exceeded', COX),
    p('too many sessions from', COX),
    p('sent too many messages this hour', GODADDY),
    p('exceeding outbound thread limit', MIMECAST),
    // (Postfix's message rate limit names the client, not a rate: before the MAIL FROM default)
    p('too much mail from', POSTFIX_ANVIL, '450 4.7.1 Error: too much mail from 192.0.2.1'),
  ],
};

export const ratelimited: ReasonTable = {
  id: 'text.ratelimited',
  reason: 'ratelimited',
  note: 'too many connections, messages or recipients, too fast',
  phrases: [
    p('max message per connection reached', YAHOO + ' (421 "Max message per connection reached, closing transmission channel")', '421 Max message per connection reached, closing transmission channel'),
    p('try again slower', SISIMAI5 + ' (RateLimited, was Speeding)', '421 4.7.0 Please try again slower'),
    p('tenant has exceeded threshold', MICROSOFT + ' (5.7.700-5.7.749 "Access denied, tenant has exceeded threshold")', '550 5.7.705 Access denied, tenant has exceeded threshold'),
    p('smtp relay sending limit exceeded', GOOGLE + ' (550 5.7.1 "Daily SMTP relay sending limit exceeded")', '550 5.7.1 Daily SMTP relay sending limit exceeded for customer'),
    p('rate limit', RATE),
    p('rate limited', RATE),
    p('ratelimit', RATE),
    p('too many connections', RATE),
    p('too many concurrent', RATE),
    p('too many messages', RATE),
    p('too many mails', RATE),
    p('too many sessions', RATE),
    p('too many recipients', RATE),
    p('too many emails', RATE),
    p('too many simultaneous', RATE),
    p('throttled', RATE),
    p('throttling', RATE),
    p('sending at a rate', RATE),
    p('receiving mail at a rate', GOOGLE),
    p('exceeded the maximum number of connections', RATE),
    p('exceeded the number of connections', RATE),
    p('exceeded the maximum number of messages', RATE),
    p('exceeded the message rate', RATE),
    p('connection rate limit', RATE),
    p('connection limit', RATE),
    p('exceeded its sending limit', RATE),
    p('exceeded the sending limit', RATE),
    p('exceeded the receiving limit', RATE),
    p('has exceeded its * limit', RATE, '421 sender has exceeded its hourly limit'),
    p('too fast', RATE),
    p('slow down', RATE),
    p('frequency limit', 'seen: NetEase 163, Tencent QQ'),
    p('frequency limited', 'Tencent QQ Mail: bounce help ("Ip frequency limited")'),
  ],
};
