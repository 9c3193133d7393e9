// The provider convention tables, in the order they are consulted: the reporting MTA's own
// classification first, then fixed product wordings, then receiving providers.
import { amazonses } from './amazon.js';
import { facebook } from './facebook.js';
import { google, googleHosts } from './google.js';
import { exchangeLegacy, microsoft, outlookcom } from './microsoft.js';
import { yahoo, yahooHosts } from './yahoo.js';
import { apple, attHosts, charterHosts, comcast, cox, coxHosts, gmx, gmxHosts, godaddy, iua, netease, orange, qqHosts, spectrum, tonline, yandex } from './isps.js';
import { messagelabs, mimecast, mimecastWording, proofpointEssentials, zoho } from './gateways.js';
import { docomo, families, kddi, powermta, vendors } from './vendors.js';
import type { Provider } from './provider.js';

export type { Provider, ProviderRule, RuleContext, CodeTable } from './provider.js';

export const PROVIDERS: readonly Provider[] = [
  powermta, families, vendors, exchangeLegacy, microsoft, google, yahooHosts, yahoo, apple, cox, coxHosts, spectrum,
  godaddy, orange, iua, comcast, tonline, yandex, netease, mimecast, zoho, messagelabs, docomo, kddi,
  // round 5 (issue #13)
  outlookcom, gmx, mimecastWording, amazonses, facebook,
  // round 6 (issue #13, providers2)
  charterHosts, gmxHosts, attHosts, proofpointEssentials, qqHosts, googleHosts,
];
