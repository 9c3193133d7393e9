// Differential test: our MIME layer (src/parser/mime.ts, chosen for speed: see its header)
// must read the report's own headers as nodemailer's mailparser does, on every real message
// of the public corpus (read in place). mailparser is the reference, not the engine.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { headerValue, readMail } from '../../src/parser/mime.js';
import { corpusDir, haveCorpus } from '../helpers/env.js';

const norm = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
const bareId = (s: string | null | undefined) => norm(s).replace(/^<|>$/g, '');

describe.skipIf(!haveCorpus)('MIME layer against mailparser (public corpus, LF files)', () => {
  // The top-level header block, as the MIME layer reads it (the parser may then prefer a
  // wrapped report's own headers: that is a decision above this layer).
  it('reads the same Subject and Message-ID as mailparser', async () => {
    const dir = join(corpusDir, 'maildir', 'bsd');
    const files = readdirSync(dir).sort();
    const disagree: string[] = [];
    for (const f of files) {
      const raw = readFileSync(join(dir, f));
      const view = readMail(raw);
      const theirs = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
      const subject = headerValue(view.headers, 'subject');
      const messageId = headerValue(view.headers, 'message-id');
      if (norm(subject) !== norm(theirs.subject)) disagree.push(`${f} subject: ${JSON.stringify(subject)} vs ${JSON.stringify(theirs.subject)}`);
      if (bareId(messageId) !== bareId(theirs.messageId)) disagree.push(`${f} message-id: ${messageId} vs ${theirs.messageId}`);
    }
    expect(disagree, disagree.slice(0, 10).join('\n')).toEqual([]);
    expect(files.length).toBeGreaterThan(300);
  }, 120_000);
});
