import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RestApiConsumer, RestApiOptions, RestApiRoute, ThrottleSettings } from './api-options';
import { DEFAULT_ROUTES, DEFAULT_THROTTLE, validateApi, warnScopedRoutesWithoutMethods } from './api-validation';
import { createLoadBalancer } from './load-balancer';
import { ServiceApiBase } from './service-api-base';
import { pathParameters, restCors, restRequestValidation } from './rest-support';
import { StageWebAcl, WAF_LOG_PREFIX } from './stage-web-acl';
import { JwtAuthorizerFunction } from '../auth/jwt-authorizer-function';
import { countThrottledRequests } from '../private/api-metrics';
import type { ApiWiring } from '../private/binding';
import { createLogGroup } from '../private/log-groups';
import { pascal, safeName } from '../private/names';

/** The JSON access log format of a REST stage: one line per request, as on HTTP APIs. */
export const REST_ACCESS_LOG_FORMAT: { [field: string]: string } = {
  requestId: '$context.requestId',
  apiId: '$context.apiId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
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
  principal: '$context.authorizer.principalId',
  cognitoSub: '$context.authorizer.claims.sub',
  clientId: '$context.authorizer.claims.client_id',
  apiKeyId: '$context.identity.apiKeyId',
  wafResponseCode: '$context.wafResponseCode',
};

const DEFAULT_STAGE = 'prod';
const DEFAULT_CACHE_TTL = Duration.minutes(5);
const DEFAULT_AUTHORIZER_TTL = Duration.minutes(1);
const ANY_VERBS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
/** The stage variable that names the platform's VPC link. */
const VPC_LINK_STAGE_VARIABLE = 'vpcLinkId';

/**
 * A service's own REST API and stage: the same routes, scopes and `public` semantics as the HTTP
 * flavour, a private integration through the platform's VPC link (v2) to an internal ALB, stage,
 * per-method and per-consumer throttling (usage plans and API keys), an optional WAF web ACL and
 * stage cache, and JSON access logs.
 */
export class MicroserviceRestApi extends ServiceApiBase {
  /** @internal */
  public static _create(scope: Construct, id: string, options: RestApiOptions, wiring: ApiWiring): MicroserviceRestApi {
    return new MicroserviceRestApi(scope, id, options, wiring);
  }

  /** The REST API. */
  public readonly restApi: apigateway.RestApi;
  /** The stage. */
  public readonly stage: apigateway.Stage;
  /** The access log group. */
  public readonly accessLogGroup: logs.LogGroup;
  /** The stage's execution log group, unless `executionLogLevel` is OFF. */
  public readonly executionLogGroup?: logs.LogGroup;
  /** The method authorizer, unless every route is public. */
  public readonly authorizer?: apigateway.IAuthorizer;
  /** The Lambda authorizer, with `ApiAuthorizer.jwt()`. */
  public readonly authorizerFunction?: JwtAuthorizerFunction;
  /** The service's Cognito resource server, when it declares scopes on a Cognito authorizer. */
  public readonly resourceServer?: cognito.UserPoolResourceServer;
  /** The consumers' app clients (Cognito, consumers with scopes), by consumer name. */
  public readonly consumerClients: { [name: string]: cognito.UserPoolClient };
  /** The consumers' API keys, by consumer name. */
  public readonly apiKeys: { [name: string]: apigateway.IApiKey } = {};
  /** The consumers' usage plans, by consumer name. */
  public readonly usagePlans: { [name: string]: apigateway.UsagePlan } = {};
  /** The methods, by `<METHOD> <path>`. */
  public readonly methods: { [methodKey: string]: apigateway.Method } = {};
  /** The internal load balancer. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Its target group. */
  public readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /** The web ACL, with `waf`. */
  public readonly webAcl?: StageWebAcl;
  /** The mapping on the platform's custom domain, if it has one. */
  public readonly apiMapping?: apigwv2.CfnApiMapping;
  /** The integration timeout. */
  public readonly timeout: Duration;
  /** The URL clients use: the custom domain and base path, or the stage URL. */
  public readonly url: string;
  /** The REST API's name (the `ApiName` dimension of its metrics). */
  public readonly restApiName: string;
  /** Whether the stage has a cache (`cache`). */
  public readonly cacheEnabled: boolean;

  private constructor(scope: Construct, id: string, props: RestApiOptions, wiring: ApiWiring) {
    super(scope, id);
    const routes: RestApiRoute[] = props.routes ?? DEFAULT_ROUTES;
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    const consumers = props.consumers ?? [];
    this.timeout = props.timeout ?? Duration.seconds(29);
    const basePath = props.basePath ?? wiring.serviceName;
    const stageName = props.stageName ?? DEFAULT_STAGE;
    validateApi({ prop: 'restApi', servicePath: wiring.servicePath, serviceName: wiring.serviceName, auth: wiring.auth, hasDomain: wiring.domainName !== undefined },
      props, routes, consumers, props);
    warnScopedRoutesWithoutMethods(this, 'restApi', routes);

    const lb = createLoadBalancer(new Construct(this, 'Integration'), wiring.target, props.loadBalancer ?? {});
    this.loadBalancer = lb.loadBalancer;
    this.targetGroup = lb.targetGroup;
    this._integrationPart = lb.part;

    this.accessLogGroup = createLogGroup(this, 'AccessLogs', wiring.logs, {
      retention: props.accessLogRetention, defaultRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN,
    });

    const cache = props.cache;
    this.cacheEnabled = cache !== undefined;
    const isCached = (route: RestApiRoute, m: string) => cache !== undefined && m === apigwv2.HttpMethod.GET && route.cache !== false;
    const logLevel = props.executionLogLevel ?? apigateway.MethodLoggingLevel.ERROR;
    // Stage method settings (rendered when the stage is created): per-method throttling and caching.
    // A method's setting does not inherit the stage's: each repeats metrics, logging and throttling.
    const methodOptions: { [path: string]: apigateway.MethodDeploymentOptions } = {};
    for (const route of routes) {
      for (const m of route.methods ?? [apigwv2.HttpMethod.ANY]) {
        if (!route.throttle && !isCached(route, m)) continue;
        const t = route.throttle ?? throttle;
        const options: apigateway.MethodDeploymentOptions = {
          metricsEnabled: true,
          loggingLevel: logLevel,
          dataTraceEnabled: false,
          throttlingRateLimit: t.rateLimit,
          throttlingBurstLimit: t.burstLimit,
          ...(isCached(route, m) ? { cachingEnabled: true, cacheTtl: cache!.ttl ?? DEFAULT_CACHE_TTL, cacheDataEncrypted: true } : {}),
        };
        // Method settings name concrete verbs: an ANY route's settings go on each of them.
        for (const verb of m === apigwv2.HttpMethod.ANY ? ANY_VERBS : [m]) methodOptions[`${route.path}/${verb}`] = options;
      }
    }
    this.restApiName = safeName(`${Stack.of(this).stackName}-${wiring.serviceName}`, 1024);
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: this.restApiName,
      description: `API of ${scope.node.path}`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      disableExecuteApiEndpoint: props.disableExecuteApiEndpoint ?? (wiring.domainName !== undefined),
      cloudWatchRole: false,
      deploy: true,
      deployOptions: {
        stageName,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        metricsEnabled: true,
        loggingLevel: logLevel,
        dataTraceEnabled: false,
        tracingEnabled: props.tracing ?? true,
        cacheClusterEnabled: cache !== undefined,
        cacheClusterSize: cache ? cache.size ?? '0.5' : undefined,
        // The stage-wide entry too (Control Tower CT.APIGATEWAY.PR.3): a method without its own
        // setting reads it.
        cacheDataEncrypted: cache !== undefined ? true : undefined,
        variables: { [VPC_LINK_STAGE_VARIABLE]: wiring.target.vpcLink.vpcLinkId },
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(REST_ACCESS_LOG_FORMAT)),
        methodOptions,
      },
      defaultCorsPreflightOptions: props.cors ? restCors(props.cors) : undefined,
    });
    this.stage = this.restApi.deploymentStage;
    const logging = wiring.createApiGatewayAccountOnce();
    if (logging) this.stage.node.addDependency(logging);
    if (logLevel !== apigateway.MethodLoggingLevel.OFF) {
      // API Gateway writes execution logs to a group of this name, creating it if it is missing
      // (API Gateway guide, "Execution logging for REST APIs"): created here first, it has the
      // retention and key of the service's other logs and is not left behind unmanaged.
      this.executionLogGroup = createLogGroup(this, 'ExecutionLogs', wiring.logs, {
        logGroupName: `API-Gateway-Execution-Logs_${this.restApi.restApiId}/${stageName}`,
        retention: props.accessLogRetention, defaultRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN,
      });
      this.stage.node.addDependency(this.executionLogGroup);
    }

    // Authorizer: built once the methods' scopes are known, attached to each authorized method.
    const requireApiKey = props.requireApiKey ?? consumers.length > 0;
    const methodScopes: { [key: string]: string[] } = {};
    for (const route of routes) {
      if (route.public) continue;
      for (const m of route.methods ?? [apigwv2.HttpMethod.ANY]) methodScopes[`${m} ${route.path}`] = route.scopes ?? [];
    }
    let checksScopes = true;
    let methodAcknowledgements: Array<{ readonly id: string; readonly reason: string }> = [];
    if (Object.keys(methodScopes).length > 0) {
      const auth = wiring.auth.authorizeRestApi(new Construct(this, 'Auth'), {
        serviceName: wiring.serviceName,
        scopes: [...new Set(routes.flatMap((r) => r.scopes ?? []))],
        consumers: consumers.filter((c) => c.scopes?.length).map((c) => ({ name: c.name, scopes: c.scopes! })),
        methodScopes,
        resultsCacheTtl: props.authorizerCacheTtl ?? DEFAULT_AUTHORIZER_TTL,
        logs: wiring.logs,
      });
      this.authorizer = auth.authorizer;
      this.authorizerFunction = auth.function;
      this.resourceServer = auth.resourceServer;
      this.consumerClients = auth.consumerClients;
      checksScopes = auth.checksScopesNatively;
      methodAcknowledgements = auth.methodAcknowledgements;
    } else {
      this.consumerClients = {};
    }

    const validatorFor = restRequestValidation(this.restApi);

    for (const route of routes) {
      const resource = route.path === '/' ? this.restApi.root : this.restApi.root.resourceForPath(route.path);
      const params = pathParameters(route.path);
      const uriPath = route.path.replace(/\{([A-Za-z0-9_]+)\+\}/g, '{$1}');
      for (const m of route.methods ?? [apigwv2.HttpMethod.ANY]) {
        const methodKey = `${m} ${route.path}`;
        const cached = isCached(route, m);
        const cacheKeys = cached ? [
          ...params.map((p) => `method.request.path.${p}`),
          ...(route.public ? [] : ['method.request.header.Authorization']),
          ...(route.cacheKeyQueryStrings ?? []).map((q) => `method.request.querystring.${q}`),
        ] : undefined;
        const integration = new apigateway.Integration({
          type: apigateway.IntegrationType.HTTP_PROXY,
          integrationHttpMethod: m,
          // With TLS, the URI's host is the name API Gateway verifies the certificate against; the
          // integration target still names the load balancer (API Gateway guide, "Set up a private integration").
          uri: props.loadBalancer?.serverName ? `https://${props.loadBalancer.serverName}${uriPath}` : `http://${this.loadBalancer.loadBalancerDnsName}${uriPath}`,
          options: {
            timeout: this.timeout,
            requestParameters: params.length ? Object.fromEntries(params.map((p) => [`integration.request.path.${p}`, `method.request.path.${p}`])) : undefined,
            cacheKeyParameters: cacheKeys,
          },
        });
        const requestParameters: { [param: string]: boolean } = Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true]));
        for (const key of cacheKeys ?? []) if (!(key in requestParameters)) requestParameters[key] = false;
        const method = resource.addMethod(m, integration, {
          authorizer: route.public ? undefined : this.authorizer,
          authorizationType: route.public ? apigateway.AuthorizationType.NONE : undefined,
          authorizationScopes: route.public || !route.scopes?.length || !checksScopes ? undefined : route.scopes,
          apiKeyRequired: !route.public && requireApiKey,
          requestParameters: Object.keys(requestParameters).length ? requestParameters : undefined,
          requestValidator: validatorFor(requestParameters),
        });
        // aws-cdk-lib's REST integration knows VPC links v1 (NLB) only: point the method at the
        // platform's VPC link v2 and the internal ALB.
        const cfn = method.node.defaultChild as apigateway.CfnMethod;
        cfn.addPropertyOverride('Integration.ConnectionType', 'VPC_LINK');
        // Through a stage variable: a replaced VPC link reaches the stage without a redeployment.
        cfn.addPropertyOverride('Integration.ConnectionId', `\${stageVariables.${VPC_LINK_STAGE_VARIABLE}}`);
        cfn.addPropertyOverride('Integration.IntegrationTarget', this.loadBalancer.loadBalancerArn);
        // The deployment's logical id hashes what the L2 knows of each method; the override must
        // count too, so a new load balancer redeploys the stage.
        this.restApi.latestDeployment?.addToLogicalId({ method: methodKey, integrationTarget: this.loadBalancer.loadBalancerArn });
        this.methods[methodKey] = method;

        if (route.public) {
          this._publicKeys.add(methodKey);
          Validations.of(method).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `Method "${methodKey}" is marked public: true by the service owner.`,
          });
        }
        if (route.public) {
          Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: `Method "${methodKey}" is marked public: true by the service owner.` });
        } else {
          for (const ack of methodAcknowledgements) Validations.of(method).acknowledge(ack);
        }
      }
    }

    consumers.forEach((consumer) => this.addConsumer(consumer, throttle));

    if (props.waf) {
      const webAclName = safeName(`${Stack.of(this).stackName}-${wiring.serviceName}`, 128);
      this.webAcl = new StageWebAcl(this, 'Waf', {
        ...props.waf,
        name: webAclName,
        restApiId: this.restApi.restApiId,
        stageName,
        logGroup: props.waf.logging ? createLogGroup(this, 'WafLogs', wiring.logs, {
          logGroupName: `${WAF_LOG_PREFIX}${webAclName}`, retention: props.accessLogRetention, defaultRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN,
        }) : undefined,
      });
      this.webAcl.association.node.addDependency(this.stage);
    } else {
      Validations.of(this.stage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'The service owner has not turned on restApi.waf (a web ACL costs about $5 a month plus $1 per rule and $0.60 per million requests); stage, method and usage-plan throttling and the authorizer guard the API.',
      });
    }

    countThrottledRequests(this.accessLogGroup);

    if (wiring.domainName) {
      this.apiMapping = new apigwv2.CfnApiMapping(this, 'Mapping', {
        apiId: this.restApi.restApiId,
        domainName: wiring.domainName.name,
        stage: stageName,
        apiMappingKey: basePath,
      });
      this.apiMapping.node.addDependency(this.stage);
      this.url = `https://${wiring.domainName.name}/${basePath}`;
    } else {
      this.url = this.restApi.url;
    }
  }

  private addConsumer(consumer: RestApiConsumer, throttle: ThrottleSettings): void {
    const id = pascal(consumer.name);
    const name = `${this.restApiName}-${consumer.name}`;
    const key = new apigateway.ApiKey(this, `ApiKey${id}`, {
      apiKeyName: name,
      description: `API key of ${consumer.name} on ${this.node.scope?.node.path}`,
      enabled: true,
      // A dynamic reference: CloudFormation reads the secret at deploy time, the template holds none of it.
      value: consumer.apiKeySecret
        ? (consumer.apiKeySecretField !== undefined
          ? consumer.apiKeySecret.secretValueFromJson(consumer.apiKeySecretField)
          : consumer.apiKeySecret.secretValue).unsafeUnwrap()
        : undefined,
    });
    const plan = this.restApi.addUsagePlan(`UsagePlan${id}`, {
      name,
      description: `Usage plan of ${consumer.name} on ${this.node.scope?.node.path}`,
      throttle: {
        rateLimit: consumer.rateLimit ?? throttle.rateLimit,
        burstLimit: consumer.burstLimit ?? throttle.burstLimit,
      },
      quota: consumer.quota ? { limit: consumer.quota.limit, period: consumer.quota.period ?? apigateway.Period.DAY } : undefined,
      apiStages: [{ api: this.restApi, stage: this.stage }],
    });
    plan.addApiKey(key);
    this.apiKeys[consumer.name] = key;
    this.usagePlans[consumer.name] = plan;
  }

  /** @internal */
  protected _routeAuthorizations() {
    const stack = Stack.of(this);
    return this.restApi.node.findAll()
      .filter((child): child is apigateway.Method => child instanceof apigateway.Method)
      // The CORS preflight methods aws-cdk-lib adds answer without authorization by design.
      .filter((method) => !(method.httpMethod === 'OPTIONS' && this.restApi.root.defaultCorsPreflightOptions))
      .map((method) => ({
        key: `${method.httpMethod} ${method.resource.path}`,
        authorized: !['NONE', undefined].includes(stack.resolve((method.node.defaultChild as apigateway.CfnMethod).authorizationType)),
      }));
  }

  protected readonly apiProp = 'restApi';

  /** @internal */
  protected readonly _errorMetricNames = { server: '5XXError', client: '4XXError' };

  protected get metricApiId(): string {
    return this.restApi.restApiId;
  }

  protected get metricDimensions(): { [name: string]: string } {
    return { ApiName: this.restApiName, Stage: this.stage.stageName };
  }

  protected flavourRows(): cloudwatch.IWidget[][] {
    if (!this.webAcl && !this.cacheEnabled) return [];
    const graph = (title: string, left: cloudwatch.IMetric[], right?: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    const widgets: cloudwatch.IWidget[] = [];
    if (this.webAcl) {
      const acl = this.webAcl;
      widgets.push(
        graph('WAF: allowed and blocked requests', [acl.metricAllowedRequests()], [acl.metricBlockedRequests()]),
        graph('WAF: blocked by rule', acl.ruleNames.map((r) => acl.metricBlockedRequests(r, { label: r }))),
      );
    }
    if (this.cacheEnabled) widgets.push(graph('API cache: hits and misses', [this.metricCacheHits(), this.metricCacheMisses()]));
    return [widgets];
  }

  /**
   * Requests served from the stage cache (AWS/ApiGateway CacheHitCount).
   *
   * @default - sum over 5 minutes
   */
  public metricCacheHits(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric('CacheHitCount', { statistic: 'Sum', ...props });
  }

  /**
   * Requests the stage cache could not serve (AWS/ApiGateway CacheMissCount).
   *
   * @default - sum over 5 minutes
   */
  public metricCacheMisses(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.apiMetric('CacheMissCount', { statistic: 'Sum', ...props });
  }
}
