// RFC 3676 format=flowed text/plain.

/**
 * RFC 3676 format=flowed text with its soft line breaks undone: a line that ends in a space
 * (not the signature separator "-- ", §4.3) continues on the next line of the same quote depth
 * (§4.2, §4.5); DelSp=yes drops that space (§4.2); one space at the start of a line, after the
 * quote marks, is space-stuffing (§4.4) and goes. A report sent flowed (Yahoo! JAPAN's) reads
 * as the same sentences as one sent with hard breaks (issue #13 round 3, metamorphic tests: the
 * reply text cut over two lines lost its reason, the returned headers their Message-ID).
 * One pass over the lines.
 */
export function unflow(text: string, delsp: boolean): string {
  if (text.indexOf(' \n') < 0 && text.indexOf('\n ') < 0 && text.charCodeAt(0) !== 32) return text;
  const out: string[] = [];
  let cur: string | null = null;
  let curDepth = 0;
  for (const line of text.split('\n')) {
    let depth = 0;
    while (line.charCodeAt(depth) === 62) depth++; // '>'
    let content = depth ? line.slice(depth) : line;
    if (content.charCodeAt(0) === 32) content = content.slice(1);
    const soft = content.charCodeAt(content.length - 1) === 32 && content !== '-- ';
    if (cur !== null && depth !== curDepth) {
      out.push(cur);
      cur = null;
    }
    const piece = soft && delsp ? content.slice(0, -1) : content;
    cur = cur === null ? (depth ? '>'.repeat(depth) + ' ' : '') + piece : cur + piece;
    curDepth = depth;
    if (!soft) {
      out.push(cur);
      cur = null;
    }
  }
  if (cur !== null) out.push(cur);
  return out.join('\n');
}
