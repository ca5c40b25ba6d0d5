import type { IConstruct } from 'constructs';
import type { PlatformServices } from './feature';

/**
 * The platform's internal services, by platform. A `MicroservicePlatform` registers its own when
 * it is built; users see only the read-only `IMicroservicePlatform`.
 */
const SERVICES = new WeakMap<IConstruct, PlatformServices>();

export function registerPlatformServices(platform: IConstruct, services: PlatformServices): void {
  SERVICES.set(platform, services);
}

/** The internal services of `platform`; a platform not made by `MicroservicePlatform` has none. */
export function platformServicesOf(platform: IConstruct, user: string): PlatformServices {
  const services = SERVICES.get(platform);
  if (!services) {
    throw new Error(`Invalid props for ${user}:\n  - platform must be a MicroservicePlatform (or one of its defaultFor), got ${platform.node.path}, which is not`);
  }
  return services;
}
