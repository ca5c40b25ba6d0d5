import { Annotations, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import type { ApiConsumer, ApiOptions, ApiRoute, RestApiConsumer, RestApiOptions, RestApiRoute, ThrottleSettings } from './api-options';
import { validateLoadBalancerOptions } from './load-balancer';
import { DEFAULT_MANAGED_RULE_GROUPS } from './stage-web-acl';
import type { PlatformAuthorizer } from '../private/binding';
import { fmt, millis, PropErrors } from '../private/validation';

export const DEFAULT_THROTTLE: ThrottleSettings = { rateLimit: 100, burstLimit: 200 };
export const DEFAULT_ROUTES: ApiRoute[] = [{ path: '/{proxy+}' }];
const PATH = /^\/$|^(\/([A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z0-9_]+\}|\{[A-Za-z0-9_]+\+\}))+$/;
const CONSUMER = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
const BASE_PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
const REST_PATH_PART = /^([A-Za-z0-9:._$-]+|\{[A-Za-z0-9_]+\+?\})$/;
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
const QUERY_STRING = /^[A-Za-z0-9._~-]{1,128}$/;
const RULE_GROUP = /^[A-Za-z0-9_-]{1,128}$/;
const CACHE_SIZES = ['0.5', '1.6', '6.1', '13.5', '28.4', '58.2', '118', '237'];
const WAF_WINDOWS = [60, 120, 300, 600];

/** What the API's checks need besides its options. */
export interface ApiCheckContext {
  /** `api` or `restApi`. */
  readonly prop: string;
  readonly servicePath: string;
  readonly serviceName: string;
  readonly auth: PlatformAuthorizer;
  readonly hasDomain: boolean;
}

/**
 * Every bad input of a service's API, of either flavour, reported at once: what both flavours
 * share, what the REST flavour adds, and what the platform's authorizer cannot serve.
 */
export function validateApi(c: ApiCheckContext, o: ApiOptions, routes: ApiRoute[], consumers: ApiConsumer[], rest?: RestApiOptions): void {
  const errors = new PropErrors(`Microservice '${c.servicePath}'`);
  const p = c.prop;
  throttle(errors, `${p}.throttle`, o.throttle);
  const maxTimeout = rest ? 29000 : 30000;
  errors.duration(`${p}.timeout`, o.timeout, 50, maxTimeout, `between 50 ms and ${maxTimeout / 1000} s on ${rest ? 'a REST' : 'an HTTP'} API`);
  // No origin by default on either flavour: aws-cdk-lib's HTTP API allows none, its REST helper would allow any.
  if (o.cors && (o.cors.allowOrigins ?? []).length === 0) {
    errors.add(`${p}.cors.allowOrigins must list the origins browsers may call from (["https://app.example.com"], or ["*"] for any), got ${fmt(o.cors.allowOrigins)}`);
  }
  if (routes.length === 0) errors.add(`${p}.routes must have at least one route when given, got []`);
  if (routes.length > 300) errors.add(`${p}.routes must have at most 300 routes (API Gateway quota), got ${routes.length}`);

  const seen = new Set<string>();
  const declaredScopes = new Set<string>();
  routes.forEach((r, i) => {
    const rp = `${p}.routes[${i}]`;
    errors.text(`${rp}.path`, r.path, PATH, 'a path starting with "/" such as "/orders", "/orders/{id}" or "/orders/{proxy+}"');
    if (!Token.isUnresolved(r.path) && r.path.split('/').some((seg) => seg === '.' || seg === '..')) {
      errors.add(`${rp}.path must not have "." or ".." segments (API Gateway routes match paths as given), got ${fmt(r.path)}`);
    }
    if (!Token.isUnresolved(r.path) && /\{[A-Za-z0-9_]+\+\}./.test(r.path)) {
      errors.add(`${rp}.path may have a greedy {name+} segment only at its end, got ${fmt(r.path)}`);
    }
    if (r.methods !== undefined && r.methods.length === 0) errors.add(`${rp}.methods must have at least one method when given, got []`);
    for (const m of r.methods ?? [apigwv2.HttpMethod.ANY]) {
      const key = `${m} ${r.path}`;
      if (seen.has(key)) errors.add(`${p}.routes must not repeat a route, got "${key}" twice`);
      seen.add(key);
    }
    if (r.public && r.scopes?.length) {
      errors.add(`${rp}.scopes and ${rp}.public are mutually exclusive (a public route checks no token): give one or neither, got both`);
    }
    for (const s of r.scopes ?? []) declaredScopes.add(s);
    throttle(errors, `${rp}.throttle`, r.throttle);
  });

  if (consumers.length > 0 && routes.length > 0 && routes.every((r) => r.public)) {
    errors.add(`${p}.consumers must be empty when every route is public (no token is checked), got ${consumers.length}`);
  }
  const names = new Set<string>();
  consumers.forEach((consumer, i) => {
    const cp = `${p}.consumers[${i}]`;
    errors.text(`${cp}.name`, consumer.name, CONSUMER, 'lower-case letters, digits and inner hyphens, 1-48 characters');
    if (names.has(consumer.name)) errors.add(`${p}.consumers must not repeat a name, got ${fmt(consumer.name)} twice`);
    names.add(consumer.name);
    if (!rest && (!consumer.scopes || consumer.scopes.length === 0)) errors.add(`${cp}.scopes must list at least one scope, got ${fmt(consumer.scopes ?? [])}`);
    if (rest && consumer.scopes !== undefined && consumer.scopes.length === 0) errors.add(`${cp}.scopes must list at least one scope when given (omit it for a consumer with an API key only), got []`);
    (consumer.scopes ?? []).forEach((s, j) => {
      if (!declaredScopes.has(s)) {
        errors.add(`${cp}.scopes[${j}] must be one of the scopes the routes require (${[...declaredScopes].map(fmt).join(', ') || 'none'}), got ${fmt(s)}`);
      }
    });
  });

  if (o.basePath !== undefined) {
    errors.text(`${p}.basePath`, o.basePath, BASE_PATH, 'a path without leading or trailing "/" such as "orders" or "shop/orders"');
    if (!c.hasDomain) errors.add(`${p}.basePath requires apiDomain on the platform (it is the path on the custom domain), got a basePath without a domain`);
  }
  if (rest) validateRest(errors, p, rest, routes as RestApiRoute[], consumers as RestApiConsumer[]);

  c.auth.validateApi(errors, {
    apiProp: p,
    rest: rest !== undefined,
    serviceName: c.serviceName,
    routes: routes.map((r, i) => ({ prop: `${p}.routes[${i}]`, public: r.public ?? false, scopes: r.scopes ?? [] })),
    consumers: consumers.map((cn, i) => ({ prop: `${p}.consumers[${i}]`, name: cn.name, scopes: cn.scopes })),
  });
  errors.throwIfAny();
}

/**
 * Warns, once per route, about a route that requires scopes and lists no methods. Without
 * `methods` a route is ANY (the HTTP flavour's `addRoutes`, one `ANY` method on REST), so a token
 * with one of its scopes may call every method of the path: a route meant for `orders/read` would
 * also take POST and DELETE. A public route checks no token and a route without scopes admits any
 * valid token of an accepted client: their methods do not change who may call them, so they are
 * not warned about. `methods: [HttpMethod.ANY]` is the owner saying every method needs the scopes.
 * The warning's context names the route (`{ route: 'api.routes[0]', path }`), so an acknowledgement
 * can take one route (`where: { route }`).
 */
export function warnScopedRoutesWithoutMethods(api: Construct, prop: string, routes: ApiRoute[]): void {
  routes.forEach((r, i) => {
    if (r.methods !== undefined || r.public || !r.scopes?.length) return;
    const route = `${prop}.routes[${i}]`;
    Annotations.of(api).addWarningV2('cdk-microservice:scopedRouteWithoutMethods',
      `${route} (path ${fmt(r.path)}, scopes ${fmt(r.scopes)}) has scopes and no methods: it is ANY ${r.path}, `
      + 'so a token with any of its scopes may call every method of it, writes (POST, PUT, PATCH, DELETE) included. '
      + 'List the methods the scopes grant, for example methods: [HttpMethod.GET]; '
      + 'methods: [HttpMethod.ANY] says that every method needs the same scopes.',
      { context: { route, path: r.path } });
  });
}

function throttle(errors: PropErrors, prefix: string, t: ThrottleSettings | undefined): void {
  if (!t) return;
  errors.range(`${prefix}.rateLimit`, t.rateLimit, 0, 10000);
  errors.integer(`${prefix}.burstLimit`, t.burstLimit, 0, 5000);
}

/** What only the REST flavour has: stage, WAF, cache, per-route caching, usage plans, resources. */
function validateRest(errors: PropErrors, p: string, o: RestApiOptions, routes: RestApiRoute[], consumers: RestApiConsumer[]): void {
  validateLoadBalancerOptions(errors, `${p}.loadBalancer.`, o.loadBalancer ?? {});
  errors.text(`${p}.stageName`, o.stageName, STAGE_NAME, 'letters, digits, hyphens and underscores, 1-128 characters');
  errors.seconds(`${p}.authorizerCacheTtl`, o.authorizerCacheTtl, 0, 3600);
  errors.oneOf(`${p}.executionLogLevel`, o.executionLogLevel, [apigateway.MethodLoggingLevel.OFF, apigateway.MethodLoggingLevel.ERROR, apigateway.MethodLoggingLevel.INFO]);
  if (o.waf) {
    errors.integer(`${p}.waf.rateLimitPerIp`, o.waf.rateLimitPerIp, 10, 2_000_000_000);
    const w = o.waf.rateLimitWindow;
    if (w && !w.isUnresolved() && !WAF_WINDOWS.includes(millis(w) / 1000)) {
      errors.add(`${p}.waf.rateLimitWindow must be 1, 2, 5 or 10 minutes, got ${Number.isFinite(millis(w)) ? `${millis(w) / 1000} s` : String(w)}`);
    }
    const groups = o.waf.managedRuleGroups ?? [];
    groups.forEach((g, i) => errors.text(`${p}.waf.managedRuleGroups[${i}]`, g, RULE_GROUP, 'an AWS managed rule group name such as "AWSManagedRulesCommonRuleSet"'));
    if (new Set(groups).size !== groups.length) errors.add(`${p}.waf.managedRuleGroups must not repeat a group, got ${fmt(groups)}`);
    const effectiveGroups = o.waf.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
    for (const [group, rules] of Object.entries(o.waf.countRules ?? {})) {
      if (!effectiveGroups.includes(group)) {
        errors.add(`${p}.waf.countRules keys must be managed rule groups of the web ACL (${effectiveGroups.map(fmt).join(', ')}), got ${fmt(group)}`);
      }
      rules.forEach((rule, i) => errors.text(`${p}.waf.countRules[${fmt(group)}][${i}]`, rule, RULE_GROUP, 'a rule name such as "SizeRestrictions_BODY"'));
    }
  }
  if (o.cache) {
    errors.seconds(`${p}.cache.ttl`, o.cache.ttl, 0, 3600);
    errors.oneOf(`${p}.cache.size`, o.cache.size, CACHE_SIZES);
    if (!routes.some((r) => r.cache !== false && (r.methods ?? []).includes(apigwv2.HttpMethod.GET))) {
      errors.add(`${p}.cache needs at least one GET route that is not cache: false (only GET methods are cached), got a stage cache and no cached route`);
    }
  }
  routes.forEach((r, i) => {
    const rp = `${p}.routes[${i}]`;
    if ((r.cache !== undefined || r.cacheKeyQueryStrings !== undefined) && !o.cache) {
      errors.add(`${rp}.cache and ${rp}.cacheKeyQueryStrings need ${p}.cache (the stage cache), got them without ${p}.cache`);
    }
    if (r.cache === true && !(r.methods ?? []).includes(apigwv2.HttpMethod.GET)) {
      errors.add(`${rp}.cache may be true only on a route with the GET method (only GET responses are cached), got methods ${fmt(r.methods ?? ['ANY'])}`);
    }
    (r.cacheKeyQueryStrings ?? []).forEach((q, j) => errors.text(`${rp}.cacheKeyQueryStrings[${j}]`, q, QUERY_STRING, 'a query string name such as "page"'));
  });
  checkRestResources(errors, p, routes);
  if (o.requireApiKey === true && consumers.length === 0) {
    errors.add(`${p}.requireApiKey needs at least one consumer (API keys are issued per consumer, with its usage plan), got requireApiKey: true and no consumers`);
  }
  consumers.forEach((c, i) => {
    const cp = `${p}.consumers[${i}]`;
    errors.range(`${cp}.rateLimit`, c.rateLimit, 0, 10000);
    errors.integer(`${cp}.burstLimit`, c.burstLimit, 0, 5000);
    if (c.quota) {
      errors.integer(`${cp}.quota.limit`, c.quota.limit, 1, 2147483647);
      errors.oneOf(`${cp}.quota.period`, c.quota.period, [apigateway.Period.DAY, apigateway.Period.WEEK, apigateway.Period.MONTH]);
    }
    if (c.apiKeySecretField !== undefined && !c.apiKeySecret) {
      errors.add(`${cp}.apiKeySecretField needs ${cp}.apiKeySecret (the secret that holds the field), got a field without a secret`);
    }
    errors.text(`${cp}.apiKeySecretField`, c.apiKeySecretField);
  });
}

/**
 * REST resources: one per path prefix, at most 300 per API, and no two different variables
 * (`{id}`, `{orderId}`, `{proxy+}`) under the same parent, which API Gateway refuses.
 */
function checkRestResources(errors: PropErrors, p: string, routes: ApiRoute[]): void {
  const resources = new Set<string>();
  const variableChild = new Map<string, string>();
  for (const r of routes) {
    if (Token.isUnresolved(r.path) || !PATH.test(r.path) || r.path === '/') continue;
    let parent = '';
    for (const segment of r.path.slice(1).split('/')) {
      if (!REST_PATH_PART.test(segment)) {
        errors.add(`${p}.routes path segments must use only letters, digits and ":._-$" on a REST API (API Gateway's resource path parts), got ${fmt(segment)} in ${fmt(r.path)}`);
      }
      const path = `${parent}/${segment}`;
      resources.add(path);
      if (segment.startsWith('{')) {
        const other = variableChild.get(parent);
        if (other !== undefined && other !== segment) {
          errors.add(`${p}.routes must not have two different path variables under "${parent || '/'}" on a REST API (API Gateway allows one variable per parent), got ${other} and ${segment}`);
        }
        variableChild.set(parent, segment);
      }
      parent = path;
    }
  }
  if (resources.size > 300) errors.add(`${p}.routes must need at most 300 resources (path prefixes) on a REST API (API Gateway quota), got ${resources.size}`);
}
