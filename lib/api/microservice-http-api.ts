import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiIntegration } from './api-integration';
import type { HttpApiOptions } from './api-options';
import { DEFAULT_ROUTES, DEFAULT_THROTTLE, validateApi, warnScopedRoutesWithoutMethods } from './api-validation';
import { ServiceApiBase } from './service-api-base';
import { countThrottledRequests } from '../private/api-metrics';
import type { ApiWiring } from '../private/binding';
import { createLogGroup } from '../private/log-groups';

/** The JSON access log format of every stage: one line per request. */
export const ACCESS_LOG_FORMAT: { [field: string]: string } = {
  requestId: '$context.requestId',
  apiId: '$context.apiId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
  errorResponseType: '$context.error.responseType',
  principal: '$context.authorizer.claims.sub',
  clientId: '$context.authorizer.claims.client_id',
  authorizerError: '$context.authorizer.error',
};

/**
 * A service's own HTTP API and `$default` stage: routes authorized by the platform's authorizer,
 * stage and per-route throttling, JSON access logs, a private integration through the platform's
 * VPC link and, when the platform has a custom domain, an API mapping on it.
 */
export class MicroserviceHttpApi extends ServiceApiBase {
  /** @internal */
  public static _create(scope: Construct, id: string, options: HttpApiOptions, wiring: ApiWiring): MicroserviceHttpApi {
    return new MicroserviceHttpApi(scope, id, options, wiring);
  }

  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;
  /** The `$default` stage. */
  public readonly stage: apigwv2.HttpStage;
  /** The access log group. */
  public readonly accessLogGroup: logs.LogGroup;
  /** The route authorizer, unless every route is public. */
  public readonly authorizer?: apigwv2.IHttpRouteAuthorizer;
  /** The service's Cognito resource server, when it declares scopes on a Cognito authorizer. */
  public readonly resourceServer?: cognito.UserPoolResourceServer;
  /** The consumers' app clients, by consumer name. */
  public readonly consumerClients: { [name: string]: cognito.UserPoolClient };
  /** The routes, by route key (`GET /orders`). */
  public readonly routes: { [routeKey: string]: apigwv2.HttpRoute } = {};
  /** The internal load balancer, with `ApiIntegration.loadBalancer()`. */
  public readonly loadBalancer?: elbv2.ApplicationLoadBalancer;
  /** Its target group, with `ApiIntegration.loadBalancer()`. */
  public readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /** The mapping on the platform's custom domain, if it has one. */
  public readonly apiMapping?: apigwv2.ApiMapping;
  /** The integration timeout. */
  public readonly timeout: Duration;
  /** The URL clients use: the custom domain and base path, or the stage URL. */
  public readonly url: string;

  private constructor(scope: Construct, id: string, props: HttpApiOptions, wiring: ApiWiring) {
    super(scope, id);

    const routes = props.routes ?? DEFAULT_ROUTES;
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    const consumers = props.consumers ?? [];
    this.timeout = props.timeout ?? Duration.seconds(30);
    const basePath = props.basePath ?? wiring.serviceName;

    validateApi({ prop: 'api', servicePath: wiring.servicePath, serviceName: wiring.serviceName, auth: wiring.auth, hasDomain: wiring.domainName !== undefined },
      props, routes, consumers);
    warnScopedRoutesWithoutMethods(this, 'api', routes);

    if (routes.some((r) => !r.public)) {
      const auth = wiring.auth.authorizeHttpApi(new Construct(this, 'Auth'), {
        serviceName: wiring.serviceName,
        scopes: [...new Set(routes.flatMap((r) => r.scopes ?? []))],
        consumers: consumers.map((c) => ({ name: c.name, scopes: c.scopes ?? [] })),
      });
      this.authorizer = auth.authorizer;
      this.resourceServer = auth.resourceServer;
      this.consumerClients = auth.consumerClients;
    } else {
      this.consumerClients = {};
    }

    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: `API of ${scope.node.path}`,
      createDefaultStage: false,
      corsPreflight: props.cors,
      disableExecuteApiEndpoint: props.disableExecuteApiEndpoint ?? (wiring.domainName !== undefined),
    });

    this.accessLogGroup = createLogGroup(this, 'AccessLogs', wiring.logs, {
      retention: props.accessLogRetention, defaultRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN,
    });

    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
    });

    const bound = (props.integration ?? ApiIntegration.cloudMap())._bindHttp(new Construct(this, 'Integration'), wiring.target);
    this.loadBalancer = bound.loadBalancer;
    this.targetGroup = bound.targetGroup;
    this._integrationPart = bound;

    // RouteSettings is a JSON property: CloudFormation's own casing.
    const routeSettings: { [key: string]: { [setting: string]: unknown } } = {};
    for (const route of routes) {
      const created = this.httpApi.addRoutes({
        path: route.path,
        methods: route.methods ?? [apigwv2.HttpMethod.ANY],
        integration: bound.integration,
        authorizer: route.public ? new apigwv2.HttpNoneAuthorizer() : this.authorizer,
        authorizationScopes: route.public || !route.scopes?.length ? undefined : route.scopes,
      });
      for (const r of created) {
        const key = routeKeyOf(r);
        this.routes[key] = r;
        if (route.public) {
          this._publicKeys.add(key);
          // public: true is the service owner's own acknowledgement, route by route.
          for (const id of ['AwsSolutions-APIG4', 'cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check']) {
            Validations.of(r).acknowledge({ id, reason: `Route "${key}" is marked public: true by the service owner.` });
          }
        }
        if (route.throttle) {
          routeSettings[key] = {
            ThrottlingRateLimit: route.throttle.rateLimit,
            ThrottlingBurstLimit: route.throttle.burstLimit,
            DetailedMetricsEnabled: true,
          };
          // Route settings name route keys: the routes must exist first.
          this.stage.node.addDependency(r);
        }
      }
    }
    // aws-cdk-lib's HTTP integrations cap the timeout at REST's 29 s (HTTP APIs allow 30 s) and the
    // Cloud Map one drops it: set it on the integration itself.
    for (const child of this.httpApi.node.findAll()) {
      if (child instanceof apigwv2.CfnIntegration) child.timeoutInMillis = this.timeout.toMilliseconds();
    }
    if (Object.keys(routeSettings).length > 0) {
      (this.stage.node.defaultChild as apigwv2.CfnStage).routeSettings = routeSettings;
    }

    countThrottledRequests(this.accessLogGroup);

    if (wiring.domainName) {
      this.apiMapping = new apigwv2.ApiMapping(this, 'Mapping', {
        api: this.httpApi,
        domainName: wiring.domainName,
        stage: this.stage,
        apiMappingKey: basePath,
      });
      this.url = `https://${wiring.domainName.name}/${basePath}`;
    } else {
      this.url = this.stage.url;
    }
  }

  /** @internal */
  protected _routeAuthorizations() {
    const stack = Stack.of(this);
    return this.httpApi.node.findAll()
      .filter((child): child is apigwv2.CfnRoute => child instanceof apigwv2.CfnRoute)
      .map((route) => ({
        key: stack.resolve(route.routeKey) as string,
        authorized: !['NONE', undefined].includes(stack.resolve(route.authorizationType)),
      }));
  }

  protected readonly apiProp = 'api';

  /** @internal */
  protected readonly _errorMetricNames = { server: '5xx', client: '4xx' };

  protected get metricApiId(): string {
    return this.httpApi.apiId;
  }

  protected get metricDimensions(): { [name: string]: string } {
    return { ApiId: this.httpApi.apiId, Stage: '$default' };
  }
}

function routeKeyOf(route: apigwv2.HttpRoute): string {
  return Stack.of(route).resolve((route.node.defaultChild as apigwv2.CfnRoute).routeKey);
}
