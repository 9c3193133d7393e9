#!/usr/bin/env node
// The pre-send check's baseline (issue #20: ">= 0.7x a constant fastify route in the same run"):
// the same fastify as bounced's, one process, the same URL shape as GET /v1/suppressions/:address,
// answering a constant decision through a response schema (fast serialisation, like the daemon's
// route): no auth, no rate limit, no SQL. What an HTTP API on this machine and Node costs at best.
//
//   node bench/constant-route.mjs --port 2643
import Fastify from 'fastify';
import { parseArgs } from './lib/common.mjs';

const port = Number(parseArgs().port ?? 2643);
const app = Fastify({ logger: false });
const decision = {
  type: 'object',
  properties: { address: { type: 'string' }, allowed: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } } },
};
app.get('/v1/suppressions/:address', { schema: { response: { 200: decision } } }, async (req) => ({ address: req.params.address, allowed: true, reasons: [] }));
await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
