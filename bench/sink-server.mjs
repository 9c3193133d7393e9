#!/usr/bin/env node
// A bare smtp-server sink: accepts every message and discards it. The upper bound of what
// bounced's listener can do before it stores anything.
//   --mode prompt  greets at once, through bounced's own subclass (dist/listener/server.js),
//                  i.e. the 100 ms greeting delay removed the same way bounced removes it;
//   --mode stock   plain SMTPServer 3.21 with its fixed 100 ms delay before the greeting.
// Options mirror bounced's listener (no AUTH/STARTTLS, no reverse DNS, same size limit).
import { SMTPServer } from 'smtp-server';
import { BouncedSmtpServer } from '../dist/listener/server.js';
import { parseArgs } from './lib/common.mjs';

const args = parseArgs();
const port = Number(args.port ?? 2611);
const mode = args.mode ?? 'prompt';

const options = {
  name: 'sink.bench.test',
  banner: 'bench sink',
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  size: 31457280,
  maxClients: 200,
  disableReverseLookup: true,
  logger: false,
  // Both decided at once, as bounced's are (smtp-server's defaults answer on a later turn of
  // the event loop, which would also keep pipelined replies apart).
  onMailFrom: (_address, _session, cb) => cb(),
  onRcptTo: (_address, _session, cb) => cb(),
  onData: (stream, _session, cb) => {
    stream.on('data', () => {});
    stream.on('end', () => cb(null, '2.0.0 Ok: discarded'));
  },
};

// No per-client limit and no idle-command limit: the load comes from one loopback client.
const limits = { greetingDelayMs: 0, maxSessionMs: 600000, maxClientsPerIp: 0, clientLimitExceptions: [], maxIdleCommands: Infinity };
const server = mode === 'stock' ? new SMTPServer(options) : new BouncedSmtpServer(options, limits);
server.on('error', (err) => process.stderr.write(`sink: ${err.message}\n`));
server.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${mode} ${port}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
