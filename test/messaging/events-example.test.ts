// examples/events/app.ts, the messaging example: its stacks, and what makes the mailer a
// scale-to-zero worker. (test/examples.test.ts runs cdk-nag and the Control Tower checks over it.)
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from '../../examples/events/app';
import { testApp } from '../util';

describe('the events example', () => {
  const app = build(testApp());
  const stacks = Object.fromEntries(app.node.children.filter((c): c is Stack => c instanceof Stack).map((s) => [s.stackName, s]));
  const t = Object.fromEntries(['EventsOrders', 'EventsBilling', 'EventsMailer'].map((n) => [n, Template.fromStack(stacks[n])]));

  test('has the platform, the publisher and two subscribers, each in its own stack', () => {
    expect(Object.keys(stacks).sort()).toEqual(['EventsBilling', 'EventsMailer', 'EventsOrders', 'EventsPlatform']);
    t.EventsOrders.resourceCountIs('AWS::SNS::Topic', 1);
    for (const n of ['EventsBilling', 'EventsMailer']) {
      t[n].resourceCountIs('AWS::SNS::Subscription', 1);
      expect(stacks[n].dependencies).toContain(stacks.EventsOrders);
    }
  });

  test('billing takes the retail orders only', () => {
    t.EventsBilling.hasResourceProperties('AWS::SNS::Subscription', { FilterPolicy: { channel: ['retail'] }, RawMessageDelivery: true });
  });

  test('the mailer may scale to zero and wakes on its backlog by a step policy', () => {
    t.EventsMailer.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 20 });
    t.EventsMailer.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] },
    });
    const tracking = Object.values<any>(t.EventsMailer.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
      .map((p) => p.Properties.TargetTrackingScalingPolicyConfiguration).filter((c) => c?.CustomizedMetricSpecification);
    expect(tracking.map((c) => c.TargetValue)).toEqual([300]);
  });

  test('billing keeps its tasks: no step policy', () => {
    expect(Object.values<any>(t.EventsBilling.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
      .filter((p) => p.Properties.PolicyType === 'StepScaling')).toEqual([]);
  });
});
