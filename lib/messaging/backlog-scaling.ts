import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { BacklogScalingOptions } from './messaging-options';
import { safeName } from '../private/names';
import { millis } from '../private/validation';

/** What backlog scaling needs of the worker. */
export interface BacklogWorker {
  readonly scaling: ecs.ScalableTaskCount;
  readonly clusterName: string;
  readonly ecsServiceName: string;
  /** Whether the service may scale to zero (`autoScaling.minCapacity: 0`). */
  readonly scalesToZero: boolean;
  /** Prefix of the service's alarm names. */
  readonly alarmPrefix: string;
}

/** Messages one task may hold: acceptableLatency / messageProcessingTime, at least 1. */
export function backlogTarget(o: BacklogScalingOptions): number {
  return Math.max(1, Math.floor(millis(o.acceptableLatency) / millis(o.messageProcessingTime)));
}

/**
 * Scales a worker on one queue's backlog per task: a target-tracking policy on metric math
 * (visible messages / running tasks, against acceptableLatency / messageProcessingTime), the form
 * AWS documents (Application Auto Scaling guide, "Create a target tracking scaling policy ... using
 * metric math", example "Amazon SQS queue backlog per task"); no function computes the metric.
 * Target tracking adjusts capacity in proportion to it, which from zero tasks is zero: a service
 * that may scale to zero gets a step policy that adds one task when messages wait and none is
 * being received or worked on. The wake reads the queue's own metrics only, which SQS publishes every minute
 * for an active queue, zeros included ("A non-negative value is reported if the queue is active",
 * SQS guide, "Available CloudWatch metrics for Amazon SQS"; a queue holding messages is active),
 * never a task count Container Insights may not publish for a service with no task.
 */
export function scaleOnBacklog(scope: Construct, worker: BacklogWorker, queueName: string, o: BacklogScalingOptions): void {
  const minute = Duration.minutes(1);
  const stat = (namespace: string, metricName: string, dimensions: { [name: string]: string }, statistic: string) => ({
    Metric: { Namespace: namespace, MetricName: metricName, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })) },
    Stat: statistic,
  });
  const tasks = { ClusterName: worker.clusterName, ServiceName: worker.ecsServiceName };

  // aws-cdk-lib 2.276's target tracking takes a single metric only: the policy's metric is set on the L1.
  const policy = new appscaling.TargetTrackingScalingPolicy(scope, 'BacklogScaling', {
    scalingTarget: worker.scaling,
    customMetric: new cloudwatch.Metric({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensionsMap: { QueueName: queueName } }),
    targetValue: backlogTarget(o),
    scaleOutCooldown: minute,
    scaleInCooldown: Duration.minutes(5),
  });
  const cfn = policy.node.defaultChild as appscaling.CfnScalingPolicy;
  const spec = 'TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification';
  for (const key of ['MetricName', 'Namespace', 'Dimensions', 'Statistic', 'Unit']) cfn.addPropertyDeletionOverride(`${spec}.${key}`);
  cfn.addPropertyOverride(`${spec}.Metrics`, [
    { Id: 'visible', MetricStat: stat('AWS/SQS', 'ApproximateNumberOfMessagesVisible', { QueueName: queueName }, 'Sum'), ReturnData: false },
    // Messages in work count too: a trickle of long jobs keeps `visible` near 0, and would scale
    // the tasks that hold them in.
    { Id: 'inFlight', MetricStat: stat('AWS/SQS', 'ApproximateNumberOfMessagesNotVisible', { QueueName: queueName }, 'Sum'), ReturnData: false },
    { Id: 'running', MetricStat: stat('ECS/ContainerInsights', 'RunningTaskCount', tasks, 'Average'), ReturnData: false },
    { Id: 'backlogPerTask', Expression: 'IF(FILL(running, 0) > 0, (visible + FILL(inFlight, 0)) / FILL(running, 0), visible)', Label: 'Backlog per task', ReturnData: true },
  ]);

  if (!worker.scalesToZero) return;
  const wake = new appscaling.StepScalingAction(scope, 'WakeOnBacklog', {
    scalingTarget: worker.scaling,
    adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
    cooldown: minute,
    metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
  });
  wake.addAdjustment({ adjustment: 1, lowerBound: 0 });
  const alarm = new cloudwatch.Alarm(scope, 'WakeOnBacklogAlarm', {
    alarmName: safeName(`${worker.alarmPrefix}-${scope.node.id}-WakeOnBacklog`, 255),
    alarmDescription: `Messages wait in ${queueName} and no task of ${worker.ecsServiceName} receives or works on any: start one`,
    metric: new cloudwatch.MathExpression({
      // Harmless while tasks run: an idle task receives what waits, and busy ones hold messages
      // in flight (not visible), so the alarm stays OK; only messages waiting while nothing is
      // received or in work, which is a service with no task, wake it.
      expression: 'IF(visible > 0 AND FILL(inFlight, 0) == 0 AND FILL(received, 0) == 0, 1, 0)',
      usingMetrics: {
        visible: new cloudwatch.Metric({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensionsMap: { QueueName: queueName }, statistic: 'Maximum', period: minute }),
        inFlight: new cloudwatch.Metric({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesNotVisible', dimensionsMap: { QueueName: queueName }, statistic: 'Maximum', period: minute }),
        received: new cloudwatch.Metric({ namespace: 'AWS/SQS', metricName: 'NumberOfMessagesReceived', dimensionsMap: { QueueName: queueName }, statistic: 'Sum', period: minute }),
      },
      period: minute,
      label: 'Messages wait, none received or in work',
    }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // Two minutes in a row: a task that has just started may not have received in its first minute.
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cwactions.ApplicationScalingAction(wake));
}
