import { Duration, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { CognitoAuthorizerOptions, JwtAuthorizerOptions } from './authorizer-options';
import { CognitoPlatformAuthorizer, DOMAIN_PREFIX, RESERVED_DOMAIN_WORDS } from './cognito-authorizer';
import { JwtPlatformAuthorizer } from './jwt-authorizer';
import { checkJwtAuthorizerDurations } from './jwt-authorizer-function';
import type { PlatformAuthHooks, PlatformAuthorizer } from '../private/binding';
import type { AuthContract, CognitoAuthContract, JwtAuthContract } from '../private/contract';
import { fmt, PropErrors } from '../private/validation';

/**
 * How every service's API authenticates callers: chosen once on the platform.
 *
 * @example
 * ApiAuthorizer.cognito()                                   // a new, hardened user pool
 * ApiAuthorizer.cognito({ userPool, clients: [webClient] }) // an existing one
 * ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['orders-api'] })
 */
export abstract class ApiAuthorizer {
  /** Cognito user pool tokens, with per-service resource servers and consumer app clients. */
  public static cognito(options: CognitoAuthorizerOptions = {}): ApiAuthorizer {
    return new CognitoApiAuthorizer(options);
  }

  /** Tokens of any OIDC issuer: API Gateway's JWT authorizer (HTTP), a bundled Lambda authorizer (REST). */
  public static jwt(options: JwtAuthorizerOptions): ApiAuthorizer {
    return new JwtApiAuthorizer(options);
  }

  /**
   * The authorizer of a platform of another app, as its contract describes it, bound for the
   * services that join that platform by name: the pool is imported, never created.
   *
   * @internal
   */
  public static _fromContract(scope: Construct, contract: AuthContract, hooks: PlatformAuthHooks): { readonly authorizer: ApiAuthorizer; readonly bound: PlatformAuthorizer } {
    const { kind } = contract;
    if (kind === 'jwt') {
      const j = contract as JwtAuthContract;
      const options: JwtAuthorizerOptions = {
        issuer: j.issuer, audience: j.audience, jwksUri: j.jwksUri, reservedConcurrency: j.reservedConcurrency,
        maxTokenLifetime: j.maxTokenLifetimeMs !== undefined ? Duration.millis(j.maxTokenLifetimeMs) : undefined,
        jwksCacheTtl: j.jwksCacheTtlMs !== undefined ? Duration.millis(j.jwksCacheTtlMs) : undefined,
      };
      return { authorizer: new JwtApiAuthorizer(options), bound: new JwtPlatformAuthorizer(options) };
    }
    const c = contract as CognitoAuthContract;
    const userPool = cognito.UserPool.fromUserPoolArn(scope, 'UserPool', c.userPoolArn);
    const options: CognitoAuthorizerOptions = {
      userPool,
      clients: c.clientIds.map((id, i) => cognito.UserPoolClient.fromUserPoolClientId(scope, `Client${i}`, id)),
      accessTokenValidity: Duration.millis(c.accessTokenValidityMs),
    };
    const bound = new CognitoPlatformAuthorizer(scope, options, hooks, { ownsScopes: c.platformOwnsPool, tokenEndpoint: c.tokenEndpoint });
    return { authorizer: new CognitoApiAuthorizer(options), bound };
  }

  /**
   * Binds the authorizer to one platform. What it creates for that platform (a user pool) lives
   * in the result, so one strategy instance can serve two platforms without sharing a pool.
   *
   * @internal
   */
  public abstract _bindPlatform(platformScope: Construct, hooks: PlatformAuthHooks): PlatformAuthorizer;
}

class CognitoApiAuthorizer extends ApiAuthorizer {
  constructor(private readonly options: CognitoAuthorizerOptions) {
    super();
    const errors = new PropErrors('ApiAuthorizer.cognito');
    if (!options.userPool) {
      if (options.clients !== undefined) errors.add('clients requires userPool (clients of a new user pool do not exist yet), got clients without userPool');
    } else {
      errors.exclusive('userPool', options.userPool, 'domainPrefix', options.domainPrefix, 'a domain is created for a new user pool only');
      errors.exclusive('userPool', options.userPool, 'featurePlan', options.featurePlan, 'the feature plan of an existing pool is its own');
    }
    if (options.domainPrefix !== undefined && !Token.isUnresolved(options.domainPrefix)) {
      errors.text('domainPrefix', options.domainPrefix, DOMAIN_PREFIX, 'lower-case letters, digits and inner hyphens, 1-63 characters');
      if (RESERVED_DOMAIN_WORDS.test(options.domainPrefix)) {
        errors.add(`domainPrefix must not contain "aws", "amazon" or "cognito", got ${fmt(options.domainPrefix)}`);
      }
    }
    errors.seconds('accessTokenValidity', options.accessTokenValidity, 300, 86400);
    errors.throwIfAny();
  }

  public _bindPlatform(platformScope: Construct, hooks: PlatformAuthHooks): PlatformAuthorizer {
    return new CognitoPlatformAuthorizer(platformScope, this.options, hooks);
  }
}

class JwtApiAuthorizer extends ApiAuthorizer {
  constructor(private readonly options: JwtAuthorizerOptions) {
    super();
    const errors = new PropErrors('ApiAuthorizer.jwt');
    errors.text('issuer', options.issuer, /^https:\/\/[^\s/]+(\/\S*)?$/, 'an https URL such as "https://idp.example.com/realms/main"');
    if (!options.audience || options.audience.length === 0) errors.add('audience must list at least one audience, got []');
    (options.audience ?? []).forEach((a, i) => errors.text(`audience[${i}]`, a));
    errors.text('jwksUri', options.jwksUri, /^https:\/\/[^\s/]+(\/\S*)?$/, 'an https URL such as "https://idp.example.com/.well-known/jwks.json"');
    const rc = options.reservedConcurrency;
    if (rc !== undefined && !Token.isUnresolved(rc) && !(Number.isSafeInteger(rc) && rc >= 1)) {
      errors.add(`reservedConcurrency must be a positive integer (0 would throttle every request; the account's limit bounds it above), got ${fmt(rc)}`);
    }
    checkJwtAuthorizerDurations(errors, options);
    errors.throwIfAny();
  }

  public _bindPlatform(): PlatformAuthorizer {
    return new JwtPlatformAuthorizer(this.options);
  }
}
