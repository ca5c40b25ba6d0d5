import { Duration } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';

/** Options of {@link Microservice.addTopic}. */
export interface ServiceTopicOptions {
  /**
   * A FIFO topic: ordered, deduplicated delivery. Its subscriptions get FIFO queues, which keep
   * the order (SNS FIFO topics may also deliver to standard queues, which do not).
   *
   * @default false
   */
  readonly fifo?: boolean;
  /**
   * FIFO only: deduplicate on a SHA-256 of the message body, so publishers need not send a
   * deduplication id.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;
}

/** Scaling of a worker on the backlog of one of its queues. */
export interface BacklogScalingOptions {
  /**
   * How long a message may wait before a task takes it: with `messageProcessingTime`, the
   * backlog one task may hold (acceptableLatency / messageProcessingTime messages).
   */
  readonly acceptableLatency: Duration;
  /** How long a task takes over one message, on average. */
  readonly messageProcessingTime: Duration;
}

/** Options of {@link Microservice.subscribe}. */
export interface SubscribeOptions {
  /**
   * Deliver only messages whose attributes match (SNS filter policy on message attributes).
   * Mutually exclusive with `filterPolicyWithMessageBody`.
   *
   * @default - every message
   */
  readonly filterPolicy?: { [attribute: string]: sns.SubscriptionFilter };
  /**
   * Deliver only messages whose JSON body matches (SNS filter policy on the message body).
   *
   * @default - every message
   */
  readonly filterPolicyWithMessageBody?: { [key: string]: sns.FilterOrPolicy };
  /**
   * Deliver the message as published, its attributes as SQS message attributes, rather than in
   * SNS's JSON envelope.
   *
   * @default true
   */
  readonly rawMessageDelivery?: boolean;
  /**
   * Receives of a message before it moves to the dead-letter queue, 1 to 1000: each receive that
   * ends without a delete (the handler failed or took longer than the visibility timeout) counts.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long a received message stays hidden from other receivers, 0 to 12 hours: it must cover
   * the processing time, or a slow message is processed twice.
   *
   * @default - 6 x scaleOnBacklog.messageProcessingTime, at least 30 seconds; 30 seconds without it
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long the queue keeps a message not yet processed, 60 seconds to 14 days.
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;
  /**
   * How long a new message stays invisible after it arrives, 0 to 15 minutes.
   *
   * @default - none
   */
  readonly deliveryDelay?: Duration;
  /**
   * Scale the service on this queue's backlog per task. With `autoScaling.minCapacity: 0` the
   * service scales to zero when the queue is empty and wakes when a message arrives.
   *
   * @default - the service scales on CPU and memory only
   */
  readonly scaleOnBacklog?: BacklogScalingOptions;
}
