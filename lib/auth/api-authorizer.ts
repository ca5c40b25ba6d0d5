import { Aws, Duration, Names, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { JwtAuthorizerFunction } from './jwt-authorizer-function';
import { pascal } from '../private/grants';
import { fmt, PropErrors } from '../private/validation';

/** Options of {@link ApiAuthorizer.cognito}. */
export interface CognitoAuthorizerOptions {
  /**
   * An existing user pool to trust instead of creating one. Services still create their resource
   * servers and consumer app clients in it.
   *
   * @default - a new user pool in the platform, hardened (see the README)
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
}

/** What a service asks of the platform's authorizer. */
export interface ServiceAuthorizationRequest {
  /** The service's resource server identifier and scope prefix (`orders` for `orders/read`). */
  readonly resourceServerIdentifier: string;
  /** Every scope the service's routes require. */
  readonly scopes: string[];
  /** Machine callers that get an app client (client credentials) with the given scopes. */
  readonly consumers: Array<{ readonly name: string; readonly scopes: string[] }>;
}

/** What the platform's authorizer gives a service. */
export interface ServiceAuthorization {
  /** The route authorizer of the service's API. */
  readonly authorizer: apigwv2.IHttpRouteAuthorizer;
  /** The service's resource server, when the authorizer is Cognito and the service has scopes. */
  readonly resourceServer?: cognito.UserPoolResourceServer;
  /** One app client per consumer, by consumer name. */
  readonly consumerClients: { [name: string]: cognito.UserPoolClient };
}

/** What a service's REST API asks of the platform's authorizer. */
export interface RestServiceAuthorizationRequest extends ServiceAuthorizationRequest {
  /** Scopes (any of) each authorized method requires, by `<METHOD> <resource path>`; [] for any valid token. */
  readonly methodScopes: { [methodKey: string]: string[] };
  /** How long API Gateway caches a decision. */
  readonly resultsCacheTtl: Duration;
}

/** What the platform's authorizer gives a service's REST API. */
export interface RestServiceAuthorization {
  /** The method authorizer. */
  readonly authorizer: apigateway.IAuthorizer;
  /** The Lambda authorizer, for `ApiAuthorizer.jwt()`. */
  readonly function?: JwtAuthorizerFunction;
  /** The service's resource server, when the authorizer is Cognito and the service has scopes. */
  readonly resourceServer?: cognito.UserPoolResourceServer;
  /** One app client per consumer with scopes, by consumer name. */
  readonly consumerClients: { [name: string]: cognito.UserPoolClient };
}

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

  /** Tokens of any OIDC issuer, checked by API Gateway's JWT authorizer. */
  public static jwt(options: JwtAuthorizerOptions): ApiAuthorizer {
    return new JwtApiAuthorizer(options);
  }

  /** 'cognito' or 'jwt'. */
  public abstract readonly kind: string;

  /** The user pool, for Cognito once a service has needed it. */
  public abstract readonly userPool?: cognito.IUserPool;

  /** Whether the scopes of a service must belong to its own resource server. */
  public abstract readonly ownsScopes: boolean;

  /** The OAuth token endpoint of a user pool this authorizer created, once created. */
  public abstract readonly tokenEndpoint?: string;

  /**
   * Creates, in the service's scope, what the service needs to authorize its routes. Called by
   * `Microservice`; `platformScope` is where shared resources (a new user pool) are created once.
   */
  public abstract authorizeService(platformScope: Construct, serviceScope: Construct, request: ServiceAuthorizationRequest): ServiceAuthorization;

  /**
   * Creates, in the scope of a service's REST API, its method authorizer: Cognito's user-pool
   * authorizer, or for `jwt()` a Lambda authorizer that checks the issuer's tokens and each
   * method's scopes.
   */
  public abstract authorizeRestService(platformScope: Construct, serviceScope: Construct, request: RestServiceAuthorizationRequest): RestServiceAuthorization;
}

const RESERVED_DOMAIN_WORDS = /aws|amazon|cognito/;
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

class CognitoApiAuthorizer extends ApiAuthorizer {
  public readonly kind = 'cognito';
  public readonly ownsScopes: boolean;
  private pool?: cognito.IUserPool;
  private domain?: cognito.UserPoolDomain;

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
    this.pool = options.userPool;
    this.ownsScopes = options.userPool === undefined;
  }

  public get userPool(): cognito.IUserPool | undefined {
    return this.pool;
  }

  public authorizeRestService(platformScope: Construct, serviceScope: Construct, request: RestServiceAuthorizationRequest): RestServiceAuthorization {
    const pool = this.ensurePool(platformScope);
    const { resourceServer, consumerClients } = this.registerService(pool, serviceScope, request);
    const authorizer = new apigateway.CognitoUserPoolsAuthorizer(serviceScope, 'Authorizer', {
      cognitoUserPools: [pool],
      resultsCacheTtl: request.resultsCacheTtl,
    });
    return { authorizer, resourceServer, consumerClients };
  }

  /** The service's resource server and its consumers' app clients. */
  private registerService(pool: cognito.IUserPool, serviceScope: Construct, request: ServiceAuthorizationRequest) {
    const ownScopes = request.scopes.filter((s) => s.startsWith(`${request.resourceServerIdentifier}/`));
    let resourceServer: cognito.UserPoolResourceServer | undefined;
    if (ownScopes.length > 0) {
      resourceServer = new cognito.UserPoolResourceServer(serviceScope, 'ResourceServer', {
        userPool: pool,
        identifier: request.resourceServerIdentifier,
        userPoolResourceServerName: request.resourceServerIdentifier,
        scopes: [...new Set(ownScopes)].sort().map((s) => ({
          scopeName: s.slice(request.resourceServerIdentifier.length + 1),
          scopeDescription: `${s} on the ${request.resourceServerIdentifier} service`,
        })),
      });
    }
    const consumerClients: { [name: string]: cognito.UserPoolClient } = {};
    for (const consumer of request.consumers) {
      consumerClients[consumer.name] = new cognito.UserPoolClient(serviceScope, `Client${pascal(consumer.name)}`, {
        userPool: pool,
        userPoolClientName: `${request.resourceServerIdentifier}-${consumer.name}`,
        generateSecret: true,
        authFlows: {},
        oAuth: {
          flows: { clientCredentials: true },
          scopes: consumer.scopes.map((s) => cognito.OAuthScope.custom(s)),
        },
        accessTokenValidity: this.options.accessTokenValidity ?? Duration.hours(1),
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      });
      // The scopes must exist before a client may be granted them.
      if (resourceServer) consumerClients[consumer.name].node.addDependency(resourceServer);
    }
    return { resourceServer, consumerClients };
  }

  public authorizeService(platformScope: Construct, serviceScope: Construct, request: ServiceAuthorizationRequest): ServiceAuthorization {
    const pool = this.ensurePool(platformScope);
    const { resourceServer, consumerClients } = this.registerService(pool, serviceScope, request);
    const clients = [...Object.values(consumerClients), ...(this.options.clients ?? [])];
    if (clients.length === 0) {
      const errors = new PropErrors(`Microservice '${serviceScope.node.scope?.node.path}'`);
      errors.add('api.consumers must declare at least one caller when routes are authorized by Cognito '
        + '(API Gateway accepts tokens of listed app clients only), or pass clients to ApiAuthorizer.cognito({ userPool, clients }); got no consumer and no client');
      errors.throwIfAny();
    }
    const authorizer = new authorizers.HttpUserPoolAuthorizer('Authorizer', pool, { userPoolClients: clients });
    return { authorizer, resourceServer, consumerClients };
  }

  private ensurePool(platformScope: Construct): cognito.IUserPool {
    if (this.pool) return this.pool;
    const featurePlan = this.options.featurePlan ?? cognito.FeaturePlan.PLUS;
    const pool = new cognito.UserPool(platformScope, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      featurePlan,
      standardThreatProtectionMode: featurePlan === cognito.FeaturePlan.PLUS
        ? cognito.StandardThreatProtectionMode.FULL_FUNCTION : undefined,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (featurePlan !== cognito.FeaturePlan.PLUS) {
      Validations.of(pool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: `The platform owner chose the ${featurePlan} feature plan (ApiAuthorizer.cognito({ featurePlan })); threat protection needs PLUS.`,
      });
    }
    this.domain = pool.addDomain('Domain', {
      cognitoDomain: {
        domainPrefix: this.options.domainPrefix
          ?? `ms-${Names.uniqueId(platformScope).slice(-8).toLowerCase()}-${Aws.ACCOUNT_ID}`,
      },
    });
    this.pool = pool;
    return pool;
  }

  /** The token endpoint of the new user pool's domain. */
  public get tokenEndpoint(): string | undefined {
    return this.domain ? `${this.domain.baseUrl()}/oauth2/token` : undefined;
  }
}

class JwtApiAuthorizer extends ApiAuthorizer {
  public readonly kind = 'jwt';
  public readonly userPool = undefined;
  public readonly ownsScopes = false;
  public readonly tokenEndpoint = undefined;

  constructor(private readonly options: JwtAuthorizerOptions) {
    super();
    const errors = new PropErrors('ApiAuthorizer.jwt');
    errors.text('issuer', options.issuer, /^https:\/\/[^\s/]+(\/\S*)?$/, 'an https URL such as "https://idp.example.com/realms/main"');
    if (!options.audience || options.audience.length === 0) errors.add('audience must list at least one audience, got []');
    (options.audience ?? []).forEach((a, i) => errors.text(`audience[${i}]`, a));
    errors.text('jwksUri', options.jwksUri, /^https:\/\/[^\s/]+(\/\S*)?$/, 'an https URL such as "https://idp.example.com/.well-known/jwks.json"');
    errors.throwIfAny();
  }

  public authorizeRestService(_platformScope: Construct, serviceScope: Construct, request: RestServiceAuthorizationRequest): RestServiceAuthorization {
    const fn = new JwtAuthorizerFunction(serviceScope, 'AuthorizerFunction', {
      issuer: this.options.issuer,
      audience: this.options.audience,
      jwksUri: this.options.jwksUri,
      methodScopes: request.methodScopes,
    });
    const authorizer = new apigateway.RequestAuthorizer(serviceScope, 'Authorizer', {
      handler: fn.function,
      identitySources: [
        apigateway.IdentitySource.header('Authorization'),
        apigateway.IdentitySource.context('httpMethod'),
        apigateway.IdentitySource.context('resourcePath'),
      ],
      resultsCacheTtl: request.resultsCacheTtl,
    });
    return { authorizer, function: fn, consumerClients: {} };
  }

  public authorizeService(_platformScope: Construct, serviceScope: Construct, request: ServiceAuthorizationRequest): ServiceAuthorization {
    if (request.consumers.length > 0) {
      const errors = new PropErrors(`Microservice '${serviceScope.node.scope?.node.path}'`);
      errors.add('api.consumers requires a Cognito authorizer on the platform '
        + `(clients of another issuer are registered there), got ${request.consumers.length} consumer(s) with ApiAuthorizer.jwt`);
      errors.throwIfAny();
    }
    return {
      authorizer: new authorizers.HttpJwtAuthorizer('Authorizer', this.options.issuer, { jwtAudience: this.options.audience }),
      consumerClients: {},
    };
  }
}
