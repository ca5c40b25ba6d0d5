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

/**
 * Options App Mesh took. App Mesh is retired: `ServiceMesh.appMesh()` fails synthesis whatever
 * they are.
 *
 * @deprecated AWS App Mesh's API is unreachable since 2026-09-30; use `ServiceMesh.serviceConnect()`.
 */
export interface AppMeshOptions {
  /** @deprecated App Mesh is retired. */
  readonly envoyImage?: string;
  /** @deprecated App Mesh is retired. */
  readonly tracing?: boolean;
  /** @deprecated App Mesh is retired. */
  readonly xrayDaemonImage?: string;
}
