import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { messagingKeyOf, viaService } from './messaging-key';
import type { ServiceTopicOptions } from './messaging-options';
import type { ServicePart, ServiceTask } from '../private/binding';
import { envStem, kebab, safeName } from '../private/names';
import { PropErrors } from '../private/validation';

/** What a topic needs of its publisher. */
export interface TopicPublisher {
  readonly servicePath: string;
  readonly discoveryName: string;
  readonly task: ServiceTask;
  readonly tracing: boolean;
  /** With tracing: the platform's X-Ray resource policy for SNS, created on first use. */
  readonly snsTracingPolicy: () => IConstruct;
}

const TOPIC_ID = /^[A-Z][A-Za-z0-9]{0,39}$/;
/** SNS topic names: 1 to 256 letters, digits, hyphens and underscores, `.fifo` included for FIFO (SNS API reference, CreateTopic). */
const MAX_TOPIC_NAME = 256;

/**
 * A topic another service may subscribe to (`Microservice.subscribe`): one a service of this app
 * publishes (`ServiceTopic`), or one a service of another app publishes, from its contract
 * (`Microservice.fromServiceName(...).topic(id)`).
 */
export interface IServiceTopic extends IConstruct {
  /** The SNS topic's ARN. */
  readonly topicArn: string;
  /** Its name, literal. */
  readonly topicName: string;
  /** Whether it is a FIFO topic. */
  readonly fifo: boolean;
  /** The id it was added with (`OrderPlaced`). */
  readonly topicId: string;
  /** Construct path of the publishing service (its reference, for a service of another app). */
  readonly publisherPath: string;
  /** Discovery name of the publishing service. */
  readonly publisherName: string;
}

/**
 * A topic a service publishes: an SNS topic in the service's stack, encrypted with the stack's
 * messaging key, TLS only, X-Ray active tracing when the service traces. The task role may
 * publish, and the container gets its ARN as `<TOPIC>_TOPIC_ARN` (`ORDER_PLACED_TOPIC_ARN`).
 *
 * Its name is fixed (`<stack>_<service>_<id>`), so that a subscriber in another stack names its
 * ARN without a reference to this stack: a new subscriber never changes the publisher's template.
 */
export class ServiceTopic extends Construct implements IServiceTopic {
  /** @internal */
  public static _create(scope: Construct, id: string, options: ServiceTopicOptions, publisher: TopicPublisher): ServiceTopic {
    return new ServiceTopic(scope, id, options, publisher);
  }

  /** The SNS topic. */
  public readonly topic: sns.Topic;
  /** The SNS topic's ARN. */
  public readonly topicArn: string;
  /** Its name, literal. */
  public readonly topicName: string;
  /** Whether it is a FIFO topic. */
  public readonly fifo: boolean;
  /** The id it was added with (`OrderPlaced`). */
  public readonly topicId: string;
  /** The variable its ARN reaches the publisher's container in. */
  public readonly environmentVariable: string;
  /** Construct path of the publishing service. */
  public readonly publisherPath: string;
  /** Discovery name of the publishing service. */
  public readonly publisherName: string;
  /** @internal */
  public readonly _part: ServicePart;

  private constructor(scope: Construct, id: string, options: ServiceTopicOptions, publisher: TopicPublisher) {
    super(scope, id);
    const errors = new PropErrors(`addTopic('${id}') of Microservice '${publisher.servicePath}'`);
    errors.text('id', id, TOPIC_ID, 'a PascalCase name of letters and digits, 1-40 characters, such as "OrderPlaced"');
    if (options.contentBasedDeduplication && !options.fifo) {
      errors.add('contentBasedDeduplication requires fifo: true (standard topics do not deduplicate), got contentBasedDeduplication without fifo');
    }
    errors.throwIfAny();

    this.topicId = id;
    this.fifo = options.fifo ?? false;
    this.publisherPath = publisher.servicePath;
    this.publisherName = publisher.discoveryName;
    // '_' between the parts, which none of them contains: two topics never share a name.
    const base = `${Stack.of(this).stackName}_${publisher.discoveryName}_${kebab(id)}`;
    this.topicName = this.fifo ? `${safeName(base, MAX_TOPIC_NAME - 5)}.fifo` : safeName(base, MAX_TOPIC_NAME);
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: this.topicName,
      // SNS display names: at most 100 characters.
      displayName: `${id} of ${publisher.servicePath}`.slice(0, 100),
      masterKey: messagingKeyOf(this),
      enforceSSL: true,
      fifo: this.fifo || undefined,
      contentBasedDeduplication: options.contentBasedDeduplication,
      // SNS passes a publisher's trace header on either way; Active adds SNS's own segments
      // (AWS::SNS::Topic TracingConfig), which need the platform's X-Ray resource policy.
      tracingConfig: publisher.tracing ? sns.TracingConfig.ACTIVE : undefined,
    });
    this.topicArn = this.topic.topicArn;
    if (publisher.tracing) publisher.snsTracingPolicy();
    // Publish, and the two key actions SNS uses for a publisher (SNS guide, "Encryption at rest"),
    // named: topic.grantPublish() would grant kms:GenerateDataKey* (a wildcard action). The key
    // through SNS only (kms:ViaService sns.<region>.amazonaws.com, KMS guide's table of services).
    const role = publisher.task.taskDefinition.taskRole;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    role.addToPrincipalPolicy(viaService(messagingKeyOf(this), 'sns', 'kms:GenerateDataKey', 'kms:Decrypt'));
    this.environmentVariable = `${envStem(kebab(id))}_TOPIC_ARN`;
    publisher.task.addEnvironment(this.environmentVariable, this.topic.topicArn);
    this._part = this.part();
  }

  /** Messages published (AWS/SNS NumberOfMessagesPublished), sum over 5 minutes. */
  public metricMessagesPublished(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('NumberOfMessagesPublished', props);
  }

  /** Deliveries to subscribers that succeeded (AWS/SNS NumberOfNotificationsDelivered), sum over 5 minutes. */
  public metricNotificationsDelivered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('NumberOfNotificationsDelivered', props);
  }

  /** Deliveries to subscribers that failed (AWS/SNS NumberOfNotificationsFailed), sum over 5 minutes. */
  public metricNotificationsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('NumberOfNotificationsFailed', props);
  }

  private metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SNS', metricName, dimensionsMap: { TopicName: this.topicName }, statistic: 'Sum', period: Duration.minutes(5), ...props,
    });
  }

  private part(): ServicePart {
    const minute = Duration.minutes(1);
    return {
      alarms: [{ key: 'messaging.topicDeliveryFailures', metric: (period) => this.metricNotificationsFailed({ period }), idSuffix: this.topicId, whatSuffix: `of ${this.topicName}` }],
      dashboardRows: () => [[
        new cloudwatch.GraphWidget({
          title: `Topic ${this.topicId}: published, delivered, failed`,
          left: [this.metricMessagesPublished({ period: minute }), this.metricNotificationsDelivered({ period: minute })],
          right: [this.metricNotificationsFailed({ period: minute })],
          width: 24, height: 6,
        }),
      ]],
    };
  }
}
