// CSV opt-out lists as mailing tools export them (issue #18): the address column found by its
// header name whatever its position, RFC 4180 quoting in full (delimiters, doubled quotes and
// line breaks inside quotes), every record bounded.
import { afterEach, describe, expect, it } from 'vitest';
import { CsvAddressReader, splitRecord } from '../../src/api/csv-addresses.js';
import { IMPORT_MAX_LINE_BYTES } from '../../src/api/routes/suppressions.js';
import { apiFixture, bearer, withAccounts, type Fixture } from '../helpers/api.js';

/** Every line through a fresh reader: what each gives, and whether a record was left open. */
function read(text: string, max = IMPORT_MAX_LINE_BYTES) {
  const r = new CsvAddressReader(max);
  const out = text.split(/\r\n|\n|\r/).map((l) => r.line(l));
  return { out, open: r.end() };
}

describe('splitRecord (RFC 4180)', () => {
  it('splits on , ; and tab, unquotes, keeps doubled quotes and delimiters inside quotes', () => {
    expect(splitRecord('a,b;c\td')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitRecord('"Doe, Ann","say ""hi""", ann@example.org ')).toEqual(['Doe, Ann', 'say "hi"', 'ann@example.org']);
    expect(splitRecord('x,,')).toEqual(['x', '', '']);
    expect(splitRecord('"open, still')).toBe('open');
    expect(splitRecord('ab"c,d')).toEqual(['ab"c', 'd']);
  });
});

describe('CsvAddressReader', () => {
  it.each([
    ['Name,Email,Status', 'Ann,ann@example.org,active'],
    ['name;E-Mail;status', 'Ann;ann@example.org;active'],
    ['"First Name"\t"Email Address"', 'Ann\tann@example.org'],
    ['id,email_address', '7,ann@example.org'],
    ['ADDRESS', 'ann@example.org'],
  ])('finds the column by its header %j', (header, row) => {
    expect(read(`${header}\n${row}`).out).toEqual(['', 'ann@example.org']);
  });

  it('without a header: the first column holding an @; a header of other names: the next record decides', () => {
    expect(read('Ann,ann@example.org\nBen,ben@example.org').out).toEqual(['ann@example.org', 'ben@example.org']);
    expect(read('name,contact\nAnn,ann@example.org\nBen,ben@example.org').out).toEqual(['', 'ann@example.org', 'ben@example.org']);
  });

  it('a quoted field over several lines (blank ones too) is one record', () => {
    const text = 'email,note\n"ann@example.org","line one\n\nline three"\nben@example.org,plain';
    expect(read(text)).toEqual({ out: ['', '', '', 'ann@example.org', 'ben@example.org'], open: false });
  });

  it('a record past the bound is invalid and reading resumes; a quote left open at the end is reported', () => {
    // Each line is under the bound, the record they make is not.
    const opened = `ann@example.org,"${'x'.repeat(40)}`;
    expect(read(`email,note\n${opened}\n${'y'.repeat(40)}"\nben@example.org,z`, 64).out).toEqual(['', '', null, 'ben@example.org']);
    expect(read('email,note\nann@example.org,"never closed').open).toBe(true);
  });
});

describe('POST /v1/suppressions/import (text/csv)', () => {
  let fx: Fixture | null = null;
  afterEach(async () => {
    await fx?.close();
    fx = null;
  });

  it('imports an export whose address is the third column, quoting and all', async () => {
    fx = await apiFixture();
    const { acme } = await withAccounts(fx, 'acme');
    const csv = [
      'First Name,Last Name,E-mail Address,Notes',
      'Ann,Doe,ann@example.org,plain',
      '"Ben, Jr.",Roe,"Ben@Example.org","said ""stop"""',
      'Cy,Poe,cy@example.org,"two',
      'lines"',
      'Di,Loe,not-an-address,x',
      'Ed,Moe',
    ].join('\r\n');
    const r = await fx.app.inject({ method: 'POST', url: '/v1/suppressions/import', headers: { ...bearer(acme!), 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ added: 3, lines: 7, invalid: 2, invalidLines: [6, 7] });
    const items = (await fx.app.inject({ method: 'GET', url: '/v1/suppressions', headers: bearer(acme!) })).json().items.map((s: { address: string }) => s.address);
    expect(items.sort()).toEqual(['ann@example.org', 'ben@example.org', 'cy@example.org']);
  });
});
