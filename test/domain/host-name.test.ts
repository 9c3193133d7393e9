// Host names in free text (src/host-name.ts): what the readers and the classifier blank.
import { describe, expect, it } from 'vitest';
import { isHostName, withoutHostNames } from '../../src/host-name.js';

describe('host names in text', () => {
  it('a host name has two or more labels and a real top-level domain', () => {
    for (const h of ['mx.example.org', 'MX1.Example.COM', 'relay.spam-guard.example', 'a.jp', 'mail.t-online.de', 'localhost.localdomain']) expect(isHostName(h), h).toBe(true);
    for (const w of ['5.1.1', '192.0.2.1', 'resolver.adr.recipnotfound', 'queue.expired', 'bulk.advertising', 'example', '-a.example.org', 'a..example.org', 'x'.repeat(250) + '.org']) expect(isHostName(w), w).toBe(false);
  });
  it('blanks each host name, wherever it stands, and nothing else', () => {
    expect(withoutHostNames('host mx.rejected.example.org[192.0.2.1] said: 550 5.1.1 user unknown')).toBe('host x.x[192.0.2.1] said: 550 5.1.1 user unknown');
    expect(withoutHostNames("connection to 'mx.spam.example' failed.")).toBe("connection to 'x.x' failed.");
    expect(withoutHostNames("rejected due to spam.example's DMARC policy")).toBe("rejected due to x.x's DMARC policy");
    expect(withoutHostNames('see http://www.example.org/why?s=mfrom;r=blocked.example.net.')).toBe('see http://x.x/why?s=mfrom;r=x.x.');
    expect(withoutHostNames('550 5.1.10 RESOLVER.ADR.RecipientNotFound; queue.expired')).toBe('550 5.1.10 RESOLVER.ADR.RecipientNotFound; queue.expired');
  });
});
