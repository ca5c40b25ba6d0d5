import { Duration } from 'aws-cdk-lib';
import { GrpcRetryEvent, HttpRetryEvent, Microservice, RetryPolicy, TcpRetryEvent } from '../../lib';
import { IMAGE, testStack } from '../util';

describe('RetryPolicy', () => {
  test('http() defaults: 2 retries, 2 s per try, server and gateway errors, connection errors', () => {
    const p = RetryPolicy.http();
    expect(p).toMatchObject({ protocol: 'http', maxRetries: 2, attempts: 3, httpRetryEvents: ['server-error', 'gateway-error'], tcpRetryEvents: ['connection-error'], grpcRetryEvents: [] });
    expect(p.perRetryTimeout!.toSeconds()).toBe(2);
  });

  test('grpc() defaults: unavailable and resource-exhausted', () => {
    expect(RetryPolicy.grpc()).toMatchObject({ protocol: 'grpc', grpcRetryEvents: ['unavailable', 'resource-exhausted'], httpRetryEvents: [] });
  });

  test('none() makes one attempt', () => {
    expect(RetryPolicy.none()).toMatchObject({ protocol: 'none', maxRetries: 0, attempts: 1, perRetryTimeout: undefined });
  });

  test.each<[string, () => RetryPolicy, RegExp]>([
    ['maxRetries 0', () => RetryPolicy.http({ maxRetries: 0 }), /maxRetries must be an integer between 1 and 10, got 0/],
    ['maxRetries 11', () => RetryPolicy.http({ maxRetries: 11 }), /maxRetries must be an integer between 1 and 10, got 11/],
    ['maxRetries 1.5', () => RetryPolicy.grpc({ maxRetries: 1.5 }), /maxRetries must be an integer between 1 and 10, got 1.5/],
    ['perRetryTimeout 0', () => RetryPolicy.http({ perRetryTimeout: Duration.millis(0) }), /perRetryTimeout must be between 1 ms and 1 hour, got 0 ms/],
    ['perRetryTimeout over an hour', () => RetryPolicy.http({ perRetryTimeout: Duration.millis(3_600_001) }), /perRetryTimeout must be between 1 ms and 1 hour, got 3600001 ms/],
    ['no HTTP events', () => RetryPolicy.http({ httpRetryEvents: [] }), /httpRetryEvents must list 1 to 4 events, got 0/],
    ['an unknown HTTP event', () => RetryPolicy.http({ httpRetryEvents: ['teapot' as HttpRetryEvent] }), /httpRetryEvents\[0\] must be one of "server-error", "gateway-error", "client-error", "stream-error", got "teapot"/],
    ['a repeated HTTP event', () => RetryPolicy.http({ httpRetryEvents: [HttpRetryEvent.SERVER_ERROR, HttpRetryEvent.SERVER_ERROR] }), /httpRetryEvents must not repeat an event, got "server-error" twice/],
    ['a TCP event other than connection-error', () => RetryPolicy.http({ tcpRetryEvents: ['reset' as TcpRetryEvent] }), /tcpRetryEvents must be exactly \["connection-error"\] or \[\], got \["reset"\]/],
    ['connection-error twice', () => RetryPolicy.http({ tcpRetryEvents: [TcpRetryEvent.CONNECTION_ERROR, TcpRetryEvent.CONNECTION_ERROR] }), /tcpRetryEvents must be exactly/],
    ['no gRPC events', () => RetryPolicy.grpc({ grpcRetryEvents: [] }), /grpcRetryEvents must list 1 to 5 events, got 0/],
    ['six gRPC events', () => RetryPolicy.grpc({ grpcRetryEvents: [...Object.values(GrpcRetryEvent), GrpcRetryEvent.INTERNAL] }), /grpcRetryEvents must list 1 to 5 events, got 6/],
    ['an unknown gRPC event', () => RetryPolicy.grpc({ grpcRetryEvents: ['aborted' as GrpcRetryEvent] }), /grpcRetryEvents\[0\] must be one of "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable", got "aborted"/],
    ['gRPC events on an HTTP policy', () => RetryPolicy.http({ grpcRetryEvents: [GrpcRetryEvent.INTERNAL] } as any), /grpcRetryEvents is for RetryPolicy.grpc/],
  ])('fails on %s', (_name, create, message) => {
    expect(create).toThrow(message);
  });

  test('accepts the edges', () => {
    expect(() => RetryPolicy.http({ maxRetries: 1, perRetryTimeout: Duration.millis(1), httpRetryEvents: [HttpRetryEvent.CLIENT_ERROR], tcpRetryEvents: [] })).not.toThrow();
    expect(() => RetryPolicy.http({ maxRetries: 10, perRetryTimeout: Duration.hours(1), httpRetryEvents: Object.values(HttpRetryEvent) })).not.toThrow();
    expect(() => RetryPolicy.grpc({ grpcRetryEvents: Object.values(GrpcRetryEvent) })).not.toThrow();
    expect(() => RetryPolicy.grpc({ grpcRetryEvents: [GrpcRetryEvent.CANCELLED] })).not.toThrow();
  });
});

describe('resilience props of a Microservice', () => {
  const make = (props: object) => () => new Microservice(testStack(), 'S', { image: IMAGE, ...props });
  test.each<[string, object, RegExp]>([
    ['maxServerErrors 0', { outlierDetection: { maxServerErrors: 0, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 } }, /outlierDetection.maxServerErrors must be an integer between 1 and 1000000, got 0/],
    ['maxEjectionPercent 101', { outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 101 } }, /outlierDetection.maxEjectionPercent must be an integer between 0 and 100, got 101/],
    ['maxEjectionPercent -1', { outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: -1 } }, /outlierDetection.maxEjectionPercent must be an integer between 0 and 100, got -1/],
    ['interval 0', { outlierDetection: { maxServerErrors: 5, interval: Duration.millis(0), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 } }, /outlierDetection.interval must be at least 1 ms, got 0 ms/],
    ['baseEjectionDuration 0', { outlierDetection: { maxServerErrors: 5, interval: Duration.seconds(1), baseEjectionDuration: Duration.millis(0), maxEjectionPercent: 50 } }, /outlierDetection.baseEjectionDuration must be at least 1 ms, got 0 ms/],
    ['maxConnections 0', { connectionPool: { maxConnections: 0 } }, /connectionPool.maxConnections must be an integer between 1 and 1000000, got 0/],
    ['maxPendingRequests 0', { connectionPool: { maxConnections: 1, maxPendingRequests: 0 } }, /connectionPool.maxPendingRequests must be an integer between 1 and 1000000, got 0/],
    ['maxRequests 0', { connectionPool: { maxConnections: 1, maxRequests: 0 } }, /connectionPool.maxRequests must be an integer between 1 and 1000000, got 0/],
    ['requestTimeout 0', { requestTimeout: Duration.millis(0) }, /requestTimeout must be between 1 ms and 1 hour, got 0 ms/],
    ['requestTimeout below 1 s on Service Connect', { requestTimeout: Duration.millis(999) }, /requestTimeout must be at least 1 s with ServiceMesh.serviceConnect\(\) .* got 999 ms/],
    ['idleTimeout below 1 s', { idleTimeout: Duration.millis(999) }, /idleTimeout must be between 1000 ms and 1 hour, got 999 ms/],
    ['an API timeout below 1 s on Service Connect (its request timeout is at least 1 s)', { api: { routes: [{ path: '/x', public: true }], timeout: Duration.millis(800) } },
      /the API's timeout must be at least 1 s with ServiceMesh.serviceConnect\(\) .* got 800 ms/],
  ])('fails on %s', (_name, props, message) => {
    expect(make(props)).toThrow(message);
  });

  test('accepts the edges', () => {
    expect(make({ outlierDetection: { maxServerErrors: 1, interval: Duration.millis(1), baseEjectionDuration: Duration.millis(1), maxEjectionPercent: 0 } })).not.toThrow();
    expect(make({ outlierDetection: { maxServerErrors: 1, interval: Duration.seconds(1), baseEjectionDuration: Duration.seconds(1), maxEjectionPercent: 100 }, connectionPool: { maxConnections: 1, maxPendingRequests: 1, maxRequests: 1 } })).not.toThrow();
    expect(make({ requestTimeout: Duration.seconds(1), idleTimeout: Duration.seconds(1) })).not.toThrow();
    expect(make({ requestTimeout: Duration.hours(1), idleTimeout: Duration.hours(1) })).not.toThrow();
  });
});
