import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { ApiIntegration } from './api-integration';
import type { LoadBalancerIntegrationOptions } from './load-balancer';

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
   * HTTP methods of the route. A route with `scopes` should list them: without, it is ANY and a
   * token with one of its scopes may call every method (a read scope would also grant writes),
   * which synthesis warns about (`cdk-microservice:scopedRouteWithoutMethods`); give
   * `[apigwv2.HttpMethod.ANY]` to say every method needs the same scopes.
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
}

/** A route of a REST API: a route with the stage cache's settings. */
export interface RestApiRoute extends ApiRoute {
  /**
   * Serve this route's GET responses from the stage cache (with the API's `cache`). Only GET
   * methods are ever cached: a route with ANY is not. The cache key holds only path parameters,
   * the caller's token and `cacheKeyQueryStrings`: a GET route whose answer depends on another
   * query string or header must list it there or set `cache: false`.
   *
   * @default - true for a GET method when the API has `cache`
   */
  readonly cache?: boolean;
  /**
   * Query strings that are part of the cache key (with the API's `cache`). Path parameters and,
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
}

/** A machine caller of a REST API: its usage plan and API key besides its app client. */
export interface RestApiConsumer extends ApiConsumer {
  /**
   * Steady-state requests per second of the consumer's usage plan, 0 to 10000.
   *
   * @default - the API's `throttle.rateLimit`
   */
  readonly rateLimit?: number;
  /**
   * Burst of the consumer's usage plan, 0 to 5000.
   *
   * @default - the API's `throttle.burstLimit`
   */
  readonly burstLimit?: number;
  /**
   * Request quota of the consumer's usage plan.
   *
   * @default - no quota
   */
  readonly quota?: ConsumerQuota;
  /**
   * Secret holding the consumer's API key value (20 to 128 letters and digits, unique), referenced
   * from the template, never copied into it. CloudFormation reads it when the key is
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
   * Rules of the managed groups that only count their matches instead of blocking, by group: the
   * way to relax a rule your API's legitimate traffic trips. `SizeRestrictions_BODY` of the common
   * rule set blocks request bodies over 8 KB; WAF inspects at most the first 16 KB of a REST
   * request's body, so counting that rule lets a body padded past 16 KB carry what the other body
   * rules would block. An API that takes larger bodies gives
   * `{ AWSManagedRulesCommonRuleSet: ['SizeRestrictions_BODY'] }` and checks them itself.
   *
   * @default - none: every rule of the managed groups blocks
   */
  readonly countRules?: { [group: string]: string[] };
  /**
   * Count instead of block: every rule only counts its matches (to try the web ACL on live
   * traffic first).
   *
   * @default false
   */
  readonly countOnly?: boolean;
  /**
   * Log every request the web ACL evaluates (its rule matches and action) to CloudWatch Logs, in
   * `aws-waf-logs-<web ACL name>` (WAF requires the prefix), kept and encrypted like the
   * service's other logs, with the headers that carry credentials redacted (`authorization`,
   * `proxy-authorization`, `x-api-key`, `cookie`). PCI DSS and NIST 800-53 ask
   * for it (cdk-nag's WAFv2LoggingEnabled). CloudWatch Logs ingestion is charged per request logged.
   *
   * @default false
   */
  readonly logging?: boolean;
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

/** What both API flavours of a service's front door take. */
export interface ApiOptions {
  /**
   * Throttling of every route that has none of its own.
   *
   * @default - { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * How long API Gateway waits for the service, 50 ms to 30 s on HTTP, 50 ms to 29 s on REST
   * (each flavour's default maximum).
   *
   * @default - the maximum: 30 s on HTTP, 29 s on REST
   */
  readonly timeout?: Duration;
  /**
   * CORS preflight handling; `allowOrigins` is required (no origin is allowed unless listed).
   *
   * @default - none: no CORS preflight, no origin allowed
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
   * Retention of the access log (and, on REST, of the execution log).
   *
   * @default - the platform's `logs.retention`, else logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Turn off the default `execute-api` endpoint, so the custom domain is the only way in.
   *
   * @default - true when the platform has an `apiDomain`, false otherwise
   */
  readonly disableExecuteApiEndpoint?: boolean;
  /**
   * Stack outputs of the API's URL, each consumer's app client id and (REST) API key id. A stack
   * holds at most 200 outputs (CloudFormation quotas); turn them off for a service with very many
   * consumers.
   *
   * @default true
   */
  readonly outputs?: boolean;
}

/** A service's HTTP API (`api`): native JWT authorizer, per-route throttling, Cloud Map or load-balancer integration. */
export interface HttpApiOptions extends ApiOptions {
  /**
   * Routes of the API.
   *
   * @default - one authorized catch-all route: ANY /{proxy+}
   */
  readonly routes?: ApiRoute[];
  /**
   * How requests reach the tasks.
   *
   * @default ApiIntegration.cloudMap()
   */
  readonly integration?: ApiIntegration;
  /**
   * Machine callers, each given an app client with the client credentials flow (Cognito only).
   *
   * @default - none
   */
  readonly consumers?: ApiConsumer[];
}

/** A service's REST API (`restApi`): usage plans and API keys, per-method throttling, WAF, stage caching. */
export interface RestApiOptions extends ApiOptions {
  /**
   * Routes of the API.
   *
   * @default - one authorized catch-all route: ANY /{proxy+}
   */
  readonly routes?: RestApiRoute[];
  /**
   * The internal Application Load Balancer through which the REST API reaches the tasks (REST
   * private integrations reach a load balancer, never Cloud Map).
   *
   * @default - health check on '/', codes 200-399, 30 s deregistration delay, no access logs
   */
  readonly loadBalancer?: LoadBalancerIntegrationOptions;
  /**
   * Machine callers: each gets an API key and a usage plan, and with Cognito an app client with
   * the client credentials flow.
   *
   * @default - none
   */
  readonly consumers?: RestApiConsumer[];
  /**
   * Name of the REST API's stage, the first path segment of the execute-api URL.
   *
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * A WAF web ACL on the stage: a rate-based rule per client IP, then AWS managed
   * rule groups, each with CloudWatch metrics.
   *
   * @default - no web ACL
   */
  readonly waf?: RestApiWafOptions;
  /**
   * A stage cache for GET routes, each unless it says `cache: false`.
   *
   * @default - no cache
   */
  readonly cache?: RestApiCacheOptions;
  /**
   * X-Ray tracing of the stage (sampled by X-Ray's default rule: the first request each
   * second and 5% of the others).
   *
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Execution logs of the stage: ERROR records the requests API Gateway failed to process
   * (authorizer and integration errors), INFO every request's steps. API Gateway redacts
   * authorization headers and API keys from them; bodies are never logged (data tracing stays
   * off). They go to `API-Gateway-Execution-Logs_<rest api id>/<stage>`, which the service
   * creates with the retention and key of its other logs. OFF leaves them out.
   *
   * @default apigateway.MethodLoggingLevel.ERROR
   */
  readonly executionLogLevel?: apigateway.MethodLoggingLevel;
  /**
   * How long API Gateway caches an authorizer's decision for a token and route, 0 (off) to
   * 3600 seconds. A cached Allow outlives the token's expiry or revocation by up to
   * this long.
   *
   * @default Duration.minutes(1)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Whether authorized routes require an API key of one of the consumers. Public
   * routes never do.
   *
   * @default - true when the API has consumers
   */
  readonly requireApiKey?: boolean;
}
