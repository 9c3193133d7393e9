// HTML parts reduced to plain text (NDRs from Exchange and many providers are HTML only).

/**
 * HTML -> plain text, enough for reading an NDR's sentences and lines. HTML white space rules
 * (HTML Living Standard, "white-space: normal"): a run of spaces, tabs and line ends in the
 * source is one space (the source's line ends are not line breaks), except inside <pre>; line
 * breaks come from <br> and the ends of blocks; &nbsp; is a space that does not collapse (how
 * converters keep a text's indentation). The same report sent as text/plain and as text/html
 * then reads as the same lines (issue #13 round 3, metamorphic tests: an HTML-only report had
 * every source line end doubled, which cut Postfix's "(in reply to / RCPT TO command)").
 */
export function htmlToText(html: string): string {
  // `<[^<>]...>`, not `<[^>]...>`: a run of '<' without '>' must not rescan 2,000 chars each
  return collapseOutsidePre(dropHtmlBlocks(html))
    .replace(/<\/p>|<\/h\d>/gi, '\n\n')
    .replace(/<br\s*\/?>|<\/(div|tr|li|table|pre)>/gi, '\n')
    .replace(/<[^<>]{0,2000}>/g, ' ')
    .replace(/&nbsp;/gi, '\u00a0')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&#(\d{1,6});/g, (_, n: string) => safeFromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]{1,6});/gi, (_, n: string) => safeFromCodePoint(parseInt(n, 16)))
    .replace(/&amp;/gi, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n /g, '\n')
    .replace(/ \n/g, '\n')
    .replace(/^ /, '')
    .replace(/\u00a0/g, ' ')
    .replace(/\n{3,}/g, '\n\n');
}

/**
 * Source white space (line ends included) collapsed to one space, except inside <pre>
 * elements, whose line ends and blanks are the text's. One scan with indexOf (as dropHtmlBlocks).
 */
function collapseOutsidePre(html: string): string {
  const lower = /<pre/i.test(html) ? html.toLowerCase() : null;
  if (!lower) return html.replace(/[ \t\r\n\f]+/g, ' ');
  let out = '';
  let pos = 0;
  for (;;) {
    const open = lower.indexOf('<pre', pos);
    const close = open < 0 ? -1 : lower.indexOf('</pre', open);
    if (close < 0) break;
    // inside <pre> the blanks are the text's (indentation, columns): kept as no-break spaces,
    // which the collapsing below leaves alone
    out += html.slice(pos, open).replace(/[ \t\r\n\f]+/g, ' ') + html.slice(open, close).replace(/\r\n?/g, '\n').replace(/[ \t]/g, '\u00a0');
    pos = close;
  }
  return out + html.slice(pos).replace(/[ \t\r\n\f]+/g, ' ');
}

/**
 * Drops <script>, <style> and <head> elements. A scan with indexOf instead of the lazy regex
 * `<(script|style|head)\b[\s\S]*?<\/\1>`, which rescans to the end of input for every
 * opening tag that has no closing tag (quadratic on hostile input).
 */
function dropHtmlBlocks(html: string): string {
  const lower = html.toLowerCase();
  const open = /<(script|style|head)\b/g;
  const unclosed = new Set<string>();
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = open.exec(lower))) {
    const name = m[1];
    if (unclosed.has(name)) continue;
    const close = lower.indexOf('</' + name, open.lastIndex);
    const end = close < 0 ? -1 : lower.indexOf('>', close);
    if (end < 0) {
      // no closing tag after this one, hence none after any later one either
      unclosed.add(name);
      continue;
    }
    out += html.slice(last, m.index) + ' ';
    last = end + 1;
    open.lastIndex = last;
  }
  return last ? out + html.slice(last) : html;
}

function safeFromCodePoint(n: number): string {
  return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : ' ';
}
