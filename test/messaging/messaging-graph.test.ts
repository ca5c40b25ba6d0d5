// The call graph's asynchronous edges: each subscription is a publisher -> subscriber edge whose
// amplification is maxReceiveCount x the subscriber's worst synchronous amplification; services
// that subscribe to each other in a cycle get a warning (not an error) at synth.
import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform, RetryPolicy, ServiceCallGraph } from '../../lib';
import { annotationsOf, IMAGE, testApp } from '../util';

const CYCLE = /subscribe to each other's topics in a cycle/;

describe('asynchronous calls in the call graph', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  const svc = (name: string, props: object = {}) => new Microservice(new Stack(app, name), name, { platform, image: IMAGE, ...props });
  const retries = (maxRetries: number, ms: number) => RetryPolicy.http({ maxRetries, perRetryTimeout: Duration.millis(ms) });

  const ledger = svc('Ledger', { retryPolicy: retries(1, 500) }); //   2 attempts
  const payments = svc('Payments', { retryPolicy: retries(2, 1000), requestTimeout: Duration.seconds(5) }); //   3 attempts, calls ledger
  const tax = svc('Tax', { retryPolicy: retries(2, 1000) }); //   3 attempts
  const inventory = svc('Inventory'); //   1 attempt
  payments.connectTo(ledger);
  const orders = svc('Orders');
  const placed = orders.addTopic('OrderPlaced');

  const fraud = svc('Fraud'); // the brief's case: one callee with 3 attempts, 5 receives -> 15
  fraud.connectTo(tax);
  fraud.subscribe(placed);
  const billing = svc('Billing'); // its worst path: payments (3) -> ledger (2) = 6; inventory (1) is not the worst -> 8 x 6
  billing.connectTo(inventory);
  billing.connectTo(payments);
  billing.subscribe(placed, { maxReceiveCount: 8 });
  const mailer = svc('Mailer'); // no calls: the receives alone
  mailer.subscribe(placed, { maxReceiveCount: 3 });

  const report = ServiceCallGraph.of(app).report();
  const edge = (subscriber: Microservice) => report.asyncCalls.filter((c) => c.subscriber === subscriber.node.path);

  test('lists one publisher -> subscriber edge per subscription, with the topic and maxReceiveCount', () => {
    expect(report.asyncCalls).toHaveLength(3);
    expect(edge(fraud)).toEqual([expect.objectContaining({ publisher: 'Orders/Orders', subscriber: 'Fraud/Fraud', topic: 'Orders_orders_order-placed', maxReceiveCount: 5 })]);
    expect(edge(billing)[0]).toMatchObject({ publisher: orders.node.path, maxReceiveCount: 8 });
    expect(edge(mailer)[0]).toMatchObject({ publisher: orders.node.path, maxReceiveCount: 3 });
  });

  test('amplification is maxReceiveCount x the subscriber\'s largest synchronous amplification', () => {
    expect(edge(fraud)[0].amplification).toBe(5 * 3);
    expect(edge(billing)[0].amplification).toBe(8 * 3 * 2);
    expect(edge(mailer)[0].amplification).toBe(3);
  });

  test('asynchronous edges are not synchronous calls: no call, path or violation comes of them', () => {
    expect(report.calls).not.toContainEqual(expect.objectContaining({ caller: orders.node.path }));
    expect(report.paths.filter((p) => p.services.includes('orders'))).toEqual([]);
    expect(report.violations).toEqual([]);
    expect(report.warnings).toEqual([]);
  });

  test('an app without a subscription cycle synthesizes without the cycle warning', () => {
    const messages = app.synth().stacks.flatMap((s) => s.messages).map((m) => String(m.entry.data));
    expect(messages.length).toBeGreaterThan(0); // the retry-policy warnings of Service Connect: annotations are read
    expect(messages.filter((m) => CYCLE.test(m))).toEqual([]);
  });
});

describe('services that subscribe to each other\'s topics', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  // A cycle across stacks would be a cycle of stack dependencies: these share a stack.
  const stack = new Stack(app, 'Loop');
  const [a, b, c, d] = ['A', 'B', 'C', 'D'].map((id) => new Microservice(stack, id, { platform, image: IMAGE }));
  const ping = a.addTopic('Ping');
  b.subscribe(ping);
  a.subscribe(b.addTopic('Pong'));
  // A longer loop: A -> C -> D -> A (A's Ping, C's Ring, D's Ding).
  c.subscribe(ping);
  d.subscribe(c.addTopic('Ring'));
  a.subscribe(d.addTopic('Ding'));
  const report = ServiceCallGraph.of(app).report();

  test('are reported as async-cycle warnings, one per cycle, each naming its services', () => {
    const cycles = report.warnings.filter((w) => w.kind === 'async-cycle');
    expect(cycles).toHaveLength(2);
    const members = cycles.map((w) => [...new Set(w.path)].sort());
    expect(members).toContainEqual(['Loop/A', 'Loop/B']);
    expect(members).toContainEqual(['Loop/A', 'Loop/C', 'Loop/D']);
    for (const w of cycles) {
      expect(w.message).toMatch(CYCLE);
      expect(w.path[0]).toBe(w.path[w.path.length - 1]);
    }
  });

  test('are no violation', () => {
    expect(report.violations).toEqual([]);
  });

  test('synthesis succeeds with a warning annotation per cycle, not an error', () => {
    expect(() => app.synth()).not.toThrow();
    const annotations = annotationsOf(stack);
    expect(annotations.findWarning('*', Match.stringLikeRegexp(CYCLE.source))).toHaveLength(2);
    annotations.hasWarning('/Loop/A', Match.stringLikeRegexp('a -> b -> a'));
    expect(annotations.findError('*', Match.stringLikeRegexp(CYCLE.source))).toEqual([]);
  });
});
