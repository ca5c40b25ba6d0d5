import { Aws, CfnOutput, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { CognitoAuthorizerOptions } from './authorizer-options';
import { checkScopes } from './scopes';
import type {
  ApiAuthRequest, ApiAuthValidation, HttpApiAuthorization, PlatformAuthHooks, PlatformAuthorizer, RestApiAuthorization, RestApiAuthRequest,
} from '../private/binding';
import { pascal } from '../private/names';
import { PropErrors } from '../private/validation';
import type { CognitoAuthContract } from '../private/contract';

export const RESERVED_DOMAIN_WORDS = /aws|amazon|cognito/;
export const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Cognito on one platform: the platform's user pool (brought, or created hardened with the
 * platform), each service's resource server and its consumers' app clients.
 */
export class CognitoPlatformAuthorizer implements PlatformAuthorizer {
  private pool?: cognito.IUserPool;
  private domain?: cognito.UserPoolDomain;
  /** Whether the service scopes live on resource servers of a pool the platform owns. */
  private readonly ownsScopes: boolean;

  /** The token endpoint of a pool the platform created in another app, as its contract says. */
  private readonly importedTokenEndpoint?: string;

  constructor(private readonly platformScope: Construct, private readonly options: CognitoAuthorizerOptions,
    private readonly hooks: PlatformAuthHooks, imported?: { readonly ownsScopes: boolean; readonly tokenEndpoint?: string }) {
    this.pool = options.userPool;
    this.ownsScopes = imported?.ownsScopes ?? options.userPool === undefined;
    this.importedTokenEndpoint = imported?.tokenEndpoint;
    // Created with the platform, not with the first service that needs it: adding a service never
    // changes the platform's stack (and a service of another app could not add it there).
    this.createUserPoolOnce();
  }

  public get userPool(): cognito.IUserPool | undefined {
    return this.pool;
  }

  /** The token endpoint of the new user pool's domain. */
  public get tokenEndpoint(): string | undefined {
    return this.domain ? `${this.domain.baseUrl()}/oauth2/token` : this.importedTokenEndpoint;
  }

  public contract(): CognitoAuthContract {
    const pool = this.createUserPoolOnce();
    const stack = Stack.of(this.platformScope);
    return {
      kind: 'cognito',
      userPoolId: pool.userPoolId,
      userPoolArn: pool.userPoolArn,
      issuer: `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${pool.userPoolId}`,
      tokenEndpoint: this.tokenEndpoint,
      platformOwnsPool: this.ownsScopes,
      clientIds: (this.options.clients ?? []).map((c) => c.userPoolClientId),
      accessTokenValidityMs: (this.options.accessTokenValidity ?? Duration.hours(1)).toMilliseconds(),
    };
  }

  public validateApi(errors: PropErrors, api: ApiAuthValidation): void {
    checkScopes(errors, api, this.ownsScopes);
    const authorized = api.routes.filter((r) => !r.public);
    if (api.rest) {
      for (const r of authorized) {
        if (r.scopes.length === 0) {
          errors.add(`${r.prop}.scopes must list at least one scope on a REST API with a Cognito authorizer (without scopes API Gateway accepts the ID token of any app client of the pool; with them, access tokens carrying a scope), got none; or mark the route public: true`);
        }
      }
      for (const c of api.consumers) {
        if (!c.scopes?.length) {
          errors.add(`${c.prop}.scopes must list at least one scope on a REST API with a Cognito authorizer (the consumer needs an app client to get a token; its API key alone passes no authorized method), got none`);
        }
      }
    } else if (authorized.length > 0 && api.consumers.length === 0 && (this.options.clients ?? []).length === 0) {
      errors.add(`${api.apiProp}.consumers must declare at least one caller when routes are authorized by Cognito `
        + '(API Gateway accepts tokens of listed app clients only), or pass clients to ApiAuthorizer.cognito({ userPool, clients }); got no consumer and no client');
    }
  }

  public authorizeHttpApi(scope: Construct, request: ApiAuthRequest): HttpApiAuthorization {
    const pool = this.createUserPoolOnce();
    const { resourceServer, consumerClients } = this.registerService(pool, scope, request);
    const clients = [...Object.values(consumerClients), ...(this.options.clients ?? [])];
    const authorizer = new authorizers.HttpUserPoolAuthorizer('Authorizer', pool, { userPoolClients: clients });
    return { authorizer, resourceServer, consumerClients };
  }

  public authorizeRestApi(scope: Construct, request: RestApiAuthRequest): RestApiAuthorization {
    const pool = this.createUserPoolOnce();
    const { resourceServer, consumerClients } = this.registerService(pool, scope, request);
    const authorizer = new apigateway.CognitoUserPoolsAuthorizer(scope, 'Authorizer', {
      cognitoUserPools: [pool],
      resultsCacheTtl: request.resultsCacheTtl,
    });
    return { authorizer, resourceServer, consumerClients, checksScopesNatively: true, methodAcknowledgements: [] };
  }

  /** The service's resource server and its consumers' app clients, in the service's scope. */
  private registerService(pool: cognito.IUserPool, scope: Construct, request: ApiAuthRequest) {
    const id = request.serviceName;
    const ownScopes = request.scopes.filter((s) => s.startsWith(`${id}/`));
    let resourceServer: cognito.UserPoolResourceServer | undefined;
    if (ownScopes.length > 0) {
      resourceServer = new cognito.UserPoolResourceServer(scope, 'ResourceServer', {
        userPool: pool,
        identifier: id,
        userPoolResourceServerName: id,
        scopes: [...new Set(ownScopes)].sort().map((s) => ({
          scopeName: s.slice(id.length + 1),
          scopeDescription: `${s} on the ${id} service`,
        })),
      });
      this.hooks.onResourceServerCreated();
    }
    const consumerClients: { [name: string]: cognito.UserPoolClient } = {};
    for (const consumer of request.consumers) {
      const client = new cognito.UserPoolClient(scope, `Client${pascal(consumer.name)}`, {
        userPool: pool,
        userPoolClientName: `${id}-${consumer.name}`,
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
      if (resourceServer) client.node.addDependency(resourceServer);
      consumerClients[consumer.name] = client;
    }
    return { resourceServer, consumerClients };
  }

  /** The platform's user pool: the one brought, or a hardened one created in the platform. */
  private createUserPoolOnce(): cognito.IUserPool {
    if (this.pool) return this.pool;
    const featurePlan = this.options.featurePlan ?? cognito.FeaturePlan.PLUS;
    const pool = new cognito.UserPool(this.platformScope, 'UserPool', {
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
    // Another featurePlan is the platform owner's choice: AwsSolutions-COG8 stays theirs to acknowledge.
    this.domain = pool.addDomain('Domain', {
      cognitoDomain: {
        domainPrefix: this.options.domainPrefix
          ?? `ms-${Names.uniqueId(this.platformScope).slice(-8).toLowerCase()}-${Aws.ACCOUNT_ID}`,
      },
    });
    this.pool = pool;
    // What a caller needs after deploy to get a token (client credentials), without the console.
    new CfnOutput(this.platformScope, 'TokenEndpoint', { value: this.tokenEndpoint!, description: 'OAuth 2.0 token endpoint of the platform\'s user pool' });
    new CfnOutput(this.platformScope, 'UserPoolId', { value: pool.userPoolId, description: 'The platform\'s user pool' });
    this.hooks.onUserPoolCreated(pool);
    return pool;
  }
}
