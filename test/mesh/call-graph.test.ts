import { App, Duration, Stack } from 'aws-cdk-lib';
import { MAX_AMPLIFICATION_CONTEXT, Microservice, MicroservicePlatform, RetryPolicy, ServiceCallGraph, ServiceMesh } from '../../lib';
import { CDK_CONTEXT, IMAGE } from '../util';

interface Hop { readonly timeout: number; readonly retries?: number; readonly perTry?: number; readonly api?: number }

/** A chain gateway -> orders -> payments, one stack each, on an Envoy platform (which enforces the described retries). */
function chain(hops: [Hop, Hop, Hop], context: object = {}): { app: App; services: Microservice[] } {
  const app = new App({ context: { ...CDK_CONTEXT, ...context } });
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy() });
  const services = ['Gateway', 'Orders', 'Payments'].map((name, i) => new Microservice(new Stack(app, name), name, {
    platform,
    image: IMAGE,
    requestTimeout: Duration.millis(hops[i].timeout),
    retryPolicy: hops[i].retries ? RetryPolicy.http({ maxRetries: hops[i].retries, perRetryTimeout: Duration.millis(hops[i].perTry!) }) : undefined,
    api: hops[i].api ? { timeout: Duration.millis(hops[i].api!), routes: [{ path: '/x', public: true }] } : undefined,
  }));
  services[0].connectTo(services[1]);
  services[1].connectTo(services[2]);
  return { app, services };
}

describe('the call-graph check on a three-service chain', () => {
  test('passes good budgets and reports the path and its amplification', () => {
    const { app } = chain([
      { timeout: 10000, api: 12000 },
      { timeout: 6000, retries: 1, perTry: 4000 },
      { timeout: 2000, retries: 2, perTry: 1500 },
    ]);
    expect(() => app.synth()).not.toThrow();
    const report = ServiceCallGraph.of(app).report();
    expect(report.violations).toEqual([]);
    const budget = 'capped by a retry budget of 20 % of the requests in flight (at least 3)';
    expect(report.paths).toEqual([{
      services: ['api', 'gateway', 'orders', 'payments'],
      amplification: 6,
      retriesEnforced: [
        `orders: as described: up to 1 retry on 5xx,reset,gateway-error,connect-failure, 4s each, to another task, jittered back-off 0.025s to 0.25s, within the 6s request timeout, ${budget}`,
        `payments: as described: up to 2 retries on 5xx,reset,gateway-error,connect-failure, 1.5s each, to another task, jittered back-off 0.025s to 0.25s, within the 2s request timeout, ${budget}`,
      ],
    }]);
    expect(report.calls).toEqual([{ caller: 'Gateway/Gateway', callee: 'Orders/Orders' }, { caller: 'Orders/Orders', callee: 'Payments/Payments' }]);
    expect(report.services.find((s) => s.name === 'payments')).toMatchObject({ path: 'Payments/Payments', name: 'payments', attempts: 3, perRetryTimeoutMs: 1500, requestTimeoutMs: 2000, apiTimeoutMs: undefined });
    expect(report.maxAmplification).toBe(10);
  });

  test("fails when a caller's timeout does not cover the callee's retries, naming the path", () => {
    const { app } = chain([
      { timeout: 10000 },
      { timeout: 3000, retries: 1, perTry: 2000 },
      { timeout: 2000, retries: 2, perTry: 1500 },
    ]);
    expect(() => app.synth()).toThrow(/\[Orders\/Orders\] orders -> payments: the caller's requestTimeout \(3000 ms\) does not cover the callee's \(maxRetries \+ 1\) x perRetryTimeout = 3 x 1500 ms = 4500 ms/);
  });

  test("fails when a caller's timeout is shorter than a callee's without retries", () => {
    const { app } = chain([{ timeout: 1000 }, { timeout: 5000 }, { timeout: 1000 }]);
    expect(() => app.synth()).toThrow(/gateway -> orders: the caller's requestTimeout \(1000 ms\) does not cover the callee's requestTimeout \(5000 ms\)/);
  });

  test("fails when the API's timeout does not cover the first service", () => {
    const { app } = chain([{ timeout: 10000, api: 5000 }, { timeout: 1000 }, { timeout: 1000 }]);
    expect(() => app.synth()).toThrow(/api -> gateway: the API's integration timeout \(5000 ms\) does not cover the service's requestTimeout \(10000 ms\)/);
  });

  test('fails when retries amplify one request above the limit, naming the whole path', () => {
    const { app } = chain([
      { timeout: 60000 },
      { timeout: 30000, retries: 3, perTry: 5000 },
      { timeout: 5000, retries: 3, perTry: 1000 },
    ]);
    expect(() => app.synth()).toThrow(/gateway -> orders -> payments: one request can become 16 requests to payments .* above the limit of 10/);
  });

  test('the limit is configurable through context or the graph', () => {
    const hops: [Hop, Hop, Hop] = [{ timeout: 60000 }, { timeout: 30000, retries: 3, perTry: 5000 }, { timeout: 5000, retries: 3, perTry: 1000 }];
    expect(() => chain(hops, { [MAX_AMPLIFICATION_CONTEXT]: 16 }).app.synth()).not.toThrow();
    const { app } = chain(hops);
    ServiceCallGraph.of(app).maxAmplification = 20;
    expect(() => app.synth()).not.toThrow();
    expect(ServiceCallGraph.of(app).report().paths[0].amplification).toBe(16);
  });

  test('fails on a call cycle (within one stack; across stacks CDK already refuses the cyclic stack dependency)', () => {
    const app = new App({ context: CDK_CONTEXT });
    const stack = new Stack(app, 'One');
    const [a, b, c] = ['A', 'B', 'C'].map((n) => new Microservice(stack, n, { image: IMAGE, requestTimeout: Duration.seconds(5) }));
    a.connectTo(b);
    b.connectTo(c);
    c.connectTo(a);
    expect(() => app.synth()).toThrow(/a -> b -> c -> a: services call each other in a cycle, so retries amplify without bound/);
  });

  test('checks the same description on Service Connect', () => {
    const app = new App({ context: CDK_CONTEXT });
    const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P');
    const a = new Microservice(new Stack(app, 'A'), 'A', { platform, image: IMAGE, requestTimeout: Duration.seconds(2) });
    const b = new Microservice(new Stack(app, 'B'), 'B', { platform, image: IMAGE, requestTimeout: Duration.seconds(5), retryPolicy: RetryPolicy.http({ maxRetries: 1, perRetryTimeout: Duration.seconds(2) }) });
    a.connectTo(b);
    expect(() => app.synth()).toThrow(/a -> b: the caller's requestTimeout \(2000 ms\) does not cover the callee's \(maxRetries \+ 1\) x perRetryTimeout = 2 x 2000 ms = 4000 ms/);
    expect(ServiceCallGraph.of(app).report().services.find((x) => x.name === 'b')!.retriesEnforced)
      .toBe("Service Connect's own: 2 retries on connection failure or 503 (containers-roadmap #1963), whatever retryPolicy says");
  });
});
