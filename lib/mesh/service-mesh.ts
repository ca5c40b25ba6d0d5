import { Annotations, ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as appmesh from 'aws-cdk-lib/aws-appmesh';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct, IConstruct } from 'constructs';
import { ConnectionPool, OutlierDetection } from './resilience';
import { RetryPolicy } from './retry-policy';
import { grantXRayWrite } from '../private/grants';
import { PropErrors } from '../private/validation';

/** Options of {@link ServiceMesh.appMesh}. */
export interface AppMeshOptions {
  /**
   * The Envoy image of every task, pinned to a version.
   *
   * @default 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.12.1-prod'
   */
  readonly envoyImage?: string;
  /**
   * Trace requests with AWS X-Ray: Envoy reports spans to an X-Ray daemon sidecar.
   *
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * The X-Ray daemon image, with `tracing`.
   *
   * @default 'public.ecr.aws/xray/aws-xray-daemon:3.3.14'
   */
  readonly xrayDaemonImage?: string;
}

/** Options of {@link ServiceMesh.serviceConnect}. */
export interface ServiceConnectOptions {
  /**
   * ARN of an AWS Private CA that issues the Service Connect proxies' TLS certificates: traffic
   * between services is then encrypted.
   *
   * @default - no TLS between proxies (traffic stays inside the VPC)
   */
  readonly tlsCertificateAuthorityArn?: string;
  /**
   * Service Connect access logs, to the service's log group.
   *
   * @default true
   */
  readonly accessLogs?: boolean;
}

/** A service as the mesh sees it. */
export interface MeshServiceTarget {
  readonly scope: Construct;
  readonly discoveryName: string;
  readonly containerPort: number;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly cloudMapService: servicediscovery.IService;
  readonly namespace: servicediscovery.IPrivateDnsNamespace;
  readonly logGroup: logs.ILogGroup;
  readonly retryPolicy: RetryPolicy;
  readonly requestTimeout: Duration;
  readonly idleTimeout?: Duration;
  readonly outlierDetection?: OutlierDetection;
  readonly connectionPool?: ConnectionPool;
  readonly healthCheckPath: string;
}

/** What the mesh made for one service. */
export interface MeshServiceBinding {
  /** The URL other services call this one at. */
  readonly endpoint: string;
  /** Whether the data plane added plain environment variables to the task (the Envoy sidecar's). */
  readonly addsEnvironment?: boolean;
  /** App Mesh resources. */
  readonly virtualNode?: appmesh.VirtualNode;
  readonly virtualRouter?: appmesh.VirtualRouter;
  readonly route?: appmesh.Route;
  readonly virtualService?: appmesh.VirtualService;
  readonly envoyContainer?: ecs.ContainerDefinition;
}

export const APP_MESH_END_OF_SUPPORT_WARNING = 'cdk-microservice:appMeshEndOfSupport';
const APP_MESH_EOS = 'AWS App Mesh reached end of support on 2026-09-30: it gets no fixes and new accounts cannot use it. '
  + 'ServiceMesh.serviceConnect() (Amazon ECS Service Connect) is the supported successor.';
const ENVOY_USER = 1337;
const DEFAULT_ENVOY_IMAGE = 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.12.1-prod';
const DEFAULT_XRAY_IMAGE = 'public.ecr.aws/xray/aws-xray-daemon:3.3.14';

/**
 * The data plane between services: `ServiceMesh.serviceConnect()` (default, the supported one)
 * or `ServiceMesh.appMesh()` (end of support 2026-09-30). Chosen once on the platform.
 */
export abstract class ServiceMesh {
  /** Amazon ECS Service Connect. */
  public static serviceConnect(options: ServiceConnectOptions = {}): ServiceMesh {
    return new ServiceConnectMesh(options);
  }

  /** AWS App Mesh with an Envoy sidecar per task. Warns at synth: end of support 2026-09-30. */
  public static appMesh(options: AppMeshOptions = {}): ServiceMesh {
    return new AppMeshMesh(options);
  }

  /** 'serviceConnect' or 'appMesh'. */
  public abstract readonly kind: string;
  /** The App Mesh mesh, once bound. */
  public abstract readonly mesh?: appmesh.IMesh;

  /** Creates the platform's shared part (the App Mesh mesh). Called once by the platform. */
  public abstract bindPlatform(platformScope: Construct): void;
  /**
   * The task's proxy configuration, if the data plane needs one. Traffic to `egressIgnoredPorts`
   * (the service's cache) bypasses the proxy.
   */
  public abstract proxyConfiguration(containerPort: number, egressIgnoredPorts?: number[]): ecs.ProxyConfiguration | undefined;
  /** Wires one service into the data plane. */
  public abstract bindService(target: MeshServiceTarget): MeshServiceBinding;
  /** Declares that `caller` calls `callee`, in the caller's scope. */
  public abstract connect(caller: MeshServiceBinding, callee: MeshServiceBinding): void;
}

class ServiceConnectMesh extends ServiceMesh {
  public readonly kind = 'serviceConnect';
  public readonly mesh = undefined;

  constructor(private readonly options: ServiceConnectOptions) {
    super();
    const errors = new PropErrors('ServiceMesh.serviceConnect');
    errors.text('tlsCertificateAuthorityArn', options.tlsCertificateAuthorityArn, /^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]+$/, 'an AWS Private CA ARN');
    errors.throwIfAny();
  }

  public bindPlatform(): void {}

  public proxyConfiguration(): undefined {
    return undefined;
  }

  public bindService(t: MeshServiceTarget): MeshServiceBinding {
    let tls: ecs.ServiceConnectTlsConfiguration | undefined;
    if (this.options.tlsCertificateAuthorityArn) {
      const role = new iam.Role(t.scope, 'ServiceConnectTlsRole', {
        assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
        description: 'Lets ECS issue Service Connect TLS certificates from the private CA',
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity')],
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity]',
        reason: 'The AWS managed policy ECS documents for Service Connect TLS; it is scoped to the ACM PCA and Secrets Manager calls ECS makes for certificates.',
      });
      tls = { awsPcaAuthorityArn: this.options.tlsCertificateAuthorityArn, role };
    }
    t.service.enableServiceConnect({
      namespace: t.namespace.namespaceArn,
      services: [{
        portMappingName: 'http',
        discoveryName: `${t.discoveryName}-sc`,
        dnsName: t.discoveryName,
        port: t.containerPort,
        perRequestTimeout: t.requestTimeout,
        idleTimeout: t.idleTimeout,
        tls,
      }],
      logDriver: ecs.LogDrivers.awsLogs({ logGroup: t.logGroup, streamPrefix: 'service-connect' }),
      accessLogConfiguration: (this.options.accessLogs ?? true)
        ? { format: ecs.ServiceConnectAccessLogFormat.JSON, includeQueryParameters: false }
        : undefined,
    });
    // ECS fixes Service Connect's retries and outlier detection: say so, never silently drop them.
    const warn = (field: string, what: string) => Annotations.of(t.scope).addWarningV2(
      `cdk-microservice:serviceConnectIgnores:${field}`,
      `${field} is not honoured by ECS Service Connect (${what}); it is used by the call-graph check only. Use ServiceMesh.appMesh() to enforce it.`,
    );
    if (t.retryPolicy.maxRetries > 0) warn('retryPolicy', 'its proxy retries failed requests by its own fixed policy');
    if (t.outlierDetection) warn('outlierDetection', 'its proxy ejects failing tasks by its own fixed outlier detection');
    if (t.connectionPool) warn('connectionPool', 'it exposes no connection pool limits');
    return { endpoint: `http://${t.discoveryName}:${t.containerPort}` };
  }

  public connect(): void {
    // Every Service Connect service of the namespace is a client of the others: nothing to declare.
  }
}

class AppMeshMesh extends ServiceMesh {
  public readonly kind = 'appMesh';
  private _mesh?: appmesh.Mesh;

  constructor(private readonly options: AppMeshOptions) {
    super();
    const errors = new PropErrors('ServiceMesh.appMesh');
    errors.text('envoyImage', options.envoyImage);
    errors.text('xrayDaemonImage', options.xrayDaemonImage);
    if (options.xrayDaemonImage !== undefined && !options.tracing) errors.add('xrayDaemonImage requires tracing: true, got xrayDaemonImage without tracing');
    errors.throwIfAny();
  }

  public get mesh(): appmesh.IMesh | undefined {
    return this._mesh;
  }

  public bindPlatform(platformScope: Construct): void {
    if (this._mesh) return;
    this._mesh = new appmesh.Mesh(platformScope, 'Mesh', { egressFilter: appmesh.MeshFilterType.DROP_ALL });
    acknowledgeEndOfSupport(this._mesh);
    Annotations.of(platformScope).addWarningV2(APP_MESH_END_OF_SUPPORT_WARNING, APP_MESH_EOS);
  }

  public proxyConfiguration(containerPort: number, egressIgnoredPorts: number[] = []): ecs.ProxyConfiguration {
    return new ecs.AppMeshProxyConfiguration({
      containerName: 'envoy',
      properties: {
        appPorts: [containerPort],
        proxyIngressPort: 15000,
        proxyEgressPort: 15001,
        ignoredUID: ENVOY_USER,
        egressIgnoredIPs: ['169.254.170.2', '169.254.169.254'],
        // The mesh drops egress to anything but its backends: the cache is reached directly.
        egressIgnoredPorts: egressIgnoredPorts.length > 0 ? egressIgnoredPorts : undefined,
      },
    });
  }

  public bindService(t: MeshServiceTarget): MeshServiceBinding {
    const mesh = this._mesh!;
    const stack = Stack.of(t.scope);
    const grpc = t.retryPolicy.protocol === 'grpc';
    const timeout = { perRequest: t.requestTimeout, idle: t.idleTimeout };
    const outlierDetection = t.outlierDetection;
    const pool = t.connectionPool;
    const listener = grpc
      ? appmesh.VirtualNodeListener.grpc({
        port: t.containerPort,
        healthCheck: appmesh.HealthCheck.grpc(),
        timeout,
        outlierDetection,
        connectionPool: pool ? { maxRequests: pool.maxRequests ?? pool.maxConnections } : undefined,
      })
      : appmesh.VirtualNodeListener.http({
        port: t.containerPort,
        healthCheck: appmesh.HealthCheck.http({ path: t.healthCheckPath }),
        timeout,
        outlierDetection,
        connectionPool: pool ? { maxConnections: pool.maxConnections, maxPendingRequests: pool.maxPendingRequests ?? pool.maxConnections } : undefined,
      });
    const virtualNodeName = t.discoveryName;
    const virtualNode = new appmesh.VirtualNode(t.scope, 'VirtualNode', {
      mesh,
      virtualNodeName,
      serviceDiscovery: appmesh.ServiceDiscovery.cloudMap(t.cloudMapService),
      listeners: [listener],
      accessLog: appmesh.AccessLog.fromFilePath('/dev/stdout'),
    });
    const virtualRouter = new appmesh.VirtualRouter(t.scope, 'VirtualRouter', {
      mesh,
      listeners: [grpc ? appmesh.VirtualRouterListener.grpc(t.containerPort) : appmesh.VirtualRouterListener.http(t.containerPort)],
    });
    const p = t.retryPolicy;
    const weightedTargets = [{ virtualNode, weight: 100 }];
    const route = virtualRouter.addRoute('Route', {
      routeSpec: grpc
        ? appmesh.RouteSpec.grpc({
          weightedTargets,
          // Every gRPC method of the service: requests carry the proto's service name, not ours.
          match: { port: t.containerPort },
          timeout,
          retryPolicy: p.maxRetries > 0 ? {
            retryAttempts: p.maxRetries,
            retryTimeout: p.perRetryTimeout!,
            grpcRetryEvents: p.grpcRetryEvents as unknown as appmesh.GrpcRetryEvent[],
            httpRetryEvents: p.httpRetryEvents.length ? p.httpRetryEvents as unknown as appmesh.HttpRetryEvent[] : undefined,
            tcpRetryEvents: p.tcpRetryEvents.length ? p.tcpRetryEvents as unknown as appmesh.TcpRetryEvent[] : undefined,
          } : undefined,
        })
        : appmesh.RouteSpec.http({
          weightedTargets,
          match: { path: appmesh.HttpRoutePathMatch.startsWith('/') },
          timeout,
          retryPolicy: p.maxRetries > 0 ? {
            retryAttempts: p.maxRetries,
            retryTimeout: p.perRetryTimeout!,
            httpRetryEvents: p.httpRetryEvents.length ? p.httpRetryEvents as unknown as appmesh.HttpRetryEvent[] : undefined,
            tcpRetryEvents: p.tcpRetryEvents.length ? p.tcpRetryEvents as unknown as appmesh.TcpRetryEvent[] : undefined,
          } : undefined,
        }),
    });
    const virtualService = new appmesh.VirtualService(t.scope, 'VirtualService', {
      virtualServiceName: `${t.discoveryName}.${t.namespace.namespaceName}`,
      virtualServiceProvider: appmesh.VirtualServiceProvider.virtualRouter(virtualRouter),
    });
    for (const c of [virtualNode, virtualRouter, route, virtualService]) acknowledgeEndOfSupport(c);

    // The node's ARN is built from names, not referenced: a reference from the task role's policy
    // to the virtual node would close a cycle through its Cloud Map service.
    const virtualNodeArn = stack.formatArn({
      service: 'appmesh',
      resource: 'mesh',
      resourceName: `${mesh.meshName}/virtualNode/${virtualNodeName}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const envoy = t.taskDefinition.addContainer('Envoy', {
      containerName: 'envoy',
      image: ecs.ContainerImage.fromRegistry(this.options.envoyImage ?? DEFAULT_ENVOY_IMAGE),
      essential: true,
      user: String(ENVOY_USER),
      environment: {
        APPMESH_RESOURCE_ARN: virtualNodeArn,
        ...(this.options.tracing ? { ENABLE_ENVOY_XRAY_TRACING: '1' } : {}),
      },
      healthCheck: {
        command: ['CMD-SHELL', 'curl -s http://localhost:9901/server_info | grep state | grep -q LIVE'],
        interval: Duration.seconds(5),
        timeout: Duration.seconds(2),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      memoryReservationMiB: 128,
      ulimits: [{ name: ecs.UlimitName.NOFILE, softLimit: 15000, hardLimit: 15000 }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: t.logGroup, streamPrefix: 'envoy' }),
    });
    t.container.addContainerDependencies({ container: envoy, condition: ecs.ContainerDependencyCondition.HEALTHY });
    t.taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['appmesh:StreamAggregatedResources'],
      resources: [virtualNodeArn],
    }));
    if (this.options.tracing) {
      const xray = t.taskDefinition.addContainer('XRayDaemon', {
        containerName: 'xray-daemon',
        image: ecs.ContainerImage.fromRegistry(this.options.xrayDaemonImage ?? DEFAULT_XRAY_IMAGE),
        essential: false,
        user: String(ENVOY_USER),
        portMappings: [{ containerPort: 2000, protocol: ecs.Protocol.UDP }],
        memoryReservationMiB: 32,
        logging: ecs.LogDrivers.awsLogs({ logGroup: t.logGroup, streamPrefix: 'xray' }),
      });
      envoy.addContainerDependencies({ container: xray, condition: ecs.ContainerDependencyCondition.START });
      grantXRayWrite(t.taskDefinition.taskRole);
    }
    return {
      endpoint: `http://${t.discoveryName}.${t.namespace.namespaceName}:${t.containerPort}`,
      addsEnvironment: true,
      virtualNode, virtualRouter, route, virtualService, envoyContainer: envoy,
    };
  }

  public connect(caller: MeshServiceBinding, callee: MeshServiceBinding): void {
    caller.virtualNode!.addBackend(appmesh.Backend.virtualService(callee.virtualService!));
  }
}

/** The template validator warns (W3696) on every App Mesh resource; the library warns once itself. */
function acknowledgeEndOfSupport(c: IConstruct): void {
  Validations.of(c).acknowledge({
    id: 'CloudFormation-Validate::W3696',
    reason: 'App Mesh was chosen explicitly with ServiceMesh.appMesh(); the library warns once at synth with the end-of-support date and the alternative.',
  });
}
