import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ApiAuthorizer, ApiIntegration, Microservice, MicroservicePlatform, MicroserviceProps, RetryPolicy } from '../../lib';
import { IMAGE, testApp } from '../util';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An error line of `prop` ending with the value received: `<prop> must ..., got <received>`. */
const refusal = (prop: string, received: string, rest = '') => new RegExp(`${esc(prop)} must [^\\n]*got ${esc(received)}${rest}`);

/** Builds a service on a fresh platform of its own stack; validation throws before anything is synthesized. */
const service = (props: Omit<MicroserviceProps, 'image'>) => () => new Microservice(new Stack(testApp(), 'Svc'), 'Orders', { image: IMAGE, ...props });
const PUBLIC = [{ path: '/orders', public: true }];

/** The message of the error `build` throws (it must throw), to check several findings of one attempt. */
function errorOf(build: () => unknown): string {
  try {
    build();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, got none');
}

describe('writablePaths', () => {
  test('"/tmp/.." is refused: it is the root once normalized', () => {
    const message = errorOf(service({ writablePaths: ['/tmp/..'] }));
    expect(message).toMatch(refusal('writablePaths[0]', '"/tmp/..", which is "/"'));
    expect(message).toMatch(refusal('writablePaths[0]', '"/tmp/.."'));
    expect(message).toMatch(/writablePaths\[0\] must not be the root "\/", got "\/tmp\/\.\."/);
  });

  test('"/tmp/../etc" is refused: it is /etc once normalized', () => {
    const message = errorOf(service({ writablePaths: ['/tmp/../etc'] }));
    expect(message).toMatch(refusal('writablePaths[0]', '"/tmp/../etc", which is "/etc"'));
    expect(message).toMatch(/writablePaths\[0\] must not hide a system directory [^\n]*got "\/tmp\/\.\.\/etc"/);
  });

  test('"/etc" and anything under /proc are refused: an empty volume would hide a system directory', () => {
    expect(service({ writablePaths: ['/etc'] })).toThrow(/writablePaths\[0\] must not hide a system directory [^\n]*got "\/etc"$/m);
    expect(service({ writablePaths: ['/data', '/proc/self'] })).toThrow(/writablePaths\[1\] must not hide a system directory [^\n]*got "\/proc\/self"$/m);
  });

  test('relative and non-normalized paths are refused, each by its index', () => {
    const message = errorOf(service({ writablePaths: ['/data', 'tmp', './cache', '/tmp/./x', '/tmp//y'] }));
    expect(message).toMatch(/writablePaths\[1\] must be an absolute path [^\n]*got "tmp"$/m);
    expect(message).toMatch(/writablePaths\[2\] must be an absolute path [^\n]*got "\.\/cache"$/m);
    expect(message).toMatch(refusal('writablePaths[3]', '"/tmp/./x", which is "/tmp/x"'));
    expect(message).toMatch(refusal('writablePaths[4]', '"/tmp//y", which is "/tmp/y"'));
    expect(message).not.toMatch(/writablePaths\[0\]/);
  });
});

describe('writablePaths under system trees', () => {
  test('binaries, libraries and CA certificates are refused; an app directory under /etc or /usr is not', () => {
    const message = errorOf(service({ writablePaths: ['/usr/bin', '/etc/ssl/certs', '/lib/x86_64-linux-gnu', '/etc/nginx/conf.d', '/usr/share/nginx/html'] }));
    expect(message).toMatch(/writablePaths\[0\] must not hide a system directory [^\n]*got "\/usr\/bin"$/m);
    expect(message).toMatch(/writablePaths\[1\] must not hide a system directory [^\n]*got "\/etc\/ssl\/certs"$/m);
    expect(message).toMatch(/writablePaths\[2\] must not hide a system directory [^\n]*got "\/lib\/x86_64-linux-gnu"$/m);
    expect(message).not.toMatch(/writablePaths\[3\]|writablePaths\[4\]/);
  });
});

describe('user, retention and bake times', () => {
  test.each(['root', '0', '0:0', 'root:wheel'])('user %j is refused: the prop exists so that nothing runs as root', (user) => {
    expect(service({ user })).toThrow(refusal('user', JSON.stringify(user)));
  });

  test('a retention CloudWatch Logs does not offer is refused for each retention prop', () => {
    expect(service({ logRetention: 42 as any })).toThrow(/logRetention must be a logs\.RetentionDays value \(days: 1, 3, 5, [^\n]*\), got 42/);
    expect(service({ api: { routes: PUBLIC, accessLogRetention: 2 as any } })).toThrow(refusal('api.accessLogRetention', '2'));
    expect(() => new MicroservicePlatform(new Stack(testApp(), 'P'), 'P', { logs: { retention: 42 as any } })).toThrow(refusal('logs.retention', '42'));
    expect(() => new MicroservicePlatform(new Stack(testApp(), 'P'), 'P', { flowLogRetention: 0.5 as any })).toThrow(refusal('flowLogRetention', '0.5'));
  });

  test('bake times that are not whole minutes from 0 to 1440 are refused, naming the prop', () => {
    expect(service({ deployment: { strategy: ecs.DeploymentStrategy.BLUE_GREEN, bakeTime: Duration.minutes(NaN) } })).toThrow(refusal('deployment.bakeTime', 'Duration.minutes(NaN)'));
    expect(service({ deployment: { strategy: ecs.DeploymentStrategy.BLUE_GREEN, bakeTime: Duration.hours(25) } })).toThrow(refusal('deployment.bakeTime', '1500 minutes'));
    expect(service({ deployment: { strategy: ecs.DeploymentStrategy.CANARY, canary: { stepBakeTime: Duration.seconds(90) } } })).toThrow(refusal('deployment.canary.stepBakeTime', '1.5 minutes'));
  });
});

describe.each([
  ['api', (routes: any[]) => ({ api: { routes } })],
  ['restApi', (routes: any[]) => ({ restApi: { routes } })],
])('%s.routes', (prop, withRoutes) => {
  test('refuses paths with ".." or "." segments, naming the route and the path', () => {
    const message = errorOf(service(withRoutes([{ path: '/orders', public: true }, { path: '/orders/../admin', public: true }, { path: '/./health', public: true }])));
    expect(message).toMatch(refusal(`${prop}.routes[1].path`, '"/orders/../admin"'));
    expect(message).toMatch(refusal(`${prop}.routes[2].path`, '"/./health"'));
    expect(message).toMatch(/must not have "\." or "\.\." segments/);
    expect(message).not.toMatch(new RegExp(`${prop}\\.routes\\[0\\]`));
  });
});

describe('discoveryName', () => {
  test('must be unique on a platform, also across stacks', () => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
    new Microservice(new Stack(app, 'Orders'), 'Orders', { platform, image: IMAGE });
    expect(() => new Microservice(new Stack(app, 'Other'), 'Other', { platform, image: IMAGE, discoveryName: 'orders' }))
      .toThrow(/discoveryName must be unique on its platform [^\n]*got "orders", which Orders\/Orders already has/);
    // The same name on another platform is fine.
    const other = new MicroservicePlatform(new Stack(app, 'OtherPlatform'), 'Platform');
    expect(() => new Microservice(new Stack(app, 'Elsewhere'), 'Elsewhere', { platform: other, image: IMAGE, discoveryName: 'orders' })).not.toThrow();
  });

  test('must be known at synthesis, not a token', () => {
    const lazy = Lazy.string({ produce: () => 'x' });
    expect(service({ discoveryName: lazy })).toThrow(refusal('discoveryName', lazy));
    expect(service({ discoveryName: lazy })).toThrow(/discoveryName must be a DNS label known at synthesis/);
  });
});

test('containerPort must be known at synthesis, not a token', () => {
  expect(service({ containerPort: Lazy.number({ produce: () => 80 }) })).toThrow(/containerPort must be a port number known at synthesis[^\n]*got \$\{Token\[[^\]]+\]\}/);
});

describe('requestTimeout', () => {
  test.each([['NaN', Duration.seconds(NaN)], ['Infinity', Duration.seconds(Infinity)]])('refuses Duration.seconds(%s), naming requestTimeout', (amount, d) => {
    expect(service({ requestTimeout: d })).toThrow(refusal('requestTimeout', `Duration.seconds(${amount})`));
  });
});

test('RetryPolicy.http refuses a NaN perRetryTimeout, naming it', () => {
  expect(() => RetryPolicy.http({ maxRetries: 2, perRetryTimeout: Duration.millis(NaN) })).toThrow(refusal('perRetryTimeout', 'Duration.millis(NaN)'));
});

describe('alarmEmails', () => {
  const platform = (alarmEmails: string[]) => () => new MicroservicePlatform(new Stack(testApp(), 'Platform'), 'Platform', { alarmEmails });

  test('refuses a list or a display name in an entry, naming the entry and its value', () => {
    for (const email of ['a,b@example.com', 'Name <a@example.com>', 'Name<a@example.com>', 'a@example.com, b@example.com']) {
      expect(platform([email])).toThrow(refusal('alarmEmails[0]', JSON.stringify(email), '$'));
      const message = errorOf(platform(['oncall@example.com', email]));
      expect(message).toMatch(refusal('alarmEmails[1]', JSON.stringify(email), '$'));
      expect(message).not.toMatch(/alarmEmails\[0\]/);
    }
    expect(platform(['oncall@example.com', 'first.last+alarms@ops.example.co.uk'])).not.toThrow();
  });
});

test('ApiAuthorizer.jwt refuses reservedConcurrency 0 (it would throttle every request), and other non-positive-integers', () => {
  const jwt = (reservedConcurrency: number) => () => ApiAuthorizer.jwt({ issuer: 'https://idp.example.com', audience: ['x'], reservedConcurrency });
  expect(jwt(0)).toThrow(refusal('reservedConcurrency', '0', '$'));
  expect(jwt(1.5)).toThrow(refusal('reservedConcurrency', '1.5', '$'));
  expect(jwt(-1)).toThrow(refusal('reservedConcurrency', '-1', '$'));
  expect(jwt(1)).not.toThrow();
});

describe('a load balancer with TLS', () => {
  const certificate = acm.Certificate.fromCertificateArn(new Stack(testApp(), 'Certs'), 'Cert', 'arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000');

  test('ApiIntegration.loadBalancer needs serverName with a certificate, and a certificate with serverName', () => {
    expect(() => ApiIntegration.loadBalancer({ certificate })).toThrow(/serverName is required with certificate [^\n]*got none/);
    expect(() => ApiIntegration.loadBalancer({ serverName: 'orders.internal.example.com' }))
      .toThrow(/serverName requires certificate [^\n]*got serverName "orders\.internal\.example\.com" without a certificate/);
    expect(() => ApiIntegration.loadBalancer({ certificate, serverName: 'orders.internal.example.com' })).not.toThrow();
  });

  test('restApi.loadBalancer needs the same, with the prop path in the message', () => {
    expect(service({ restApi: { routes: PUBLIC, loadBalancer: { certificate } } }))
      .toThrow(/restApi\.loadBalancer\.serverName is required with restApi\.loadBalancer\.certificate [^\n]*got none/);
    expect(service({ restApi: { routes: PUBLIC, loadBalancer: { serverName: 'orders.internal.example.com' } } }))
      .toThrow(/restApi\.loadBalancer\.serverName requires restApi\.loadBalancer\.certificate [^\n]*got serverName "orders\.internal\.example\.com"/);
  });
});
