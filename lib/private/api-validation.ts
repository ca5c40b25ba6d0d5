import { Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { fmt, PropErrors } from './validation';
import { DEFAULT_MANAGED_RULE_GROUPS } from '../api/stage-web-acl';
import type { ApiIntegration } from '../api/api-integration';
import type { ApiConsumer, ApiRoute, MicroserviceApiOptions, ThrottleSettings } from '../api/microservice-api';
import type { ApiAuthorizer } from '../auth/api-authorizer';

export const DEFAULT_THROTTLE: ThrottleSettings = { rateLimit: 100, burstLimit: 200 };
export const DEFAULT_ROUTES: ApiRoute[] = [{ path: '/{proxy+}' }];
const PATH = /^\/$|^(\/([A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z0-9_]+\}|\{[A-Za-z0-9_]+\+\}))+$/;
const SCOPE = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+\/[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const CONSUMER = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
const BASE_PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
const REST_PATH_PART = /^([A-Za-z0-9:._$-]+|\{[A-Za-z0-9_]+\+?\})$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const QUERY_STRING = /^[A-Za-z0-9._~-]{1,128}$/;
const RULE_GROUP = /^[A-Za-z0-9_-]{1,128}$/;
export const CACHE_SIZES = ['0.5', '1.6', '6.1', '13.5', '28.4', '58.2', '118', '237'];
const WAF_WINDOWS = [60, 120, 300, 600];

/** The props of either API flavour that validation reads. */
export interface ApiValidationProps extends MicroserviceApiOptions {
  readonly serviceName: string;
  readonly authorizer: ApiAuthorizer;
  readonly domainName?: unknown;
  readonly integration?: ApiIntegration;
}

type RestOnly = keyof Pick<MicroserviceApiOptions, 'stageName' | 'waf' | 'cache' | 'tracing' | 'executionLogLevel' | 'authorizerCacheTtl' | 'requireApiKey'>;
const REST_ONLY: RestOnly[] = ['stageName', 'waf', 'cache', 'tracing', 'executionLogLevel', 'authorizerCacheTtl', 'requireApiKey'];
const REST_ONLY_CONSUMER = ['rateLimit', 'burstLimit', 'quota', 'apiKeySecret', 'apiKeySecretField'] as const;

/** Every bad input of a service's API, reported at once. */
export function validateApiProps(path: string, props: ApiValidationProps, routes: ApiRoute[], consumers: ApiConsumer[], rest: boolean): void {
  const errors = new PropErrors(`Microservice '${path}'`);
  const restOnly = (prop: string, value: unknown) => {
    if (!rest && value !== undefined) {
      errors.add(`${prop} is only for type: ApiType.REST (an HTTP API has no such setting), got ${fmt(value)} on an HTTP API`);
    }
  };
  const throttle = (prefix: string, t: ThrottleSettings | undefined) => {
    if (!t) return;
    errors.range(`${prefix}.rateLimit`, t.rateLimit, 0, 10000);
    errors.integer(`${prefix}.burstLimit`, t.burstLimit, 0, 5000);
  };
  errors.oneOf('api.type', props.type, ['HTTP', 'REST']);
  throttle('api.throttle', props.throttle);
  const maxTimeout = rest ? 29000 : 30000;
  if (props.timeout && !props.timeout.isUnresolved()) {
    const ms = props.timeout.toMilliseconds();
    if (ms < 50 || ms > maxTimeout) errors.add(`api.timeout must be between 50 ms and ${maxTimeout / 1000} s on ${rest ? 'a REST' : 'an HTTP'} API, got ${ms} ms`);
  }
  if (routes.length === 0) errors.add('api.routes must have at least one route when given, got []');
  if (routes.length > 300) errors.add(`api.routes must have at most 300 routes (API Gateway quota), got ${routes.length}`);

  for (const prop of REST_ONLY) restOnly(`api.${prop}`, props[prop]);
  if (rest) {
    if (props.integration?.kind === 'cloudMap') {
      errors.add('api.integration must be ApiIntegration.loadBalancer() on a REST API (REST private integrations reach a load balancer through the VPC link, not Cloud Map), got ApiIntegration.cloudMap()');
    }
    errors.text('api.stageName', props.stageName, STAGE_NAME, 'letters, digits, hyphens and underscores, 1-128 characters');
    errors.seconds('api.authorizerCacheTtl', props.authorizerCacheTtl, 0, 3600);
    errors.oneOf('api.executionLogLevel', props.executionLogLevel, [apigateway.MethodLoggingLevel.OFF, apigateway.MethodLoggingLevel.ERROR, apigateway.MethodLoggingLevel.INFO]);
    if (props.waf) {
      errors.integer('api.waf.rateLimitPerIp', props.waf.rateLimitPerIp, 10, 2_000_000_000);
      const w = props.waf.rateLimitWindow;
      if (w && !w.isUnresolved() && !WAF_WINDOWS.includes(w.toMilliseconds() / 1000)) {
        errors.add(`api.waf.rateLimitWindow must be 1, 2, 5 or 10 minutes, got ${w.toMilliseconds() / 1000} s`);
      }
      const groups = props.waf.managedRuleGroups ?? [];
      groups.forEach((g, i) => errors.text(`api.waf.managedRuleGroups[${i}]`, g, RULE_GROUP, 'an AWS managed rule group name such as "AWSManagedRulesCommonRuleSet"'));
      if (new Set(groups).size !== groups.length) errors.add(`api.waf.managedRuleGroups must not repeat a group, got ${fmt(groups)}`);
      const effectiveGroups = props.waf.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
      for (const [group, rules] of Object.entries(props.waf.countRules ?? {})) {
        if (!effectiveGroups.includes(group)) {
          errors.add(`api.waf.countRules keys must be managed rule groups of the web ACL (${effectiveGroups.map(fmt).join(', ')}), got ${fmt(group)}`);
        }
        rules.forEach((rule, i) => errors.text(`api.waf.countRules[${fmt(group)}][${i}]`, rule, RULE_GROUP, 'a rule name such as "SizeRestrictions_BODY"'));
      }
    }
    if (props.cache) {
      errors.seconds('api.cache.ttl', props.cache.ttl, 0, 3600);
      errors.oneOf('api.cache.size', props.cache.size, CACHE_SIZES);
    }
    if (props.cache && !routes.some((r) => r.cache !== false && (r.methods ?? []).includes(apigwv2.HttpMethod.GET))) {
      errors.add('api.cache needs at least one GET route that is not cache: false (only GET methods are cached), got a stage cache and no cached route');
    }
    checkRestResources(errors, routes);
    if (props.requireApiKey === true && consumers.length === 0) {
      errors.add('api.requireApiKey needs at least one consumer (API keys are issued per consumer, with its usage plan), got requireApiKey: true and no consumers');
    }
  }

  const seen = new Set<string>();
  const declaredScopes = new Set<string>();
  routes.forEach((r, i) => {
    const p = `api.routes[${i}]`;
    errors.text(`${p}.path`, r.path, PATH, 'a path starting with "/" such as "/orders", "/orders/{id}" or "/orders/{proxy+}"');
    if (!Token.isUnresolved(r.path) && /\{[A-Za-z0-9_]+\+\}./.test(r.path)) {
      errors.add(`${p}.path may have a greedy {name+} segment only at its end, got ${fmt(r.path)}`);
    }
    if (r.methods !== undefined && r.methods.length === 0) errors.add(`${p}.methods must have at least one method when given, got []`);
    for (const m of r.methods ?? [apigwv2.HttpMethod.ANY]) {
      const key = `${m} ${r.path}`;
      if (seen.has(key)) errors.add(`api.routes must not repeat a route, got "${key}" twice`);
      seen.add(key);
    }
    if (r.public && r.scopes?.length) {
      errors.add(`${p}.scopes and ${p}.public are mutually exclusive (a public route checks no token): give one or neither, got both`);
    }
    (r.scopes ?? []).forEach((s, j) => {
      if (props.authorizer.ownsScopes) {
        errors.text(`${p}.scopes[${j}]`, s, SCOPE, 'a scope such as "orders/read" (<resource server>/<name>)');
      } else {
        errors.text(`${p}.scopes[${j}]`, s, SCOPE_TOKEN, 'an OAuth scope: printable ASCII without spaces, quotes or backslashes, such as "orders/read" or "orders:read"');
      }
      if (props.authorizer.ownsScopes && SCOPE.test(s) && !s.startsWith(`${props.serviceName}/`)) {
        errors.add(`${p}.scopes[${j}] must start with "${props.serviceName}/" (the service's own resource server on the platform's user pool), got ${fmt(s)}`);
      }
      declaredScopes.add(s);
    });
    throttle(`${p}.throttle`, r.throttle);
    restOnly(`${p}.cache`, r.cache);
    restOnly(`${p}.cacheKeyQueryStrings`, r.cacheKeyQueryStrings);
    if (rest) {
      if ((r.cache !== undefined || r.cacheKeyQueryStrings !== undefined) && !props.cache) {
        errors.add(`${p}.cache and ${p}.cacheKeyQueryStrings need api.cache (the stage cache), got them without api.cache`);
      }
      if (props.authorizer.kind === 'cognito' && !r.public && !r.scopes?.length) {
        errors.add(`${p}.scopes must list at least one scope on a REST API with a Cognito authorizer (without scopes API Gateway accepts the ID token of any app client of the pool; with them, access tokens carrying a scope), got none; or mark the route public: true`);
      }
      if (r.cache === true && !(r.methods ?? []).includes(apigwv2.HttpMethod.GET)) {
        errors.add(`${p}.cache may be true only on a route with the GET method (only GET responses are cached), got methods ${fmt(r.methods ?? ['ANY'])}`);
      }
      (r.cacheKeyQueryStrings ?? []).forEach((q, j) => errors.text(`${p}.cacheKeyQueryStrings[${j}]`, q, QUERY_STRING, 'a query string name such as "page"'));
    }
  });

  if (consumers.length > 0 && routes.length > 0 && routes.every((r) => r.public)) {
    errors.add(`api.consumers must be empty when every route is public (no token is checked), got ${consumers.length}`);
  }
  const names = new Set<string>();
  consumers.forEach((c, i) => {
    const p = `api.consumers[${i}]`;
    errors.text(`${p}.name`, c.name, CONSUMER, 'lower-case letters, digits and inner hyphens, 1-48 characters');
    if (names.has(c.name)) errors.add(`api.consumers must not repeat a name, got ${fmt(c.name)} twice`);
    names.add(c.name);
    if (!rest && (!c.scopes || c.scopes.length === 0)) errors.add(`${p}.scopes must list at least one scope, got ${fmt(c.scopes ?? [])}`);
    if (rest && c.scopes !== undefined && c.scopes.length === 0) errors.add(`${p}.scopes must list at least one scope when given (omit it for a consumer with an API key only), got []`);
    if (rest && props.authorizer.kind === 'cognito' && !c.scopes?.length) {
      errors.add(`${p}.scopes must list at least one scope on a REST API with a Cognito authorizer (the consumer needs an app client to get a token; its API key alone passes no authorized method), got none`);
    }
    if (rest && props.authorizer.kind === 'jwt' && c.scopes !== undefined) {
      errors.add(`${p}.scopes requires a Cognito authorizer on the platform (clients of another issuer are registered there; a REST consumer of ApiAuthorizer.jwt gets an API key and usage plan only), got ${fmt(c.scopes)}`);
    }
    (c.scopes ?? []).forEach((s, j) => {
      if (!declaredScopes.has(s)) {
        errors.add(`${p}.scopes[${j}] must be one of the scopes the routes require (${[...declaredScopes].map(fmt).join(', ') || 'none'}), got ${fmt(s)}`);
      }
    });
    for (const prop of REST_ONLY_CONSUMER) restOnly(`${p}.${prop}`, c[prop]);
    if (rest) {
      errors.range(`${p}.rateLimit`, c.rateLimit, 0, 10000);
      errors.integer(`${p}.burstLimit`, c.burstLimit, 0, 5000);
      if (c.quota) {
        errors.integer(`${p}.quota.limit`, c.quota.limit, 1, 2147483647);
        errors.oneOf(`${p}.quota.period`, c.quota.period, [apigateway.Period.DAY, apigateway.Period.WEEK, apigateway.Period.MONTH]);
      }
      if (c.apiKeySecretField !== undefined && !c.apiKeySecret) {
        errors.add(`${p}.apiKeySecretField needs ${p}.apiKeySecret (the secret that holds the field), got a field without a secret`);
      }
      errors.text(`${p}.apiKeySecretField`, c.apiKeySecretField);
    }
  });

  if (props.basePath !== undefined) {
    errors.text('api.basePath', props.basePath, BASE_PATH, 'a path without leading or trailing "/" such as "orders" or "shop/orders"');
    if (!props.domainName) errors.add('api.basePath requires apiDomain on the platform (it is the path on the custom domain), got a basePath without a domain');
  }
  errors.throwIfAny();
}

/**
 * REST resources: one per path prefix, at most 300 per API, and no two different variables
 * (`{id}`, `{orderId}`, `{proxy+}`) under the same parent, which API Gateway refuses.
 */
function checkRestResources(errors: PropErrors, routes: ApiRoute[]): void {
  const resources = new Set<string>();
  const variableChild = new Map<string, string>();
  for (const r of routes) {
    if (Token.isUnresolved(r.path) || !PATH.test(r.path) || r.path === '/') continue;
    let parent = '';
    for (const segment of r.path.slice(1).split('/')) {
      if (!REST_PATH_PART.test(segment)) {
        errors.add(`api.routes path segments must use only letters, digits and ":._-$" on a REST API (API Gateway's resource path parts), got ${fmt(segment)} in ${fmt(r.path)}`);
      }
      const path = `${parent}/${segment}`;
      resources.add(path);
      if (segment.startsWith('{')) {
        const other = variableChild.get(parent);
        if (other !== undefined && other !== segment) {
          errors.add(`api.routes must not have two different path variables under "${parent || '/'}" on a REST API (API Gateway allows one variable per parent), got ${other} and ${segment}`);
        }
        variableChild.set(parent, segment);
      }
      parent = path;
    }
  }
  if (resources.size > 300) errors.add(`api.routes must need at most 300 resources (path prefixes) on a REST API (API Gateway quota), got ${resources.size}`);
}
