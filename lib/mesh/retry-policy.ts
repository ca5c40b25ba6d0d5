import { Duration } from 'aws-cdk-lib';
import { fmt, PropErrors } from '../private/validation';

/** HTTP retry events (App Mesh). */
export enum HttpRetryEvent {
  /** HTTP 500, 501, 502, 503, 504, 505, 506, 507, 508, 510 and 511. */
  SERVER_ERROR = 'server-error',
  /** HTTP 502, 503 and 504. */
  GATEWAY_ERROR = 'gateway-error',
  /** HTTP 409. */
  CLIENT_ERROR = 'client-error',
  /** Retry on refused stream. */
  STREAM_ERROR = 'stream-error',
}

/** TCP retry events. */
export enum TcpRetryEvent {
  /** A connection failure (refused, reset, timed out). The only TCP event. */
  CONNECTION_ERROR = 'connection-error',
}

/** gRPC retry events. */
export enum GrpcRetryEvent {
  CANCELLED = 'cancelled',
  DEADLINE_EXCEEDED = 'deadline-exceeded',
  INTERNAL = 'internal',
  RESOURCE_EXHAUSTED = 'resource-exhausted',
  UNAVAILABLE = 'unavailable',
}

/** Options of {@link RetryPolicy.http}. */
export interface HttpRetryPolicyOptions {
  /**
   * Retries after the first attempt, 1 to 10. Each hop multiplies a caller's attempts by this + 1.
   *
   * @default 2
   */
  readonly maxRetries?: number;
  /**
   * Timeout of each attempt, 1 ms to 1 hour.
   *
   * @default Duration.seconds(2)
   */
  readonly perRetryTimeout?: Duration;
  /**
   * HTTP events that trigger a retry, 1 to 4 distinct.
   *
   * @default [HttpRetryEvent.SERVER_ERROR, HttpRetryEvent.GATEWAY_ERROR]
   */
  readonly httpRetryEvents?: HttpRetryEvent[];
  /**
   * TCP events that trigger a retry: exactly [TcpRetryEvent.CONNECTION_ERROR], or [] for none.
   *
   * @default [TcpRetryEvent.CONNECTION_ERROR]
   */
  readonly tcpRetryEvents?: TcpRetryEvent[];
}

/** Options of {@link RetryPolicy.grpc}. */
export interface GrpcRetryPolicyOptions extends HttpRetryPolicyOptions {
  /**
   * gRPC status codes that trigger a retry, 1 to 5 distinct.
   *
   * @default [GrpcRetryEvent.UNAVAILABLE, GrpcRetryEvent.RESOURCE_EXHAUSTED]
   */
  readonly grpcRetryEvents?: GrpcRetryEvent[];
}

/**
 * How callers retry a service's requests, described once for every data plane. Set on the
 * service being called: it applies to every caller that reaches it through the mesh.
 */
export abstract class RetryPolicy {
  /** Retries of HTTP requests. */
  public static http(options: HttpRetryPolicyOptions = {}): RetryPolicy {
    return new ConcreteRetryPolicy('http', options);
  }

  /** Retries of gRPC requests. */
  public static grpc(options: GrpcRetryPolicyOptions = {}): RetryPolicy {
    return new ConcreteRetryPolicy('grpc', options);
  }

  /** No retries: for requests that are not safe to repeat. */
  public static none(): RetryPolicy {
    return new ConcreteRetryPolicy('none', {});
  }

  /** 'http', 'grpc' or 'none'. */
  public abstract readonly protocol: string;
  /** Retries after the first attempt (0 for none). */
  public abstract readonly maxRetries: number;
  /** Timeout of each attempt (undefined for none). */
  public abstract readonly perRetryTimeout?: Duration;
  /** The HTTP responses that are retried. */
  public abstract readonly httpRetryEvents: HttpRetryEvent[];
  /** The connection failures that are retried. */
  public abstract readonly tcpRetryEvents: TcpRetryEvent[];
  /** The gRPC statuses that are retried. */
  public abstract readonly grpcRetryEvents: GrpcRetryEvent[];

  /** Attempts per request: maxRetries + 1. */
  public get attempts(): number {
    return this.maxRetries + 1;
  }
}

class ConcreteRetryPolicy extends RetryPolicy {
  public readonly maxRetries: number;
  public readonly perRetryTimeout?: Duration;
  public readonly httpRetryEvents: HttpRetryEvent[];
  public readonly tcpRetryEvents: TcpRetryEvent[];
  public readonly grpcRetryEvents: GrpcRetryEvent[];

  constructor(public readonly protocol: string, o: GrpcRetryPolicyOptions) {
    super();
    if (protocol === 'none') {
      this.maxRetries = 0;
      this.httpRetryEvents = [];
      this.tcpRetryEvents = [];
      this.grpcRetryEvents = [];
      return;
    }
    const errors = new PropErrors(`RetryPolicy.${protocol}`);
    errors.integer('maxRetries', o.maxRetries, 1, 10);
    errors.duration('perRetryTimeout', o.perRetryTimeout, 1, 3_600_000, 'between 1 ms and 1 hour');
    const http = o.httpRetryEvents ?? (protocol === 'http' ? [HttpRetryEvent.SERVER_ERROR, HttpRetryEvent.GATEWAY_ERROR] : []);
    const tcp = o.tcpRetryEvents ?? [TcpRetryEvent.CONNECTION_ERROR];
    const grpc = o.grpcRetryEvents ?? (protocol === 'grpc' ? [GrpcRetryEvent.UNAVAILABLE, GrpcRetryEvent.RESOURCE_EXHAUSTED] : []);
    distinct(errors, 'httpRetryEvents', http, Object.values(HttpRetryEvent), protocol === 'http' ? 1 : 0, Object.values(HttpRetryEvent).length);
    if (tcp.length > 0 && !(tcp.length === 1 && tcp[0] === TcpRetryEvent.CONNECTION_ERROR)) {
      errors.add(`tcpRetryEvents must be exactly ["connection-error"] or [], got ${fmt(tcp)}`);
    }
    if (protocol === 'grpc') distinct(errors, 'grpcRetryEvents', grpc, Object.values(GrpcRetryEvent), 1, Object.values(GrpcRetryEvent).length);
    if (protocol === 'http' && o.grpcRetryEvents !== undefined) errors.add('grpcRetryEvents is for RetryPolicy.grpc, got grpcRetryEvents on RetryPolicy.http');
    if (http.length + tcp.length + grpc.length === 0) errors.add('at least one retry event is required, got none');
    errors.throwIfAny();
    this.maxRetries = o.maxRetries ?? 2;
    this.perRetryTimeout = o.perRetryTimeout ?? Duration.seconds(2);
    this.httpRetryEvents = http;
    this.tcpRetryEvents = tcp;
    this.grpcRetryEvents = grpc;
  }
}

function distinct(errors: PropErrors, prop: string, values: string[], allowed: string[], min: number, max: number): void {
  if (values.length < min || values.length > max) {
    errors.add(`${prop} must list ${min} to ${max} events, got ${values.length}`);
  }
  values.forEach((v, i) => errors.oneOf(`${prop}[${i}]`, v, allowed));
  const dup = values.find((v, i) => values.indexOf(v) !== i);
  if (dup) errors.add(`${prop} must not repeat an event, got ${fmt(dup)} twice`);
}
