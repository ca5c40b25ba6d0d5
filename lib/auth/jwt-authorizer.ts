import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { JwtAuthorizerOptions } from './authorizer-options';
import { JwtAuthorizerFunction } from './jwt-authorizer-function';
import { checkScopes } from './scopes';
import type { ApiAuthValidation, HttpApiAuthorization, PlatformAuthorizer, RestApiAuthorization, RestApiAuthRequest } from '../private/binding';
import { createLogGroup } from '../private/log-groups';
import { fmt, PropErrors } from '../private/validation';
import type { JwtAuthContract } from '../private/contract';

/**
 * An outside OIDC issuer on one platform: API Gateway's JWT authorizer on HTTP APIs, the bundled
 * Lambda authorizer on REST APIs. Its clients are registered at the issuer, never here.
 */
export class JwtPlatformAuthorizer implements PlatformAuthorizer {
  public readonly userPool = undefined;
  public readonly tokenEndpoint = undefined;

  constructor(private readonly options: JwtAuthorizerOptions) {}

  public contract(): JwtAuthContract {
    const o = this.options;
    return {
      kind: 'jwt', issuer: o.issuer, audience: o.audience, jwksUri: o.jwksUri, reservedConcurrency: o.reservedConcurrency,
      maxTokenLifetimeMs: o.maxTokenLifetime?.toMilliseconds(), jwksCacheTtlMs: o.jwksCacheTtl?.toMilliseconds(),
    };
  }

  public validateApi(errors: PropErrors, api: ApiAuthValidation): void {
    checkScopes(errors, api, false);
    if (!api.rest && api.consumers.length > 0) {
      errors.add(`${api.apiProp}.consumers requires a Cognito authorizer on the platform `
        + `(clients of another issuer are registered there), got ${api.consumers.length} consumer(s) with ApiAuthorizer.jwt`);
    }
    if (api.rest) {
      for (const c of api.consumers) {
        if (c.scopes !== undefined) {
          errors.add(`${c.prop}.scopes requires a Cognito authorizer on the platform (clients of another issuer are registered there; a REST consumer of ApiAuthorizer.jwt gets an API key and usage plan only), got ${fmt(c.scopes)}`);
        }
      }
    }
  }

  public authorizeHttpApi(): HttpApiAuthorization {
    return {
      authorizer: new authorizers.HttpJwtAuthorizer('Authorizer', this.options.issuer, { jwtAudience: this.options.audience }),
      consumerClients: {},
    };
  }

  public authorizeRestApi(scope: Construct, request: RestApiAuthRequest): RestApiAuthorization {
    const fn = new JwtAuthorizerFunction(scope, 'Function', {
      issuer: this.options.issuer,
      audience: this.options.audience,
      jwksUri: this.options.jwksUri,
      methodScopes: request.methodScopes,
      // Named by the library, so that the stack's log key may name it.
      logGroup: createLogGroup(scope, 'FunctionLogs', request.logs, { defaultRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN }),
      reservedConcurrentExecutions: this.options.reservedConcurrency,
      maxTokenLifetime: this.options.maxTokenLifetime,
      jwksCacheTtl: this.options.jwksCacheTtl,
    });
    const authorizer = new apigateway.RequestAuthorizer(scope, 'Authorizer', {
      handler: fn.function,
      identitySources: [
        apigateway.IdentitySource.header('Authorization'),
        apigateway.IdentitySource.context('httpMethod'),
        apigateway.IdentitySource.context('resourcePath'),
      ],
      resultsCacheTtl: request.resultsCacheTtl,
    });
    // The invoke permission aws-cdk-lib adds for the authorizer (under the function).
    Validations.of(fn.function).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
      reason: 'Only apigateway.amazonaws.com may invoke, and only for this authorizer: its SourceArn is the authorizer\'s ARN, built with Fn::Join, which the rule does not read as a literal.',
    });
    return {
      authorizer,
      function: fn,
      consumerClients: {},
      checksScopesNatively: false,
      methodAcknowledgements: [{
        id: 'AwsSolutions-COG4',
        reason: 'The platform trusts a non-Cognito OIDC issuer (ApiAuthorizer.jwt); a Lambda authorizer checks its tokens\' signature, issuer, audience, lifetime and the method\'s scopes.',
      }],
    };
  }
}
