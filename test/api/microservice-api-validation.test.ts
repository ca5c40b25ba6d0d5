import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { ApiAuthorizer, ApiIntegration, HttpApiOptions, Microservice, MicroservicePlatform, RestApiOptions } from '../../lib';
import { annotationsOf, IMAGE, testApp } from '../util';

const CONSUMER = [{ name: 'web', scopes: ['orders/read'] }];
const ROUTES = [{ path: '/orders', scopes: ['orders/read'] }];

function make(api: HttpApiOptions, auth?: ApiAuthorizer, withDomain = false): () => Microservice {
  return () => {
    const stack = new Stack(testApp(), 'S');
    const platform = new MicroservicePlatform(stack, 'P', {
      auth,
      apiDomain: withDomain ? { domainName: 'api.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'C', 'arn:aws:acm:us-east-1:111111111111:certificate/x') } : undefined,
    });
    return new Microservice(stack, 'Orders', { platform, image: IMAGE, api });
  };
}

describe('throttle and timeout at both ends of their range', () => {
  test.each<[string, HttpApiOptions, HttpApiOptions, RegExp]>([
    ['api.throttle.rateLimit', { throttle: { rateLimit: 0, burstLimit: 0 } }, { throttle: { rateLimit: -1, burstLimit: 0 } }, /api.throttle.rateLimit must be between 0 and 10000, got -1/],
    ['api.throttle.rateLimit', { throttle: { rateLimit: 10000, burstLimit: 5000 } }, { throttle: { rateLimit: 10001, burstLimit: 10 } }, /api.throttle.rateLimit must be between 0 and 10000, got 10001/],
    ['api.throttle.burstLimit', { throttle: { rateLimit: 1, burstLimit: 0 } }, { throttle: { rateLimit: 1, burstLimit: -1 } }, /api.throttle.burstLimit must be an integer between 0 and 5000, got -1/],
    ['api.throttle.burstLimit', { throttle: { rateLimit: 1, burstLimit: 5000 } }, { throttle: { rateLimit: 1, burstLimit: 5001 } }, /api.throttle.burstLimit must be an integer between 0 and 5000, got 5001/],
    ['api.routes[0].throttle.rateLimit', { routes: [{ path: '/a', public: true, throttle: { rateLimit: 0, burstLimit: 1 } }] }, { routes: [{ path: '/a', public: true, throttle: { rateLimit: 10000.5, burstLimit: 1 } }] }, /api.routes\[0\].throttle.rateLimit must be between 0 and 10000, got 10000.5/],
    ['api.routes[0].throttle.burstLimit', { routes: [{ path: '/a', public: true, throttle: { rateLimit: 1, burstLimit: 5000 } }] }, { routes: [{ path: '/a', public: true, throttle: { rateLimit: 1, burstLimit: 2.5 } }] }, /api.routes\[0\].throttle.burstLimit must be an integer between 0 and 5000, got 2.5/],
    ['api.timeout', { routes: [{ path: '/a', public: true }], timeout: Duration.seconds(1) }, { routes: [{ path: '/a', public: true }], timeout: Duration.millis(49) }, /api.timeout must be between 50 ms and 30 s on an HTTP API, got 49 ms/],
    ['api.timeout', { routes: [{ path: '/a', public: true }], timeout: Duration.seconds(30) }, { routes: [{ path: '/a', public: true }], timeout: Duration.seconds(31) }, /api.timeout must be between 50 ms and 30 s on an HTTP API, got 31000 ms/],
  ])('%s: accepts the edge, fails past it', (_prop, ok, bad, message) => {
    expect(make({ consumers: ok.routes ? undefined : CONSUMER, routes: ok.routes ?? ROUTES, ...ok })).not.toThrow();
    expect(make({ consumers: bad.routes ? undefined : CONSUMER, routes: bad.routes ?? ROUTES, ...bad })).toThrow(message);
  });
});

describe('routes', () => {
  test.each<[string, HttpApiOptions, RegExp]>([
    ['an empty route list', { routes: [] }, /api.routes must have at least one route when given, got \[\]/],
    ['a path without a leading slash', { routes: [{ path: 'orders', public: true }] }, /api.routes\[0\].path must be a path starting with "\/" .*, got "orders"/],
    ['an empty path', { routes: [{ path: '', public: true }] }, /api.routes\[0\].path must not be empty, got ""/],
    ['a trailing slash', { routes: [{ path: '/orders/', public: true }] }, /api.routes\[0\].path must be a path starting with "\/"/],
    ['a greedy segment not at the end', { routes: [{ path: '/{proxy+}/x', public: true }] }, /api.routes\[0\].path may have a greedy \{name\+\} segment only at its end, got "\/\{proxy\+\}\/x"/],
    ['a repeated route', { routes: [{ path: '/a', public: true }, { path: '/a', methods: [apigwv2.HttpMethod.ANY], public: true }] }, /api.routes must not repeat a route, got "ANY \/a" twice/],
    ['an empty methods list', { routes: [{ path: '/a', methods: [], public: true }] }, /api.routes\[0\].methods must have at least one method when given, got \[\]/],
    ['public with scopes', { routes: [{ path: '/a', public: true, scopes: ['orders/read'] }] }, /api.routes\[0\].scopes and api.routes\[0\].public are mutually exclusive/],
    ['a scope without a resource server', { routes: [{ path: '/a', scopes: ['read'] }], consumers: CONSUMER }, /api.routes\[0\].scopes\[0\] must be a scope such as "orders\/read" .*, got "read"/],
    ['an empty scope', { routes: [{ path: '/a', scopes: [''] }] }, /api.routes\[0\].scopes\[0\] must not be empty, got ""/],
    ["another service's scope on the platform's own pool", { routes: [{ path: '/a', scopes: ['payments/charge'] }] }, /api.routes\[0\].scopes\[0\] must start with "orders\/" \(the service's own resource server on the platform's user pool\), got "payments\/charge"/],
    ['more than 300 routes', { routes: Array.from({ length: 301 }, (_, i) => ({ path: `/r${i}`, public: true })) }, /api.routes must have at most 300 routes \(API Gateway quota\), got 301/],
  ])('fails on %s', (_name, api, message) => {
    expect(make(api)).toThrow(message);
  });

  test('accepts every path form and 300 routes', () => {
    expect(make({ routes: [{ path: '/', public: true }, { path: '/a/{id}/b', public: true }, { path: '/x/{proxy+}', public: true }, { path: '/{proxy+}', public: true }] })).not.toThrow();
    expect(make({ routes: Array.from({ length: 300 }, (_, i) => ({ path: `/r${i}`, public: true })) })).not.toThrow();
  });
});

describe('consumers', () => {
  test.each<[string, HttpApiOptions, ApiAuthorizer | undefined, RegExp]>([
    ['an upper-case name', { routes: ROUTES, consumers: [{ name: 'Web', scopes: ['orders/read'] }] }, undefined, /api.consumers\[0\].name must be lower-case letters, digits and inner hyphens, 1-48 characters, got "Web"/],
    ['an empty name', { routes: ROUTES, consumers: [{ name: '', scopes: ['orders/read'] }] }, undefined, /api.consumers\[0\].name must not be empty, got ""/],
    ['a repeated name', { routes: ROUTES, consumers: [CONSUMER[0], CONSUMER[0]] }, undefined, /api.consumers must not repeat a name, got "web" twice/],
    ['no scopes', { routes: ROUTES, consumers: [{ name: 'web', scopes: [] }] }, undefined, /api.consumers\[0\].scopes must list at least one scope, got \[\]/],
    ['a scope no route requires', { routes: ROUTES, consumers: [{ name: 'web', scopes: ['orders/write'] }] }, undefined, /api.consumers\[0\].scopes\[0\] must be one of the scopes the routes require \("orders\/read"\), got "orders\/write"/],
    ['consumers with a JWT issuer', { routes: ROUTES, consumers: CONSUMER }, ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['a'] }), /api.consumers requires a Cognito authorizer on the platform .* got 1 consumer\(s\) with ApiAuthorizer.jwt/],
    ['consumers when every route is public', { routes: [{ path: '/a', public: true }], consumers: [{ name: 'web', scopes: ['orders/read'] }] }, undefined, /api.consumers must be empty when every route is public \(no token is checked\), got 1/],
    ['no consumer and no client with Cognito', { routes: ROUTES }, undefined, /api.consumers must declare at least one caller when routes are authorized by Cognito .* got no consumer and no client/],
  ])('fails on %s', (_name, api, auth, message) => {
    expect(make(api, auth)).toThrow(message);
  });
});

describe('base path', () => {
  test('fails without a platform domain', () => {
    expect(make({ routes: [{ path: '/a', public: true }], basePath: 'orders' })).toThrow(/api.basePath requires apiDomain on the platform/);
  });
  test.each(['/orders', 'orders/', '', 'a b'])('fails on the base path %j', (basePath) => {
    expect(make({ routes: [{ path: '/a', public: true }], basePath }, undefined, true)).toThrow(/api.basePath must/);
  });
  test('accepts a nested base path with a domain', () => {
    expect(make({ routes: [{ path: '/a', public: true }], basePath: 'v1/orders' }, undefined, true)).not.toThrow();
  });
});

describe('ApiIntegration.loadBalancer options', () => {
  test.each<[string, () => ApiIntegration, RegExp]>([
    ['a relative health check path', () => ApiIntegration.loadBalancer({ healthCheckPath: 'health' }), /healthCheckPath must be an absolute path such as "\/health", got "health"/],
    ['bad healthy codes', () => ApiIntegration.loadBalancer({ healthyHttpCodes: '2xx' }), /healthyHttpCodes must be HTTP codes such as "200", "200,204" or "200-399", got "2xx"/],
    ['a negative deregistration delay', () => ApiIntegration.loadBalancer({ deregistrationDelay: Duration.seconds(3601) }), /deregistrationDelay must be a whole number of seconds between 0 and 3600, got 3601 s/],
  ])('fails on %s', (_name, create, message) => {
    expect(create).toThrow(message);
  });
  test('accepts the edges', () => {
    expect(() => ApiIntegration.loadBalancer({ healthCheckPath: '/', healthyHttpCodes: '200,204', deregistrationDelay: Duration.seconds(0) })).not.toThrow();
    expect(() => ApiIntegration.loadBalancer({ healthyHttpCodes: '200-499', deregistrationDelay: Duration.seconds(3600) })).not.toThrow();
  });
});

describe('ApiAuthorizer options', () => {
  const pool = () => cognito.UserPool.fromUserPoolId(new Stack(), 'P', 'us-east-1_x');
  test.each<[string, () => ApiAuthorizer, RegExp]>([
    ['jwt with an http issuer', () => ApiAuthorizer.jwt({ issuer: 'http://idp.example.com', audience: ['a'] }), /issuer must be an https URL .*, got "http:\/\/idp.example.com"/],
    ['jwt with an empty issuer', () => ApiAuthorizer.jwt({ issuer: '', audience: ['a'] }), /issuer must not be empty, got ""/],
    ['jwt with no audience', () => ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: [] }), /audience must list at least one audience, got \[\]/],
    ['jwt with an empty audience', () => ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: [''] }), /audience\[0\] must not be empty, got ""/],
    ['cognito clients without a pool', () => ApiAuthorizer.cognito({ clients: [] }), /clients requires userPool/],
    ['cognito domainPrefix with a pool', () => ApiAuthorizer.cognito({ userPool: pool(), domainPrefix: 'x' }), /userPool and domainPrefix are mutually exclusive/],
    ['cognito featurePlan with a pool', () => ApiAuthorizer.cognito({ userPool: pool(), featurePlan: cognito.FeaturePlan.LITE }), /userPool and featurePlan are mutually exclusive/],
    ['cognito domainPrefix with a reserved word', () => ApiAuthorizer.cognito({ domainPrefix: 'my-cognito-x' }), /domainPrefix must not contain "aws", "amazon" or "cognito", got "my-cognito-x"/],
    ['cognito domainPrefix upper-case', () => ApiAuthorizer.cognito({ domainPrefix: 'Shop' }), /domainPrefix must be lower-case letters, digits and inner hyphens, 1-63 characters, got "Shop"/],
    ['cognito access token validity below 5 minutes', () => ApiAuthorizer.cognito({ accessTokenValidity: Duration.seconds(299) }), /accessTokenValidity must be a whole number of seconds between 300 and 86400, got 299 s/],
    ['cognito access token validity above 1 day', () => ApiAuthorizer.cognito({ accessTokenValidity: Duration.seconds(86401) }), /accessTokenValidity .* got 86401 s/],
  ])('fails on %s', (_name, create, message) => {
    expect(create).toThrow(message);
  });

  test('accepts the edges', () => {
    expect(() => ApiAuthorizer.cognito({ accessTokenValidity: Duration.minutes(5), domainPrefix: 'a' })).not.toThrow();
    expect(() => ApiAuthorizer.cognito({ accessTokenValidity: Duration.days(1) })).not.toThrow();
  });

  test('a non-PLUS feature plan leaves AwsSolutions-COG8 to the platform owner who chose it', () => {
    const stack = new Stack(testApp(), 'S');
    const platform = new MicroservicePlatform(stack, 'P', { auth: ApiAuthorizer.cognito({ featurePlan: cognito.FeaturePlan.ESSENTIALS }) });
    new Microservice(stack, 'Orders', { platform, image: IMAGE, api: { routes: ROUTES, consumers: CONSUMER } });
    const poolConstruct = platform.node.findChild('UserPool');
    expect(JSON.stringify(poolConstruct.node.metadata)).not.toContain('AwsSolutions-COG8');
  });
});

describe('cors', () => {
  test('refuses cors without allowOrigins on both flavours (a REST API would otherwise allow any origin), and takes listed ones', () => {
    const routes = [{ path: '/a', public: true }];
    expect(make({ routes, cors: { allowMethods: [apigwv2.CorsHttpMethod.GET] } }))
      .toThrow('api.cors.allowOrigins must list the origins browsers may call from (["https://app.example.com"], or ["*"] for any), got undefined');
    expect(() => new Microservice(new Stack(testApp(), 'S'), 'Orders', { image: IMAGE, restApi: { routes, cors: { allowOrigins: [] } } }))
      .toThrow(/restApi.cors.allowOrigins must list the origins browsers may call from .*, got \[\]/);
    expect(make({ routes, cors: { allowOrigins: ['https://app.example.com'] } })).not.toThrow();
  });
});

describe('a route with scopes and no methods (ANY: a read scope would grant writes)', () => {
  const WARNING = 'cdk-microservice:scopedRouteWithoutMethods';
  const GET = apigwv2.HttpMethod.GET;
  /** A service of either flavour on the default (Cognito) platform, and its stack's warnings of that id. */
  const warnings = (props: { api?: HttpApiOptions; restApi?: RestApiOptions }, acknowledge?: (svc: Microservice) => void) => {
    const stack = new Stack(testApp(), 'S');
    const svc = new Microservice(stack, 'Orders', { image: IMAGE, ...props });
    acknowledge?.(svc);
    return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(WARNING)).map((w) => ({ path: w.id, message: String(w.entry.data) }));
  };
  const consumers = [{ name: 'web', scopes: ['orders/read', 'orders/write'] }];

  test.each<[string, 'api' | 'restApi']>([['HTTP', 'api'], ['REST', 'restApi']])(
    'warns on the %s flavour, once per such route, naming the route, its path, its scopes and the methods to write', (_flavour, prop) => {
      const found = warnings({
        [prop]: {
          routes: [
            { path: '/orders', scopes: ['orders/read'] },
            { path: '/orders/{id}', methods: [GET], scopes: ['orders/read'] },
            { path: '/admin/{proxy+}', scopes: ['orders/write'] },
          ],
          consumers,
        },
      });
      expect(found.map((w) => w.path)).toEqual(['/S/Orders/Api', '/S/Orders/Api']);
      expect(found[0].message).toMatch(new RegExp(`^${prop}\\.routes\\[0\\] \\(path "/orders", scopes \\["orders/read"\\]\\) has scopes and no methods: it is ANY /orders, `
        + 'so a token with any of its scopes may call every method of it, writes \\(POST, PUT, PATCH, DELETE\\) included\\. '
        + 'List the methods the scopes grant, for example methods: \\[HttpMethod\\.GET\\]; '
        + 'methods: \\[HttpMethod\\.ANY\\] says that every method needs the same scopes\\.'));
      expect(found[1].message).toMatch(new RegExp(`^${prop}\\.routes\\[2\\] \\(path "/admin/\\{proxy\\+\\}", scopes \\["orders/write"\\]\\) has scopes and no methods: it is ANY /admin/\\{proxy\\+\\}`));
    });

  test.each<[string, 'api' | 'restApi']>([['HTTP', 'api'], ['REST', 'restApi']])(
    'warns nothing on the %s flavour when every scoped route lists its methods, ANY included, or a route is public', (_flavour, prop) => {
      expect(warnings({
        [prop]: {
          routes: [
            { path: '/orders', methods: [GET], scopes: ['orders/read'] },
            { path: '/orders', methods: [apigwv2.HttpMethod.POST], scopes: ['orders/write'] },
            { path: '/files/{proxy+}', methods: [apigwv2.HttpMethod.ANY], scopes: ['orders/write'] },
            { path: '/health', public: true },
          ],
          consumers,
        },
      })).toEqual([]);
    });

  test('warns nothing on an authorized route without scopes (any valid token calls every method of it whatever its methods) nor on the default catch-all', () => {
    const jwt = { routes: [{ path: '/orders' }] };
    const stack = new Stack(testApp(), 'S');
    const platform = new MicroservicePlatform(stack, 'P', { auth: ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['a'] }) });
    new Microservice(stack, 'Orders', { platform, image: IMAGE, api: jwt });
    new Microservice(stack, 'Default', { platform, image: IMAGE, api: {} });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(WARNING))).toEqual([]);
  });

  test("the README's quick start lists the methods of its scoped route (scripts/readme-snippets.js extracts it, as npm test's pretest does)", () => {
    const quickStart = path.join(__dirname, '..', 'readme', 'snippets', 'snippet-01.ts');
    expect(fs.existsSync(quickStart)).toBe(true);
    // Loaded once in this file, in its module registry (isolating it would load aws-cdk-lib again).
    const app: App = require(quickStart).app;
    const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));
    expect(stacks.map((s) => s.stackName).sort()).toEqual(['Orders', 'Platform']);
    for (const stack of stacks) expect(annotationsOf(stack).findWarning('*', Match.stringLikeRegexp(WARNING))).toEqual([]);
  });

  test('is acknowledged route by route on the service: Annotation::<id> where { route }', () => {
    const found = warnings({ api: { routes: [{ path: '/orders', scopes: ['orders/read'] }, { path: '/items', scopes: ['orders/write'] }], consumers } }, (svc) => {
      Validations.of(svc).acknowledge({ id: `Annotation::${WARNING}`, reason: 'the service checks the method itself', where: { route: 'api.routes[0]' } });
    });
    expect(found.map((w) => w.message.slice(0, 'api.routes[1]'.length))).toEqual(['api.routes[1]']);
  });
});

describe('one error for every finding', () => {
  test('reports a REST load balancer option beside the route and stage findings, in one error', () => {
    const message = (() => {
      try {
        new Microservice(new Stack(testApp(), 'S'), 'Orders', {
          image: IMAGE, restApi: { loadBalancer: { healthCheckPath: 'nope' }, routes: [{ path: 'bad', public: true }], stageName: '!' },
        });
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected an error');
    })();
    expect(message).toMatch(/restApi.loadBalancer.healthCheckPath must be an absolute path/);
    expect(message).toMatch(/restApi.routes\[0\].path must be a path starting with "\/"/);
    expect(message).toMatch(/restApi.stageName/);
  });
});
