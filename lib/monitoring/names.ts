import { createHash } from 'crypto';

/**
 * A CloudWatch-safe name (letters, digits, '-' and '_') of at most `max` characters; a longer one
 * keeps its start and end around an 8-character hash, so it stays unique and readable.
 */
export function safeName(name: string, max: number): string {
  const clean = name.replace(/[^A-Za-z0-9_-]+/g, '-');
  if (clean.length <= max) return clean;
  const hash = createHash('sha256').update(clean).digest('hex').slice(0, 8);
  const keep = max - hash.length - 2;
  const head = Math.ceil(keep / 2);
  return `${clean.slice(0, head)}-${hash}-${clean.slice(clean.length - (keep - head))}`;
}
