import { createHash } from 'crypto';
import { Names } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Names and constants shared by every part of a service: one place, so they never drift apart. */

/** The application container's name (the target of load balancers and Cloud Map). */
export const APP_CONTAINER_NAME = 'app';
/** The application's port mapping name (Service Connect names it). */
export const APP_PORT_MAPPING_NAME = 'http';
/** Suffix of a service's Service Connect discovery name, so it differs from its Cloud Map service. */
export const SERVICE_CONNECT_SUFFIX = '-sc';
/** The AWS Distro for OpenTelemetry collector every collector sidecar runs (tracing, Envoy's metrics), pinned. */
export const DEFAULT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0';

/**
 * A CloudWatch-safe name (letters, digits, '-' and '_') of at most `max` characters; a longer one
 * keeps its start and end around an 8-character hash, so it stays unique and readable.
 */
export function safeName(name: string, max: number): string {
  const clean = name.replace(/[^A-Za-z0-9_-]+/g, '-');
  if (clean.length <= max) return clean;
  const hash = createHash('sha256').update(clean).digest('hex').slice(0, 8);
  const keep = max - hash.length - 2;
  const head = Math.ceil(keep / 2);
  return `${clean.slice(0, head)}-${hash}-${clean.slice(clean.length - (keep - head))}`;
}

/** 'web-client' → 'WebClient': a construct id from a name. */
export function pascal(name: string): string {
  return name.split(/[^A-Za-z0-9]+/).filter(Boolean).map((p) => p[0].toUpperCase() + p.slice(1)).join('');
}

/** 'OrderHistory' → 'order-history'; 'API2Gateway' → 'api2-gateway'. */
export function kebab(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 60)
    .replace(/-+$/, '');
}

/** 'payments-v2' → 'PAYMENTS_V2': the environment-variable stem of a discovery name. */
export function envStem(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

/** '/var/cache/nginx' → 'writable-var-cache-nginx' (ECS volume names: letters, digits, '-' and '_'). */
export function volumeName(path: string): string {
  return `writable${path.replace(/[^A-Za-z0-9_-]+/g, '-')}`.replace(/-+$/, '').slice(0, 255);
}

/** A lower-case name unique in the account: letters, digits and single hyphens, starting with a letter. */
export function physicalName(scope: IConstruct, maxLength: number): string {
  const raw = Names.uniqueResourceName(scope, { maxLength: maxLength - 1, separator: '-' }).toLowerCase();
  const clean = raw.replace(/[^a-z0-9-]/g, '').replace(/-+/g, '-').replace(/^-|-$/g, '');
  return `c${clean}`.slice(0, maxLength).replace(/-$/, '');
}
