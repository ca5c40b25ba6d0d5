import { Duration, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';

/**
 * Collects every bad-input finding for one construct and throws once, so a user sees all of
 * them in a single synth run. Every message names the prop path, the allowed values and the
 * value received. Unresolved tokens are skipped: they can only be judged at deploy time.
 */
export class PropErrors {
  private readonly messages: string[] = [];

  constructor(private readonly subject: string) {}

  /** Record a finding that no helper below expresses. */
  public add(message: string): void {
    this.messages.push(message);
  }

  /** `value` must be an integer in [min, max]. */
  public integer(prop: string, value: number | undefined, min: number, max: number): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.add(`${prop} must be an integer between ${min} and ${max}, got ${fmt(value)}`);
    }
  }

  /** `value` must be a number in [min, max]. */
  public range(prop: string, value: number | undefined, min: number, max: number): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isFinite(value) || value < min || value > max) {
      this.add(`${prop} must be between ${min} and ${max}, got ${fmt(value)}`);
    }
  }

  /** A duration in whole seconds within [minSeconds, maxSeconds]. */
  public seconds(prop: string, value: Duration | undefined, minSeconds: number, maxSeconds: number): void {
    if (value === undefined || value.isUnresolved()) return;
    const ms = millis(value);
    if (!Number.isFinite(ms) || ms % 1000 !== 0 || ms < minSeconds * 1000 || ms > maxSeconds * 1000) {
      this.add(`${prop} must be a whole number of seconds between ${minSeconds} and ${maxSeconds}, got ${Number.isFinite(ms) ? `${ms / 1000} s` : String(value)}`);
    }
  }

  /** A duration of whole minutes within [min, max] (ECS's bake times). */
  public minutes(prop: string, value: Duration | undefined, min: number, max: number): void {
    if (value === undefined || value.isUnresolved()) return;
    const ms = millis(value);
    if (!Number.isFinite(ms) || ms % 60000 !== 0 || ms < min * 60000 || ms > max * 60000) {
      this.add(`${prop} must be a whole number of minutes between ${min} and ${max}, got ${Number.isFinite(ms) ? `${ms / 60000} minutes` : String(value)}`);
    }
  }

  /** A log retention: one of CloudWatch Logs' values, as `logs.RetentionDays` names them. */
  public retention(prop: string, value: logs.RetentionDays | undefined): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    const allowed = Object.values(logs.RetentionDays).filter((d): d is number => typeof d === 'number');
    if (!allowed.includes(value)) this.add(`${prop} must be a logs.RetentionDays value (days: ${allowed.join(', ')}), got ${fmt(value)}`);
  }

  /**
   * A duration of whole milliseconds within [minMs, maxMs]; `bounds` says so in the message
   * ("between 1 ms and 1 hour"). NaN, Infinity and fractions of a millisecond are refused here,
   * with the prop named, rather than by Duration's own conversion later.
   */
  public duration(prop: string, value: Duration | undefined, minMs: number, maxMs: number, bounds: string): void {
    if (value === undefined || value.isUnresolved()) return;
    const ms = millis(value);
    if (!Number.isFinite(ms) || !Number.isInteger(ms) || ms < minMs || ms > maxMs) {
      this.add(`${prop} must be ${bounds}${Number.isFinite(ms) && !Number.isInteger(ms) ? ' in whole milliseconds' : ''}, got ${Number.isFinite(ms) ? `${ms} ms` : String(value)}`);
    }
  }

  /** A value the library needs at synthesis: a literal, not a token resolved at deploy time. */
  public literal(prop: string, value: unknown, what: string): void {
    if (value !== undefined && Token.isUnresolved(value)) {
      this.add(`${prop} must be ${what} known at synthesis, not a token resolved at deploy time, got ${Token.asString(value)}`);
    }
  }

  /** `value` must be one of `allowed`. */
  public oneOf<T>(prop: string, value: T | undefined, allowed: readonly T[]): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!allowed.includes(value)) {
      this.add(`${prop} must be one of ${allowed.map(fmt).join(', ')}, got ${fmt(value)}`);
    }
  }

  /** A string that, when given, must be non-empty (after trimming) and match `pattern`. */
  public text(prop: string, value: string | undefined, pattern?: RegExp, describe?: string): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (value.trim() === '') {
      this.add(`${prop} must not be empty, got ${fmt(value)}`);
    } else if (pattern && !pattern.test(value)) {
      this.add(`${prop} must be ${describe ?? `a string matching ${pattern}`}, got ${fmt(value)}`);
    }
  }

  /** Two props that cannot be given together. */
  public exclusive(propA: string, a: unknown, propB: string, b: unknown, why?: string): void {
    if (a !== undefined && b !== undefined) {
      this.add(`${propA} and ${propB} are mutually exclusive${why ? ` (${why})` : ''}: give one or neither, got both`);
    }
  }

  public get count(): number {
    return this.messages.length;
  }

  /** Throw one error listing every finding, if there is any. */
  public throwIfAny(): void {
    if (this.messages.length === 0) return;
    const lines = this.messages.map((m) => `  - ${m}`).join('\n');
    throw new Error(`Invalid props for ${this.subject}:\n${lines}`);
  }
}

/** A duration in milliseconds, NaN when it has none (NaN or Infinity amounts). */
export function millis(value: Duration): number {
  try {
    return value.toMilliseconds({ integral: false });
  } catch {
    return NaN;
  }
}

/** Renders a received value for an error message. */
export function fmt(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(fmt).join(', ')}]`;
  if (value && typeof value === 'object' && 'toString' in value && value.toString !== Object.prototype.toString) {
    return String(value);
  }
  if (value && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Whether dotted numeric `version` (`2.270.0`, `7.2`) is older than `than`; a pre-release suffix is ignored, missing parts count as 0. */
export function versionOlder(version: string, than: string): boolean {
  const parse = (v: string) => v.split('-')[0].split('.').map((n) => Number(n));
  const [a, b] = [parse(version), parse(than)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [x, y] = [a[i] ?? 0, b[i] ?? 0];
    if (x !== y) return x < y;
  }
  return false;
}

