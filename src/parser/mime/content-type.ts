// Content-Type fields (RFC 2045 §5.1): the media type and its parameters.

export interface ContentType {
  type: string;
  params: Record<string, string>;
}

/** `type/subtype` (RFC 2045 §5.1 tokens), lower case. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

export function parseContentType(v: string | null, fallback = 'text/plain'): ContentType {
  const params: Record<string, string> = Object.create(null);
  if (!v) return { type: fallback, params };
  const semi = v.indexOf(';');
  let type = (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
  if (!MEDIA_TYPE.test(type)) {
    // "text / plain" and folded values: white space inside the type is dropped
    type = type.replace(/\s+/g, '');
    if (!MEDIA_TYPE.test(type)) type = fallback;
  }
  if (semi >= 0) {
    const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
    const list = v.slice(semi);
    let m: RegExpExecArray | null;
    while ((m = re.exec(list))) {
      // RFC 2231 continuations/charsets (name*0*=) are rare in reports: keep the first piece
      const key = m[1].toLowerCase().replace(/\*.*$/, '');
      const val = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim();
      if (!(key in params)) params[key] = val;
    }
  }
  return { type, params };
}
