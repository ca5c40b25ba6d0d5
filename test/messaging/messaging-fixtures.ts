// Shared apps and template helpers of the messaging tests (addTopic, subscribe, backlog scaling).
// Expected values come from SNS's, SQS's and KMS's documented semantics and the inputs below.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Microservice, MicroservicePlatform , Tracing } from '../../lib';
import type { ServiceSubscription, ServiceTopic } from '../../lib';
import { asList, IMAGE, logicalId, resource, resourcesOf, testApp } from '../util';

/** The id under which each stack keeps its messaging key. */
export const MESSAGING_KEY_ID = 'CdkMicroserviceMessagingKey';

/** The logical id of a stack's messaging key. */
export const messagingKeyId = (stack: Stack): string => logicalId(stack.node.findChild(MESSAGING_KEY_ID));

export { asList, getAtt, resource, resourcesOf } from '../util';

/** An ARN of this account and region named by pseudo parameters and a literal resource name (no cross-stack reference). */
export const pseudoArn = (service: string, name: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${name}`]],
});

/** The statements of every AWS::IAM::Policy attached to the role. */
export function roleStatements(t: Template, roleId: string): any[] {
  return resourcesOf(t, 'AWS::IAM::Policy')
    .filter(([, p]) => asList(p.Properties.Roles).some((r: any) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

/** The actions a role's policies allow on `resource` (a template value, compared by JSON). */
export function actionsOn(statements: any[], res: unknown): string[] {
  const key = JSON.stringify(res);
  return statements
    .filter((s) => s.Effect === 'Allow' && asList(s.Resource).some((r) => JSON.stringify(r) === key))
    .flatMap((s) => asList<string>(s.Action))
    .sort();
}

/** The app container's environment of a service, as name -> template value. */
export function envOf(t: Template, svc: Microservice): { [name: string]: any } {
  const def = resource(t, logicalId(svc.taskDefinition));
  const app = def.Properties.ContainerDefinitions.find((c: any) => c.Name === 'app');
  return Object.fromEntries((app.Environment ?? []).map((e: any) => [e.Name, e.Value]));
}

/** The statements of a key's policy. */
export const keyStatements = (t: Template, stack: Stack): any[] => resource(t, messagingKeyId(stack)).Properties.KeyPolicy.Statement;

/** The statements of a queue's or a topic's resource policy. */
export function policyStatements(t: Template, type: 'AWS::SQS::QueuePolicy' | 'AWS::SNS::TopicPolicy', targetId: string): any[] {
  const key = type === 'AWS::SQS::QueuePolicy' ? 'Queues' : 'Topics';
  return resourcesOf(t, type)
    .filter(([, p]) => asList(p.Properties[key]).some((q: any) => q.Ref === targetId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

/**
 * A dashboard body as text: each `Fn::GetAtt [queue, QueueName]` replaced by that queue's literal
 * QueueName (what CloudFormation resolves it to), every other intrinsic by TOKEN.
 */
export function dashboardText(t: Template, dashboardName: string): string {
  const found = resourcesOf(t, 'AWS::CloudWatch::Dashboard').find(([, d]) => d.Properties.DashboardName === dashboardName);
  if (!found) throw new Error(`no dashboard ${dashboardName}`);
  const body = found[1].Properties.DashboardBody;
  if (typeof body === 'string') return body;
  const [sep, parts] = body['Fn::Join'];
  return parts.map((p: any) => {
    if (typeof p === 'string') return p;
    const att = p['Fn::GetAtt'];
    if (att && att[1] === 'QueueName') return resource(t, att[0]).Properties.QueueName;
    return 'TOKEN';
  }).join(sep);
}

/** The alarm resource with that AlarmName. */
export function alarmNamed(t: Template, name: string): any | undefined {
  return resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties).find((p) => p.AlarmName === name);
}

/** The rule of a service's health (composite) alarm, by the service's alarm prefix (`<stack>-<service>`). */
export function healthRule(t: Template, prefix: string): string {
  const found = resourcesOf(t, 'AWS::CloudWatch::CompositeAlarm').find(([, a]) => a.Properties.AlarmName === `${prefix}-health`);
  if (!found) throw new Error(`no health alarm ${prefix}-health`);
  return found[1].Properties.AlarmRule;
}

/** The retail-only filter of the user contract. */
export const RETAIL_ONLY = { channel: sns.SubscriptionFilter.stringFilter({ allowlist: ['retail'] }) };

export type ShopSubscriber = 'billing' | 'mailer' | 'audit';

/** The shop: the services, their topics and subscriptions, and every stack. */
export interface Shop {
  readonly app: App;
  readonly platform: MicroservicePlatform;
  readonly platformStack: Stack;
  /** Orders (traced) publishes OrderPlaced and the FIFO LedgerEntry; catalog (same stack, untraced) publishes PriceChanged. */
  readonly shopStack: Stack;
  readonly orders: Microservice;
  readonly catalog: Microservice;
  readonly placed: ServiceTopic;
  readonly ledger: ServiceTopic;
  readonly priceChanged: ServiceTopic;
  readonly stacks: { [K in ShopSubscriber]?: Stack };
  readonly services: { [K in ShopSubscriber]?: Microservice };
  readonly subs: { [K in ShopSubscriber]?: ServiceSubscription };
}

/** Subscriber settings used by the shop, for the expected values. */
export const BILLING_MAX_RECEIVES = 8;
export const AUDIT_RETENTION = Duration.days(7);
export const AUDIT_DELAY = Duration.seconds(30);

/**
 * The shop. Publishers in stack `Shop`; each subscriber asked for in a stack of its own:
 * billing (retail filter, 8 receives), mailer (a scale-to-zero worker on the backlog, 1 min / 200 ms),
 * audit (the FIFO ledger, envelope delivery, 7 days' retention, 30 s delay, no dead-letter alarm).
 */
export function buildShop(subscribers: ShopSubscriber[] = ['billing', 'mailer', 'audit']): Shop {
  const app = testApp();
  const platformStack = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(platformStack, 'Platform', {});
  const shopStack = new Stack(app, 'Shop');
  const orders = new Microservice(shopStack, 'Orders', { platform, image: IMAGE, tracing: Tracing.openTelemetry() });
  const placed = orders.addTopic('OrderPlaced');
  const ledger = orders.addTopic('LedgerEntry', { fifo: true, contentBasedDeduplication: true });
  const catalog = new Microservice(shopStack, 'Catalog', { platform, image: IMAGE });
  const priceChanged = catalog.addTopic('PriceChanged');

  const stacks: Shop['stacks'] = {};
  const services: Shop['services'] = {};
  const subs: Shop['subs'] = {};
  for (const name of subscribers) {
    const stack = new Stack(app, name[0].toUpperCase() + name.slice(1));
    stacks[name] = stack;
    if (name === 'billing') {
      services.billing = new Microservice(stack, 'Billing', { platform, image: IMAGE });
      subs.billing = services.billing.subscribe(placed, { filterPolicy: RETAIL_ONLY, maxReceiveCount: BILLING_MAX_RECEIVES });
    } else if (name === 'mailer') {
      services.mailer = new Microservice(stack, 'Mailer', { platform, image: IMAGE, autoScaling: { minCapacity: 0, maxCapacity: 20 } });
      subs.mailer = services.mailer.subscribe(placed, {
        scaleOnBacklog: { acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.millis(200) },
      });
    } else {
      services.audit = new Microservice(stack, 'Audit', { platform, image: IMAGE, alarms: { messaging: { queueDeadLetters: { enabled: false } } } });
      subs.audit = services.audit.subscribe(ledger, { rawMessageDelivery: false, retentionPeriod: AUDIT_RETENTION, deliveryDelay: AUDIT_DELAY });
    }
  }
  return { app, platform, platformStack, shopStack, orders, catalog, placed, ledger, priceChanged, stacks, services, subs };
}
