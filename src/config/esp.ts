// The `esp.*` block of the configuration (issue #19): endpoints of sending providers' signed
// events (src/esp/intake.ts EndpointConfig), one per provider and account, each with its own
// secret. Endpoints are read from the config file only (an array of objects has no
// environment form); each secret may instead come from a file named beside it
// (`publicKeyFile`, `signingKeyFile`, `passwordFile`, `secretFile`), read by resolveEspSecrets.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { EndpointConfig } from '../esp/intake.js';
import { ConfigError } from './errors.js';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, - or _');
const account = z.string().min(1).max(200).nullable().optional();
const window = z.number().int().min(1).max(86_400).optional();

const endpoint = z.discriminatedUnion('provider', [
  z
    .object({
      provider: z.literal('ses'), id, account,
      topics: z.array(z.string()).min(1),
      certHosts: z.array(z.string()).min(1).optional(),
      autoConfirm: z.boolean().optional(),
    })
    .strict(),
  z.object({ provider: z.literal('sendgrid'), id, account, publicKey: z.string().optional(), publicKeyFile: z.string().optional(), replayWindowSeconds: window }).strict(),
  z.object({ provider: z.literal('mailgun'), id, account, signingKey: z.string().optional(), signingKeyFile: z.string().optional(), replayWindowSeconds: window }).strict(),
  z
    .object({
      provider: z.literal('postmark'), id, account,
      username: z.string().min(1),
      password: z.string().optional(),
      passwordFile: z.string().optional(),
      secret: z.string().optional(),
      secretFile: z.string().optional(),
      secretHeader: z.string().nullable().optional(),
    })
    .strict(),
]);
export type EspEndpointSetting = z.infer<typeof endpoint>;

export const espConfigSchema = z
  .object({
    /** Endpoints of providers' signed events: POST /v1/esp/<provider>/<id> (src/esp/README.md). */
    endpoints: z.array(endpoint).default([]),
    /** Name of the signed tag in SES message tags, SendGrid custom args, Mailgun user variables, Postmark metadata. */
    tagName: z.string().min(1).default('bounced_tag'),
    /** Header carrying the tag in SES's mail.headers. */
    tagHeader: z.string().min(1).default('X-Bounced-Tag'),
    /** SNS signing certificates kept in memory. */
    certCacheEntries: z.number().int().positive().default(32),
    /** How long a fetched SNS certificate is kept. */
    certCacheTtlMs: z.number().int().positive().default(24 * 3_600_000),
    /** Mailgun tokens remembered per endpoint (replays refused within the window). */
    maxTokens: z.number().int().positive().default(200_000),
  })
  .strict()
  .prefault({});

/** The fields of an endpoint that are secrets (redacted in logs and `config print`). */
const SECRET_FIELDS = ['publicKey', 'signingKey', 'password', 'secret'] as const;

function fromFile(where: string, field: string, value: string | undefined, file: string | undefined): string {
  if (value !== undefined && file !== undefined) throw new ConfigError(`${where}: give ${field} or ${field}File, not both`);
  if (file === undefined) {
    if (value === undefined) throw new ConfigError(`${where}: ${field} (or ${field}File) is required`);
    return value;
  }
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${where}: ${field}File: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The endpoints as src/esp/intake.ts takes them, their secrets read from their files. */
export function resolveEspSecrets(endpoints: readonly EspEndpointSetting[]): EndpointConfig[] {
  return endpoints.map((e): EndpointConfig => {
    const where = `esp.endpoints ${JSON.stringify(e.id)}`;
    switch (e.provider) {
      case 'ses':
        return e;
      case 'sendgrid': {
        const { publicKeyFile, ...rest } = e;
        return { ...rest, publicKey: fromFile(where, 'publicKey', e.publicKey, publicKeyFile) };
      }
      case 'mailgun': {
        const { signingKeyFile, ...rest } = e;
        return { ...rest, signingKey: fromFile(where, 'signingKey', e.signingKey, signingKeyFile) };
      }
      case 'postmark': {
        const { passwordFile, secretFile, ...rest } = e;
        return { ...rest, password: fromFile(where, 'password', e.password, passwordFile), secret: fromFile(where, 'secret', e.secret, secretFile) };
      }
    }
  });
}

/** Endpoints with their secrets replaced by "[redacted]" (file names are kept: they are no secret). */
export function redactEspEndpoints(endpoints: readonly EspEndpointSetting[]): EspEndpointSetting[] {
  return endpoints.map((e) => {
    const copy = { ...e } as Record<string, unknown>;
    for (const f of SECRET_FIELDS) if (typeof copy[f] === 'string' && copy[f]) copy[f] = '[redacted]';
    return copy as EspEndpointSetting;
  });
}
