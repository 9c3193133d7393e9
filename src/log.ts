import { pino, type Logger, type DestinationStream } from 'pino';
import { CREDENTIAL_REDACT_PATHS } from './inbox/credentials.js';

export type { Logger };

// One root logger; modules take a child ({ mod }) and messages a grandchild ({ msg_row }).
// Events carry a stable `evt` code so operators can alert on them without parsing text.
const REDACT = [
  'adminKey',
  'secret',
  'verp.secret',
  'config.adminKey',
  'config.verp.secret',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  // API keys, webhook secrets and unsubscribe tokens, wherever a log call might carry one.
  'key',
  'token',
  '*.key',
  '*.secret',
  '*.token',
  '*.authorization',
  // Connected inboxes' passwords and OAuth2 tokens (issue #17).
  'config.inboxes.credentialKey',
  'inboxes.credentialKey',
  ...CREDENTIAL_REDACT_PATHS,
  // Sending providers' endpoint secrets (esp.endpoints; config printing redacts them too).
  'config.esp.endpoints[*].publicKey',
  'config.esp.endpoints[*].signingKey',
  'config.esp.endpoints[*].password',
  'config.esp.endpoints[*].secret',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'bounced' },
      redact: { paths: [...new Set(REDACT)], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

/**
 * smtp-server logs bunyan-style: logger.info({ tnx, cid, ... }, 'format %s', args). It is
 * chatty (every command at info), so its lines go to debug, and its errors to warn (a
 * client's broken connection is not our error).
 */
export function smtpServerLogger(log: Logger) {
  const at =
    (fn: 'debug' | 'warn') =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'object' && args[0] !== null) {
        const [meta, msg, ...rest] = args as [Record<string, unknown>, string, ...unknown[]];
        // Never let a client's words become log keys; keep only what identifies the session.
        log[fn]({ tnx: meta.tnx, cid: meta.cid, host: meta.host }, msg, ...rest);
      } else {
        (log[fn] as (msg: string, ...rest: unknown[]) => void)(String(args[0]), ...args.slice(1));
      }
    };
  return { info: at('debug'), debug: at('debug'), trace: at('debug'), error: at('warn'), warn: at('warn'), fatal: at('warn') };
}
