import { ArnFormat, Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { scaleOnBacklog } from './backlog-scaling';
import { messagingKeyOf, viaService } from './messaging-key';
import type { SubscribeOptions } from './messaging-options';
import { ResolvedSubscription, resolveSubscription } from './messaging-validation';
import type { PropErrors } from '../private/validation';
import type { IServiceTopic } from './service-topic';
import type { ServicePart, ServiceTask } from '../private/binding';
import { envStem, kebab, pascal, safeName } from '../private/names';

/** What a subscription needs of its subscriber. */
export interface TopicSubscriber {
  readonly servicePath: string;
  readonly discoveryName: string;
  readonly task: ServiceTask;
  readonly scaling: ecs.ScalableTaskCount;
  readonly clusterName: string;
  readonly ecsServiceName: string;
  readonly scalesToZero: boolean;
  readonly alarmPrefix: string;
}

/** SQS queue names: 1 to 80 letters, digits, hyphens and underscores, `.fifo` included (SQS API reference, CreateQueue). */
const MAX_QUEUE_NAME = 80;
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * A service's subscription to a topic, all in the subscriber's stack: a queue and its dead-letter
 * queue (both encrypted with the stack's messaging key, TLS only), a queue policy and a key
 * statement that admit SNS for this topic only (`aws:SourceArn`), the SNS subscription with its
 * filter, and the task role's consume grant. The container gets the queue URL as
 * `<TOPIC>_QUEUE_URL`. A FIFO topic gets FIFO queues.
 */
export class ServiceSubscription extends Construct {
  /** @internal */
  public static _create(scope: Construct, id: string, topic: IServiceTopic, options: SubscribeOptions, settings: ResolvedSubscription,
    subscriber: TopicSubscriber): ServiceSubscription {
    return new ServiceSubscription(scope, id, topic, options, settings, subscriber);
  }

  /**
   * Checks the options into `errors` (with the caller's own checks, so one error names them all).
   *
   * @internal
   */
  public static _check(errors: PropErrors, options: SubscribeOptions): ResolvedSubscription {
    return resolveSubscription(errors, options);
  }

  /** The topic subscribed to. */
  public readonly topic: IServiceTopic;
  /** The queue the service consumes. */
  public readonly queue: sqs.Queue;
  /** Where messages go after `maxReceiveCount` receives, kept 14 days from when they were first sent. */
  public readonly deadLetterQueue: sqs.Queue;
  /**
   * Where SNS puts what it could not deliver to the queue (after its retries, or at once when
   * the queue refuses it), kept 14 days, encrypted with the stack's key as the queue is. Its
   * messages came from SNS: SQS's redrive cannot move them back (SQS API reference,
   * StartMessageMoveTask); publish them again.
   */
  public readonly undeliveredQueue: sqs.Queue;
  /** The SNS subscription. */
  public readonly subscription: sns.Subscription;
  /** Receives of a message before it moves to the dead-letter queue. */
  public readonly maxReceiveCount: number;
  /** The queue's name, literal (the `QueueName` of its metrics). */
  public readonly queueName: string;
  /** The variable the queue URL reaches the container in. */
  public readonly environmentVariable: string;
  /** Whether the service scales on this queue's backlog. */
  public readonly scalesOnBacklog: boolean;

  /** The variable a subscription to `topic` hands its subscriber the queue URL in. */
  public static environmentVariableOf(topic: IServiceTopic): string {
    return `${envStem(kebab(topic.topicId))}_QUEUE_URL`;
  }
  /** @internal */
  public readonly _part: ServicePart;
  private readonly oldestMessageThreshold?: number;

  private constructor(scope: Construct, id: string, topic: IServiceTopic, options: SubscribeOptions, settings: ResolvedSubscription, subscriber: TopicSubscriber) {
    super(scope, id);
    const s = settings;
    this.topic = topic;
    this.maxReceiveCount = s.maxReceiveCount;
    const key = messagingKeyOf(this);
    // '_' between the parts, which none of them contains: two subscriptions never share a name.
    const base = `${Stack.of(this).stackName}_${subscriber.discoveryName}_${topic.publisherName}_${kebab(topic.topicId)}`;
    const queueName = (suffix: string) => (topic.fifo ? `${safeName(base + suffix, MAX_QUEUE_NAME - 5)}.fifo` : safeName(base + suffix, MAX_QUEUE_NAME));
    const common = { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true, fifo: topic.fifo || undefined };
    this.queueName = queueName('');
    // Only this subscription's queue may send its dead letters here, named by ARN: a reference
    // to the queue would be a cycle (its redrive policy names this one).
    const sourceArn = Stack.of(this).formatArn({ service: 'sqs', resource: this.queueName, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    const source = sqs.Queue.fromQueueArn(this, 'SourceQueue', sourceArn);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...common,
      queueName: queueName('-dlq'),
      retentionPeriod: DEAD_LETTER_RETENTION,
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.BY_QUEUE, sourceQueues: [source] },
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...common,
      queueName: this.queueName,
      visibilityTimeout: s.visibilityTimeout,
      retentionPeriod: s.retentionPeriod,
      deliveryDelay: s.deliveryDelay,
      // Long polling: a receive waits up to 20 s for a message instead of answering empty at once.
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: s.maxReceiveCount },
    });
    // Encrypted with the stack's key too: SNS may use it for this topic (below), whether it
    // delivers to the queue or, failing that, here.
    this.undeliveredQueue = new sqs.Queue(this, 'UndeliveredQueue', {
      ...common,
      queueName: queueName('-undelivered'),
      retentionPeriod: DEAD_LETTER_RETENTION,
      // The SNS subscription's dead-letter queue, which SQS redrive permissions do not govern. Control
      // Tower's CT.SQS.PR.1 wants a queue without a dead-letter queue of its own to allow redrive
      // (byQueue or allowAll; denyAll fails it): byQueue to the subscription's queue is the narrowest.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.BY_QUEUE, sourceQueues: [source] },
    });
    Validations.of(this.undeliveredQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'It is a dead-letter queue: the SNS subscription\'s (its RedrivePolicy), which the rule does not see; a queue of dead letters has none of its own.',
    });

    // In another stack, the topic's ARN from its fixed name: nothing is added to the publisher's stack.
    const sameStack = Stack.of(topic) === Stack.of(this);
    // Named from its fixed name and this stack's own pseudo parameters: no reference, so no output
    // or export in the publisher's stack.
    const builtArn = Stack.of(this).formatArn({ service: 'sns', resource: topic.topicName, account: Aws.ACCOUNT_ID, region: Aws.REGION });
    const topicArn = sameStack ? topic.topicArn : builtArn;
    const sns_ = new iam.ServicePrincipal('sns.amazonaws.com');
    const fromTopic = { ArnEquals: { 'aws:SourceArn': topicArn } };
    this.queue.addToResourcePolicy(new iam.PolicyStatement({ principals: [sns_], actions: ['sqs:SendMessage'], resources: [this.queue.queueArn], conditions: fromTopic }));
    // SNS encrypts what it delivers with the queue's key (SQS guide, "Configure KMS permissions for
    // AWS services"). The topic is named by its built ARN: in the publisher's own stack a Ref would
    // make a cycle (the topic is encrypted with this same key).
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [sns_], actions: ['kms:GenerateDataKey*', 'kms:Decrypt'], resources: ['*'], conditions: { ArnEquals: { 'aws:SourceArn': builtArn } },
    }));
    this.subscription = new sns.Subscription(this, 'Subscription', {
      topic: sns.Topic.fromTopicArn(this, 'Topic', topicArn),
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: this.queue.queueArn,
      rawMessageDelivery: s.rawMessageDelivery,
      // What SNS cannot deliver is kept there instead of dropped (SNS guide, "Amazon SNS
      // dead-letter queues"); aws-cdk-lib admits SNS to it for this topic.
      deadLetterQueue: this.undeliveredQueue,
      filterPolicy: options.filterPolicy,
      filterPolicyWithMessageBody: options.filterPolicyWithMessageBody,
    });
    // The queue must admit SNS before SNS delivers to it.
    this.subscription.node.addDependency(this.queue);

    // What queue.grantConsumeMessages() grants, the key through SQS only (kms:ViaService).
    const role = subscriber.task.taskDefinition.taskRole;
    this.queue.grant(role, 'sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes');
    role.addToPrincipalPolicy(viaService(key, 'sqs', 'kms:Decrypt'));
    this.environmentVariable = ServiceSubscription.environmentVariableOf(topic);
    subscriber.task.addEnvironment(this.environmentVariable, this.queue.queueUrl);
    this.scalesOnBacklog = options.scaleOnBacklog !== undefined;
    if (options.scaleOnBacklog) {
      scaleOnBacklog(this, subscriber, this.queueName, options.scaleOnBacklog);
      this.oldestMessageThreshold = options.scaleOnBacklog.acceptableLatency.toSeconds({ integral: false });
    }
    this._part = this.part(`${pascal(topic.publisherName)}${topic.topicId}`);
  }

  /** Messages SNS could not deliver to the queue, maximum over 5 minutes. */
  public metricUndelivered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.undeliveredQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5), ...props });
  }

  /** Messages waiting in the queue (AWS/SQS ApproximateNumberOfMessagesVisible), maximum over 5 minutes. */
  public metricVisibleMessages(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5), ...props });
  }

  /** Age of the oldest message (AWS/SQS ApproximateAgeOfOldestMessage, seconds), maximum over 5 minutes. */
  public metricOldestMessageAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(5), ...props });
  }

  /** Messages in the dead-letter queue, maximum over 5 minutes. */
  public metricDeadLetters(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5), ...props });
  }

  private part(idSuffix: string): ServicePart {
    const minute = Duration.minutes(1);
    const label = `${this.topic.publisherName} ${this.topic.topicId}`;
    const graph = (title: string, left: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
    return {
      alarms: [
        {
          key: 'messaging.queueDeadLetters',
          // On arrivals, not on the level: a dead letter left in the queue would otherwise hold the
          // health alarm in ALARM for its 14 days, and no later incident would page.
          metric: (period) => new cloudwatch.MathExpression({
            expression: 'DIFF(FILL(dlq, 0)) + DIFF(FILL(undelivered, 0))',
            usingMetrics: { dlq: this.metricDeadLetters({ period }), undelivered: this.metricUndelivered({ period }) },
            period,
            label: `Dead letters arrived: ${label}`,
          }),
          idSuffix,
          whatSuffix: `of ${label}`,
        },
        { key: 'messaging.queueOldestMessage', metric: (period) => this.metricOldestMessageAge({ period }), idSuffix, whatSuffix: `of ${label}`, threshold: this.oldestMessageThreshold },
      ],
      dashboardRows: () => [[
        graph(`Queue ${label}: waiting and in flight`, [
          this.metricVisibleMessages({ period: minute }),
          this.queue.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum', period: minute }),
        ]),
        graph(`Queue ${label}: oldest message (s)`, [this.metricOldestMessageAge({ period: minute })]),
        graph(`Queue ${label}: dead letters and undelivered`, [this.metricDeadLetters({ period: minute }), this.metricUndelivered({ period: minute })]),
      ]],
    };
  }
}
