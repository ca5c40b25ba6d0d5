import { Construct } from 'constructs';
import { AppMeshOptions, ServiceConnectOptions } from './mesh-options';
import { ServiceConnectPlatformMesh } from './service-connect';
import type { PlatformMesh } from '../private/binding';
import { PropErrors } from '../private/validation';

/** AWS's notice: the App Mesh console and API are gone after this date. */
export const APP_MESH_END_OF_LIFE = '2026-09-30';

/**
 * The data plane between services, chosen once on the platform: `ServiceMesh.serviceConnect()`
 * (Amazon ECS Service Connect, the default). Every service describes how it may be called
 * (`retryPolicy`, `requestTimeout`, `outlierDetection`, `connectionPool`) independently of it.
 */
export abstract class ServiceMesh {
  /** Amazon ECS Service Connect: managed proxies, client aliases `http://<name>:<port>`, fixed retries. */
  public static serviceConnect(options: ServiceConnectOptions = {}): ServiceMesh {
    return new ServiceConnectMesh(options);
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
      + 'so its resources cannot deploy. Use ServiceMesh.serviceConnect() (Amazon ECS Service Connect, the default); '
      + 'retryPolicy, requestTimeout, outlierDetection and connectionPool stay as they are. Got ServiceMesh.appMesh()');
    errors.throwIfAny();
    throw new Error('unreachable');
  }

  /**
   * Binds the mesh to one platform; the result keeps that platform's state, never the strategy.
   *
   * @internal
   */
  public abstract _bindPlatform(platformScope: Construct): PlatformMesh;
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
