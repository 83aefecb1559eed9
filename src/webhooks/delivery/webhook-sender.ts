import { createHmac } from 'node:crypto';
import { isIP, LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import type { TargetGuard } from '../target-guard';

/** Signing secrets follow Standard Webhooks (standardwebhooks.com): `whsec_` and base64 of 24 to 64 random bytes. */
export const SECRET_PREFIX = 'whsec_';
export const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

export function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/**
 * The headers of a signed delivery, as Standard Webhooks has them: `webhook-id` (the
 * delivery's id, the same on every retry: a receiver deduplicates on it),
 * `webhook-timestamp` (seconds; a receiver refuses one too far from its clock, so a
 * captured request cannot be replayed later) and `webhook-signature`,
 * `v1,<base64 HMAC-SHA256 over "<id>.<timestamp>.<body>">`.
 */
export function signatureHeaders(secret: string, deliveryId: string, timestampSeconds: number, body: string): Record<string, string> {
  const signature = createHmac('sha256', secretBytes(secret)).update(`${deliveryId}.${timestampSeconds}.${body}`).digest('base64');
  return { 'webhook-id': deliveryId, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${signature}` };
}

export interface SendResult {
  /** The receiver's status; null when no answer came. */
  status: number | null;
  /** Why it failed, in a few words (never the receiver's body). */
  error: string | null;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one delivery. The connection goes only to an address the guard accepts, checked
 * when it is resolved for this very request (a name that re-resolves to a private
 * address after the webhook was made is refused). Redirects are not followed: a 3xx is
 * a failed attempt.
 */
export async function send(guard: TargetGuard, target: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
  const url = new URL(target);
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as unknown as Array<{ address: string; family: number }>;
      const refused = list.find((a) => !guard.check(a.address).ok);
      if (refused) return callback(Object.assign(new Error(`target forbidden: ${hostname} resolves to ${refused.address}`), { code: 'ETARGETFORBIDDEN' }), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
  const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // An address in the URL is connected to as it is, without a lookup: judge it here.
  const verdict = isIP(literal) ? guard.check(literal) : { ok: true as const };
  if (!verdict.ok) return { status: null, error: `target forbidden: ${literal} is a ${verdict.range} address` };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const done = (result: SendResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup,
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'db-addons-webhooks/1', ...headers },
      },
      (response) => {
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        response.on('error', () => undefined);
        response.on('close', () => {
          const status = response.statusCode ?? null;
          const ok = status !== null && status >= 200 && status < 300;
          done({ status, error: ok ? null : `answered ${status}` });
        });
      },
    );
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => done({ status: null, error: describe(error) }));
    request.on('close', () => clearTimeout(timer));
    request.end(body);
  });
}

function describe(error: NodeJS.ErrnoException): string {
  if (error.code === 'ETARGETFORBIDDEN') return error.message;
  if (error.code) return `${error.code}${error.syscall ? ` on ${error.syscall}` : ''}`;
  return error.message.slice(0, 200);
}
