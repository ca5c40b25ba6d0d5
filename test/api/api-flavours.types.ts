// Compiled by `npm test`'s type check, never run: each misuse below must stay a compile error
// (an unused `@ts-expect-error` fails the type check), and each proper use must compile.
import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import {
  ApiIntegration, HttpApiOptions, Microservice, MicroserviceProps, NodeBasedCache, RestApiOptions, ServerlessCache, ServiceCache, Tracing,
} from '../../lib';

const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');

export function restOnlyOptionsAreNotHttpOptions(): HttpApiOptions[] {
  return [
    // @ts-expect-error a web ACL is a REST stage's
    { waf: { rateLimitPerIp: 100 } },
    // @ts-expect-error the stage cache is REST's
    { cache: { ttl: Duration.minutes(1) } },
    // @ts-expect-error an HTTP API has one $default stage
    { stageName: 'prod' },
    // @ts-expect-error X-Ray tracing of the stage is REST's
    { tracing: Tracing.openTelemetry() },
    // @ts-expect-error execution logs are REST's
    { executionLogLevel: apigateway.MethodLoggingLevel.INFO },
    // @ts-expect-error the authorizer cache TTL is REST's
    { authorizerCacheTtl: Duration.minutes(1) },
    // @ts-expect-error API keys are REST's
    { requireApiKey: true },
    // @ts-expect-error a route of an HTTP API has no cache setting
    { routes: [{ path: '/a', cache: true }] },
    // @ts-expect-error nor cache key query strings
    { routes: [{ path: '/a', cacheKeyQueryStrings: ['page'] }] },
    // @ts-expect-error usage plans are REST's
    { consumers: [{ name: 'a', scopes: ['a/b'], rateLimit: 5 }] },
    // @ts-expect-error API keys are REST's
    { consumers: [{ name: 'a', scopes: ['a/b'], quota: { limit: 5 } }] },
    // @ts-expect-error there is no flavour switch: the REST flavour is the restApi prop
    { type: 'REST' },
  ];
}

export function restReachesALoadBalancerOnly(): RestApiOptions[] {
  return [
    // @ts-expect-error REST private integrations reach a load balancer, never Cloud Map
    { integration: ApiIntegration.cloudMap() },
    { loadBalancer: { healthCheckPath: '/health' }, waf: {}, cache: {}, routes: [{ path: '/a', methods: [], cache: false }] },
  ];
}

export function theSharedFrontDoorHasOnlyWhatBothFlavoursHave(service: Microservice): unknown[] {
  return [
    service.api?.url, service.api?.metricLatency(), service.httpApi?.httpApi, service.restApi?.restApi,
    // @ts-expect-error the HTTP API construct is service.httpApi
    service.api?.httpApi,
    // @ts-expect-error the REST API's usage plans are on service.restApi
    service.api?.usagePlans,
  ];
}

export function cacheMetricsBelongToTheirKind(service: Microservice): unknown[] {
  const node = service.cache as NodeBasedCache;
  const serverless = service.cache as ServerlessCache;
  return [
    node.metricEvictions(), serverless.metricProcessingUnits(), service.cache?.host,
    // @ts-expect-error a serverless cache has no nodes to evict from
    serverless.metricEvictions(),
    // @ts-expect-error a node-based cache has no ECPUs
    node.metricProcessingUnits(),
    // @ts-expect-error the kind is the class: there is no kind switch
    service.cache?.kind,
  ];
}

export function alarmThresholdsAreServiceAlarms(): MicroserviceProps[] {
  return [
    { image, cache: ServiceCache.valkey(), alarms: { cache: { engineCpu: { threshold: 90 } } } },
    // @ts-expect-error cache alarms are overridden in the service's alarms
    { image, cache: ServiceCache.valkey({ alarms: { engineCpuPercent: 90 } }) },
    // @ts-expect-error App Mesh's listener health check went with App Mesh
    { image, healthCheckPath: '/health' },
    { image, api: {}, restApi: {} },
  ];
}
