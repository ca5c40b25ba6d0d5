import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ApiIntegration, ApiIntegrationTarget } from './api-integration';
import { ApiAuthorizer } from '../auth/api-authorizer';
import { ServiceApiBase } from './service-api-base';
import { countThrottledRequests } from '../private/api-metrics';
import { DEFAULT_ROUTES, DEFAULT_THROTTLE, validateApiProps } from '../private/api-validation';

/**
 * The API Gateway flavour of a service's front door. The README compares them.
 */
export enum ApiType {
  /** HTTP API: native JWT authorizer, per-route throttling, Cloud Map or load-balancer integration. About a third of REST's price. */
  HTTP = 'HTTP',
  /** REST API: usage plans and API keys, per-method throttling, WAF, stage caching; integration through an internal ALB. */
  REST = 'REST',
}

/** Steady-state rate and burst of requests. */
export interface ThrottleSettings {
  /** Steady-state requests per second, 0 to 10000 (API Gateway's default account quota). */
  readonly rateLimit: number;
  /** Burst of requests, 0 to 5000 (API Gateway's default account burst quota). */
  readonly burstLimit: number;
}

/** One route of a service's API. */
export interface ApiRoute {
  /** Path, starting with '/': `/orders`, `/orders/{id}`, `/orders/{proxy+}`. */
  readonly path: string;
  /**
   * HTTP methods of the route.
   *
   * @default [apigwv2.HttpMethod.ANY]
   */
  readonly methods?: apigwv2.HttpMethod[];
  /**
   * OAuth scopes of which a token must carry at least one. With `ApiAuthorizer.cognito()` each
   * scope is `<service>/<name>` and is created on the service's own resource server.
   *
   * @default - any valid token of an accepted client
   */
  readonly scopes?: string[];
  /**
   * Serve the route without an authorizer. Every other route is authorized; a route without an
   * authorizer that is not marked public fails synthesis.
   *
   * @default false
   */
  readonly public?: boolean;
  /**
   * Throttling of this route, overriding the API's `throttle`.
   *
   * @default - the API's `throttle`
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Serve this route's GET responses from the stage cache (REST with `cache` only). Only GET
   * methods are ever cached: a route with ANY is not. The cache key holds only path parameters,
   * the caller's token and `cacheKeyQueryStrings`: a GET route whose answer depends on another
   * query string or header must list it there or set `cache: false`.
   *
   * @default - true for a GET method when the API has `cache`
   */
  readonly cache?: boolean;
  /**
   * Query strings that are part of the cache key (REST with `cache` only). Path parameters and,
   * on authorized routes, the Authorization header always are: a cached answer is never served
   * to another caller or for another resource.
   *
   * @default - none: responses are cached regardless of query strings
   */
  readonly cacheKeyQueryStrings?: string[];
}

/** A request quota of a REST consumer's usage plan. */
export interface ConsumerQuota {
  /** Requests allowed per period, at least 1. */
  readonly limit: number;
  /**
   * The period.
   *
   * @default apigateway.Period.DAY
   */
  readonly period?: apigateway.Period;
}

/**
 * A machine caller of a service's API. With Cognito it gets its own app client (OAuth client
 * credentials) with `scopes`; on a REST API it also gets an API key and a usage plan.
 */
export interface ApiConsumer {
  /** Name of the caller: lower-case letters, digits and hyphens (`checkout`). */
  readonly name: string;
  /**
   * Scopes the caller may request: each must be required by one of the service's routes.
   * Required on HTTP APIs (the app client is the consumer); on REST, a consumer without scopes
   * gets an API key and usage plan only, and with `ApiAuthorizer.jwt` scopes are not allowed
   * (that issuer registers its own clients).
   *
   * @default - none (REST only)
   */
  readonly scopes?: string[];
  /**
   * Steady-state requests per second of the consumer's usage plan, 0 to 10000 (REST only).
   *
   * @default - the API's `throttle.rateLimit`
   */
  readonly rateLimit?: number;
  /**
   * Burst of the consumer's usage plan, 0 to 5000 (REST only).
   *
   * @default - the API's `throttle.burstLimit`
   */
  readonly burstLimit?: number;
  /**
   * Request quota of the consumer's usage plan (REST only).
   *
   * @default - no quota
   */
  readonly quota?: ConsumerQuota;
  /**
   * Secret holding the consumer's API key value (20 to 128 letters and digits, unique), referenced
   * from the template, never copied into it (REST only). CloudFormation reads it when the key is
   * created or updated: rotating the secret alone does not change the key.
   *
   * @default - API Gateway generates the value: read it with `aws apigateway get-api-key --api-key <id> --include-value`
   */
  readonly apiKeySecret?: secretsmanager.ISecret;
  /**
   * JSON field of `apiKeySecret` that holds the value.
   *
   * @default - the whole secret string
   */
  readonly apiKeySecretField?: string;
}

/** The web ACL of a REST API's stage. */
export interface RestApiWafOptions {
  /**
   * Requests one client IP may make per `rateLimitWindow` before the web ACL blocks it, 10 to
   * 2,000,000,000.
   *
   * @default 1000
   */
  readonly rateLimitPerIp?: number;
  /**
   * The window of `rateLimitPerIp`: 1, 2, 5 or 10 minutes.
   *
   * @default Duration.minutes(5)
   */
  readonly rateLimitWindow?: Duration;
  /**
   * AWS managed rule groups, in order, evaluated after the rate rule.
   *
   * @default ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']
   */
  readonly managedRuleGroups?: string[];
  /**
   * Rules of the managed groups that only count their matches instead of blocking, by group.
   * `SizeRestrictions_BODY` of the common rule set blocks request bodies over 8 KB, which many
   * APIs accept, so it counts by default; give `{}` to let every rule block.
   *
   * @default { AWSManagedRulesCommonRuleSet: ['SizeRestrictions_BODY'] }
   */
  readonly countRules?: { [group: string]: string[] };
  /**
   * Count instead of block: every rule only counts its matches (to try the web ACL on live
   * traffic first).
   *
   * @default false
   */
  readonly countOnly?: boolean;
}

/** The stage cache of a REST API. */
export interface RestApiCacheOptions {
  /**
   * How long a response stays cached, 0 to 3600 seconds.
   *
   * @default Duration.minutes(5)
   */
  readonly ttl?: Duration;
  /**
   * Cache size in GB: '0.5', '1.6', '6.1', '13.5', '28.4', '58.2', '118' or '237'.
   *
   * @default '0.5'
   */
  readonly size?: string;
}

/** The API Gateway front door of a `Microservice`. */
export interface MicroserviceApiOptions {
  /**
   * The API Gateway flavour: an HTTP API, or a REST API for usage plans and API keys, WAF and
   * stage caching.
   *
   * @default ApiType.HTTP
   */
  readonly type?: ApiType;
  /**
   * Routes of the API.
   *
   * @default - one authorized catch-all route: ANY /{proxy+}
   */
  readonly routes?: ApiRoute[];
  /**
   * Throttling of every route that has none of its own.
   *
   * @default - { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * How requests reach the tasks. REST APIs reach them through an internal load balancer only.
   *
   * @default - ApiIntegration.cloudMap() on HTTP, ApiIntegration.loadBalancer() on REST
   */
  readonly integration?: ApiIntegration;
  /**
   * Machine callers, each given an app client with the client credentials flow (Cognito only).
   *
   * @default - none
   */
  readonly consumers?: ApiConsumer[];
  /**
   * How long API Gateway waits for the service, 50 ms to 30 s on HTTP, 50 ms to 29 s on REST
   * (each flavour's default maximum).
   *
   * @default - the maximum: 30 s on HTTP, 29 s on REST
   */
  readonly timeout?: Duration;
  /**
   * CORS preflight handling.
   *
   * @default - none
   */
  readonly cors?: apigwv2.CorsPreflightOptions;
  /**
   * Base path of the service on the platform's custom domain (`https://api.example.com/orders`).
   * Needs `apiDomain` on the platform.
   *
   * @default - the service's discovery name
   */
  readonly basePath?: string;
  /**
   * Retention of the access log.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Turn off the default `execute-api` endpoint, so the custom domain is the only way in.
   *
   * @default - true when the platform has an `apiDomain`, false otherwise
   */
  readonly disableExecuteApiEndpoint?: boolean;
  /**
   * Name of the REST API's stage, the first path segment of the execute-api URL (REST only).
   *
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * A WAF web ACL on the stage (REST only): a rate-based rule per client IP, then AWS managed
   * rule groups, each with CloudWatch metrics.
   *
   * @default - no web ACL
   */
  readonly waf?: RestApiWafOptions;
  /**
   * A stage cache for GET routes, each unless it says `cache: false` (REST only).
   *
   * @default - no cache
   */
  readonly cache?: RestApiCacheOptions;
  /**
   * X-Ray tracing of the stage (REST only).
   *
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Execution logs of the stage (REST only). They can record request headers, so they stay off
   * unless asked for; the access log records every request either way.
   *
   * @default apigateway.MethodLoggingLevel.OFF
   */
  readonly executionLogLevel?: apigateway.MethodLoggingLevel;
  /**
   * How long API Gateway caches an authorizer's decision for a token and route, 0 (off) to
   * 3600 seconds (REST only). A cached Allow outlives the token's expiry or revocation by up to
   * this long.
   *
   * @default Duration.minutes(1)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Whether authorized routes require an API key of one of the consumers (REST only). Public
   * routes never do.
   *
   * @default - true when the API has consumers
   */
  readonly requireApiKey?: boolean;
}

/** What the API needs of the service and the platform. */
export interface MicroserviceApiProps extends MicroserviceApiOptions {
  /** Name of the service: scope prefix, resource server identifier, default base path. */
  readonly serviceName: string;
  /** The platform's authorizer. */
  readonly authorizer: ApiAuthorizer;
  /** Where the platform's shared resources are created (a new user pool). */
  readonly platformScope: Construct;
  /** The platform's custom domain, if any. */
  readonly domainName?: apigwv2.IDomainName;
  /** The integration target. */
  readonly target: ApiIntegrationTarget;
}


/** The JSON access log format of every stage: one line per request. */
export const ACCESS_LOG_FORMAT: { [field: string]: string } = {
  requestId: '$context.requestId',
  apiId: '$context.apiId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
  errorResponseType: '$context.error.responseType',
  principal: '$context.authorizer.claims.sub',
  clientId: '$context.authorizer.claims.client_id',
  authorizerError: '$context.authorizer.error',
};


export { METRIC_NAMESPACE } from '../private/api-metrics';

/**
 * A service's own HTTP API and `$default` stage: routes authorized by the platform's authorizer,
 * stage and per-route throttling, JSON access logs, a private integration through the platform's
 * VPC link and, when the platform has a custom domain, an API mapping on it.
 */
export class MicroserviceApi extends ServiceApiBase {
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage. */
  public readonly stage: apigwv2.HttpStage;
  /** The access log group. */
  public readonly accessLogGroup: logs.LogGroup;
  /** The route authorizer, unless every route is public. */
  public readonly authorizer?: apigwv2.IHttpRouteAuthorizer;
  /** The service's Cognito resource server, when it declares scopes on a Cognito authorizer. */
  public readonly resourceServer?: cognito.UserPoolResourceServer;
  /** The consumers' app clients, by consumer name. */
  public readonly consumerClients: { [name: string]: cognito.UserPoolClient };
  /** The routes, by route key (`GET /orders`). */
  public readonly routes: { [routeKey: string]: apigwv2.HttpRoute } = {};
  /** The internal load balancer, with `ApiIntegration.loadBalancer()`. */
  public readonly loadBalancer?: elbv2.ApplicationLoadBalancer;
  /** Its target group, with `ApiIntegration.loadBalancer()`. */
  public readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /** The mapping on the platform's custom domain, if it has one. */
  public readonly apiMapping?: apigwv2.ApiMapping;
  /** The integration timeout. */
  public readonly timeout: Duration;
  /** The URL clients use: the custom domain and base path, or the stage URL. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: MicroserviceApiProps) {
    super(scope, id);

    const routes = props.routes ?? DEFAULT_ROUTES;
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    const consumers = props.consumers ?? [];
    this.timeout = props.timeout ?? Duration.seconds(30);
    const basePath = props.basePath ?? props.serviceName;

    validateApiProps(scope.node.path, props, routes, consumers, false);

    const allScopes = [...new Set(routes.flatMap((r) => r.scopes ?? []))];
    const needsAuthorizer = routes.some((r) => !r.public);
    if (needsAuthorizer) {
      const auth = props.authorizer.authorizeService(props.platformScope, this, {
        resourceServerIdentifier: props.serviceName,
        scopes: allScopes,
        consumers: consumers.map((c) => ({ name: c.name, scopes: c.scopes ?? [] })),
      });
      this.authorizer = auth.authorizer;
      this.resourceServer = auth.resourceServer;
      this.consumerClients = auth.consumerClients;
    } else {
      this.consumerClients = {};
    }

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: `API of ${scope.node.path}`,
      createDefaultStage: false,
      corsPreflight: props.cors,
      disableExecuteApiEndpoint: props.disableExecuteApiEndpoint ?? (props.domainName !== undefined),
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
    });

    const bound = (props.integration ?? ApiIntegration.cloudMap()).bind(this, props.target);
    this.loadBalancer = bound.loadBalancer;
    this.targetGroup = bound.targetGroup;

    // RouteSettings is a JSON property: CloudFormation's own casing.
    const routeSettings: { [key: string]: { [setting: string]: unknown } } = {};
    for (const route of routes) {
      const created = this.httpApi.addRoutes({
        path: route.path,
        methods: route.methods ?? [apigwv2.HttpMethod.ANY],
        integration: bound.integration,
        authorizer: route.public ? new apigwv2.HttpNoneAuthorizer() : this.authorizer,
        authorizationScopes: route.public || !route.scopes?.length ? undefined : route.scopes,
      });
      for (const r of created) {
        const key = routeKeyOf(r);
        this.routes[key] = r;
        if (route.public) {
          this.publicKeys.add(key);
          Validations.of(r).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `Route "${key}" is marked public: true by the service owner.`,
          });
        }
        if (route.throttle) {
          routeSettings[key] = {
            ThrottlingRateLimit: route.throttle.rateLimit,
            ThrottlingBurstLimit: route.throttle.burstLimit,
            DetailedMetricsEnabled: true,
          };
          // Route settings name route keys: the routes must exist first.
          this.stage.node.addDependency(r);
        }
      }
    }
    // aws-cdk-lib's HTTP integrations cap the timeout at REST's 29 s (HTTP APIs allow 30 s) and the
    // Cloud Map one drops it: set it on the integration itself.
    for (const child of this.httpApi.node.findAll()) {
      if (child instanceof apigwv2.CfnIntegration) child.timeoutInMillis = this.timeout.toMilliseconds();
    }
    if (Object.keys(routeSettings).length > 0) {
      (this.stage.node.defaultChild as apigwv2.CfnStage).routeSettings = routeSettings;
    }

    countThrottledRequests(this.accessLogGroup);

    if (props.domainName) {
      this.apiMapping = new apigwv2.ApiMapping(this, 'Mapping', {
        api: this.httpApi,
        domainName: props.domainName,
        stage: this.stage,
        apiMappingKey: basePath,
      });
      this.url = `https://${props.domainName.name}/${basePath}`;
    } else {
      this.url = this.stage.url;
    }
  }

  protected routeAuthorizations() {
    const stack = Stack.of(this);
    return this.httpApi.node.findAll()
      .filter((child): child is apigwv2.CfnRoute => child instanceof apigwv2.CfnRoute)
      .map((route) => ({
        key: stack.resolve(route.routeKey) as string,
        authorized: !['NONE', undefined].includes(stack.resolve(route.authorizationType)),
      }));
  }

  protected readonly errorMetricNames = { server: '5xx', client: '4xx' };

  protected get metricApiId(): string {
    return this.httpApi.apiId;
  }

  protected get metricDimensions(): { [name: string]: string } {
    return { ApiId: this.httpApi.apiId, Stage: '$default' };
  }
}

function routeKeyOf(route: apigwv2.HttpRoute): string {
  return Stack.of(route).resolve((route.node.defaultChild as apigwv2.CfnRoute).routeKey);
}
