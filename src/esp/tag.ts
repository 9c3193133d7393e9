// Signed tags: how an event names its account when one endpoint serves several accounts.
//
// The sender puts on each message the token of its signed return path (src/verp): the
// `<payload>.<mac>` after `b+` (or the whole `b+<payload>.<mac>@domain`), as provider metadata
// that comes back with every event of that message:
//   SES       a message tag (`mail.tags.<name>`) or a header (`mail.headers`, when SES
//             includes the original headers); SES tag values allow only letters, digits, `_`
//             and `-`, so the `.` may be written `_` or `-` (neither is in base32)
//   SendGrid  a custom argument (unique_args), which comes back as a top-level field
//   Mailgun   a user variable (`v:<name>` or X-Mailgun-Variables): `user-variables.<name>`
//   Postmark  a metadata field: `Metadata.<name>`
// The MAC covers account, message and recipient, and a tag counts only for the recipient it
// was made for, exactly as a return path does for a DSN: a tag copied from one message cannot
// suppress somebody else.
import { canonicalAddress } from '../address.js';
import type { VerpCodec, VerpDecodeResult, VerpFields } from '../verp/index.js';
import type { AccountSource, EventSkipCode, TagState } from './types.js';

export interface TagVerifier {
  verify(tag: string): VerpDecodeResult;
}

const MAX_TAG = 1024;

/** Reads tags with the daemon's VERP codec; `prefix` is its `verp.prefix` (`b`). */
export function tagVerifier(codec: VerpCodec, prefix: string): TagVerifier {
  return {
    verify(tag: string): VerpDecodeResult {
      const t = tag.trim();
      if (!t || t.length > MAX_TAG) return { ok: false, error: 'malformed' };
      if (t.includes('@')) return codec.decode(t);
      const token = t.replace(/^[^+]*\+/, '').replace(/[_-]/, '.');
      return codec.decode(`${prefix}+${token}@tag.invalid`);
    },
  };
}

/** The endpoint side of attribution. */
export interface AccountRule {
  /** The account this endpoint's URL and secret belong to; null: a shared endpoint (tags only). */
  account: string | null;
}

export type Attribution =
  | { ok: true; account: string; source: AccountSource; tag: TagState; fields: VerpFields | null }
  | { ok: false; code: EventSkipCode; tag: TagState; detail: string };

/**
 * The account of one event.
 * - The endpoint names an account: that is the account (the request authenticated as it). A
 *   valid tag for this recipient also gives the sender's message reference; a tag that does
 *   not verify, or was made for another recipient, is ignored (the endpoint still vouches), but
 *   a valid tag naming another account is refused: one of the two is wrong.
 * - A shared endpoint: only a valid tag made for this recipient names the account.
 */
export function attribute(rule: AccountRule, tag: string | null, recipient: string, verifier: TagVerifier | null): Attribution {
  let state: TagState = 'absent';
  let fields: VerpFields | null = null;
  if (tag !== null && verifier) {
    const d = verifier.verify(tag);
    if (!d.ok) state = 'invalid';
    else if (canonicalAddress(d.fields.recipient) !== canonicalAddress(recipient)) state = 'other_recipient';
    else {
      state = 'valid';
      fields = d.fields;
    }
  } else if (tag !== null) {
    state = 'invalid'; // no verifier configured: nothing can vouch for it
  }
  if (rule.account !== null) {
    if (fields && fields.account !== rule.account) {
      return { ok: false, code: 'account_mismatch', tag: state, detail: `the tag names account ${JSON.stringify(fields.account)}` };
    }
    return { ok: true, account: rule.account, source: 'endpoint', tag: state, fields };
  }
  if (fields) return { ok: true, account: fields.account, source: 'tag', tag: state, fields };
  if (state === 'invalid') return { ok: false, code: 'tag_invalid', tag: state, detail: 'the tag does not verify' };
  if (state === 'other_recipient') return { ok: false, code: 'tag_recipient_mismatch', tag: state, detail: 'the tag was signed for another recipient' };
  return { ok: false, code: 'no_account', tag: state, detail: 'a shared endpoint and no signed tag' };
}
