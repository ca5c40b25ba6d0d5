import { Duration } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';

/** Options of {@link ApiAuthorizer.cognito}. */
export interface CognitoAuthorizerOptions {
  /**
   * An existing user pool to trust instead of creating one. Services still create their resource
   * servers and consumer app clients in it.
   *
   * @default - a new user pool in the platform, hardened (docs/api.md, Authorizers)
   */
  readonly userPool?: cognito.IUserPool;

  /**
   * App clients of `userPool` whose tokens every service's API accepts, besides each service's
   * own consumers (a web or mobile client, for example). Only with `userPool`.
   *
   * @default - none
   */
  readonly clients?: cognito.IUserPoolClient[];

  /**
   * Prefix of the new user pool's Cognito domain, which serves the OAuth token endpoint
   * (`https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token`): lower-case letters, digits
   * and hyphens, not containing "aws", "amazon" or "cognito". Only without `userPool`.
   *
   * @default - `ms-<hash of the platform path>-<account id>`
   */
  readonly domainPrefix?: string;

  /**
   * Feature plan of the new user pool. PLUS turns on threat protection (compromised credentials,
   * adaptive authentication) in full-function mode. Only without `userPool`.
   *
   * @default cognito.FeaturePlan.PLUS
   */
  readonly featurePlan?: cognito.FeaturePlan;

  /**
   * Lifetime of access tokens issued to service consumers, 5 minutes to 1 day.
   *
   * @default Duration.hours(1)
   */
  readonly accessTokenValidity?: Duration;
}

/** Options of {@link ApiAuthorizer.jwt}. */
export interface JwtAuthorizerOptions {
  /** The issuer URL (`iss` claim), https. Its OIDC discovery document must be public. */
  readonly issuer: string;
  /** Accepted audiences (`aud` claim, or `client_id` when a token has no `aud`). At least one. */
  readonly audience: string[];
  /**
   * The issuer's JWKS URL, https (REST APIs: the Lambda authorizer fetches it). HTTP APIs always
   * use the issuer's OIDC discovery document.
   *
   * @default - `jwks_uri` of the issuer's OIDC discovery document, read once per authorizer container
   */
  readonly jwksUri?: string;

  /**
   * Concurrent executions reserved for each REST API's Lambda authorizer, a positive integer: they are
   * guaranteed to it whatever else runs in the account, and cap it, so a flood of bad tokens
   * cannot take the concurrency of the account's other functions. Lambda keeps at least 100 of
   * the account's concurrency unreserved, so the sum over all functions must stay below the
   * account's limit minus 100 (Lambda guide, "Configuring reserved concurrency"). HTTP APIs
   * check JWTs in API Gateway and have no function.
   *
   * @default - none reserved: each authorizer shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;

  /**
   * Longest token lifetime each REST API's Lambda authorizer accepts, whole seconds from 1 minute
   * to 7 days: `exp - iat`, or from now to `exp` for a token without `iat`. A longer-lived token is
   * refused (401) whatever the issuer granted, which bounds how long a leaked token stays usable.
   * HTTP APIs check JWTs in API Gateway, which sets no such limit.
   *
   * @default Duration.hours(24)
   */
  readonly maxTokenLifetime?: Duration;

  /**
   * How long each REST API's Lambda authorizer uses the signing keys it fetched before it fetches
   * the issuer's JWKS again, whole seconds from 1 minute to 1 day: a key the issuer withdraws stops
   * verifying within this time (a token with a new `kid` has the keys fetched at once, whatever
   * their age). When that fetch fails, the keys fetched last keep verifying for as long again at
   * most; then every token is refused until a fetch succeeds. HTTP APIs: API Gateway fetches the
   * issuer's keys itself.
   *
   * @default Duration.minutes(10)
   */
  readonly jwksCacheTtl?: Duration;
}
