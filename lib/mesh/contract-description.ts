import { Duration } from 'aws-cdk-lib';
import type { ConnectionPool, OutlierDetection } from './resilience';
import { GrpcRetryEvent, HttpRetryEvent, RetryPolicy, TcpRetryEvent } from './retry-policy';
import type { ServiceContract } from '../private/contract';

/** How a service of another app may be called, as its contract describes it: what a caller's mesh applies. */
export interface ContractDescription {
  readonly retryPolicy: RetryPolicy;
  readonly requestTimeout: Duration;
  readonly idleTimeout?: Duration;
  readonly outlierDetection?: OutlierDetection;
  readonly connectionPool?: ConnectionPool;
}

export function descriptionOf(contract: ServiceContract): ContractDescription {
  const p = contract.retryPolicy;
  const t = contract.timeouts;
  const perRetryTimeout = t.perTryMs !== undefined ? Duration.millis(t.perTryMs) : undefined;
  const common = { maxRetries: p.maxRetries, perRetryTimeout, tcpRetryEvents: p.tcpRetryEvents as TcpRetryEvent[] };
  const retryPolicy = p.protocol === 'none' || p.maxRetries === 0 ? RetryPolicy.none()
    : p.protocol === 'grpc'
      ? RetryPolicy.grpc({ ...common, httpRetryEvents: p.httpRetryEvents as HttpRetryEvent[], grpcRetryEvents: p.grpcRetryEvents as GrpcRetryEvent[] })
      : RetryPolicy.http({ ...common, httpRetryEvents: p.httpRetryEvents as HttpRetryEvent[] });
  const o = contract.outlierDetection;
  return {
    retryPolicy,
    requestTimeout: Duration.millis(t.requestMs),
    idleTimeout: t.idleMs !== undefined ? Duration.millis(t.idleMs) : undefined,
    outlierDetection: o && {
      maxServerErrors: o.maxServerErrors, interval: Duration.millis(o.intervalMs),
      baseEjectionDuration: Duration.millis(o.baseEjectionDurationMs), maxEjectionPercent: o.maxEjectionPercent,
    },
    connectionPool: contract.connectionPool,
  };
}
