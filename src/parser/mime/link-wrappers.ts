// Links a link-protection service rewrote, read as the links they were. An organisation whose
// gateway protects links rewrites every link in the text of mail from outside, notices
// included: a connected inbox behind it (src/inbox) reads Google Groups' help-centre link, a
// provider's reply-code page, as a link to the service. Each service documents how the
// original travels in its link:
//
// - Microsoft Defender for Office 365 Safe Links:
//   `https://<region>.safelinks.protection.outlook.com/?url=<the URL, percent-encoded>&data=...`
// - Proofpoint URL Defense v2: `https://urldefense.proofpoint.com/v2/url?u=<the URL>&d=...`, the
//   URL with `%` written `-` and `/` written `_` (`https-3A__groups.google.com_support_`)
// - Barracuda Link Protection: `https://linkprotect.cudasvc.com/url?a=<the URL, percent-encoded>&c=...`
//
// Opaque rewrites (Mimecast's `protect-*.mimecast.com/s/<id>`, URL Defense v3's) keep no
// readable original and stay as they are. PURE.

/** One wrapped link: the service's host and path, then its parameter holding the original (at most 2,000 characters). */
const WRAPPED =
  /\bhttps?:\/\/(?:[a-z0-9-]{1,40}\.safelinks\.protection\.outlook\.com\/?\?(?:[^\s?#&<>"]{0,200}&)?url=|urldefense\.proofpoint\.com\/v2\/url\?(?:[^\s?#&<>"]{0,200}&)?u=|linkprotect\.cudasvc\.com\/url\?(?:[^\s?#&<>"]{0,200}&)?a=)([^\s&<>"]{1,2000})(?:&[^\s<>"]{0,2000})?/gi;

/** Sentence punctuation after a link (at most 8 characters: looked for from the end only). */
const TRAILING_PUNCTUATION = /[.,;:!?)\]]{0,8}$/;

/** The text with each wrapped link replaced by its original; the same string when there is none. */
export function withoutLinkWrappers(text: string): string {
  if (!text.includes('safelinks.protection.outlook.com') && !text.includes('urldefense.proofpoint.com') && !text.includes('linkprotect.cudasvc.com')) {
    return text;
  }
  return text.replace(WRAPPED, (whole: string, inner: string) => {
    // the punctuation of the sentence the link ends ("visit <link>.") stays after it
    const punct = TRAILING_PUNCTUATION.exec(whole)![0];
    if (punct && inner.endsWith(punct)) inner = inner.slice(0, -punct.length);
    const proofpoint = /urldefense\.proofpoint\.com/i.test(whole);
    const url = proofpoint ? inner.replace(/_/g, '/').replace(/-([0-9A-Fa-f]{2})/g, '%$1') : inner;
    try {
      const decoded = decodeURIComponent(url);
      // (only a web link comes back: anything else is not what these services wrap)
      return /^https?:\/\/[^\s]/i.test(decoded) ? decoded + punct : whole;
    } catch {
      return whole;
    }
  });
}
