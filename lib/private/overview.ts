import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** How many services each overview graph shows: the worst of them. */
export const OVERVIEW_TOP = 20;

/**
 * A graph of the platform's overview: one Metrics Insights query (a dashboard widget may hold one
 * only), whose series are the services it groups by. A query returns at most 500 series; with
 * `ORDER BY ... LIMIT` it returns the first of them (CloudWatch user guide, "Metrics Insights
 * query components and syntax"), so the graph stays readable whatever the number of services.
 * Each series is labelled by its group (the dynamic label `${LABEL}`, CloudWatch's default label
 * of a series: without it aws-cdk-lib would label every series with the query).
 */
export function overviewGraph(title: string, query: string, options: { readonly width?: number; readonly max?: number } = {}): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left: [new cloudwatch.MathExpression({ expression: query, usingMetrics: {}, period: Duration.minutes(5), label: '${LABEL}' })],
    leftYAxis: options.max !== undefined ? { min: 0, max: options.max } : { min: 0 },
    width: options.width ?? 12,
    height: 6,
  });
}
