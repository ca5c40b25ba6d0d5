import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { denyGrantsToNonServices } from '../private/grants';
import { safeName } from '../private/names';
import { OVERVIEW_TOP, overviewGraph } from '../private/overview';
import { failedDeploymentRule } from './failed-deployments';

/** What the platform owns for alarms: the topics, their key, the overview dashboard. */
export interface PlatformMonitoringProps {
  /** Who the alarm topic emails (each confirms the subscription). */
  readonly alarmEmails: string[];
  /** The platform's cluster, whose services the overview dashboard shows. */
  readonly cluster: ecs.ICluster;
}

/**
 * The platform's alarm topics (critical pages, warnings notify), their KMS key, the overview
 * dashboard of every service of the cluster, the rule for failed deployments, and the user pool's alarms.
 */
export class PlatformMonitoring extends Construct {
  /** Critical: each service's health alarm and failed deployments. Subscribe paging here. */
  public readonly alarmTopic: sns.Topic;
  /** Warnings: notify only. */
  public readonly warningTopic: sns.Topic;
  /** The key both topics are encrypted with. */
  public readonly key: kms.Key;
  /**
   * The overview dashboard: every service of the cluster at once, the worst 20 of each measure. It
   * names no service, so adding one never changes the platform's stack.
   */
  public readonly overviewDashboard: cloudwatch.Dashboard;
  /** The rule that sends every failed deployment of the cluster's services to the alarm topic. */
  public readonly failedDeploymentRule: events.Rule;
  /** A warning: alerts of the rule that EventBridge could not deliver wait in its dead-letter queue. */
  public readonly deploymentAlertsUndelivered: cloudwatch.Alarm;
  /** The user pool's alarms, once the platform's user pool exists. */
  public readonly userPoolAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
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
    ({ rule: this.failedDeploymentRule, undelivered: this.deploymentAlertsUndelivered } = this.notifyFailedDeployments(props.cluster));
    this.overviewDashboard.addWidgets(...overviewWidgets(scope.node.path, props.cluster.clusterName, this.failedDeploymentRule));
  }

  /**
   * Adds the mesh's graphs of every service to the overview, and the backlogs (once, by the platform).
   *
   * @internal
   */
  public _addMeshWidgets(widgets: cloudwatch.IWidget[]): void {
    if (widgets.length > 0) this.overviewDashboard.addWidgets(...widgets);
    this.overviewDashboard.addWidgets(overviewGraph('Queue backlogs of the account and region: messages waiting (largest 20)',
      `SELECT MAX(ApproximateNumberOfMessagesVisible) FROM SCHEMA("AWS/SQS", QueueName) GROUP BY QueueName ORDER BY MAX() DESC LIMIT ${OVERVIEW_TOP}`, { width: 24 }));
  }

  /**
   * One rule for every service of the cluster: a failed deployment pages through the alarm topic.
   * The rule matches the services' ARNs by prefix (a prefix matcher applies to any string of an
   * event, `resources` included: EventBridge user guide, "Content filtering in Amazon EventBridge
   * event patterns"), in the long format every service created since
   * 2021 has (`arn:<partition>:ecs:<region>:<account>:service/<cluster>/<service>`; ECS developer
   * guide, "Migrate an Amazon ECS short service ARN to a long ARN"). An alert EventBridge could not
   * deliver waits in the rule's dead-letter queue and raises a warning.
   */
  private notifyFailedDeployments(cluster: ecs.ICluster): { readonly rule: events.Rule; readonly undelivered: cloudwatch.Alarm } {
    const stack = Stack.of(this);
    const servicesOfCluster = `arn:${stack.partition}:ecs:${stack.region}:${stack.account}:service/${cluster.clusterName}/`;
    const { rule, deadLetters } = failedDeploymentRule(this, {
      description: `Failed deployments of the services of ${this.node.scope!.node.path}`,
      resources: [{ prefix: servicesOfCluster }],
      topic: this.alarmTopic,
    });
    const undelivered = new cloudwatch.Alarm(this, 'DeploymentAlertsUndelivered', {
      alarmName: safeName(`${stack.stackName}-deployment-alerts-undelivered`, 255),
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'Failed-deployment alerts EventBridge could not deliver to the alarm topic wait in the dead-letter queue (14 days): a failed deployment was not paged (warning)',
    });
    undelivered.addAlarmAction(new cwactions.SnsAction(this.warningTopic));
    return { rule, undelivered };
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

/**
 * The overview's fixed widgets: what CloudWatch publishes of every service of the cluster, by
 * ECS service name, each graph one Metrics Insights query (the worst 20), whatever the number of
 * services. The alarms in ALARM are one link away: an alarm widget lists alarms by name, which
 * would name every service.
 */
function overviewWidgets(platformPath: string, clusterName: string, rule: events.Rule): cloudwatch.IWidget[] {
  const byService = (namespace: string, fn: string, metricName: string, order: string) =>
    `SELECT ${fn}(${metricName}) FROM SCHEMA("${namespace}", ClusterName, ServiceName) WHERE ClusterName = '${clusterName}' GROUP BY ServiceName ORDER BY ${order} LIMIT ${OVERVIEW_TOP}`;
  const alarms = `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#alarmsV2:?~(state~'ALARM)`;
  return [
    new cloudwatch.TextWidget({
      markdown: `# ${platformPath}\nEvery service of the ECS cluster ${clusterName}, the worst 20 of each measure. Alarms in ALARM: [CloudWatch alarms](${alarms}). `
        + "Each service's own dashboard has its detail.",
      width: 24, height: 2,
    }),
    overviewGraph('CPU utilization (%), by service (busiest 20)', byService('AWS/ECS', 'AVG', 'CPUUtilization', 'MAX() DESC'), { width: 8, max: 100 }),
    overviewGraph('Memory utilization (%), by service (busiest 20)', byService('AWS/ECS', 'AVG', 'MemoryUtilization', 'MAX() DESC'), { width: 8, max: 100 }),
    overviewGraph('Running tasks, by service (fewest 20)', byService('ECS/ContainerInsights', 'AVG', 'RunningTaskCount', 'MIN() ASC'), { width: 8 }),
    new cloudwatch.GraphWidget({
      title: "Failed deployments (the platform's rule)",
      left: [new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'TriggeredRules', dimensionsMap: { RuleName: rule.ruleName }, statistic: 'Sum', period: Duration.minutes(5), label: 'failed deployments' })],
      width: 24, height: 4,
    }),
  ];
}
