// The public API, by name: nothing else of lib/ is part of it.
import './private/cdk-version';
export { ApiIntegration } from './api/api-integration';
export type {
  ApiConsumer, ApiOptions, ApiRoute, ConsumerQuota, HttpApiOptions, RestApiCacheOptions, RestApiConsumer, RestApiOptions, RestApiRoute,
  RestApiWafOptions, ThrottleSettings,
} from './api/api-options';
export type { LoadBalancerIntegrationOptions } from './api/load-balancer';
export { MicroserviceHttpApi } from './api/microservice-http-api';
export { MicroserviceRestApi } from './api/microservice-rest-api';
export { ServiceApiBase } from './api/service-api-base';
export type { IServiceApi } from './api/service-api-base';
export { StageWebAcl } from './api/stage-web-acl';
export type { StageWebAclProps } from './api/stage-web-acl';
export { ApiAuthorizer } from './auth/api-authorizer';
export type { CognitoAuthorizerOptions, JwtAuthorizerOptions } from './auth/authorizer-options';
export { JwtAuthorizerFunction } from './auth/jwt-authorizer-function';
export type { JwtAuthorizerFunctionProps } from './auth/jwt-authorizer-function';
export { CacheAuth } from './cache/cache-auth';
export type { PasswordCacheAuthOptions } from './cache/cache-auth';
export { CacheEngine } from './cache/cache-options';
export type { CacheAttributes, NodeCacheOptions, ServerlessCacheOptions } from './cache/cache-options';
export { ImportedCache } from './cache/imported-cache';
export { MicroserviceCache } from './cache/microservice-cache';
export { NodeBasedCache } from './cache/node-based-cache';
export { ServerlessCache } from './cache/serverless-cache';
export { ServiceCache } from './cache/service-cache';
export { FaultInjection } from './fault-injection/fault-injection';
export { FaultExperiment } from './fault-injection/fault-injection-options';
export type { FaultInjectionOptions } from './fault-injection/fault-injection-options';
export { ServiceFaultInjection } from './fault-injection/service-fault-injection';
export { ServiceLogging } from './logging/service-logging';
export type { FireLensLoggingOptions } from './logging/service-logging';
export type { BacklogScalingOptions, ServiceTopicOptions, SubscribeOptions } from './messaging/messaging-options';
export { ServiceSubscription } from './messaging/service-subscription';
export { ServiceTopic } from './messaging/service-topic';
export type { IServiceTopic } from './messaging/service-topic';
export { MAX_AMPLIFICATION_CONTEXT, ServiceCallGraph } from './mesh/call-graph';
export type { CallGraphAsyncCall, CallGraphCall, CallGraphNode, CallGraphPath, CallGraphReport, CallGraphService, CallGraphViolation } from './mesh/call-graph';
export type { AppMeshOptions, EnvoyMeshOptions, RetryBudget, ServiceConnectOptions } from './mesh/mesh-options';
export { ServiceProtocol } from './mesh/resilience';
export type { ConnectionPool, OutlierDetection } from './mesh/resilience';
export { GrpcRetryEvent, HttpRetryEvent, RetryPolicy, TcpRetryEvent } from './mesh/retry-policy';
export type { GrpcRetryPolicyOptions, HttpRetryPolicyOptions } from './mesh/retry-policy';
export { APP_MESH_END_OF_LIFE, DEFAULT_ENVOY_VERSION, ServiceMesh } from './mesh/service-mesh';
export { AlarmActions } from './monitoring/alarm-actions';
export type { AlarmActionContext, AlarmActionStrategyProps, IAlarmActionStrategy, SnsAlarmActionsOptions } from './monitoring/alarm-actions';
export { AlarmNaming } from './monitoring/alarm-naming';
export type { AlarmNamingProps, IAlarmNamingStrategy } from './monitoring/alarm-naming';
export type {
  AlarmOverride, ApiAlarmOverrides, CacheAlarmOverrides, DeploymentAlarmOverrides, EdgeAlarmOverrides, LoadBalancerAlarmOverrides,
  MeshAlarmOverrides, MessagingAlarmOverrides, MicroserviceAlarmOptions, TaskAlarmOverrides,
} from './monitoring/alarm-options';
export { AlarmSeverity } from './monitoring/alarm-severity';
export { PlatformMonitoring } from './monitoring/platform-monitoring';
export type { PlatformMonitoringProps } from './monitoring/platform-monitoring';
export { ServiceMonitoring } from './monitoring/service-monitoring';
export type { ServiceAlarmProps } from './monitoring/service-monitoring';
export { MicroservicePlatform } from './platform/microservice-platform';
export type { IMicroservicePlatform } from './platform/platform-props';
export type { ApiDomainOptions, MicroservicePlatformProps } from './platform/platform-props';
export type { PlatformLogOptions } from './platform/platform-log-options';
export { Microservice } from './service/microservice';
export { ImportedMicroservice } from './service/service-reference';
export type { IMicroservice, ServiceReferenceOptions } from './service/service-reference';
export type { SidecarContainerOptions } from './service/sidecar-options';
export type {
  FargateSpotOptions, MicroserviceAutoScalingOptions, MicroserviceDeploymentOptions, MicroserviceProps,
} from './service/microservice-props';
export { normalizeTemplate } from './testing/normalize-template';
export { Tracing } from './tracing/tracing';
export type { OpenTelemetryTracingOptions } from './tracing/tracing';
export { MicroserviceTesting } from './testing/template-snapshot';
export { strictValidation } from './testing/strict-validation';
export type { NormalizeTemplateOptions } from './testing/normalize-template';
export type { LookupContextEnvironment } from './testing/lookup-context';
