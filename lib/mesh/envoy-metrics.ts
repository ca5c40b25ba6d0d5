import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { AlarmSource, ServicePart } from '../private/binding';
import { pascal } from '../private/names';

/** The namespace of the sidecars' metrics. */
export const ENVOY_METRIC_NAMESPACE = 'CdkMicroservice/Envoy';
/** The metric the access-log filters publish: the time of each call, retries included, ms. */
export const REQUEST_DURATION_METRIC = 'RequestDuration';

/** The metrics collector's health-check port (the ADOT image's /healthcheck takes it as --port). */
export const COLLECTOR_HEALTH_PORT = 13134;

/** Envoy's per-cluster counters the collector keeps (Envoy's cluster statistics, Prometheus names). */
export const KEPT_COUNTERS = [
  'envoy_cluster_upstream_rq_xx',
  'envoy_cluster_upstream_rq_total',
  'envoy_cluster_upstream_rq_retry',
  'envoy_cluster_upstream_rq_retry_overflow',
  'envoy_cluster_upstream_rq_pending_overflow',
  'envoy_cluster_outlier_detection_ejections_enforced_total',
];

/**
 * The ADOT collector's configuration: scrape the sidecar's Prometheus endpoint once a minute, keep
 * the per-backend counters, and write them as CloudWatch embedded metrics (counters become deltas
 * per scrape) to the service's metrics log group, by ClusterName, Caller and Backend (one edge) and
 * by ClusterName and Backend (every caller of a backend). No `$` anywhere: the collector would
 * expand it.
 *
 * Read in the collector's sources (aws-otel-collector v0.49.0, which vendors
 * opentelemetry-collector-contrib v0.156.0):
 * - `retain_initial_value_of_delta_metric`: awsemf turns cumulative counters into deltas and, by
 *   default, keeps the first point of each new series as the baseline only
 *   (`exporter/awsemfexporter/datapoint.go`, README). Envoy creates `upstream_rq_5xx` when the
 *   first 5XX arrives: without this, the first burst of errors of every task was never published.
 * - The `resourcedetection` processor with the `ecs` detector sets `aws.ecs.task.id` from the task
 *   metadata endpoint (`processor/resourcedetectionprocessor/internal/aws/ecs`), which awsemf's
 *   `{TaskId}` in `log_stream_name` reads (`exporter/awsemfexporter/util.go`); without it the stream
 *   was named "undefined". Resource attributes become no dimensions (awsemf's
 *   `resource_to_telemetry_conversion` is off by default).
 */
export function collectorConfig(p: { caller: string; clusterName: string; adminPort: number; logGroupName: string }): { [key: string]: unknown } {
  return {
    // Its own health port: the tracing collector of the same task holds the default 13133.
    extensions: { health_check: { endpoint: `127.0.0.1:${COLLECTOR_HEALTH_PORT}` } },
    receivers: {
      prometheus: {
        config: {
          scrape_configs: [{
            job_name: 'envoy',
            scrape_interval: '60s',
            metrics_path: '/stats/prometheus',
            static_configs: [{ targets: [`127.0.0.1:${p.adminPort}`], labels: { ClusterName: p.clusterName, Caller: p.caller } }],
            metric_relabel_configs: [
              { source_labels: ['__name__'], regex: `(${KEPT_COUNTERS.join('|')})`, action: 'keep' },
              { source_labels: ['envoy_cluster_name'], target_label: 'Backend' },
              { regex: 'envoy_cluster_name', action: 'labeldrop' },
            ],
          }],
        },
      },
    },
    processors: {
      resourcedetection: { detectors: ['ecs'] },
    },
    exporters: {
      awsemf: {
        namespace: ENVOY_METRIC_NAMESPACE,
        log_group_name: p.logGroupName,
        log_stream_name: '{TaskId}',
        dimension_rollup_option: 'NoDimensionRollup',
        retain_initial_value_of_delta_metric: true,
        metric_declarations: [
          {
            dimensions: [['ClusterName', 'Caller', 'Backend', 'envoy_response_code_class'], ['ClusterName', 'Backend', 'envoy_response_code_class']],
            metric_name_selectors: ['^envoy_cluster_upstream_rq_xx'],
          },
          {
            dimensions: [['ClusterName', 'Caller', 'Backend'], ['ClusterName', 'Backend']],
            metric_name_selectors: KEPT_COUNTERS.slice(1).map((m) => `^${m}`),
          },
        ],
      },
    },
    service: {
      extensions: ['health_check'],
      // No internal telemetry server: its default port 8888 would clash with a second collector.
      telemetry: { metrics: { level: 'none' } },
      pipelines: { metrics: { receivers: ['prometheus'], processors: ['resourcedetection'], exporters: ['awsemf'] } },
    },
  };
}

/** A counter of the sidecars, summed per period. */
function counter(metricName: string, dims: { [name: string]: string }, period = Duration.minutes(5), label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: ENVOY_METRIC_NAMESPACE, metricName, dimensionsMap: dims, statistic: 'Sum', period, label });
}

/**
 * The 5XX rate of final responses (after retries): classes 2 to 5 of `upstream_rq_xx`. Envoy creates a
 * class's counter on its first response of that class, so a class may have no data: FILL makes it 0.
 */
function errorRate(dims: { [name: string]: string }, period: Duration, label: string): cloudwatch.MathExpression {
  const c = (cls: string) => counter('envoy_cluster_upstream_rq_xx', { ...dims, envoy_response_code_class: cls }, period);
  return new cloudwatch.MathExpression({
    expression: 'IF(FILL(c2, 0) + FILL(c3, 0) + FILL(c4, 0) + FILL(c5, 0) > 0, 100 * FILL(c5, 0) / (FILL(c2, 0) + FILL(c3, 0) + FILL(c4, 0) + FILL(c5, 0)), 0)',
    usingMetrics: { c2: c('2'), c3: c('3'), c4: c('4'), c5: c('5') },
    period,
    label,
  });
}

function duration(dims: { [name: string]: string }, period = Duration.minutes(5)): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: ENVOY_METRIC_NAMESPACE, metricName: REQUEST_DURATION_METRIC, dimensionsMap: dims, statistic: 'p99', period });
}

/** What a backend's own monitoring reads of its callers' sidecars: every caller, by ClusterName and Backend. */
export function calleePart(clusterName: string, backend: string, accessLogs: boolean): ServicePart {
  const dims = { ClusterName: clusterName, Backend: backend };
  const graph = (title: string, left: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
  const responses = ['2', '3', '4', '5'].map((cls) => counter('envoy_cluster_upstream_rq_xx', { ...dims, envoy_response_code_class: cls }, undefined, `${cls}XX`));
  const alarms: AlarmSource[] = [{ key: 'mesh.serverErrors', variant: 'envoy', metric: (period) => errorRate(dims, period, 'Envoy 5XX (%)') }];
  if (accessLogs) alarms.push({ key: 'mesh.latency', variant: 'envoy', metric: (period) => duration(dims, period) });
  return {
    alarms,
    signals: { traffic: responses, errors: [responses[3]], latency: accessLogs ? [duration(dims)] : [] },
    dashboardRows: () => [[
      graph('Mesh: responses to callers by code class (Envoy)', responses),
      graph('Mesh: 5XX rate (%)', [errorRate(dims, Duration.minutes(5), '5XX (%)')]),
      ...(accessLogs ? [graph('Mesh: callers\' p99 request time (ms)', [duration(dims)])] : []),
    ]],
  };
}

/** One edge: what the caller's monitoring gets of its calls to one backend cluster. */
export function edgePart(clusterName: string, caller: string, backend: string, accessLogs: boolean, ejects: boolean): ServicePart {
  const dims = { ClusterName: clusterName, Caller: caller, Backend: backend };
  const suffix = { idSuffix: pascal(backend), whatSuffix: `to ${backend}` };
  const alarms: AlarmSource[] = [
    { key: 'edges.serverErrorRate', metric: (period) => errorRate(dims, period, `5XX to ${backend} (%)`), ...suffix },
    { key: 'edges.retryBudgetExhausted', metric: (period) => counter('envoy_cluster_upstream_rq_retry_overflow', dims, period), ...suffix },
  ];
  if (accessLogs) alarms.push({ key: 'edges.latencyP99', metric: (period) => duration(dims, period), ...suffix });
  if (ejects) alarms.push({ key: 'edges.ejections', metric: (period) => counter('envoy_cluster_outlier_detection_ejections_enforced_total', dims, period), ...suffix });
  const graph = (title: string, left: cloudwatch.IMetric[], right?: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, right, width: 6, height: 6 });
  return {
    alarms,
    dashboardRows: () => [[
      graph(`${caller} -> ${backend}: requests and 5XX`, [counter('envoy_cluster_upstream_rq_total', dims, undefined, 'requests (attempts)')],
        [counter('envoy_cluster_upstream_rq_xx', { ...dims, envoy_response_code_class: '5' }, undefined, '5XX after retries')]),
      graph(`${caller} -> ${backend}: retries, refused by budget and bulkhead`, [
        counter('envoy_cluster_upstream_rq_retry', dims, undefined, 'retries'),
        counter('envoy_cluster_upstream_rq_retry_overflow', dims, undefined, 'retries refused (budget)'),
        counter('envoy_cluster_upstream_rq_pending_overflow', dims, undefined, 'requests refused (bulkhead)'),
      ]),
      graph(`${caller} -> ${backend}: tasks ejected`, [counter('envoy_cluster_outlier_detection_ejections_enforced_total', dims, undefined, 'ejections')]),
      accessLogs
        ? graph(`${caller} -> ${backend}: p99 time (ms)`, [duration(dims)])
        : new cloudwatch.TextWidget({ markdown: `### ${caller} -> ${backend}: time\nAccess logs are off (ServiceMesh.envoy({ accessLogs: false })): no edge latency.`, width: 6, height: 6 }),
    ]],
  };
}
