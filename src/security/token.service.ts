import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ConcurrencyError, EventStore, NewEvent, StoredEvent } from '../event-store/event-store.port';
import type { CommandContext } from '../shared/cqrs/command-context';
import { DomainError } from '../shared/domain/domain-error';
import { isRole, Principal, Role } from './principal';
import { TOKEN_ISSUED_SCHEMA_VERSION, TOKEN_STREAM_CATEGORY, TokenIssued } from './token.events';

/** What a subject may be: a name, an email, a component (`platform:scheduler`). */
export const SUBJECT_PATTERN = /^[A-Za-z0-9._@:-]{1,128}$/;
/** What `authenticate` even looks up: a token travels in a header, so visible ASCII only. */
const TOKEN_SHAPE = /^[\x21-\x7E]{24,512}$/;
const TOKEN_PREFIX = 'dba_';

export interface IssuedToken {
  /** The bearer token itself. Shown once to whoever asked for it; never stored or logged. */
  value: string;
  role: Role;
  subject: string;
  tokenId: string;
  createdAt: Date;
  /** Global position of the TokenIssued event. */
  position: bigint;
}

export interface TokenServiceOptions {
  now?: () => Date;
  /** How long a known token is trusted without reading its stream again. */
  positiveTtlMs?: number;
  /** How long an unknown token is remembered as unknown (spares the store a flood of bad tokens). */
  negativeTtlMs?: number;
  maxCacheEntries?: number;
}

export const TOKEN_SERVICE_OPTIONS = Symbol('TokenServiceOptions');

/** The stream of a token: its SHA-256, never the token. */
export const tokenStream = (token: string): string =>
  `${TOKEN_STREAM_CATEGORY}-${createHash('sha256').update(token, 'utf8').digest('hex')}`;

interface CacheEntry {
  principal: Principal | null;
  expiresAt: number;
}

/**
 * Bearer tokens, kept as events in the event store, so they hold on either backend and
 * are shared by every process of the platform. A token is looked up by its hash, and the
 * answer cached briefly in memory (keyed by the hash, so the cache holds no plaintext).
 */
@Injectable()
export class TokenService {
  private readonly now: () => Date;
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxCacheEntries: number;
  private readonly cache = new Map<string, CacheEntry>();
  /** Concurrent lookups of one token share one read. */
  private readonly reading = new Map<string, Promise<Principal | null>>();

  constructor(
    private readonly store: EventStore,
    @Optional() @Inject(TOKEN_SERVICE_OPTIONS) options: TokenServiceOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.positiveTtlMs = options.positiveTtlMs ?? 60_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 5_000;
    this.maxCacheEntries = options.maxCacheEntries ?? 10_000;
  }

  /** A new random token for `role:subject`. The returned `value` is its only copy. */
  async issue(request: { role: Role; subject: string }, context: CommandContext): Promise<IssuedToken> {
    checkRequest(request);
    const value = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const issued = await this.append(value, request, context);
    return { value, ...issued };
  }

  /**
   * Makes a token chosen by the operator (`ADMIN_TOKEN`) valid for `role:subject`, once:
   * a restart, or several processes starting together, find it there. A token already
   * registered with another role is refused rather than silently re-purposed.
   * @returns whether this call created it.
   */
  async register(value: string, request: { role: Role; subject: string }, context: CommandContext): Promise<'created' | 'existing'> {
    checkRequest(request);
    if (!TOKEN_SHAPE.test(value)) throw new DomainError('TOKEN.INVALID', 'A token is 24 to 512 visible ASCII characters.');
    const existing = await this.principalFromStore(tokenStream(value));
    if (existing === null) {
      try {
        await this.append(value, request, context);
        return 'created';
      } catch (error) {
        // Another process registered it between our read and our append.
        if (!(error instanceof ConcurrencyError)) throw error;
      }
    }
    const stored = existing ?? (await this.principalFromStore(tokenStream(value)));
    if (stored?.role !== request.role) {
      throw new DomainError(
        'TOKEN.ROLE_MISMATCH',
        `This token is already registered with the role ${stored?.role ?? 'unknown'}, not ${request.role}: choose another token.`,
      );
    }
    return 'existing';
  }

  /** The caller behind a bearer token, or null for a malformed or unknown token. */
  async authenticate(token: string): Promise<Principal | null> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return null;
    const stream = tokenStream(token);
    const cached = this.cache.get(stream);
    if (cached && cached.expiresAt > this.now().getTime()) return cached.principal;

    let pending = this.reading.get(stream);
    if (!pending) {
      pending = this.principalFromStore(stream).finally(() => this.reading.delete(stream));
      this.reading.set(stream, pending);
    }
    const principal = await pending;
    this.remember(stream, principal);
    return principal;
  }

  private async append(value: string, { role, subject }: { role: Role; subject: string }, context: CommandContext) {
    const createdAt = this.now();
    const tokenId = randomUUID();
    const event: NewEvent<TokenIssued['type'], TokenIssued['data']> = {
      id: randomUUID(),
      type: 'TokenIssued',
      data: { role, subject, tokenId },
      metadata: {
        $correlationId: context.correlationId,
        $causationId: context.causationId,
        actor: context.actor,
        occurredAt: createdAt.toISOString(),
        schemaVersion: TOKEN_ISSUED_SCHEMA_VERSION,
      },
    };
    const stream = tokenStream(value);
    const { position } = await this.store.append(stream, [event], { expectedRevision: 'no_stream' });
    // This process answers the new token at once, even if it was just cached as unknown.
    this.remember(stream, { role, subject });
    return { role, subject, tokenId, createdAt, position };
  }

  /** Folds the token's stream. Unknown events are skipped, so later ones (a revocation) can be added. */
  private async principalFromStore(stream: string): Promise<Principal | null> {
    const events: StoredEvent[] = await this.store.readStream(stream);
    let principal: Principal | null = null;
    for (const event of events) {
      if (event.type === 'TokenIssued') {
        const { role, subject } = event.data as Partial<TokenIssued['data']>;
        principal = isRole(role) && typeof subject === 'string' && SUBJECT_PATTERN.test(subject) ? { role, subject } : null;
      }
    }
    return principal;
  }

  private remember(stream: string, principal: Principal | null): void {
    const ttl = principal ? this.positiveTtlMs : this.negativeTtlMs;
    this.cache.delete(stream);
    // Bounded: the oldest entry goes first (a Map iterates in insertion order).
    if (this.cache.size >= this.maxCacheEntries) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(stream, { principal, expiresAt: this.now().getTime() + ttl });
  }
}

function checkRequest({ role, subject }: { role: unknown; subject: unknown }): void {
  const fields = [
    ...(isRole(role) ? [] : [{ field: 'role', messages: ['role must be one of owner, support, platform, admin'] }]),
    ...(typeof subject === 'string' && SUBJECT_PATTERN.test(subject)
      ? []
      : [{ field: 'subject', messages: ['subject must be 1 to 128 characters of A-Z a-z 0-9 . _ @ : -'] }]),
  ];
  if (fields.length > 0) throw new DomainError('VALIDATION.FAILED', 'The token request is invalid.', { fields });
}
