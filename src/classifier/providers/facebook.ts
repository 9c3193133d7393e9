// Facebook's mail servers end a refusal with a response code of its postmaster page
// ("550 5.1.1 RCP-P1 http://postmaster.facebook.com/response_codes?ip=...#rcp"): the code names
// the cause. P codes are permanent, T codes temporary; the class comes from the reply.
import { FACEBOOK } from '../sources.js';
import type { Provider } from './provider.js';

export const facebook: Provider = {
  id: 'facebook',
  name: 'Facebook mail servers',
  source: FACEBOOK,
  codes: {
    // the code, then Facebook's response-code link within a few characters
    pattern: /\b((?:rcp|msg|pol|dns|con|int)-[pt][1-8])\b[^\n]{0,24}?facebook\.com/,
    codes: {
      // recipients: does not exist; its preferences or privacy settings refuse; deactivated; internal issue
      'rcp-p1': 'userunknown', 'int-p1': 'userunknown', 'int-p3': 'userunknown', 'int-p4': 'userunknown',
      'rcp-p2': 'filtered', 'rcp-p3': 'filtered', 'rcp-t4': 'suspend', 'rcp-t1': 'systemerror',
      // messages: too big, attachment type, repeated single-instance header, too many recipients
      'msg-p1': 'emailtoolarge', 'int-p2': 'emailtoolarge', 'msg-p2': 'contenterror', 'msg-p3': 'notcompliantrfc', 'msg-t1': 'ratelimited',
      // policy: the sending server refused (PBL, banned, for hours); virus; blocked URL; authentication; abuse
      'pol-p1': 'blocked', 'pol-p2': 'blocked', 'pol-p3': 'blocked', 'pol-p4': 'blocked',
      'pol-t1': 'blocked', 'pol-t2': 'blocked', 'pol-t3': 'blocked',
      'pol-p5': 'virusdetected', 'pol-p6': 'spamdetected', 'pol-p7': 'authfailure', 'pol-p8': 'spamdetected',
      // DNS: the MAIL FROM domain does not resolve or has no MX; the server has no reverse DNS
      'dns-p1': 'rejected', 'dns-p2': 'rejected', 'dns-t1': 'rejected', 'dns-p3': 'requireptr', 'dns-t2': 'requireptr',
      // connections and recipients per connection
      'con-t1': 'ratelimited', 'con-t2': 'ratelimited', 'con-t3': 'ratelimited', 'con-t4': 'ratelimited',
    },
    example: '550 5.1.1 RCP-P1 http://postmaster.facebook.com/response_codes?ip=192.0.2.54#rcp',
  },
  rules: [],
};
