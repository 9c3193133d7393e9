// Windows-1252 and the labels the WHATWG Encoding Standard maps to it (ISO-8859-1, latin1, ...)
// are decoded by our own table, not TextDecoder: Node before 22 decodes bytes 0x80-0x9F as C1
// controls, so the same report read differently by Node version. On the Node this runs (22+,
// package.json engines) TextDecoder is the oracle: every byte, every label.
import { describe, expect, it } from 'vitest';
import { latin1ToText } from '../../src/parser/mime/charset.js';

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
const LABELS = ['windows-1252', 'cp1252', 'x-cp1252', 'iso-8859-1', 'ISO-8859-1', '"iso-8859-1"', 'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'iso-ir-100', 'latin1', 'l1', 'csisolatin1', 'ibm819', 'cp819', 'ansi_x3.4-1968'];

describe('windows-1252 decoding', () => {
  it('every byte under every label reads as the Encoding Standard says (TextDecoder as the oracle)', () => {
    const expected = new TextDecoder('windows-1252').decode(Buffer.from(ALL_BYTES, 'latin1'));
    expect(expected[0x92]).toBe('\u2019'); // the oracle itself is the standard's, not latin1's
    for (const label of LABELS) expect(latin1ToText(ALL_BYTES, label)).toBe(expected);
  });

  it('a quoted-printable Outlook sentence reads with its curly apostrophe and dash', () => {
    expect(latin1ToText('The recipient\x92s mailbox is full \x96 try later', 'iso-8859-1')).toBe('The recipient\u2019s mailbox is full \u2013 try later');
  });

  it('other single-byte charsets still go to TextDecoder', () => {
    expect(latin1ToText('\xe8\xea', 'iso-8859-2')).toBe(new TextDecoder('iso-8859-2').decode(Buffer.from([0xe8, 0xea])));
    expect(latin1ToText('\xc0\xc1', 'koi8-r')).toBe('юа');
  });
});
