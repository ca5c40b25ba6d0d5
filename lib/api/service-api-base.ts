import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { throttledRequestsMetric } from '../private/api-metrics';
import type { ServicePart } from '../private/binding';

/** A service's front door, whichever its flavour (`MicroserviceHttpApi`, `MicroserviceRestApi`): what both give. */
export interface IServiceApi {
  /** The URL clients use: the custom domain and base path, or the stage URL. */
  readonly url: string;
  /** The integration timeout. */
  readonly timeout: Duration;
  /** The access log group. */
  readonly accessLogGroup: logs.LogGroup;
  /** The target group of the internal load balancer, when the API reaches the tasks through one. */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
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
export abstract class ServiceApiBase extends Construct implements IServiceApi {
  public abstract readonly url: string;
  public abstract readonly timeout: Duration;
  public abstract readonly accessLogGroup: logs.LogGroup;
  public abstract readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /**
   * Keys (`GET /orders`) of the routes marked `public: true`.
   *
   * @internal
   */
  protected readonly _publicKeys = new Set<string>();
  /** The service's prop this API comes from: `api` or `restApi`. */
  protected abstract readonly apiProp: string;
  /** The integration's part (the load balancer's alarms and graphs), when it has one. */
  /** @internal */
  protected _integrationPart?: ServicePart;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.node.addValidation({ validate: () => this.unauthorizedRoutes() });
  }

  /**
   * Every route or method the API has, by key (`GET /orders`), with whether an authorizer guards
   * it; read at synthesis, so routes added after construction count too.
   *
   * @internal
   */
  protected abstract _routeAuthorizations(): Array<{ readonly key: string; readonly authorized: boolean }>;

  /** Routes that have no authorizer and are not marked public, as errors naming route and service. */
  private unauthorizedRoutes(): string[] {
    return this._routeAuthorizations()
      .filter((r) => !r.authorized && !this._publicKeys.has(r.key))
      .map((r) => `Route "${r.key}" of service ${this.node.scope?.node.path} has no authorizer and is not marked public: true. `
        + `Authorize it (the platform's authorizer) or mark it public in ${this.apiProp}.routes.`);
  }
  /**
   * The names of the 5XX and 4XX metrics of this flavour.
   *
   * @internal
   */
  protected abstract readonly _errorMetricNames: { readonly server: string; readonly client: string };

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
    return this.apiMetric(this._errorMetricNames.server, { statistic: 'Sum', ...props });
  }

  /**
   * Requests answered with 4XX, throttled (429) and unauthorized (401/403) among them
   * (AWS/ApiGateway `4xx` on HTTP, `4XXError` on REST).
   *
   * @default - sum over 5 minutes
   */
  public metricClientError(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric(this._errorMetricNames.client, { statistic: 'Sum', ...props });
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

  /**
   * What the API hands the service's monitoring: its alarms, rows and golden signals, then its
   * integration's.
   *
   * @internal
   */
  public _parts(): ServicePart[] {
    const rate = (errors: cloudwatch.IMetric, label: string, period: Duration) => new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * errors / requests, 0)',
      usingMetrics: { errors, requests: this.metricCount() },
      period,
      label,
    });
    const graph = (title: string, left: cloudwatch.IMetric[], right?: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const api: ServicePart = {
      alarms: [
        { key: 'api.serverErrorRate', metric: (period) => rate(this.metricServerError(), 'API 5XX (%)', period) },
        { key: 'api.clientErrorRate', metric: (period) => rate(this.metricClientError(), 'API 4XX (%)', period) },
        { key: 'api.latencyP99', metric: (period) => this.metricLatency({ period }) },
        { key: 'api.integrationLatencyP99', metric: (period) => this.metricIntegrationLatency({ period }) },
        { key: 'api.throttled', metric: (period) => this.metricThrottled({ period }) },
      ],
      signals: {
        traffic: [this.metricCount()],
        errors: [this.metricServerError(), this.metricClientError()],
        latency: [this.metricLatency(), this.metricIntegrationLatency()],
      },
      dashboardRows: () => [
        [
          graph('API: requests and throttled', [this.metricCount()], [this.metricThrottled()]),
          graph('API: 4XX and 5XX', [this.metricClientError(), this.metricServerError()]),
          graph('API: latency and integration latency p99', [this.metricLatency(), this.metricIntegrationLatency()]),
        ],
        ...this.flavourRows(),
      ],
    };
    return this._integrationPart ? [api, this._integrationPart] : [api];
  }

  /** Dashboard rows of the flavour's own features. */
  protected flavourRows(): cloudwatch.IWidget[][] {
    return [];
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
