// Amazon SES's own classification of a bounce or delay it reports (bounceSubType, delayType),
// read when the remote server's words are missing (the SES reader gives it as a vendor category,
// src/parser/detectors/amazonses.ts). The same meanings as the ESP intake's hints
// (src/esp/ses.ts), from the SES Developer Guide's notification contents.
import { AMAZONSES } from '../sources.js';
import type { Provider } from './provider.js';

export const amazonses: Provider = {
  id: 'amazonses',
  name: 'Amazon SES bounce sub-types and delay types',
  source: AMAZONSES,
  rules: [
    { id: 'noemail', reason: 'userunknown', vendorCategory: ['amazonses:noemail'], exampleContext: { vendorCategory: 'amazonses:noemail' } },
    // SES sent nothing: the address is on its global or the account's suppression list
    {
      id: 'suppressed', reason: 'suppressed', vendorCategory: ['amazonses:suppressed', 'amazonses:onaccountsuppressionlist'],
      exampleContext: { vendorCategory: 'amazonses:suppressed' },
    },
    {
      id: 'mailboxfull', reason: 'mailboxfull', vendorCategory: ['amazonses:mailboxfull', 'amazonses-delay:mailboxfull'],
      exampleContext: { vendorCategory: 'amazonses:mailboxfull' },
    },
    { id: 'toolarge', reason: 'emailtoolarge', vendorCategory: ['amazonses:messagetoolarge'], exampleContext: { vendorCategory: 'amazonses:messagetoolarge' } },
    {
      id: 'content', reason: 'contenterror', vendorCategory: ['amazonses:contentrejected', 'amazonses:attachmentrejected'],
      exampleContext: { vendorCategory: 'amazonses:contentrejected' },
    },
    { id: 'spam', reason: 'spamdetected', vendorCategory: ['amazonses-delay:spamdetected'], exampleContext: { vendorCategory: 'amazonses-delay:spamdetected' } },
    { id: 'ip', reason: 'blocked', vendorCategory: ['amazonses-delay:ipfailure'], exampleContext: { vendorCategory: 'amazonses-delay:ipfailure' } },
    {
      id: 'network', reason: 'networkerror', vendorCategory: ['amazonses-delay:transientcommunicationfailure'],
      exampleContext: { vendorCategory: 'amazonses-delay:transientcommunicationfailure' },
    },
    {
      id: 'server', reason: 'systemerror', vendorCategory: ['amazonses-delay:recipientservererror'],
      exampleContext: { vendorCategory: 'amazonses-delay:recipientservererror' },
    },
  ],
};
