// alarms.actions: how each alarm gets its actions and where failed deployments go, the default
// being what the platform's topics always did.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  AlarmActionContext, AlarmActions, AlarmActionStrategyProps, AlarmSeverity, IAlarmActionStrategy, Microservice, MicroserviceAlarmOptions,
  MicroservicePlatform,
} from '../../lib';
import { IMAGE, logicalId, testApp } from '../util';

/** A service with an API (critical and warning alarms) and an alarm of its own, in stack S with two topics of its own. */
function service(options: (topics: { pager: sns.Topic; team: sns.Topic }) => MicroserviceAlarmOptions) {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P');
  const stack = new Stack(app, 'S');
  const topics = { pager: new sns.Topic(stack, 'Pager'), team: new sns.Topic(stack, 'Team') };
  const svc = new Microservice(stack, 'Svc', { platform, image: IMAGE, api: { routes: [{ path: '/a', public: true }] }, alarms: options(topics) });
  svc.addAlarm('QueueDepth', { metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'QueueDepth' }), threshold: 1, severity: AlarmSeverity.CRITICAL });
  const t = Template.fromStack(stack);
  const ref = (topic: sns.Topic) => ({ Ref: logicalId(topic) });
  return { svc, t, topics, ref };
}

const metricAlarms = (t: Template): any[] => Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
const health = (t: Template): any => Object.values<any>(t.findResources('AWS::CloudWatch::CompositeAlarm'))[0].Properties;

describe('AlarmActions.platformTopics(), the default', () => {
  test('is what alarms without `actions` get: the same template', () => {
    const byDefault = service(() => ({})).t.toJSON();
    const explicit = service(() => ({ actions: AlarmActions.platformTopics() })).t.toJSON();
    expect(explicit).toEqual(byDefault);
  });
});

describe('AlarmActions.snsTopics()', () => {
  const { t, topics, ref } = service(({ pager, team }) => ({ actions: AlarmActions.snsTopics({ critical: pager, warning: team }) }));

  test('the health alarm notifies the critical topic; every alarm, critical ones too, the warning topic', () => {
    expect(health(t).AlarmActions).toEqual([ref(topics.pager)]);
    const alarms = metricAlarms(t);
    expect(alarms.length).toBeGreaterThan(8);
    for (const a of alarms) expect([a.AlarmName, a.AlarmActions]).toEqual([a.AlarmName, [ref(topics.team)]]);
    expect(alarms.find((a) => a.AlarmName === 'S-svc-QueueDepth').AlarmActions).toEqual([ref(topics.team)]);
  });

  test('failed deployments are published to the critical topic', () => {
    t.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: ref(topics.pager) })] });
  });

  test("nothing of the service's alarms reaches the platform's topics", () => {
    expect(JSON.stringify(t.toJSON())).not.toMatch(/AlarmTopic|WarningTopic/);
  });

  test('fails when a topic is missing', () => {
    expect(() => AlarmActions.snsTopics({ critical: new sns.Topic(new Stack(), 'T') } as any))
      .toThrow("Invalid props for AlarmActions.snsTopics():\n  - warning must be an sns.ITopic, got undefined");
  });
});

describe('AlarmActions.none()', () => {
  const { svc, t } = service(() => ({ actions: AlarmActions.none() }));

  test('gives no alarm an action, the health alarm included', () => {
    for (const a of metricAlarms(t)) expect([a.AlarmName, a.AlarmActions, a.OKActions]).toEqual([a.AlarmName, undefined, undefined]);
    expect(health(t).AlarmActions).toBeUndefined();
  });

  test('sends failed deployments nowhere: no rule, no dead-letter queue, no alarm on it', () => {
    t.resourceCountIs('AWS::Events::Rule', 0);
    t.resourceCountIs('AWS::SQS::Queue', 0);
    expect(svc.alarms['deployments.alertsUndelivered']).toBeUndefined();
  });

  test('keeps the alarms, the health alarm and the deployment alarms: ECS still rolls back', () => {
    expect(svc.alarms['api.serverErrorRate']).toBeDefined();
    expect(health(t).AlarmRule).toContain('ALARM("S-svc-ApiServerErrorRate")');
    t.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ Alarms: Match.objectLike({ AlarmNames: Match.arrayWith(['S-svc-ApiServerErrorRate']), Rollback: true }) }),
    });
  });
});

describe('a strategy of your own', () => {
  /** Pages critical alarms one by one, with OK notifications; warnings to the team; failed deployments to the platform's warning topic. */
  class PerAlarmPaging implements IAlarmActionStrategy {
    public readonly seen: Array<[string, AlarmSeverity, boolean]> = [];
    constructor(private readonly pager: sns.ITopic, private readonly team: sns.ITopic) {}
    public addAlarmActions(props: AlarmActionStrategyProps): void {
      this.seen.push([props.key, props.severity, props.isHealthAlarm]);
      if (props.isHealthAlarm) {
        props.alarm.addAlarmAction(new cwactions.SnsAction(props.platformAlarmTopic));
      } else if (props.severity === AlarmSeverity.CRITICAL) {
        props.alarm.addAlarmAction(new cwactions.SnsAction(this.pager));
        props.alarm.addOkAction(new cwactions.SnsAction(this.pager));
      } else {
        props.alarm.addAlarmAction(new cwactions.SnsAction(this.team));
      }
    }
    public failedDeploymentTopic(context: AlarmActionContext): sns.ITopic | undefined {
      return context.platformWarningTopic;
    }
  }
  let strategy!: PerAlarmPaging;
  const { svc, t, topics, ref } = service(({ pager, team }) => ({ actions: (strategy = new PerAlarmPaging(pager, team)) }));
  const alarm = (name: string) => metricAlarms(t).find((a) => a.AlarmName === name);

  test('is called once per alarm, with its key and severity, the health alarm and addAlarm\'s included', () => {
    expect(strategy.seen.map(([key]) => key).sort()).toEqual([...Object.keys(svc.alarms), 'health'].sort());
    expect(strategy.seen).toContainEqual(['health', AlarmSeverity.CRITICAL, true]);
    expect(strategy.seen).toContainEqual(['api.latencyP99', AlarmSeverity.CRITICAL, false]);
    expect(strategy.seen).toContainEqual(['api.clientErrorRate', AlarmSeverity.WARNING, false]);
    expect(strategy.seen).toContainEqual(['QueueDepth', AlarmSeverity.CRITICAL, false]);
  });

  test('its actions are the template\'s: critical alarms page with OK actions, warnings go to the team', () => {
    expect(alarm('S-svc-ApiServerErrorRate')).toMatchObject({ AlarmActions: [ref(topics.pager)], OKActions: [ref(topics.pager)] });
    expect(alarm('S-svc-QueueDepth')).toMatchObject({ AlarmActions: [ref(topics.pager)], OKActions: [ref(topics.pager)] });
    expect(alarm('S-svc-ApiClientErrorRate').AlarmActions).toEqual([ref(topics.team)]);
    expect(alarm('S-svc-ApiClientErrorRate').OKActions).toBeUndefined();
    expect(JSON.stringify(health(t).AlarmActions)).toMatch(/AlarmTopic/);
  });

  test('critical alarms feed the health alarm whatever their actions', () => {
    expect(health(t).AlarmRule).toContain('ALARM("S-svc-ApiServerErrorRate")');
    expect(health(t).AlarmRule).toContain('ALARM("S-svc-QueueDepth")');
  });

  test('failed deployments go to the topic it names', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('WarningTopic') }) } })],
    });
  });
});

test('fails when alarms.actions is not a strategy', () => {
  expect(() => service(() => ({ actions: {} as IAlarmActionStrategy })))
    .toThrow("Invalid props for Microservice 'S/Svc':\n  - alarms.actions must be an IAlarmActionStrategy (AlarmActions.platformTopics(), snsTopics(), none() or your own), got {}");
});
