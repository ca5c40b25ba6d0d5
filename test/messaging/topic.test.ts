// Publishing: Microservice.addTopic() puts an encrypted, TLS-only SNS topic with a fixed name in the
// publisher's stack, lets the publisher (and only it) publish, and never changes when subscribers come.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform } from '../../lib';
import {
  actionsOn, asList, buildShop, dashboardText, getAtt, healthRule, keyStatements, messagingKeyId, policyStatements, resource,
  resourcesOf, roleStatements, envOf, alarmNamed, MESSAGING_KEY_ID, ShopSubscriber,
} from './messaging-fixtures';
import { IMAGE, logicalId, testApp } from '../util';

describe('a service that publishes topics', () => {
  const shop = buildShop();
  const t = Template.fromStack(shop.shopStack);
  const placedId = logicalId(shop.placed.topic);
  const ledgerId = logicalId(shop.ledger.topic);
  const priceId = logicalId(shop.priceChanged.topic);
  const keyId = messagingKeyId(shop.shopStack);
  const keyArn = getAtt(keyId, 'Arn');

  test('each topic is an SNS topic in the publisher\'s stack named <stack>_<service>_<kebab id>', () => {
    expect(resource(t, placedId).Properties.TopicName).toBe('Shop_orders_order-placed');
    expect(resource(t, priceId).Properties.TopicName).toBe('Shop_catalog_price-changed');
    expect(shop.placed.topicName).toBe('Shop_orders_order-placed');
    for (const stack of Object.values(shop.stacks)) Template.fromStack(stack!).resourceCountIs('AWS::SNS::Topic', 0);
  });

  test('a standard topic is neither FIFO nor deduplicating', () => {
    const p = resource(t, placedId).Properties;
    expect(p.FifoTopic).toBeUndefined();
    expect(p.ContentBasedDeduplication).toBeUndefined();
    expect(shop.placed.fifo).toBe(false);
  });

  test('a FIFO topic is named with .fifo and deduplicates on content when asked', () => {
    expect(resource(t, ledgerId).Properties).toMatchObject({
      TopicName: 'Shop_orders_ledger-entry.fifo', FifoTopic: true, ContentBasedDeduplication: true,
    });
    expect(shop.ledger.fifo).toBe(true);
  });

  test('every topic is encrypted with the stack\'s one messaging key', () => {
    for (const id of [placedId, ledgerId, priceId]) expect(resource(t, id).Properties.KmsMasterKeyId).toEqual(keyArn);
    expect(resourcesOf(t, 'AWS::KMS::Key').filter(([id]) => id.startsWith(MESSAGING_KEY_ID))).toHaveLength(1);
  });

  test('the messaging key rotates, is kept when the stack goes (messages it encrypted stay readable), and lets no one create grants for a principal that is not an AWS service', () => {
    expect(resource(t, keyId).Properties.EnableKeyRotation).toBe(true);
    expect(resource(t, keyId)).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(keyStatements(t, shop.shopStack)).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    });
  });

  test.each([['OrderPlaced', () => placedId], ['LedgerEntry', () => ledgerId], ['PriceChanged', () => priceId]])(
    'the topic policy of %s denies every request without TLS', (_name, id) => {
      const denies = policyStatements(t, 'AWS::SNS::TopicPolicy', id()).filter((s) => s.Effect === 'Deny');
      expect(denies.length).toBeGreaterThan(0);
      for (const s of denies) {
        expect(s.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
        expect(asList(s.Resource)).toContainEqual({ Ref: id() });
      }
    });

  test('the publisher\'s task role may publish to its topics and use the key for exactly GenerateDataKey and Decrypt', () => {
    const statements = roleStatements(t, logicalId(shop.orders.taskDefinition.taskRole));
    expect(actionsOn(statements, { Ref: placedId })).toEqual(['sns:Publish']);
    expect(actionsOn(statements, { Ref: ledgerId })).toEqual(['sns:Publish']);
    expect(actionsOn(statements, keyArn)).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    // Through SNS only: the task cannot use the key by itself (kms:ViaService).
    for (const s of statements.filter((x) => JSON.stringify(x.Resource) === JSON.stringify(keyArn))) {
      expect(s.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['sns.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } } });
    }
  });

  test('no statement of a publisher\'s task role has a wildcard action', () => {
    for (const svc of [shop.orders, shop.catalog]) {
      const actions = roleStatements(t, logicalId(svc.taskDefinition.taskRole)).flatMap((s) => asList<string>(s.Action));
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  test('a service may not publish to another service\'s topic', () => {
    const catalogStatements = roleStatements(t, logicalId(shop.catalog.taskDefinition.taskRole));
    expect(actionsOn(catalogStatements, { Ref: placedId })).toEqual([]);
    expect(actionsOn(catalogStatements, { Ref: priceId })).toEqual(['sns:Publish']);
  });

  test('the app container gets each topic\'s ARN as <TOPIC>_TOPIC_ARN', () => {
    expect(envOf(t, shop.orders)).toMatchObject({ ORDER_PLACED_TOPIC_ARN: { Ref: placedId }, LEDGER_ENTRY_TOPIC_ARN: { Ref: ledgerId } });
    expect(envOf(t, shop.catalog)).toMatchObject({ PRICE_CHANGED_TOPIC_ARN: { Ref: priceId } });
    expect(envOf(t, shop.catalog).ORDER_PLACED_TOPIC_ARN).toBeUndefined();
    expect(shop.placed.environmentVariable).toBe('ORDER_PLACED_TOPIC_ARN');
  });

  test('a traced publisher\'s topics trace actively; an untraced publisher\'s do not', () => {
    expect(resource(t, placedId).Properties.TracingConfig).toBe('Active');
    expect(resource(t, ledgerId).Properties.TracingConfig).toBe('Active');
    expect(resource(t, priceId).Properties.TracingConfig).toBeUndefined();
  });

  test('the platform lets SNS write the traces of this account\'s topics: one X-Ray resource policy, created for the first traced topic', () => {
    const policies = Template.fromStack(shop.platformStack).findResources('AWS::XRay::ResourcePolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    const [policy] = Object.values(policies);
    expect(policy.Properties.PolicyName).toBe('Platform-sns-tracing');
    const doc = JSON.stringify(policy.Properties.PolicyDocument);
    for (const part of ['sns.amazonaws.com', 'xray:PutTraceSegments', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'aws:SourceAccount', 'aws:SourceArn', ':sns:']) {
      expect(doc).toContain(part);
    }
  });

  test('a platform whose services trace no topic has no X-Ray resource policy', () => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Quiet'), 'Platform');
    new Microservice(new Stack(app, 'Q'), 'Svc', { platform, image: IMAGE }).addTopic('Happened');
    Template.fromStack(Stack.of(platform)).resourceCountIs('AWS::XRay::ResourcePolicy', 0);
  });

  test('the publisher gets a warning alarm per topic on SNS deliveries that failed', () => {
    expect(Object.keys(shop.orders.alarms)).toEqual(expect.arrayContaining(['messaging.topicDeliveryFailures.OrderPlaced', 'messaging.topicDeliveryFailures.LedgerEntry']));
    const alarm = alarmNamed(t, 'Shop-orders-TopicDeliveryFailuresOrderPlaced');
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SNS', MetricName: 'NumberOfNotificationsFailed', Statistic: 'Sum',
      Dimensions: [{ Name: 'TopicName', Value: 'Shop_orders_order-placed' }],
      ComparisonOperator: 'GreaterThanThreshold', Threshold: 0,
    });
    expect(alarm.AlarmDescription).toMatch(/\(warning/);
    expect(healthRule(t, 'Shop-orders')).toContain('ALARM("Shop-orders-RunningTasks")');
    expect(healthRule(t, 'Shop-orders')).not.toContain('TopicDeliveryFailures');
  });

  test('the publisher\'s dashboard has a row per topic, on its literal name', () => {
    const body = dashboardText(t, 'Shop-orders');
    expect(body).toContain('Topic OrderPlaced');
    expect(body).toContain('Topic LedgerEntry');
    expect(body).toContain('"TopicName","Shop_orders_order-placed"');
    expect(body).toContain('"TopicName","Shop_orders_ledger-entry.fifo"');
  });
});

describe('a new subscriber never changes the publisher\'s stack', () => {
  const cases: Array<[string, ShopSubscriber[]]> = [['no', []], ['one', ['billing']], ['two', ['billing', 'mailer']], ['three', ['billing', 'mailer', 'audit']]];
  const templates = cases.map(([, subs]) => JSON.stringify(Template.fromStack(buildShop(subs).shopStack).toJSON()));

  test.each(cases.slice(1).map(([name], i) => [name, i + 1]))(
    'the publisher\'s template with %s cross-stack subscriber(s) is the one with none', (_name, i) => {
      expect(templates[i as number]).toBe(templates[0]);
    });

  test('the publisher\'s stack exports nothing for its subscribers', () => {
    const t = JSON.parse(templates[templates.length - 1]);
    expect(Object.keys(t.Outputs ?? {})).toEqual([]);
  });
});
