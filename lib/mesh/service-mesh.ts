import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { EnvoyPlatformMesh, RESERVED_EGRESS_PORTS, RESERVED_PORTS, ResolvedEnvoyOptions } from './envoy-mesh';
import type { EnvoyMeshContract, MeshContract, ServiceConnectMeshContract } from '../private/contract';
import { ImageMirror, MirroredImage } from '../private/image-mirror';
import { AppMeshOptions, EnvoyMeshOptions, ServiceConnectOptions } from './mesh-options';
import { ServiceConnectPlatformMesh } from './service-connect';
import type { PlatformMesh, PlatformMeshContext } from '../private/feature';
import { DEFAULT_COLLECTOR_IMAGE } from '../private/names';
import { millis, PropErrors } from '../private/validation';

/** AWS's notice: the App Mesh console and API are gone after this date. */
export const APP_MESH_END_OF_LIFE = '2026-09-30';

/**
 * The Envoy release the sidecars run by default: v1.40.2 of 2026-10-27 (Envoy's version history,
 * docs/root/version_history, as published on envoyproxy.io). Envoy publishes its images on Docker
 * Hub only (`envoyproxy/envoy`, pushed by its CI) and documents no digest: the platform copies the
 * tag once and its tasks pull the copy by digest.
 */
export const DEFAULT_ENVOY_VERSION = 'v1.40.2';
/** ECR repository names: lower-case components separated by single ".", "_", "-" or "/" (Amazon ECR API, CreateRepository). */
const ECR_PREFIX = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/**
 * The data plane between services, chosen once on the platform: `ServiceMesh.serviceConnect()`
 * (Amazon ECS Service Connect, the default) or `ServiceMesh.envoy()`. Every service describes how it
 * may be called (`retryPolicy`, `requestTimeout`, `outlierDetection`, `connectionPool`)
 * independently of it.
 */
export abstract class ServiceMesh {
  /** AWS's notice: the App Mesh console and API are gone after this date. */
  public static readonly APP_MESH_END_OF_LIFE: string = APP_MESH_END_OF_LIFE;
  /** The Envoy release the sidecars run by default. */
  public static readonly DEFAULT_ENVOY_VERSION: string = DEFAULT_ENVOY_VERSION;

  /** Amazon ECS Service Connect: managed proxies, client aliases `http://<name>:<port>`, fixed retries. */
  public static serviceConnect(options: ServiceConnectOptions = {}): ServiceMesh {
    return new ServiceConnectMesh(options);
  }

  /**
   * An Envoy sidecar in every service that calls others, configured at synth from its callees'
   * descriptions, with no control plane: retries with jittered back-off and a retry budget,
   * timeouts, outlier detection, connection limits and canary weights, as App Mesh applied them.
   */
  public static envoy(options: EnvoyMeshOptions = {}): ServiceMesh {
    return new EnvoyMesh(options);
  }

  /**
   * AWS App Mesh is retired: AWS's App Mesh guide says that after 2026-09-30 "you will no longer be
   * able to access the AWS App Mesh console or AWS App Mesh resources", so a template with App Mesh
   * resources cannot deploy. This fails synthesis, naming the alternative.
   *
   * @deprecated use `ServiceMesh.serviceConnect()`.
   */
  public static appMesh(_options: AppMeshOptions = {}): ServiceMesh {
    const errors = new PropErrors('ServiceMesh.appMesh');
    errors.add(`mesh must not be ServiceMesh.appMesh(): AWS App Mesh is retired (its console and API are unreachable since ${APP_MESH_END_OF_LIFE}), `
      + 'so its resources cannot deploy. Use ServiceMesh.serviceConnect() (Amazon ECS Service Connect, the default) '
      + 'or ServiceMesh.envoy() (the Envoy proxy App Mesh ran, configured at synth: it honours the whole retry policy); '
      + 'retryPolicy, requestTimeout, outlierDetection and connectionPool stay as they are. Got ServiceMesh.appMesh()');
    errors.throwIfAny();
    throw new Error('unreachable');
  }

  /**
   * The data plane of a platform of another app, as its contract describes it: services that
   * join the platform by name configure their side alike. Nothing is created in the platform.
   *
   * @internal
   */
  public static _fromContract(scope: Construct, contract: MeshContract): ServiceMesh {
    return new ImportedMesh(ServiceMesh.platformMeshOf(scope, contract));
  }

  private static platformMeshOf(scope: Construct, contract: MeshContract): PlatformMesh {
    const { kind } = contract;
    if (kind === 'serviceConnect') {
      const sc = contract as ServiceConnectMeshContract;
      return new ServiceConnectPlatformMesh({ tlsCertificateAuthorityArn: sc.tlsCertificateAuthorityArn, accessLogs: sc.accessLogs });
    }
    const e = contract as EnvoyMeshContract;
    if (e.imageUri === undefined) {
      const errors = new PropErrors(`platform contract of ${scope.node.path}`);
      errors.add('mesh must name an Envoy image services of other apps can pull: the platform runs ServiceMesh.envoy({ image }) with an image object, which its contract cannot carry; '
        + 'use the default (the platform\'s ECR copy) or pullThroughCachePrefix on the platform, got an image with no name');
      errors.throwIfAny();
    }
    const imageUri = e.imageUri!;
    const image = e.imageRepositoryArn
      ? new MirroredImage(ecr.Repository.fromRepositoryArn(scope, 'EnvoyRepository', e.imageRepositoryArn), imageUri)
      : ecs.ContainerImage.fromRegistry(imageUri);
    return new EnvoyPlatformMesh({
      image, imageUri: e.imageUri, imageRepositoryArn: e.imageRepositoryArn, pullThroughCachePrefix: e.pullThroughCachePrefix,
      cpu: e.cpu, memoryReservationMiB: e.memoryReservationMiB, budgetPercent: e.retryBudgetPercent, minRetryConcurrency: e.minRetryConcurrency,
      backoffBase: Duration.millis(e.retryBackoffBaseMs), backoffMax: Duration.millis(e.retryBackoffMaxMs), connectTimeout: Duration.millis(e.connectTimeoutMs),
      egressPortBase: e.egressPortBase, accessLogs: e.accessLogs, collectorImage: e.metricsCollectorImage,
    });
  }

  /**
   * Binds the mesh to one platform; the result keeps that platform's state, never the strategy.
   *
   * @internal
   */
  public abstract _bindPlatform(platformScope: Construct, platform: PlatformMeshContext): PlatformMesh;
}

/** The data plane of a platform of another app: bound already, from its contract. */
class ImportedMesh extends ServiceMesh {
  constructor(private readonly bound: PlatformMesh) {
    super();
  }

  public _bindPlatform(): PlatformMesh {
    return this.bound;
  }
}

class ServiceConnectMesh extends ServiceMesh {
  constructor(private readonly options: ServiceConnectOptions) {
    super();
    const errors = new PropErrors('ServiceMesh.serviceConnect');
    errors.text('tlsCertificateAuthorityArn', options.tlsCertificateAuthorityArn, /^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[0-9a-f-]+$/, 'an AWS Private CA ARN');
    errors.throwIfAny();
  }

  public _bindPlatform(): PlatformMesh {
    return new ServiceConnectPlatformMesh(this.options);
  }
}

class EnvoyMesh extends ServiceMesh {
  private readonly resolved: Omit<ResolvedEnvoyOptions, 'image'>;
  private readonly image?: ecs.ContainerImage;
  private readonly version: string;
  private readonly pullThroughImageUri: string;
  private readonly dockerHubCredential?: EnvoyMeshOptions['dockerHubCredential'];

  constructor(o: EnvoyMeshOptions) {
    super();
    const errors = new PropErrors('ServiceMesh.envoy');
    errors.exclusive('image', o.image, 'pullThroughCachePrefix', o.pullThroughCachePrefix, 'the cache serves the official image');
    errors.exclusive('image', o.image, 'version', o.version, 'an image names its own version');
    errors.exclusive('image', o.image, 'dockerHubCredential', o.dockerHubCredential, 'the credential is for the platform\'s copy of the official image');
    errors.exclusive('pullThroughCachePrefix', o.pullThroughCachePrefix, 'dockerHubCredential', o.dockerHubCredential, 'your cache rule holds its own credential');
    if (o.pullThroughCachePrefix !== undefined && !Token.isUnresolved(o.pullThroughCachePrefix)
      && (!ECR_PREFIX.test(o.pullThroughCachePrefix) || o.pullThroughCachePrefix.length < 2 || o.pullThroughCachePrefix.length > 30)) {
      errors.add(`pullThroughCachePrefix must be an ECR repository prefix of 2 to 30 characters such as "docker-hub" (lower-case letters and digits, separated by single ".", "_", "-" or "/"), got ${JSON.stringify(o.pullThroughCachePrefix)}`);
    }
    errors.text('version', o.version, /^v\d+\.\d+\.\d+$/, 'an envoyproxy/envoy release tag such as "v1.40.2"');
    errors.integer('cpu', o.cpu, 32, 4096);
    errors.integer('memoryReservationMiB', o.memoryReservationMiB, 32, 8192);
    errors.range('retryBudget.budgetPercent', o.retryBudget?.budgetPercent, 1, 100);
    errors.integer('retryBudget.minRetryConcurrency', o.retryBudget?.minRetryConcurrency, 1, 1000);
    durationMs(errors, 'retryBackoffBase', o.retryBackoffBase, 1, 10_000);
    durationMs(errors, 'retryBackoffMax', o.retryBackoffMax, 1, 60_000);
    durationMs(errors, 'connectTimeout', o.connectTimeout, 1, 60_000);
    errors.integer('egressPortBase', o.egressPortBase, 1024, 65535 - RESERVED_EGRESS_PORTS + 1);
    const egressBase = o.egressPortBase;
    if (egressBase !== undefined && Number.isInteger(egressBase)) {
      const clash = RESERVED_PORTS.filter((p) => p >= egressBase && p < egressBase + RESERVED_EGRESS_PORTS);
      if (clash.length > 0) errors.add(`egressPortBase must keep the ${RESERVED_EGRESS_PORTS} egress ports ${egressBase} to ${egressBase + RESERVED_EGRESS_PORTS - 1} clear of the sidecars' own ports (${RESERVED_PORTS.join(', ')}), got ${egressBase}, which takes ${clash.join(', ')}`);
    }
    errors.text('metricsCollectorImage', o.metricsCollectorImage);
    const base = o.retryBackoffBase ?? Duration.millis(25);
    // Envoy's default maximum is 10 x the base; held to the documented 60 s.
    const max = o.retryBackoffMax ?? Duration.millis(Math.min(millis(base) * 10, 60_000));
    if (errors.count === 0 && !base.isUnresolved() && !max.isUnresolved() && max.toMilliseconds() < base.toMilliseconds()) {
      errors.add(`retryBackoffMax must be at least retryBackoffBase (${base.toMilliseconds()} ms), got ${max.toMilliseconds()} ms`);
    }
    errors.throwIfAny();
    this.version = o.version ?? DEFAULT_ENVOY_VERSION;
    this.pullThroughImageUri = `${Aws.ACCOUNT_ID}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${o.pullThroughCachePrefix}/envoyproxy/envoy:${this.version}`;
    this.image = o.image ?? (o.pullThroughCachePrefix ? ecs.ContainerImage.fromRegistry(this.pullThroughImageUri) : undefined);
    this.dockerHubCredential = o.dockerHubCredential;
    this.resolved = {
      pullThroughCachePrefix: o.pullThroughCachePrefix,
      cpu: o.cpu ?? 128,
      memoryReservationMiB: o.memoryReservationMiB ?? 128,
      budgetPercent: o.retryBudget?.budgetPercent ?? 20,
      minRetryConcurrency: o.retryBudget?.minRetryConcurrency ?? 3,
      backoffBase: base,
      backoffMax: max,
      connectTimeout: o.connectTimeout ?? Duration.seconds(1),
      egressPortBase: o.egressPortBase ?? 15001,
      accessLogs: o.accessLogs ?? true,
      collectorImage: o.metricsCollectorImage ?? DEFAULT_COLLECTOR_IMAGE,
    };
  }

  public _bindPlatform(platformScope: Construct, platform: PlatformMeshContext): PlatformMesh {
    // Without an image of the user's, the platform copies the pinned official image into an ECR
    // repository of its own at deploy, once: every task then pulls it from ECR, never Docker Hub.
    const image = this.image ?? new ImageMirror(platformScope, 'ImageMirror', { logs: platform.logs, credentialSecret: this.dockerHubCredential })
      .mirror('Envoy', `docker.io/envoyproxy/envoy:${this.version}`);
    // How services of other apps name it: the copy by digest, or the pull-through cache's tag.
    const mirrored = image instanceof MirroredImage ? image : undefined;
    const imageUri = mirrored?.imageUri ?? (this.resolved.pullThroughCachePrefix ? this.pullThroughImageUri : undefined);
    return new EnvoyPlatformMesh({ ...this.resolved, image, imageUri, imageRepositoryArn: mirrored?.repository.repositoryArn });
  }
}

function durationMs(errors: PropErrors, prop: string, d: Duration | undefined, min: number, max: number): void {
  errors.duration(prop, d, min, max, `between ${min} ms and ${max / 1000} s`);
}
