import { Duration } from 'aws-cdk-lib';
import { PropErrors } from '../private/validation';

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

/** Connection pool: the bulkhead. Limits of one caller's Envoy toward the service. */
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

export function validateResilience(errors: PropErrors, o: OutlierDetection | undefined, p: ConnectionPool | undefined): void {
  if (o) {
    errors.integer('outlierDetection.maxServerErrors', o.maxServerErrors, 1, 1_000_000);
    positiveMs(errors, 'outlierDetection.interval', o.interval);
    positiveMs(errors, 'outlierDetection.baseEjectionDuration', o.baseEjectionDuration);
    errors.integer('outlierDetection.maxEjectionPercent', o.maxEjectionPercent, 0, 100);
  }
  if (p) {
    errors.integer('connectionPool.maxConnections', p.maxConnections, 1, 1_000_000);
    errors.integer('connectionPool.maxPendingRequests', p.maxPendingRequests, 1, 1_000_000);
    errors.integer('connectionPool.maxRequests', p.maxRequests, 1, 1_000_000);
  }
}

function positiveMs(errors: PropErrors, prop: string, d: Duration): void {
  if (d.isUnresolved()) return;
  const ms = d.toMilliseconds();
  if (ms < 1) errors.add(`${prop} must be at least 1 ms, got ${ms} ms`);
}
