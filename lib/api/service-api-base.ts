import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { throttledRequestsMetric } from '../private/api-metrics';

/** The metrics both API flavours give (`MicroserviceApi`, `MicroserviceRestApi`). */
export interface IServiceApiMetrics {
  /** Requests answered with 5XX, sum over 5 minutes. */
  metricServerError(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests answered with 4XX, sum over 5 minutes. */
  metricClientError(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Requests, sum over 5 minutes. */
  metricCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Latency, p99 over 5 minutes. */
  metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Integration latency, p99 over 5 minutes. */
  metricIntegrationLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Throttled requests (429, from the access log), sum over 5 minutes. */
  metricThrottled(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * What the two API flavours share: their AWS/ApiGateway metrics, which differ only in the names
 * of the error metrics (`5xx` / `5XXError`) and in their dimensions (`ApiId` / `ApiName`).
 */
export abstract class ServiceApiBase extends Construct implements IServiceApiMetrics {
  /** Keys (`GET /orders`) of the routes marked `public: true`. */
  protected readonly publicKeys = new Set<string>();

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => this.unauthorizedRoutes() });
  }

  /**
   * Every route or method the API has, by key (`GET /orders`), with whether an authorizer guards
   * it; read at synthesis, so routes added after construction count too.
   */
  protected abstract routeAuthorizations(): Array<{ readonly key: string; readonly authorized: boolean }>;

  /** Routes that have no authorizer and are not marked public, as errors naming route and service. */
  private unauthorizedRoutes(): string[] {
    return this.routeAuthorizations()
      .filter((r) => !r.authorized && !this.publicKeys.has(r.key))
      .map((r) => `Route "${r.key}" of service ${this.node.scope?.node.path} has no authorizer and is not marked public: true. `
        + 'Authorize it (the platform\'s authorizer) or mark it public in api.routes.');
  }
  /** The names of the 5XX and 4XX metrics of this flavour. */
  protected abstract readonly errorMetricNames: { readonly server: string; readonly client: string };

  /** The API id: the dimension of the access-log throttle metric. */
  protected abstract get metricApiId(): string;

  /** The dimensions of this API's AWS/ApiGateway metrics. */
  protected abstract get metricDimensions(): { [name: string]: string };

  /**
   * Requests answered with 5XX (AWS/ApiGateway `5xx` on HTTP, `5XXError` on REST).
   *
   * @default - sum over 5 minutes
   */
  public metricServerError(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric(this.errorMetricNames.server, { statistic: 'Sum', ...props });
  }

  /**
   * Requests answered with 4XX, throttled (429) and unauthorized (401/403) among them
   * (AWS/ApiGateway `4xx` on HTTP, `4XXError` on REST).
   *
   * @default - sum over 5 minutes
   */
  public metricClientError(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric(this.errorMetricNames.client, { statistic: 'Sum', ...props });
  }

  /**
   * Requests (AWS/ApiGateway Count).
   *
   * @default - sum over 5 minutes
   */
  public metricCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric('Count', { statistic: 'Sum', ...props });
  }

  /**
   * Time from request to response, API Gateway overhead included (AWS/ApiGateway Latency).
   *
   * @default - p99 over 5 minutes
   */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric('Latency', { statistic: 'p99', ...props });
  }

  /**
   * Time the service took to answer (AWS/ApiGateway IntegrationLatency).
   *
   * @default - p99 over 5 minutes
   */
  public metricIntegrationLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric('IntegrationLatency', { statistic: 'p99', ...props });
  }

  /**
   * Requests rejected by throttling (status 429) at any level, counted from the access log by a
   * metric filter (API Gateway publishes no throttle metric of its own).
   *
   * @default - sum over 5 minutes
   */
  public metricThrottled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return throttledRequestsMetric(this.metricApiId, props);
  }

  /** An AWS/ApiGateway metric of this API and stage. */
  protected apiMetric(metricName: string, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: this.metricDimensions,
      period: Duration.minutes(5),
      ...props,
    });
  }
}
