/** A kind of secret recognised in a log line, and what it becomes. */
export interface SecretPattern {
  pattern: RegExp;
  replacement: string;
}

export const REDACTED = '[redacted]';

/**
 * Secrets by their shape, wherever they are in a line (a message, an error's stack, a
 * field): the password of a URL (`postgres://user:[redacted]@host`), a bearer token, our
 * API tokens (`dba_…`), Standard Webhooks secrets (`whsec_…`), and the value of a field
 * named like a secret. Each pattern stops at a quote or a backslash, so a JSON line stays
 * JSON.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  { pattern: /([a-z][a-z0-9+.-]*:\/\/[^\s:@/"\\]*):[^\s@/"\\]+@/gi, replacement: `$1:${REDACTED}@` },
  { pattern: /\b(bearer\s+)[^\s"\\,;]+/gi, replacement: `$1${REDACTED}` },
  { pattern: /\bdba_[A-Za-z0-9_-]{8,}/g, replacement: `dba_${REDACTED}` },
  { pattern: /\bwhsec_[A-Za-z0-9+/=]{8,}/g, replacement: `whsec_${REDACTED}` },
  {
    pattern: /("(?:password|passwd|secret|token|api_?key|authorization|cookie|master_?key|idempotency-key)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
    replacement: `$1"${REDACTED}"`,
  },
];

/** Literal secrets shorter than this are not searched for: they would match ordinary words. */
const MIN_LITERAL_LENGTH = 12;

/**
 * The last line of defence of the logs: a function replacing every secret in a log line,
 * by shape (`patterns`) and by value (`literals`: the process's own secrets, such as
 * ADMIN_TOKEN and MASTER_KEY, also as they appear inside a JSON string).
 */
export function secretRedactor(
  literals: ReadonlyArray<string | undefined> = [],
  patterns: readonly SecretPattern[] = SECRET_PATTERNS,
): (line: string) => string {
  const values = new Set<string>();
  for (const literal of literals) {
    if (literal === undefined || literal.length < MIN_LITERAL_LENGTH) continue;
    values.add(literal);
    values.add(JSON.stringify(literal).slice(1, -1));
  }
  // Longest first: a literal inside another is replaced after it.
  const ordered = [...values].sort((a, b) => b.length - a.length);
  return (line: string) => {
    let out = line;
    for (const value of ordered) if (out.includes(value)) out = out.split(value).join(REDACTED);
    for (const { pattern, replacement } of patterns) out = out.replace(pattern, replacement);
    return out;
  };
}
