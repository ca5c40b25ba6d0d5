// Bad input to addTopic() and subscribe(): each refused with an Error that names the option and the
// value received, before anything is deployed. Limits are SNS's and SQS's documented ones.
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Microservice, MicroservicePlatform } from '../../lib';
import type { SubscribeOptions } from '../../lib';
import { RETAIL_ONLY } from './messaging-fixtures';
import { IMAGE, testApp } from '../util';

/** The message of the error `f` throws; fails the test when it throws none. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, got none');
}

const values = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const allow = (...v: string[]) => sns.SubscriptionFilter.stringFilter({ allowlist: v });

describe('addTopic()', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  const orders = new Microservice(new Stack(app, 'Shop'), 'Orders', { platform, image: IMAGE });

  test.each(['order-placed', 'orderPlaced', 'Order_Placed', 'A'.repeat(41)])('refuses the id %s, which is not PascalCase letters and digits (1-40), with the id', (id) => {
    expect(errorOf(() => orders.addTopic(id))).toMatch(new RegExp(`\\bid must be [^\\n]*PascalCase[^\\n]*got "${id}"`));
  });

  test('refuses contentBasedDeduplication on a standard topic, naming both options', () => {
    const message = errorOf(() => orders.addTopic('Deduplicated', { contentBasedDeduplication: true }));
    expect(message).toMatch(/contentBasedDeduplication[^\n]*fifo/);
  });

  test('refuses an id that is another topic\'s once in kebab case (the same topic name and variable), naming both', () => {
    const shop = new Microservice(new Stack(app, 'Shop2'), 'Shop2', { platform, image: IMAGE });
    shop.addTopic('OrderPlaced');
    expect(errorOf(() => shop.addTopic('ORDERPlaced'))).toMatch(/id must differ from the service's other topics once in kebab case[^\n]*ORDER_PLACED_TOPIC_ARN[^\n]*got "ORDERPlaced" beside "OrderPlaced"/);
  });

  test('takes contentBasedDeduplication on a FIFO topic, and a 40-character PascalCase id', () => {
    expect(() => orders.addTopic('LedgerEntry', { fifo: true, contentBasedDeduplication: true })).not.toThrow();
    expect(() => orders.addTopic(`A${'b'.repeat(39)}`)).not.toThrow();
  });
});

describe('subscribe()', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  const shop = new Stack(app, 'Shop');
  const orders = new Microservice(shop, 'Orders', { platform, image: IMAGE });
  const placed = orders.addTopic('OrderPlaced');
  let n = 0;
  /** A new subscriber in a stack of its own. */
  const subscriber = (props: object = {}): Microservice => {
    n += 1;
    return new Microservice(new Stack(app, `Sub${n}`), `Worker${n}`, { platform, image: IMAGE, ...props });
  };
  const refusal = (options: SubscribeOptions): string => errorOf(() => subscriber().subscribe(placed, options));

  test('names a second subscription to the topic and a bad option in one error', () => {
    const worker = subscriber();
    worker.subscribe(placed);
    const message = errorOf(() => worker.subscribe(placed, { maxReceiveCount: 0 }));
    expect(message).toMatch(/topic must be one this service does not subscribe to yet/);
    expect(message).toMatch(/maxReceiveCount must be an integer between 1 and 1000, got 0/);
  });
  const backlog = (acceptableLatency: Duration, messageProcessingTime: Duration) => ({ scaleOnBacklog: { acceptableLatency, messageProcessingTime } });

  test.each<[string, SubscribeOptions, RegExp]>([
    ['maxReceiveCount 0', { maxReceiveCount: 0 }, /maxReceiveCount must be an integer between 1 and 1000, got 0/],
    ['maxReceiveCount 1001', { maxReceiveCount: 1001 }, /maxReceiveCount must be an integer between 1 and 1000, got 1001/],
    ['maxReceiveCount 2.5', { maxReceiveCount: 2.5 }, /maxReceiveCount must be an integer[^\n]*got 2\.5/],
    ['visibilityTimeout 12 h + 1 s', { visibilityTimeout: Duration.seconds(12 * 3600 + 1) }, /visibilityTimeout[^\n]*0 and 43200[^\n]*got 43201 s/],
    ['retentionPeriod 59 s', { retentionPeriod: Duration.seconds(59) }, /retentionPeriod[^\n]*60 and 1209600[^\n]*got 59 s/],
    ['retentionPeriod 15 days', { retentionPeriod: Duration.days(15) }, /retentionPeriod[^\n]*got 1296000 s/],
    ['deliveryDelay 16 minutes', { deliveryDelay: Duration.minutes(16) }, /deliveryDelay[^\n]*0 and 900[^\n]*got 960 s/],
    ['a filterPolicy of 6 keys', { filterPolicy: Object.fromEntries(values('k', 6).map((k) => [k, allow('x')])) }, /filterPolicy[^\n]*at most 5 keys[^\n]*got 6/],
    ['a filterPolicy of 6 x 5 x 6 = 180 combinations', { filterPolicy: { a: allow(...values('a', 6)), b: allow(...values('b', 5)), c: allow(...values('c', 6)) } },
      /filterPolicy[^\n]*at most 150 combinations[^\n]*got 180/],
    ['filterPolicy with filterPolicyWithMessageBody', {
      filterPolicy: RETAIL_ONLY, filterPolicyWithMessageBody: { channel: sns.FilterOrPolicy.filter(allow('retail')) },
    }, /filterPolicy and filterPolicyWithMessageBody[^\n]*got both/],
    ['a messageProcessingTime above acceptableLatency', backlog(Duration.minutes(1), Duration.minutes(2)),
      /scaleOnBacklog\.messageProcessingTime must not exceed scaleOnBacklog\.acceptableLatency[^\n]*got 120000 ms over 60000 ms/],
    ['a visibilityTimeout below messageProcessingTime', { visibilityTimeout: Duration.seconds(10), ...backlog(Duration.minutes(1), Duration.seconds(20)) },
      /visibilityTimeout must cover scaleOnBacklog\.messageProcessingTime[^\n]*got 10 s for 20000 ms/],
  ])('refuses %s, naming the option and the value', (_name, options, expected) => {
    expect(refusal(options)).toMatch(expected);
  });

  test('takes every limit itself: 1 and 1000 receives, 12 h visibility, 60 s and 14 days retention, 15 minutes delay, 5 keys, 150 combinations', () => {
    const ok: SubscribeOptions[] = [
      { maxReceiveCount: 1 }, { maxReceiveCount: 1000 }, { visibilityTimeout: Duration.hours(12) }, { retentionPeriod: Duration.seconds(60) },
      { retentionPeriod: Duration.days(14) }, { deliveryDelay: Duration.minutes(15) },
      { filterPolicy: Object.fromEntries(values('k', 5).map((k) => [k, allow('x')])) },
      { filterPolicy: { a: allow(...values('a', 6)), b: allow(...values('b', 5)), c: allow(...values('c', 5)) } },
      backlog(Duration.minutes(1), Duration.minutes(1)),
    ];
    for (const options of ok) expect(() => subscriber().subscribe(placed, options)).not.toThrow();
  });

  test('reports every bad option of one call at once', () => {
    const message = refusal({ maxReceiveCount: 0, deliveryDelay: Duration.minutes(16) });
    expect(message).toMatch(/maxReceiveCount[^\n]*got 0/);
    expect(message).toMatch(/deliveryDelay[^\n]*got 960 s/);
  });

  test('a refused subscribe() leaves nothing behind: no stack dependency, and the corrected call succeeds', () => {
    const w = subscriber();
    const stack = Stack.of(w);
    expect(() => w.subscribe(placed, { maxReceiveCount: 0 })).toThrow(/maxReceiveCount/);
    expect(stack.dependencies).not.toContain(shop);
    expect(() => w.subscribe(placed, { maxReceiveCount: 1 })).not.toThrow();
    expect(stack.dependencies).toContain(shop);
  });

  test('refuses two topics that give one subscription id (publisher orders-x topic Placed, publisher orders topic XPlaced), naming both', () => {
    const app2 = testApp();
    const platform2 = new MicroservicePlatform(new Stack(app2, 'Platform'), 'Platform', {});
    const a = new Microservice(new Stack(app2, 'A'), 'OrdersX', { platform: platform2, image: IMAGE }).addTopic('Placed');
    const b = new Microservice(new Stack(app2, 'B'), 'Orders', { platform: platform2, image: IMAGE }).addTopic('XPlaced');
    const sub = new Microservice(new Stack(app2, 'C'), 'Sub', { platform: platform2, image: IMAGE });
    sub.subscribe(a);
    expect(errorOf(() => sub.subscribe(b))).toMatch(/topic must not give the same subscription id as another \(OrdersXPlaced[^\n]*got B_orders_x-placed beside A_orders-x_placed/);
    // Their names never collide: '_' separates the parts.
    expect(a.topicName).not.toBe(b.topicName);
  });

  test('refuses a second subscription to the same topic, naming it', () => {
    const w = subscriber();
    w.subscribe(placed);
    expect(errorOf(() => w.subscribe(placed, { maxReceiveCount: 3 }))).toMatch(/topic[^\n]*Shop_orders_order-placed a second time/);
  });

  test('refuses two topics of one id from two publishers, which would share <TOPIC>_QUEUE_URL, naming both', () => {
    const other = new Microservice(new Stack(app, 'Store'), 'Store', { platform, image: IMAGE }).addTopic('OrderPlaced');
    const w = subscriber();
    w.subscribe(placed);
    const message = errorOf(() => w.subscribe(other));
    expect(message).toContain('ORDER_PLACED_QUEUE_URL');
    expect(message).toContain('Store_store_order-placed');
    expect(message).toContain('Shop_orders_order-placed');
  });

  test('refuses scaleOnBacklog on a platform without Container Insights, naming the option', () => {
    const dark = new MicroservicePlatform(new Stack(app, 'DarkPlatform'), 'Platform', { containerInsights: ecs.ContainerInsights.DISABLED });
    const w = new Microservice(new Stack(app, 'DarkWorker'), 'Worker', { platform: dark, image: IMAGE });
    expect(errorOf(() => w.subscribe(placed, backlog(Duration.minutes(1), Duration.seconds(1))))).toMatch(/scaleOnBacklog[^\n]*Container Insights[^\n]*DISABLED/);
    expect(() => w.subscribe(placed)).not.toThrow();
  });
});

describe('subscribe() across environments', () => {
  const envStacks = (a: { account: string; region: string }, b: { account: string; region: string }) => {
    const app = testApp();
    const pub = new Microservice(new Stack(app, 'Shop', { env: a }), 'Orders', { image: IMAGE });
    const sub = new Microservice(new Stack(app, 'Billing', { env: b }), 'Billing', { image: IMAGE });
    return { topic: pub.addTopic('OrderPlaced'), sub };
  };

  test('refuses a publisher in another explicit region, with both regions', () => {
    const { topic, sub } = envStacks({ account: '111111111111', region: 'eu-west-1' }, { account: '111111111111', region: 'us-east-1' });
    expect(errorOf(() => sub.subscribe(topic))).toMatch(/topic must be in this service's region[^\n]*got eu-west-1 for us-east-1/);
  });

  test('refuses a publisher in another explicit account, with both accounts', () => {
    const { topic, sub } = envStacks({ account: '111111111111', region: 'eu-west-1' }, { account: '222222222222', region: 'eu-west-1' });
    expect(errorOf(() => sub.subscribe(topic))).toMatch(/topic must be in this service's account[^\n]*got 111111111111 for 222222222222/);
  });

  test('takes a publisher in the same explicit environment', () => {
    const { topic, sub } = envStacks({ account: '111111111111', region: 'eu-west-1' }, { account: '111111111111', region: 'eu-west-1' });
    expect(() => sub.subscribe(topic)).not.toThrow();
  });
});

describe('a cycle of stack dependencies', () => {
  /** Orders and Billing, each in a stack of its own, on one platform. */
  const pair = () => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
    const orders = new Microservice(new Stack(app, 'OrdersStack'), 'Orders', { platform, image: IMAGE });
    const billing = new Microservice(new Stack(app, 'BillingStack'), 'Billing', { platform, image: IMAGE });
    return { app, orders, billing };
  };
  const namesBoth = (message: string) => {
    expect(message).toContain('OrdersStack');
    expect(message).toContain('BillingStack');
  };

  test('two services that subscribe to each other\'s topics across stacks: the second subscribe() throws, naming both stacks', () => {
    const { orders, billing } = pair();
    billing.subscribe(orders.addTopic('OrderPlaced'));
    namesBoth(errorOf(() => orders.subscribe(billing.addTopic('InvoiceIssued'))));
  });

  test('a subscriber the publisher calls (publisher connectTo subscriber): synthesis fails, naming both stacks', () => {
    // Billing's rule admits it into Orders' tasks (Billing's stack reads Orders'); Orders subscribing
    // to Billing's topic makes Orders' stack deploy after Billing's: a cycle.
    const { app, orders, billing } = pair();
    billing.connectTo(orders);
    namesBoth(errorOf(() => {
      orders.subscribe(billing.addTopic('InvoiceIssued'));
      app.synth();
    }));
  });

  test('a subscriber that calls the publisher is no cycle', () => {
    const { app, orders, billing } = pair();
    billing.subscribe(orders.addTopic('OrderPlaced'));
    billing.connectTo(orders);
    expect(() => app.synth()).not.toThrow();
  });
});

test('every alarm name stays within CloudWatch\'s 255 characters with the longest names', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  const longStack = `S${'x'.repeat(120)}`;
  const pub = new Microservice(new Stack(app, `${longStack}P`), `Publisher${'Y'.repeat(40)}`, { platform, image: IMAGE });
  const topic = pub.addTopic(`T${'z'.repeat(39)}`);
  const subscriber = new Microservice(new Stack(app, longStack), `Subscriber${'W'.repeat(40)}`, {
    platform, image: IMAGE, autoScaling: { minCapacity: 0, maxCapacity: 2 },
  });
  subscriber.subscribe(topic, { scaleOnBacklog: { acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.seconds(1) } });
  const names = [pub, subscriber].flatMap((s) => Object.values(Template.fromStack(Stack.of(s)).findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties.AlarmName));
  expect(names.length).toBeGreaterThan(10);
  for (const n of names) expect(n.length).toBeLessThanOrEqual(255);
});
