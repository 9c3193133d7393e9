// `bounced classify` keeps a report's Original-Recipient beside the recipient that failed (issue
// #13: "Original-Recipient kept as alias beside the final one"): the address the sender wrote
// (a list or an alias) is `alias`, the final one `recipient`; no `alias` when the report has
// none or it is the same address.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordsFor } from '../../src/commands/classify.js';
import { fixturesDir } from '../helpers/env.js';

const records = (rel: string) => recordsFor(rel, readFileSync(join(fixturesDir, rel)), false);

describe('classify: the Original-Recipient as alias', () => {
  it("a real Postfix DSN for an address the sender wrote as a list's: alias beside recipient", () => {
    const file = 'generated/postfix/084-orcpt-1--failed.eml';
    const raw = readFileSync(join(fixturesDir, file), 'latin1');
    const orcpt = /^Original-Recipient:\s*rfc822;\s*(\S+)/im.exec(raw)![1];
    const [r] = records(file);
    expect(r.recipient).not.toBe(orcpt);
    expect(r.alias).toBe(orcpt);
  });

  it('no alias when the report names none', () => {
    for (const r of records('prose/indented-own-lines.eml')) expect(r).not.toHaveProperty('alias');
  });
});
