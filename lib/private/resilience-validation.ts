import { Duration } from 'aws-cdk-lib';
import type { PropErrors } from './validation';
import type { ConnectionPool, OutlierDetection } from '../mesh/resilience';

/** Checks the circuit breaker and the bulkhead, whatever the mesh. */
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
  errors.duration(prop, d, 1, Number.MAX_SAFE_INTEGER, 'at least 1 ms');
}
