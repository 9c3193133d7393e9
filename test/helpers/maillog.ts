import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VerpCodec } from '../../src/verp/index.js';
import { BOUNCE_DOMAIN, fixturesDir, TEST_SECRET } from './env.js';

/**
 * The real Postfix log captured by ../shared/postfix (fixtures/postfix/maillog.txt), with each
 * harness sender `bounces+<scenario>@bounces.test` replaced by the signed VERP return path a
 * sender of account `acme` would have used for the queue file's first recipient (message id:
 * the scenario name). Everything else is Postfix's own bytes.
 */
export function signedMaillog(account = 'acme'): { text: string; scenarios: Map<string, string> } {
  const verp = new VerpCodec(TEST_SECRET, 'b');
  const text = readFileSync(join(fixturesDir, 'postfix', 'maillog.txt'), 'utf8');
  const firstTo = new Map<string, string>();
  for (const m of text.matchAll(/: ([0-9A-F]{6,}): to=<([^>]+)>/g)) if (!firstTo.has(m[1]!)) firstTo.set(m[1]!, m[2]!.toLowerCase());
  const scenarios = new Map<string, string>();
  const out = text.replace(/: ([0-9A-F]{6,}): from=<bounces\+([^@>]+)@bounces\.test>/g, (all, qid: string, scenario: string) => {
    const to = firstTo.get(qid);
    if (!to) return all;
    scenarios.set(scenario, to);
    return `: ${qid}: from=<${verp.encode({ account, message: scenario, recipient: to }, BOUNCE_DOMAIN)}>`;
  });
  return { text: out, scenarios };
}
