import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';

/** Namespace of the metrics the library derives from access logs. */
export const METRIC_NAMESPACE = 'CdkMicroservice/Api';

/**
 * Counts requests answered 429 from an API's JSON access log: neither flavour publishes a
 * throttle metric of its own.
 */
export function countThrottledRequests(accessLogGroup: logs.LogGroup): void {
  accessLogGroup.addMetricFilter('ThrottledRequests', {
    filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
    metricNamespace: METRIC_NAMESPACE,
    metricName: 'ThrottledRequests',
    metricValue: '1',
    dimensions: { ApiId: '$.apiId' },
  });
}

/** The metric of {@link countThrottledRequests} for one API. */
export function throttledRequestsMetric(apiId: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: 'ThrottledRequests',
    dimensionsMap: { ApiId: apiId },
    statistic: 'Sum',
    period: Duration.minutes(5),
    ...props,
  });
}
