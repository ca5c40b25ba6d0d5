import { Duration } from 'aws-cdk-lib';
import type { SubscribeOptions } from './messaging-options';
import { millis, PropErrors } from '../private/validation';

/** A subscription's settings with their defaults, checked. */
export interface ResolvedSubscription {
  readonly maxReceiveCount: number;
  readonly visibilityTimeout: Duration;
  readonly retentionPeriod?: Duration;
  readonly deliveryDelay?: Duration;
  readonly rawMessageDelivery: boolean;
}

/** SNS filter policies: at most 5 keys, at most 150 combinations of their values (SNS guide, "Filter policy constraints"). */
const MAX_FILTER_KEYS = 5;
const MAX_FILTER_COMBINATIONS = 150;
const MAX_VISIBILITY_S = 12 * 3600;

/**
 * Checks `subscribe()`'s options against SQS's and SNS's limits, each error naming the option,
 * the allowed range and the value received; applies the defaults.
 */
export function resolveSubscription(errors: PropErrors, o: SubscribeOptions): ResolvedSubscription {
  errors.integer('maxReceiveCount', o.maxReceiveCount, 1, 1000);
  errors.seconds('visibilityTimeout', o.visibilityTimeout, 0, MAX_VISIBILITY_S);
  errors.seconds('retentionPeriod', o.retentionPeriod, 60, 14 * 86400);
  errors.seconds('deliveryDelay', o.deliveryDelay, 0, 900);
  errors.exclusive('filterPolicy', o.filterPolicy, 'filterPolicyWithMessageBody', o.filterPolicyWithMessageBody, 'a subscription filters on attributes or on the body');
  const keys = Object.keys(o.filterPolicy ?? o.filterPolicyWithMessageBody ?? {});
  const prop = o.filterPolicy ? 'filterPolicy' : 'filterPolicyWithMessageBody';
  if (keys.length > MAX_FILTER_KEYS) errors.add(`${prop} must have at most ${MAX_FILTER_KEYS} keys (SNS's limit), got ${keys.length}: ${keys.join(', ')}`);
  if (o.filterPolicy) {
    const combinations = Object.values(o.filterPolicy).reduce((n, f) => n * Math.max(1, f.conditions.length), 1);
    if (combinations > MAX_FILTER_COMBINATIONS) {
      errors.add(`filterPolicy must allow at most ${MAX_FILTER_COMBINATIONS} combinations of values (the product of each key's values, SNS's limit), got ${combinations}`);
    }
  }

  const b = o.scaleOnBacklog;
  if (b) {
    errors.duration('scaleOnBacklog.acceptableLatency', b.acceptableLatency, 1000, 14 * 86400 * 1000, 'between 1 second and 14 days');
    errors.duration('scaleOnBacklog.messageProcessingTime', b.messageProcessingTime, 1, MAX_VISIBILITY_S * 1000, 'between 1 ms and 12 hours');
    if (!b.acceptableLatency.isUnresolved() && !b.messageProcessingTime.isUnresolved() && millis(b.messageProcessingTime) > millis(b.acceptableLatency)) {
      errors.add(`scaleOnBacklog.messageProcessingTime must not exceed scaleOnBacklog.acceptableLatency (a task holds acceptableLatency / messageProcessingTime messages, at least one), got ${millis(b.messageProcessingTime)} ms over ${millis(b.acceptableLatency)} ms`);
    }
  }
  const processing = b && !b.messageProcessingTime.isUnresolved() ? millis(b.messageProcessingTime) : undefined;
  const visibility = o.visibilityTimeout
    ?? Duration.seconds(Math.min(MAX_VISIBILITY_S, Math.max(30, Math.ceil((6 * (processing ?? 0)) / 1000))));
  if (processing !== undefined && Number.isFinite(processing) && !visibility.isUnresolved() && millis(visibility) < processing) {
    errors.add(`visibilityTimeout must cover scaleOnBacklog.messageProcessingTime (a message still in work would be received again), got ${visibility.toSeconds()} s for ${processing} ms`);
  }
  return {
    maxReceiveCount: o.maxReceiveCount ?? 5,
    visibilityTimeout: visibility,
    retentionPeriod: o.retentionPeriod,
    deliveryDelay: o.deliveryDelay,
    rawMessageDelivery: o.rawMessageDelivery ?? true,
  };
}
