// Backlog scaling: subscribe({ scaleOnBacklog }) scales the worker on its queue's backlog per task
// (target tracking on metric math, target acceptableLatency / messageProcessingTime), and a worker
// with autoScaling.minCapacity 0 also wakes from zero tasks when messages wait (a step policy).
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform } from '../../lib';
import type { ServiceSubscription } from '../../lib';
import { alarmNamed, asList, resource, resourcesOf } from './messaging-fixtures';
import { IMAGE, logicalId, testApp } from '../util';

/** Evaluates a CloudWatch metric-math expression (IF, FILL, AND, OR) on sample values; undefined is a missing value. */
function evaluate(expression: string, values: { [id: string]: number | undefined }): number {
  const ids = Object.keys(values);
  const js = expression.replace(/\bAND\b/g, '&&').replace(/\bOR\b/g, '||');
  const f = new Function('IF', 'FILL', ...ids, `return Number(${js});`);
  return f((c: boolean, a: number, b: number) => (c ? a : b), (v: number | undefined, d: number) => (v === undefined ? d : v), ...ids.map((k) => values[k]));
}

/** The app a construct belongs to. */
const app0 = (c: Microservice): App => c.node.root as App;

/** A MetricStat's dimensions as a name -> value map. */
const dims = (m: any): { [k: string]: any } => Object.fromEntries(m.MetricStat.Metric.Dimensions.map((d: any) => [d.Name, d.Value]));
/** The entry of a Metrics array that reads `metricName`. */
const stat = (metrics: any[], metricName: string): any => {
  const found = metrics.filter((x) => x.MetricStat?.Metric.MetricName === metricName);
  expect(found).toHaveLength(1);
  return found[0];
};

const policiesOn = (t: Template, svc: Microservice, type: string): Array<[string, any]> => resourcesOf(t, 'AWS::ApplicationAutoScaling::ScalingPolicy')
  .filter(([, p]) => p.Properties.PolicyType === type && p.Properties.ScalingTargetId.Ref === scalableTargetId(svc));
const scalableTargetId = (svc: Microservice): string => logicalId(svc.scaling.node.findChild('Target'));
const backlogPolicyOf = (t: Template, svc: Microservice): any => {
  const found = policiesOn(t, svc, 'TargetTrackingScaling').filter(([, p]) => p.Properties.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('workers that scale on their queue\'s backlog', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  const orders = new Microservice(new Stack(app, 'Shop'), 'Orders', { platform, image: IMAGE });
  const placed = orders.addTopic('OrderPlaced');

  // The mailer of the user contract: to zero when idle, each message under a minute, 200 ms each.
  const mailerStack = new Stack(app, 'Mailer');
  const mailer = new Microservice(mailerStack, 'Mailer', { platform, image: IMAGE, autoScaling: { minCapacity: 0, maxCapacity: 20 } });
  const mailerSub = mailer.subscribe(placed, { scaleOnBacklog: { acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.millis(200) } });

  // Reports: at least two tasks; 5 minutes' latency at 7 s a message (300 / 7 = 42.9 messages a task); an oldest-message threshold of its own.
  const reportsStack = new Stack(app, 'Reports');
  const reports = new Microservice(reportsStack, 'Reports', { platform, image: IMAGE, alarms: { messaging: { queueOldestMessage: { threshold: 120 } } } });
  const reportsSub = reports.subscribe(placed, { scaleOnBacklog: { acceptableLatency: Duration.minutes(5), messageProcessingTime: Duration.seconds(7) } });

  // Exports: a visibility timeout of its own, above 6 x processing time.
  const exportsStack = new Stack(app, 'Exports');
  const exporter = new Microservice(exportsStack, 'Exports', { platform, image: IMAGE });
  const exportsSub = exporter.subscribe(placed, {
    visibilityTimeout: Duration.minutes(2), scaleOnBacklog: { acceptableLatency: Duration.minutes(10), messageProcessingTime: Duration.seconds(10) },
  });

  const t = { mailer: Template.fromStack(mailerStack), reports: Template.fromStack(reportsStack), exports: Template.fromStack(exportsStack) };
  const ecsService = (tt: Template, svc: Microservice) => resource(tt, logicalId(svc.service)).Properties;
  const queueProps = (tt: Template, sub: ServiceSubscription) => resource(tt, logicalId(sub.queue)).Properties;

  describe('the backlog target-tracking policy', () => {
    const [, policy] = backlogPolicyOf(t.mailer, mailer);
    const config = policy.Properties.TargetTrackingScalingPolicyConfiguration;
    const metrics: any[] = config.CustomizedMetricSpecification.Metrics;

    test('tracks metric math only: no single-metric key is left in the customized metric', () => {
      expect(Object.keys(config.CustomizedMetricSpecification)).toEqual(['Metrics']);
    });

    test('reads the queue\'s visible messages, summed', () => {
      const visible = stat(metrics, 'ApproximateNumberOfMessagesVisible');
      expect(visible.MetricStat.Metric.Namespace).toBe('AWS/SQS');
      expect(visible.MetricStat.Stat).toBe('Sum');
      expect(dims(visible)).toEqual({ QueueName: mailerSub.queueName });
      expect(mailerSub.queueName).toBe(queueProps(t.mailer, mailerSub).QueueName);
      expect(visible.ReturnData).toBe(false);
    });

    test('reads the running tasks of this ECS service from Container Insights, averaged', () => {
      const running = stat(metrics, 'RunningTaskCount');
      expect(running.MetricStat.Metric.Namespace).toBe('ECS/ContainerInsights');
      expect(running.MetricStat.Stat).toBe('Average');
      const svc = ecsService(t.mailer, mailer);
      expect(dims(running)).toEqual({ ClusterName: svc.Cluster, ServiceName: svc.ServiceName });
      expect(running.ReturnData).toBe(false);
    });

    test('returns one expression: the backlog per running task, the whole backlog when none runs', () => {
      const returned = metrics.filter((x) => x.ReturnData !== false);
      expect(returned).toHaveLength(1);
      const ids = {
        visible: stat(metrics, 'ApproximateNumberOfMessagesVisible').Id, inFlight: stat(metrics, 'ApproximateNumberOfMessagesNotVisible').Id, running: stat(metrics, 'RunningTaskCount').Id,
      };
      const at = (visible: number | undefined, running: number | undefined, inFlight?: number) =>
        evaluate(returned[0].Expression, { [ids.visible]: visible, [ids.running]: running, [ids.inFlight]: inFlight });
      expect(at(600, 2, 0)).toBe(300);
      expect(at(90, 3, 0)).toBe(30);
      expect(at(600, 0)).toBe(600);
      expect(at(600, undefined)).toBe(600);
      expect(at(0, 2, 0)).toBe(0);
      // Messages in work count: two tasks busy with 10 long jobs and nothing waiting hold 5 each.
      expect(at(0, 2, 10)).toBe(5);
      expect(at(4, 2, undefined)).toBe(2);
    });

    test('targets floor(acceptableLatency / messageProcessingTime) messages a task', () => {
      expect(config.TargetValue).toBe(60000 / 200);
      expect(backlogPolicyOf(t.reports, reports)[1].Properties.TargetTrackingScalingPolicyConfiguration.TargetValue).toBe(42);
      expect(backlogPolicyOf(t.exports, exporter)[1].Properties.TargetTrackingScalingPolicyConfiguration.TargetValue).toBe(60);
    });
  });

  describe('a worker that scales to zero', () => {
    const target = resource(t.mailer, scalableTargetId(mailer)).Properties;
    const steps = policiesOn(t.mailer, mailer, 'StepScaling');

    test('registers a scalable target with MinCapacity 0', () => {
      expect(target).toMatchObject({ MinCapacity: 0, MaxCapacity: 20 });
    });

    test('has a step policy that adds one task', () => {
      expect(steps).toHaveLength(1);
      expect(steps[0][1].Properties.StepScalingPolicyConfiguration).toMatchObject({
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      });
    });

    test('the step policy runs when messages wait in the queue and none is received, read from the queue\'s metrics alone', () => {
      const alarms = resourcesOf(t.mailer, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties)
        .filter((a) => asList(a.AlarmActions).some((x: any) => x.Ref === steps[0][0]));
      expect(alarms).toHaveLength(1);
      const alarm = alarms[0];
      // SQS publishes these every minute for an active queue, zeros included; a task count of
      // Container Insights may not exist for a service with no task.
      const received = stat(alarm.Metrics, 'NumberOfMessagesReceived');
      const visible = stat(alarm.Metrics, 'ApproximateNumberOfMessagesVisible');
      const inFlight = stat(alarm.Metrics, 'ApproximateNumberOfMessagesNotVisible');
      expect(alarm.Metrics.filter((x: any) => x.MetricStat).map((x: any) => x.MetricStat.Metric.Namespace)).toEqual(['AWS/SQS', 'AWS/SQS', 'AWS/SQS']);
      for (const m of [received, visible, inFlight]) expect(dims(m)).toEqual({ QueueName: mailerSub.queueName });
      expect(received.MetricStat.Stat).toBe('Sum');
      const expression = alarm.Metrics.filter((x: any) => x.ReturnData !== false);
      expect(expression).toHaveLength(1);
      expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
      const breaches = (r: number | undefined, v: number | undefined, f: number | undefined) =>
        evaluate(expression[0].Expression, { [received.Id]: r, [visible.Id]: v, [inFlight.Id]: f }) >= alarm.Threshold;
      // No task: messages wait, nobody receives them, none is in work.
      expect(breaches(0, 3, 0)).toBe(true);
      expect(breaches(undefined, 1, undefined)).toBe(true);
      // Idle tasks receive what waits: harmless while they run.
      expect(breaches(5, 3, 2)).toBe(false);
      // Busy tasks receive nothing for minutes, but hold messages in flight: no task is added.
      expect(breaches(0, 3, 2)).toBe(false);
      expect(breaches(0, 0, 0)).toBe(false);
    });

    test('no CPU or memory policy holds it at one task: every other target-tracking policy has scale-in off', () => {
      // Application Auto Scaling scales in only when every target-tracking policy with scale-in on
      // agrees, and a utilization policy never computes fewer than one task while one runs.
      const [backlogId] = backlogPolicyOf(t.mailer, mailer);
      const others = policiesOn(t.mailer, mailer, 'TargetTrackingScaling').filter(([id]) => id !== backlogId);
      for (const [, p] of others) expect(p.Properties.TargetTrackingScalingPolicyConfiguration.DisableScaleIn).toBe(true);
    });
  });

  describe('a worker that keeps at least one task', () => {
    test('has the backlog policy but no step policy', () => {
      expect(policiesOn(t.reports, reports, 'StepScaling')).toEqual([]);
      expect(resource(t.reports, scalableTargetId(reports)).Properties.MinCapacity).toBe(2);
      expect(backlogPolicyOf(t.reports, reports)).toBeDefined();
    });

    test('a subscription without scaleOnBacklog adds no scaling policy', () => {
      const app2 = testApp();
      const p2 = new MicroservicePlatform(new Stack(app2, 'Platform'), 'Platform', {});
      const pub = new Microservice(new Stack(app2, 'Shop'), 'Orders', { platform: p2, image: IMAGE });
      const s = new Stack(app2, 'Billing');
      const billing = new Microservice(s, 'Billing', { platform: p2, image: IMAGE });
      billing.subscribe(pub.addTopic('OrderPlaced'));
      const tt = Template.fromStack(s);
      expect(policiesOn(tt, billing, 'StepScaling')).toEqual([]);
      expect(policiesOn(tt, billing, 'TargetTrackingScaling').filter(([, p]) => p.Properties.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification)).toEqual([]);
    });
  });

  describe('the queue of a worker', () => {
    test('hides a received message 6 x messageProcessingTime when that is above 30 s, else 30 s, or as given', () => {
      expect(queueProps(t.mailer, mailerSub).VisibilityTimeout).toBe(30);
      expect(queueProps(t.reports, reportsSub).VisibilityTimeout).toBe(42);
      expect(queueProps(t.exports, exportsSub).VisibilityTimeout).toBe(120);
    });

    test('warns when the oldest message is older than acceptableLatency, unless the threshold is overridden', () => {
      expect(alarmNamed(t.mailer, 'Mailer-mailer-QueueOldestMessageOrdersOrderPlaced').Threshold).toBe(60);
      expect(alarmNamed(t.exports, 'Exports-exports-QueueOldestMessageOrdersOrderPlaced').Threshold).toBe(600);
      expect(alarmNamed(t.reports, 'Reports-reports-QueueOldestMessageOrdersOrderPlaced').Threshold).toBe(120);
    });
  });
});

describe('autoScaling.minCapacity 0', () => {
  /** An app with a publisher and, in stack `Worker`, a worker of minCapacity 0 set up by `wire`. */
  function worker(wire: (w: Microservice, topic: ReturnType<Microservice['addTopic']>) => void) {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
    const topic = new Microservice(new Stack(app, 'Shop'), 'Orders', { platform, image: IMAGE }).addTopic('OrderPlaced');
    const stack = new Stack(app, 'Worker');
    const w = new Microservice(stack, 'Worker', { platform, image: IMAGE, autoScaling: { minCapacity: 0, maxCapacity: 4 } });
    wire(w, topic);
    return { app, stack };
  }

  test('fails synthesis without a subscription that scales on backlog, naming autoScaling.minCapacity', () => {
    const { app } = worker(() => undefined);
    expect(() => app.synth()).toThrow(/autoScaling\.minCapacity[^\n]*Worker[^\n]*got 0/);
  });

  test('fails synthesis with a subscription that does not scale on backlog', () => {
    const { stack } = worker((w, topic) => w.subscribe(topic));
    expect(() => Template.fromStack(stack)).toThrow(/autoScaling\.minCapacity/);
  });

  test('synthesizes with a subscription that scales on backlog', () => {
    const { app } = worker((w, topic) => w.subscribe(topic, { scaleOnBacklog: { acceptableLatency: Duration.seconds(30), messageProcessingTime: Duration.seconds(1) } }));
    expect(() => app.synth()).not.toThrow();
  });

  const SCALED = { scaleOnBacklog: { acceptableLatency: Duration.seconds(30), messageProcessingTime: Duration.seconds(1) } };

  test('fails synthesis when one subscription scales on backlog and another does not: that queue would never wake it', () => {
    const { app } = worker((w, topic) => {
      w.subscribe(topic, SCALED);
      w.subscribe(new Microservice(new Stack(app0(w), 'Other'), 'Other', { platform: w.platform, image: IMAGE }).addTopic('Other'));
    });
    expect(() => app.synth()).toThrow(/autoScaling\.minCapacity[^\n]*every subscription has scaleOnBacklog[^\n]*Other_other_other without it/);
  });

  test('fails synthesis for a worker with an API, or one that others connectTo: at zero tasks their requests fail', () => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
    const topic = new Microservice(new Stack(app, 'Shop'), 'Orders', { platform, image: IMAGE }).addTopic('OrderPlaced');
    const withApi = new Microservice(new Stack(app, 'Api'), 'Api', {
      platform, image: IMAGE, autoScaling: { minCapacity: 0, maxCapacity: 2 }, api: { routes: [{ path: '/a', public: true }] },
    });
    withApi.subscribe(topic, SCALED);
    expect(() => Template.fromStack(Stack.of(withApi))).toThrow(/autoScaling\.minCapacity[^\n]*with an API[^\n]*got 0/);

    const app2 = testApp();
    const platform2 = new MicroservicePlatform(new Stack(app2, 'Platform'), 'Platform', {});
    const topic2 = new Microservice(new Stack(app2, 'Shop'), 'Orders', { platform: platform2, image: IMAGE }).addTopic('OrderPlaced');
    const called = new Microservice(new Stack(app2, 'Called'), 'Called', { platform: platform2, image: IMAGE, autoScaling: { minCapacity: 0, maxCapacity: 2 } });
    called.subscribe(topic2, SCALED);
    new Microservice(new Stack(app2, 'Caller'), 'Caller', { platform: platform2, image: IMAGE }).connectTo(called);
    expect(() => Template.fromStack(Stack.of(called))).toThrow(/autoScaling\.minCapacity[^\n]*others connectTo[^\n]*Caller\/Caller/);
  });

  test('the wake alarm needs two minutes in a row, so a task that has just started has a minute to receive', () => {
    const { stack } = worker((w, topic) => w.subscribe(topic, SCALED));
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).filter((a: any) => /WakeOnBacklog/.test(a.Properties.AlarmName));
    expect(alarms).toHaveLength(1);
    expect(alarms[0].Properties).toMatchObject({ EvaluationPeriods: 2, DatapointsToAlarm: 2 });
  });

  test('a negative minCapacity is still refused at construction, with the value', () => {
    const app = testApp();
    expect(() => new Microservice(new Stack(app, 'S'), 'W', { image: IMAGE, autoScaling: { minCapacity: -1, maxCapacity: 2 } }))
      .toThrow(/autoScaling\.minCapacity must be an integer between 0 and \d+, got -1/);
  });
});
