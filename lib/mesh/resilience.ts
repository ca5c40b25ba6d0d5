import { Duration } from 'aws-cdk-lib';
import { millis } from '../private/validation';

/**
 * Outlier detection: the circuit breaker. A task that answers `maxServerErrors` 5xx in a row
 * within `interval` is ejected from the pool of endpoints for `baseEjectionDuration` (times the
 * number of ejections).
 */
export interface OutlierDetection {
  /** Consecutive 5xx before ejection, 1 or more. */
  readonly maxServerErrors: number;
  /** Interval between ejection sweeps, 1 ms or more. */
  readonly interval: Duration;
  /** Base ejection time, 1 ms or more. */
  readonly baseEjectionDuration: Duration;
  /** Most endpoints that may be ejected at once, percent, 0 to 100. */
  readonly maxEjectionPercent: number;
}

/** Connection pool: the bulkhead. Limits of each caller's proxy toward the service. */
export interface ConnectionPool {
  /** Most upstream connections, 1 or more. */
  readonly maxConnections: number;
  /**
   * Most requests queued waiting for a connection, 1 or more.
   *
   * @default - the data plane's default
   */
  readonly maxPendingRequests?: number;
  /**
   * Most concurrent requests (HTTP/2 and gRPC), 1 or more.
   *
   * @default - the data plane's default
   */
  readonly maxRequests?: number;
}

/** The protocol a service answers on: what a mesh speaks to it. */
export enum ServiceProtocol {
  /** HTTP/1.1. */
  HTTP = 'http',
  /** HTTP/2 (cleartext, prior knowledge). */
  HTTP2 = 'http2',
  /** gRPC (over HTTP/2). */
  GRPC = 'grpc',
}

/** The request timeout of a service that sets none, either mesh: 15 s. */
const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** A service's API timeout in milliseconds, when known at synth and finite (else undefined). */
export function apiTimeoutMillis(apiTimeout?: Duration): number | undefined {
  return apiTimeout && !apiTimeout.isUnresolved() && Number.isFinite(millis(apiTimeout)) ? millis(apiTimeout) : undefined;
}

/** The default request timeout, in milliseconds: 15 s, or the API's timeout when that is shorter. */
export function defaultRequestTimeoutMillis(apiTimeout?: Duration): number {
  const api = apiTimeoutMillis(apiTimeout);
  return api !== undefined && api < DEFAULT_REQUEST_TIMEOUT_MS ? api : DEFAULT_REQUEST_TIMEOUT_MS;
}

