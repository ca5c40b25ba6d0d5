// Subscribing: Microservice.subscribe() gives the subscriber, in its own stack, a queue and a
// dead-letter queue (encrypted, TLS only), a queue policy and a key statement that admit SNS for
// this topic only, the SNS subscription with its filter, the consume grant, alarms and dashboard rows.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform } from '../../lib';
import type { ServiceSubscription } from '../../lib';
import {
  actionsOn, alarmNamed, asList, AUDIT_DELAY, AUDIT_RETENTION, BILLING_MAX_RECEIVES, buildShop, dashboardText, envOf, getAtt,
  healthRule, keyStatements, messagingKeyId, policyStatements, pseudoArn, resource, resourcesOf, roleStatements,
} from './messaging-fixtures';
import { IMAGE, logicalId, testApp } from '../util';

const shop = buildShop();
const billingStack = shop.stacks.billing!, mailerStack = shop.stacks.mailer!, auditStack = shop.stacks.audit!;
const billing = shop.services.billing!, audit = shop.services.audit!;
const subs = { billing: shop.subs.billing!, mailer: shop.subs.mailer!, audit: shop.subs.audit! };
const t = {
  shop: Template.fromStack(shop.shopStack),
  billing: Template.fromStack(billingStack),
  mailer: Template.fromStack(mailerStack),
  audit: Template.fromStack(auditStack),
  platform: Template.fromStack(shop.platformStack),
};
const PLACED = 'Shop_orders_order-placed';
const LEDGER = 'Shop_orders_ledger-entry.fifo';

/** The logical ids of a subscription's resources in its stack. */
const ids = (sub: ServiceSubscription) => ({
  queue: logicalId(sub.queue), dlq: logicalId(sub.deadLetterQueue), undelivered: logicalId(sub.undeliveredQueue),
  subscription: logicalId(sub.subscription), policy: logicalId(sub.queue.node.findChild('Policy')),
});
const b = ids(subs.billing), m = ids(subs.mailer), a = ids(subs.audit);

describe('a subscriber in another stack', () => {
  const queue = resource(t.billing, b.queue).Properties;
  const dlq = resource(t.billing, b.dlq).Properties;

  test('gets its queue, its dead-letter queue and the SNS subscription in its own stack, and the publisher\'s stack none', () => {
    // Besides each stack's dead-letter queue of its failed-deployment alerts (no queue name).
    const named = (tt: Template) => Object.values<any>(tt.findResources('AWS::SQS::Queue')).filter((q) => q.Properties.QueueName !== undefined);
    expect(named(t.billing)).toHaveLength(3);
    t.billing.resourceCountIs('AWS::SNS::Subscription', 1);
    expect(named(t.shop)).toHaveLength(0);
    t.shop.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(Stack.of(subs.billing.queue)).toBe(billingStack);
  });

  test('names the queues <stack>_<service>_<publisher>_<kebab topic>, ...-dlq and ...-undelivered', () => {
    expect(queue.QueueName).toBe('Billing_billing_orders_order-placed');
    expect(dlq.QueueName).toBe('Billing_billing_orders_order-placed-dlq');
    expect(subs.billing.queueName).toBe(queue.QueueName);
  });

  test('encrypts both queues with the subscriber stack\'s messaging key, not the publisher\'s', () => {
    const key = getAtt(messagingKeyId(billingStack), 'Arn');
    expect(queue.KmsMasterKeyId).toEqual(key);
    expect(dlq.KmsMasterKeyId).toEqual(key);
    expect(resource(t.billing, messagingKeyId(billingStack)).Properties.EnableKeyRotation).toBe(true);
  });

  test.each([['queue', b.queue], ['dead-letter queue', b.dlq]])('the %s\'s policy denies every request without TLS', (_n, id) => {
    const denies = policyStatements(t.billing, 'AWS::SQS::QueuePolicy', id).filter((s) => s.Effect === 'Deny');
    expect(denies).toEqual([expect.objectContaining({
      Action: 'sqs:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: getAtt(id, 'Arn'),
    })]);
  });

  test('the dead-letter queue keeps messages 14 days and takes redrives from the subscription\'s queue only, by its ARN', () => {
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(dlq.RedriveAllowPolicy).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [pseudoArn('sqs', queue.QueueName)] });
  });

  test('a message goes to the dead-letter queue after maxReceiveCount receives: the option, or 5', () => {
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt(b.dlq, 'Arn'), maxReceiveCount: BILLING_MAX_RECEIVES });
    expect(resource(t.mailer, m.queue).Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(subs.billing.maxReceiveCount).toBe(BILLING_MAX_RECEIVES);
    expect(subs.mailer.maxReceiveCount).toBe(5);
  });

  test('long-polls for 20 s and hides a received message for 30 s by default', () => {
    expect(queue.ReceiveMessageWaitTimeSeconds).toBe(20);
    expect(queue.VisibilityTimeout).toBe(30);
  });

  test('keeps the SQS defaults of retention and delay unless given, and applies them when given', () => {
    expect(queue.MessageRetentionPeriod).toBeUndefined();
    expect(queue.DelaySeconds).toBeUndefined();
    const auditQueue = resource(t.audit, a.queue).Properties;
    expect(auditQueue.MessageRetentionPeriod).toBe(AUDIT_RETENTION.toSeconds());
    expect(auditQueue.DelaySeconds).toBe(AUDIT_DELAY.toSeconds());
  });

  test('the queue policy lets SNS send only from this topic, by the ARN its name gives', () => {
    const allows = policyStatements(t.billing, 'AWS::SQS::QueuePolicy', b.queue).filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: getAtt(b.queue, 'Arn'),
      Condition: { ArnEquals: { 'aws:SourceArn': pseudoArn('sns', PLACED) } },
    }]);
  });

  test('the dead-letter queue admits nothing but SNS deliveries of this topic', () => {
    const allows = policyStatements(t.billing, 'AWS::SQS::QueuePolicy', b.dlq).filter((s) => s.Effect === 'Allow');
    for (const s of allows) {
      expect(s).toEqual({
        Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: getAtt(b.dlq, 'Arn'),
        Condition: { ArnEquals: { 'aws:SourceArn': pseudoArn('sns', PLACED) } },
      });
    }
  });

  test('what SNS cannot deliver goes to a queue of its own, not away: the stack\'s key (which SNS may use for this topic), 14 days, SNS of this topic only', () => {
    expect(resource(t.billing, b.subscription).Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt(b.undelivered, 'Arn') });
    const undelivered = resource(t.billing, b.undelivered).Properties;
    expect(undelivered).toMatchObject({ QueueName: 'Billing_billing_orders_order-placed-undelivered', MessageRetentionPeriod: 1209600 });
    expect(undelivered.SqsManagedSseEnabled).toBeUndefined();
    expect(undelivered.KmsMasterKeyId).toEqual(resource(t.billing, b.queue).Properties.KmsMasterKeyId);
    const allows = policyStatements(t.billing, 'AWS::SQS::QueuePolicy', b.undelivered).filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([{
      Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: getAtt(b.undelivered, 'Arn'),
      Condition: { ArnEquals: { 'aws:SourceArn': pseudoArn('sns', PLACED) } },
    }]);
  });

  test('the messaging key lets SNS encrypt for the queue, for this topic only', () => {
    const sns = keyStatements(t.billing, billingStack).filter((s) => s.Principal?.Service === 'sns.amazonaws.com');
    expect(sns).toEqual([{
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { ArnEquals: { 'aws:SourceArn': pseudoArn('sns', PLACED) } },
    }]);
  });

  test('subscribes the queue to the topic: sqs protocol, raw delivery, the filter given', () => {
    expect(resource(t.billing, b.subscription).Properties).toMatchObject({
      Protocol: 'sqs',
      Endpoint: getAtt(b.queue, 'Arn'),
      TopicArn: pseudoArn('sns', PLACED),
      RawMessageDelivery: true,
      FilterPolicy: { channel: ['retail'] },
    });
  });

  test('without a filter every message is delivered; rawMessageDelivery: false keeps the SNS envelope', () => {
    const mailerSub = resource(t.mailer, m.subscription).Properties;
    expect(mailerSub.FilterPolicy).toBeUndefined();
    expect(mailerSub.FilterPolicyScope).toBeUndefined();
    expect(mailerSub.RawMessageDelivery).toBe(true);
    expect(resource(t.audit, a.subscription).Properties.RawMessageDelivery).not.toBe(true);
  });

  test('the subscription is created after the queue policy that admits SNS', () => {
    expect(asList(resource(t.billing, b.subscription).DependsOn)).toContain(b.policy);
  });

  test('names the topic without a reference to the publisher\'s stack (no output, export or stack output read)', () => {
    for (const id of [b.subscription, b.policy, messagingKeyId(billingStack)]) {
      const text = JSON.stringify(resource(t.billing, id));
      expect(text).not.toContain('Fn::GetStackOutput');
      expect(text).not.toContain('Fn::ImportValue');
    }
    expect(JSON.stringify(t.billing.toJSON())).not.toMatch(/"StackName":\s*"Shop"/);
  });

  test('the task role may consume the queue and decrypt its messages, and nothing more of messaging', () => {
    const statements = roleStatements(t.billing, logicalId(billing.taskDefinition.taskRole));
    expect(actionsOn(statements, getAtt(b.queue, 'Arn'))).toEqual(expect.arrayContaining([
      'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage',
    ]));
    expect(actionsOn(statements, getAtt(b.queue, 'Arn')).filter((x) => !x.startsWith('sqs:'))).toEqual([]);
    expect(actionsOn(statements, getAtt(messagingKeyId(billingStack), 'Arn'))).toEqual(['kms:Decrypt']);
    // Through SQS only: the task cannot use the key by itself (kms:ViaService).
    const keyStatement = statements.find((s) => JSON.stringify(s.Resource) === JSON.stringify(getAtt(messagingKeyId(billingStack), 'Arn')));
    expect(keyStatement.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['sqs.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } } });
    expect(statements.flatMap((s) => asList<string>(s.Action)).filter((x) => x.startsWith('sns:'))).toEqual([]);
  });

  test('the app container gets the queue URL as <TOPIC>_QUEUE_URL', () => {
    expect(envOf(t.billing, billing).ORDER_PLACED_QUEUE_URL).toEqual({ Ref: b.queue });
    expect(envOf(t.audit, audit).LEDGER_ENTRY_QUEUE_URL).toEqual({ Ref: a.queue });
    expect(subs.billing.environmentVariable).toBe('ORDER_PLACED_QUEUE_URL');
  });

  test('the subscriber\'s stack deploys after the publisher\'s, never the other way round', () => {
    for (const s of [billingStack, mailerStack, auditStack]) expect(s.dependencies).toContain(shop.shopStack);
    for (const s of [billingStack, mailerStack, auditStack]) expect(shop.shopStack.dependencies).not.toContain(s);
  });
});

describe('a subscription to a FIFO topic', () => {
  const queue = resource(t.audit, a.queue).Properties;
  const dlq = resource(t.audit, a.dlq).Properties;

  test('has FIFO queues, named with .fifo', () => {
    expect(queue).toMatchObject({ QueueName: 'Audit_audit_orders_ledger-entry.fifo', FifoQueue: true });
    expect(dlq).toMatchObject({ QueueName: 'Audit_audit_orders_ledger-entry-dlq.fifo', FifoQueue: true });
    expect(dlq.RedriveAllowPolicy.sourceQueueArns).toEqual([pseudoArn('sqs', 'Audit_audit_orders_ledger-entry.fifo')]);
  });

  test('subscribes to the FIFO topic by its .fifo ARN', () => {
    expect(resource(t.audit, a.subscription).Properties.TopicArn).toEqual(pseudoArn('sns', LEDGER));
    expect(policyStatements(t.audit, 'AWS::SQS::QueuePolicy', a.queue).find((s) => s.Effect === 'Allow').Condition)
      .toEqual({ ArnEquals: { 'aws:SourceArn': pseudoArn('sns', LEDGER) } });
  });

  test('a standard topic\'s queues are not FIFO', () => {
    expect(resource(t.billing, b.queue).Properties.FifoQueue).toBeUndefined();
    expect(resource(t.billing, b.dlq).Properties.FifoQueue).toBeUndefined();
  });
});

describe('a subscriber in the publisher\'s stack', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  const stack = new Stack(app, 'Shop');
  const orders = new Microservice(stack, 'Orders', { platform, image: IMAGE });
  const placed = orders.addTopic('OrderPlaced');
  const catalog = new Microservice(stack, 'Catalog', { platform, image: IMAGE });
  const sub = catalog.subscribe(placed);
  // The raw template, read even when it has a dependency cycle (the first test says whether it has).
  const raw = Template.fromStack(stack, { skipCyclicalDependenciesCheck: true });
  const topicId = logicalId(placed.topic);

  test('synthesizes a deployable template (no dependency cycle between the key, the topic and the policies)', () => {
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('subscribes by the topic\'s Ref', () => {
    expect(resource(raw, logicalId(sub.subscription)).Properties.TopicArn).toEqual({ Ref: topicId });
    expect(policyStatements(raw, 'AWS::SQS::QueuePolicy', logicalId(sub.queue)).find((s) => s.Effect === 'Allow').Condition)
      .toEqual({ ArnEquals: { 'aws:SourceArn': { Ref: topicId } } });
  });

  test('the key admits SNS for this topic only', () => {
    const sns = keyStatements(raw, stack).filter((s) => s.Principal?.Service === 'sns.amazonaws.com');
    expect(sns).toHaveLength(1);
    expect(Object.keys(sns[0].Condition)).toEqual(['ArnEquals']);
    const source = JSON.stringify(sns[0].Condition.ArnEquals['aws:SourceArn']);
    expect([JSON.stringify({ Ref: topicId }), JSON.stringify(pseudoArn('sns', 'Shop_orders_order-placed'))]).toContain(source);
  });

  test('adds no stack dependency', () => {
    expect(stack.dependencies).not.toContain(stack);
    expect(stack.dependencies.map((s) => s.stackName)).toEqual(['Platform']);
  });
});

describe('alarms and dashboards of subscriptions', () => {
  test('a subscriber gets a critical alarm on arrivals in its dead-letter and undelivered queues, in its health alarm\'s rule', () => {
    expect(Object.keys(billing.alarms)).toContain('messaging.queueDeadLetters.OrdersOrderPlaced');
    const alarm = alarmNamed(t.billing, 'Billing-billing-QueueDeadLettersOrdersOrderPlaced');
    expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0, EvaluationPeriods: 1 });
    const [expr] = alarm.Metrics.filter((x: any) => x.Expression);
    // On arrivals (the increase of each queue's count), not on the level: one dead letter left
    // there does not hold the health alarm in ALARM.
    expect(expr.Expression).toBe('DIFF(FILL(dlq, 0)) + DIFF(FILL(undelivered, 0))');
    const stats = Object.fromEntries(alarm.Metrics.filter((x: any) => x.MetricStat).map((x: any) => [x.Id, x.MetricStat]));
    expect(stats.dlq).toMatchObject({ Stat: 'Maximum', Metric: { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: getAtt(b.dlq, 'QueueName') }] } });
    expect(stats.undelivered).toMatchObject({ Stat: 'Maximum', Metric: { Dimensions: [{ Name: 'QueueName', Value: getAtt(b.undelivered, 'QueueName') }] } });
    expect(healthRule(t.billing, 'Billing-billing')).toContain('ALARM("Billing-billing-QueueDeadLettersOrdersOrderPlaced")');
  });

  test('a subscriber gets a warning alarm on its oldest message, 600 s by default, acceptableLatency with scaleOnBacklog', () => {
    const billingOldest = alarmNamed(t.billing, 'Billing-billing-QueueOldestMessageOrdersOrderPlaced');
    expect(billingOldest).toMatchObject({
      Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Statistic: 'Maximum', Threshold: 600,
      Dimensions: [{ Name: 'QueueName', Value: getAtt(b.queue, 'QueueName') }],
    });
    expect(billingOldest.AlarmDescription).toMatch(/\(warning/);
    expect(healthRule(t.billing, 'Billing-billing')).not.toContain('QueueOldestMessage');
    expect(alarmNamed(t.mailer, 'Mailer-mailer-QueueOldestMessageOrdersOrderPlaced').Threshold).toBe(60);
  });

  test('alarms.messaging.queueDeadLetters.enabled: false removes the dead-letter alarm, and only it', () => {
    expect(Object.keys(audit.alarms)).not.toContain('messaging.queueDeadLetters.OrdersLedgerEntry');
    expect(alarmNamed(t.audit, 'Audit-audit-QueueDeadLettersOrdersLedgerEntry')).toBeUndefined();
    expect(healthRule(t.audit, 'Audit-audit')).not.toContain('QueueDeadLetters');
    expect(alarmNamed(t.audit, 'Audit-audit-QueueOldestMessageOrdersLedgerEntry')).toBeDefined();
  });

  test('the subscriber\'s dashboard has a row per queue, on the queue and its dead-letter queue', () => {
    const body = dashboardText(t.billing, 'Billing-billing');
    expect(body).toContain('Queue orders OrderPlaced');
    expect(body).toContain('"QueueName","Billing_billing_orders_order-placed"');
    expect(body).toContain('"QueueName","Billing_billing_orders_order-placed-dlq"');
    expect(dashboardText(t.audit, 'Audit-audit')).toContain('"QueueName","Audit_audit_orders_ledger-entry.fifo"');
  });

  test('the platform\'s overview graphs the largest backlogs with one query over every queue, and names no subscription', () => {
    const overview = resourcesOf(t.platform, 'AWS::CloudWatch::Dashboard').map(([, d]) => JSON.stringify(d.Properties.DashboardBody));
    const withBacklogs = overview.filter((body) => body.includes('Queue backlogs'));
    expect(withBacklogs).toHaveLength(1);
    expect(withBacklogs[0]).toContain('SELECT MAX(ApproximateNumberOfMessagesVisible) FROM SCHEMA(\\\\\\"AWS/SQS\\\\\\", QueueName) GROUP BY QueueName ORDER BY MAX() DESC LIMIT 20');
    for (const name of ['Billing_billing_orders_order-placed', 'Mailer_mailer_orders_order-placed', 'Audit_audit_orders_ledger-entry.fifo']) {
      expect(withBacklogs[0]).not.toContain(name);
    }
  });
});

describe('long names', () => {
  /** Built on first use, so that a construction error fails the tests rather than the suite. */
  let built: ReturnType<typeof build> | undefined;
  function build() {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
    const publisherStack = new Stack(app, 'WarehouseFulfilmentAndReturnsProcessing');
    const topic = new Microservice(publisherStack, 'ShipmentsCoordinator', { platform, image: IMAGE })
      .addTopic('ShipmentDispatchedToCarrierWithTracking', { fifo: true });
    const stack = new Stack(app, 'CustomerNotificationsAndPreferencesCentre');
    const sub = new Microservice(stack, 'ReturnsReconciliationWorker', { platform, image: IMAGE }).subscribe(topic);
    const tt = Template.fromStack(stack);
    const names = [resource(tt, logicalId(sub.queue)).Properties.QueueName, resource(tt, logicalId(sub.deadLetterQueue)).Properties.QueueName];
    return { publisherStack, topic, sub, tt, names };
  }
  const long = () => (built ??= build());

  test('a 40-character topic id of a service in a long-named stack is taken', () => {
    expect(() => long()).not.toThrow();
  });

  test('keep queue names within SQS\'s 80 characters, .fifo included, distinct and of allowed characters', () => {
    const { names, sub } = long();
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/^[A-Za-z0-9_-]+\.fifo$/);
    }
    expect(names[0]).not.toBe(names[1]);
    expect(sub.queueName).toBe(names[0]);
  });

  test('keep the topic name within SNS\'s 256 characters and its display name within 100, and the subscriber names it as the publisher does', () => {
    const { publisherStack, topic, sub, tt } = long();
    const props = resource(Template.fromStack(publisherStack), logicalId(topic.topic)).Properties;
    expect(props.TopicName.length).toBeLessThanOrEqual(256);
    expect(props.TopicName).toMatch(/^[A-Za-z0-9_-]+\.fifo$/);
    expect((props.DisplayName ?? '').length).toBeLessThanOrEqual(100);
    expect(resource(tt, logicalId(sub.subscription)).Properties.TopicArn).toEqual(pseudoArn('sns', props.TopicName));
  });

  test('the dead-letter queue admits redrives from the queue by its shortened name', () => {
    const { sub, tt, names } = long();
    expect(resource(tt, logicalId(sub.deadLetterQueue)).Properties.RedriveAllowPolicy.sourceQueueArns).toEqual([pseudoArn('sqs', names[0])]);
  });
});
