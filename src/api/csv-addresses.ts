// The address column of a CSV opt-out list (RFC 4180), read one physical line at a time as
// the streamed import hands them over (routes/suppressions.ts: boundedLines). Exports from
// mailing tools put the address anywhere ("Name,Email,Status", "E-Mail Address;First Name"),
// so the column is found by its header name, whatever its position; without a header, it
// is the first column holding an @ in the first record.
//
// Quoting is handled fully: a quoted field may hold the delimiter, a doubled quote ("") and
// line breaks, so one record may span several lines. A record is bounded like a line (`max`
// characters, pending lines included): past it the record is invalid and dropped, and
// reading resumes at the next line, so a quote that never closes costs one bounded record,
// never the rest of the file. Linear in the input: a record spanning lines is parsed again
// from its start at each of its lines, and is at most `max` characters.

/** Header names of the address column, compared without case, spaces, '-', '_' or '.'. */
const ADDRESS_HEADERS = new Set(['email', 'emailaddress', 'mail', 'mailaddress', 'address', 'emailaddr', 'recipient']);
/** Field separators seen in exports: comma (RFC 4180), semicolon (European locales), tab. */
const DELIMITERS = new Set([',', ';', '\t']);

type Fields = string[] | 'open';

/** The fields of one record, or 'open' when a quoted field runs past the end of `text`. */
export function splitRecord(text: string): Fields {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i <= text.length) {
    const c = text[i];
    if (quoted) {
      if (c === undefined) return 'open';
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === undefined || DELIMITERS.has(c)) {
      fields.push(field.trim());
      field = '';
      i++;
      continue;
    }
    // A quote opens a quoted field only at its start (RFC 4180 §2.5); elsewhere it is kept.
    if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else field += c;
    i++;
  }
  return fields;
}

const headerKey = (s: string) => s.toLowerCase().replace(/[\s\-_.]/g, '');

export class CsvAddressReader {
  /** The address column; null until the first record decides it. */
  private column: number | null = null;
  /** A record whose quoted field is still open, waiting for its next line. */
  private pending: string | null = null;
  /** The first record was a header naming no address column: the first data record decides. */
  private unnamedHeader = false;

  constructor(private readonly max: number) {}

  /**
   * One physical line: the address of the record it completes, '' when it completes none (a
   * header, a record still open, an empty line), null for an invalid record.
   */
  line(line: string): string | null {
    const text = this.pending === null ? line : `${this.pending}\n${line}`;
    this.pending = null;
    if (text.length > this.max) return null;
    if (text.trim() === '') return '';
    const fields = splitRecord(text);
    if (fields === 'open') {
      this.pending = text;
      return '';
    }
    if (this.column === null) {
      const named = this.unnamedHeader ? -1 : fields.findIndex((f) => ADDRESS_HEADERS.has(headerKey(f)));
      if (named !== -1) {
        this.column = named;
        return '';
      }
      const withAt = fields.findIndex((f) => f.includes('@'));
      if (withAt === -1 && !this.unnamedHeader) {
        // No address anywhere: a header with other names; the next record decides.
        this.unnamedHeader = true;
        return '';
      }
      this.column = withAt === -1 ? 0 : withAt;
    }
    return fields[this.column] ?? null;
  }

  /** A line was dropped (over the length bound): a record it belonged to is lost too. */
  lineDropped(): void {
    this.pending = null;
  }

  /** At the end of the input: a record still open is invalid. */
  end(): boolean {
    const open = this.pending !== null;
    this.pending = null;
    return open;
  }
}
