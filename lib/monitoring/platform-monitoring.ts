import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { OverviewRow } from '../private/feature';
import { denyGrantsToNonServices } from '../private/grants';
import { safeName } from '../private/names';

/** What the platform owns for alarms: the topics, their key, the overview dashboard. */
export interface PlatformMonitoringProps {
  /** Who the alarm topic emails (each confirms the subscription). */
  readonly alarmEmails: string[];
  /** The platform's cluster, whose services the overview dashboard shows. */
  readonly cluster: ecs.ICluster;
}

/**
 * The platform's alarm topics (critical pages, warnings notify), their KMS key, the overview
 * dashboard with one row per service, and the user pool's alarms.
 */
export class PlatformMonitoring extends Construct {
  /** Critical: each service's health alarm and failed deployments. Subscribe paging here. */
  public readonly alarmTopic: sns.Topic;
  /** Warnings: notify only. */
  public readonly warningTopic: sns.Topic;
  /** The key both topics are encrypted with. */
  public readonly key: kms.Key;
  /** The overview dashboard: one summary row per service, in the order services are defined. */
  public readonly overviewDashboard: cloudwatch.Dashboard;
  /** The user pool's alarms, once the platform's user pool exists. */
  public readonly userPoolAlarms: cloudwatch.Alarm[] = [];
  private readonly cluster: ecs.ICluster;
  private backlogs?: cloudwatch.GraphWidget;

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    this.cluster = props.cluster;
    this.key = new kms.Key(this, 'TopicKey', {
      description: `Encrypts the alarm topics of ${scope.node.path}`,
      enableKeyRotation: true,
    });
    denyGrantsToNonServices(this.key);
    const cloudwatchPrincipal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const eventsPrincipal = new iam.ServicePrincipal('events.amazonaws.com');
    const fromThisAccount = { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } };
    // CloudWatch alarms publish to both encrypted topics, for this account's alarms only.
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [cloudwatchPrincipal], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions: fromThisAccount,
    }));
    // The services' failed-deployment rules publish to the alarm topic: the key statement EventBridge
    // documents for an encrypted SNS target, without a condition (EventBridge guide, "Troubleshooting":
    // kms:Decrypt and kms:GenerateDataKey for events.amazonaws.com).
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [eventsPrincipal], actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['*'],
    }));
    const topic = (tid: string, display: string) => {
      const t = new sns.Topic(this, tid, { displayName: display, masterKey: this.key, enforceSSL: true });
      t.addToResourcePolicy(new iam.PolicyStatement({
        principals: [cloudwatchPrincipal], actions: ['sns:Publish'], resources: [t.topicArn], conditions: fromThisAccount,
      }));
      for (const email of props.alarmEmails) t.addSubscription(new subscriptions.EmailSubscription(email));
      return t;
    };
    this.alarmTopic = topic('AlarmTopic', 'Critical alarms');
    // Once for every service, in the platform's stack: a service's rule never changes this stack.
    // Without a condition: "You can't use Condition blocks in Amazon SNS topic policies for
    // EventBridge" (EventBridge guide, "Using resource-based policies for Amazon EventBridge",
    // Amazon SNS permissions). The warning topic admits CloudWatch only.
    this.alarmTopic.addToResourcePolicy(new iam.PolicyStatement({
      principals: [eventsPrincipal], actions: ['sns:Publish'], resources: [this.alarmTopic.topicArn],
    }));
    this.warningTopic = topic('WarningTopic', 'Warnings');
    this.overviewDashboard = new cloudwatch.Dashboard(this, 'Overview', {
      dashboardName: safeName(`${Stack.of(this).stackName}-overview`, 255),
      defaultInterval: Duration.hours(3),
    });
    this.overviewDashboard.addWidgets(new cloudwatch.TextWidget({
      markdown: `# ${scope.node.path}\nOne row per service: health, CPU and memory, running tasks, mesh traffic and errors (Service Connect or Envoy).`,
      width: 24,
      height: 2,
    }));
  }

  /**
   * Adds a service's row, from literal names: the platform stack never depends on a service stack.
   *
   * @internal
   */
  public _addServiceRow(row: OverviewRow): void {
    const cluster = this.cluster.clusterName;
    const ecsMetric = (metricName: string, statistic: string, namespace = 'AWS/ECS') => new cloudwatch.Metric({
      namespace, metricName, statistic, period: Duration.minutes(5),
      dimensionsMap: { ClusterName: cluster, ServiceName: row.ecsServiceName },
    });
    const widgets: cloudwatch.IWidget[] = [];
    if (row.healthAlarmName) {
      widgets.push(new cloudwatch.AlarmStatusWidget({
        title: `${row.name} health`,
        alarms: [cloudwatch.Alarm.fromAlarmName(this, `${row.name}HealthRef`, row.healthAlarmName)],
        width: 4,
        height: 4,
      }));
    } else {
      widgets.push(new cloudwatch.TextWidget({ markdown: `### ${row.name}\nno alarms`, width: 4, height: 4 }));
    }
    widgets.push(new cloudwatch.GraphWidget({
      title: `${row.name}: CPU and memory (%)`,
      left: [ecsMetric('CPUUtilization', 'Average'), ecsMetric('MemoryUtilization', 'Average')],
      leftYAxis: { min: 0, max: 100 },
      width: 7, height: 4,
    }));
    widgets.push(new cloudwatch.GraphWidget({
      title: `${row.name}: tasks`,
      left: [ecsMetric('RunningTaskCount', 'Average', 'ECS/ContainerInsights'), ecsMetric('DesiredTaskCount', 'Average', 'ECS/ContainerInsights')],
      width: 6, height: 4,
    }));
    widgets.push(...row.meshWidgets);
    this.overviewDashboard.addWidgets(new cloudwatch.Row(...widgets));
  }

  /**
   * Adds a queue to the overview's graph of backlogs (messages waiting, by literal queue name),
   * created with the first.
   *
   * @internal
   */
  public _addBacklog(label: string, queueName: string): void {
    const metric = new cloudwatch.Metric({
      namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensionsMap: { QueueName: queueName },
      statistic: 'Maximum', period: Duration.minutes(1), label,
    });
    if (!this.backlogs) {
      this.backlogs = new cloudwatch.GraphWidget({ title: 'Queue backlogs: messages waiting, by subscription', left: [], width: 24, height: 6 });
      this.overviewDashboard.addWidgets(this.backlogs);
    }
    this.backlogs.addLeftMetric(metric);
  }

  /**
   * Alarms of a user pool the platform created: sign-in and token-refresh throttles (critical) and
   * a low sign-in success ratio (warning). One Metrics Insights query per alarm (CloudWatch allows
   * one per alarm), over every app client of the pool.
   *
   * @internal
   */
  public _monitorUserPool(pool: cognito.IUserPool): void {
    if (this.userPoolAlarms.length > 0) return;
    const query = (select: string, label: string) => new cloudwatch.MathExpression({
      expression: `SELECT ${select} FROM SCHEMA("AWS/Cognito", UserPool, UserPoolClient) WHERE UserPool = '${pool.userPoolId}'`,
      period: Duration.minutes(5),
      label,
      usingMetrics: {},
    });
    const stack = Stack.of(this).stackName;
    const make = (id: string, name: string, metric: cloudwatch.IMetric, threshold: number, op: cloudwatch.ComparisonOperator, periods: number, topic: sns.ITopic, description: string) => {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmName: safeName(`${stack}-${name}`, 255),
        metric,
        threshold,
        comparisonOperator: op,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(new cwactions.SnsAction(topic));
      this.userPoolAlarms.push(alarm);
    };
    make('UserPoolSignInThrottles', 'user-pool-sign-in-throttles', query('SUM(SignInThrottles)', 'Throttled sign-ins'), 0,
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, 1, this.alarmTopic, 'Cognito throttled sign-ins: users cannot get tokens (critical)');
    make('UserPoolTokenRefreshThrottles', 'user-pool-token-refresh-throttles', query('SUM(TokenRefreshThrottles)', 'Throttled token refreshes'), 0,
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, 1, this.alarmTopic, 'Cognito throttled token refreshes: callers cannot renew tokens (critical)');
    make('UserPoolSignInFailures', 'user-pool-sign-in-success-ratio', query('AVG(SignInSuccesses)', 'Sign-in success ratio'), 0.5,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD, 3, this.warningTopic, 'Fewer than half of sign-ins succeed for 15 minutes: credential stuffing or a broken client (warning)');
  }
}
