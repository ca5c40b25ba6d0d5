// The authorizer's cache of the issuer's signing keys: what aws-jwt-verify's SimpleJwksCache does
// (dist/cjs/jwk.js), plus an age. SimpleJwksCache keeps a fetched JWKS for the life of the process
// and fetches again only for a kid it lacks, so a key the issuer withdraws keeps verifying until
// the container is recycled. Here a JWKS is used for `ttlMs` after it was fetched; the next token
// then waits for a new fetch (driven by the clock given, so tests can move it).
//
// A failed refresh: the keys fetched last keep verifying for at most one more TTL (an identity
// provider's short outage must not refuse every token), with a new attempt at most every 30
// seconds; after that nothing is cached for the URI, every token is refused with the fetch's
// error, and every request tries again, as before the first fetch.
//
// An unknown kid still fetches at once, subject to aws-jwt-verify's penalty box (one fetch per
// 10 seconds per URI for kids not found).
import { JwksValidationError, JwksNotAvailableInCacheError, JwtWithoutValidKidError, KidNotFoundInJwksError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { assertIsJwks, findJwkInJwks, SimplePenaltyBox } from 'aws-jwt-verify/jwk';
import type { Jwks, JwksCache, JwkWithKid, PenaltyBox } from 'aws-jwt-verify/jwk';
import type { JwtHeader } from 'aws-jwt-verify/jwt-model';
import { safeJsonParse } from 'aws-jwt-verify/safe-json-parse';
import type { Json } from 'aws-jwt-verify/safe-json-parse';

/** While a refresh fails, the cached keys are used and a new attempt waits this long. */
const REFRESH_RETRY_MS = 30_000;

/** Options of {@link ExpiringJwksCache}. */
export interface ExpiringJwksCacheOptions {
  readonly fetcher: Fetcher;
  /** How long a fetched JWKS is used, in milliseconds; a failed refresh extends it by as much at most. */
  readonly ttlMs: number;
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
  /** Default: aws-jwt-verify's SimplePenaltyBox (10 seconds). */
  readonly penaltyBox?: PenaltyBox;
  /** Called after every successful fetch, before any token is verified with its keys. */
  readonly onFetched?: (jwksUri: string, jwks: Jwks) => void;
  /** Called when a refresh fails and the keys fetched last are kept. */
  readonly onRefreshFailed?: (err: unknown) => void;
}

interface Entry {
  readonly jwks: Jwks;
  readonly fetchedAt: number;
  /** Until then the keys are used as they are; from then on a token waits for a refresh. */
  readonly refreshAt: number;
}

export class ExpiringJwksCache implements JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly fetching = new Map<string, Promise<Jwks>>();
  private readonly refreshing = new Map<string, Promise<Jwks>>();
  private readonly penaltyBox: PenaltyBox;

  constructor(private readonly options: ExpiringJwksCacheOptions) {
    this.penaltyBox = options.penaltyBox ?? new SimplePenaltyBox();
  }

  public addJwks(jwksUri: string, jwks: Jwks): void {
    const now = this.options.now();
    this.entries.set(jwksUri, { jwks, fetchedAt: now, refreshAt: now + this.options.ttlMs });
  }

  /** Fetches the JWKS (one request at a time per URI) and caches it. */
  public getJwks(jwksUri: string): Promise<Jwks> {
    let fetching = this.fetching.get(jwksUri);
    if (!fetching) {
      fetching = this.options.fetcher.fetch(jwksUri).then(parseJwks).then((jwks) => {
        this.addJwks(jwksUri, jwks);
        this.options.onFetched?.(jwksUri, jwks);
        return jwks;
      }).finally(() => this.fetching.delete(jwksUri));
      this.fetching.set(jwksUri, fetching);
    }
    return fetching;
  }

  /** The key from the cache, without waiting: throws JwksNotAvailableInCacheError when a fetch is due. */
  public getCachedJwk(jwksUri: string, decomposedJwt: { header: JwtHeader }): JwkWithKid {
    const kid = kidOf(decomposedJwt.header);
    const entry = this.usable(jwksUri);
    if (!entry) throw new JwksNotAvailableInCacheError(`JWKS for uri ${jwksUri} not yet available in cache, or due for a refresh`);
    const jwk = findJwkInJwks(entry.jwks, kid);
    if (!jwk) throw new KidNotFoundInJwksError(`JWK for kid ${kid} not found in the JWKS`);
    return jwk;
  }

  /** The key, after a refresh when the cached keys are too old, or a fetch for a kid they lack. */
  public async getJwk(jwksUri: string, decomposedJwt: { header: JwtHeader }): Promise<JwkWithKid> {
    const kid = kidOf(decomposedJwt.header);
    const entry = this.entries.get(jwksUri);
    if (entry) {
      const fresh = this.usable(jwksUri) !== undefined;
      const jwks = fresh ? entry.jwks : await this.refresh(jwksUri, entry);
      const jwk = findJwkInJwks(jwks, kid);
      if (jwk) return jwk;
      // Just fetched, or just failed to: fetching again for the kid would not help.
      if (!fresh) throw new KidNotFoundInJwksError(`JWK for kid "${kid}" not found in the JWKS`);
    }
    // Nothing cached yet, or a kid the cached keys lack: fetch now, unless the penalty box says wait.
    await this.penaltyBox.wait(jwksUri, kid);
    const jwk = findJwkInJwks(await this.getJwks(jwksUri), kid);
    if (!jwk) {
      this.penaltyBox.registerFailedAttempt(jwksUri, kid);
      throw new KidNotFoundInJwksError(`JWK for kid "${kid}" not found in the JWKS`);
    }
    this.penaltyBox.registerSuccessfulAttempt(jwksUri, kid);
    return jwk;
  }

  /** The cache entry if its keys may be used now without a fetch. */
  private usable(jwksUri: string): Entry | undefined {
    const entry = this.entries.get(jwksUri);
    const now = this.options.now();
    return entry && now < entry.refreshAt && now - entry.fetchedAt < 2 * this.options.ttlMs ? entry : undefined;
  }

  /** A new JWKS; when the fetch fails, the old one while it is less than two TTLs old (concurrent callers share one attempt). */
  private refresh(jwksUri: string, entry: Entry): Promise<Jwks> {
    let refreshing = this.refreshing.get(jwksUri);
    if (!refreshing) {
      refreshing = this.getJwks(jwksUri).catch((err: unknown) => {
        const now = this.options.now();
        if (this.entries.get(jwksUri) !== entry) throw err; // replaced or dropped meanwhile
        if (now - entry.fetchedAt >= 2 * this.options.ttlMs) {
          this.entries.delete(jwksUri); // too old: fail closed until a fetch succeeds
          throw err;
        }
        this.entries.set(jwksUri, { ...entry, refreshAt: now + Math.min(REFRESH_RETRY_MS, this.options.ttlMs) });
        this.options.onRefreshFailed?.(err);
        return entry.jwks;
      }).finally(() => this.refreshing.delete(jwksUri));
      this.refreshing.set(jwksUri, refreshing);
    }
    return refreshing;
  }
}

function kidOf(header: JwtHeader): string {
  if (typeof header.kid !== 'string') throw new JwtWithoutValidKidError('JWT header does not have valid kid claim');
  return header.kid;
}

/** UTF-8, JSON, a JWKS: what aws-jwt-verify's own (unexported) parser checks, with the same errors. */
function parseJwks(body: ArrayBuffer): Jwks {
  let jwks: Json;
  try {
    jwks = safeJsonParse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body));
  } catch {
    throw new JwksValidationError('JWKS could not be parsed as JSON');
  }
  assertIsJwks(jwks);
  return jwks;
}
