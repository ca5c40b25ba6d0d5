import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Microservice, MicroserviceProps , Tracing } from '../../lib';
import { IMAGE, testStack } from '../util';

function make(props: Partial<MicroserviceProps>): () => Microservice {
  return () => new Microservice(testStack(), 'Orders', { image: IMAGE, ...props });
}

describe('numeric props at both ends of their range', () => {
  test.each<[string, Partial<MicroserviceProps>, Partial<MicroserviceProps>, RegExp]>([
    ['containerPort', { containerPort: 1 }, { containerPort: 0 }, /containerPort must be an integer between 1 and 65535, got 0/],
    ['containerPort', { containerPort: 65535 }, { containerPort: 65536 }, /containerPort must be an integer between 1 and 65535, got 65536/],
    ['containerPort', { containerPort: 8080 }, { containerPort: 80.5 }, /containerPort must be an integer between 1 and 65535, got 80.5/],
    ['autoScaling.minCapacity', { autoScaling: { minCapacity: 0, maxCapacity: 1 } }, { autoScaling: { minCapacity: -1 } }, /autoScaling.minCapacity must be an integer between 0 and 5000, got -1/],
    ['autoScaling.maxCapacity', { autoScaling: { minCapacity: 1, maxCapacity: 5000 } }, { autoScaling: { maxCapacity: 5001 } }, /autoScaling.maxCapacity must be an integer between 1 and 5000, got 5001/],
    ['autoScaling.maxCapacity', { autoScaling: { minCapacity: 4, maxCapacity: 4 } }, { autoScaling: { minCapacity: 4, maxCapacity: 3 } }, /autoScaling.maxCapacity must be at least autoScaling.minCapacity \(4\), got 3/],
    ['autoScaling.targetCpuUtilizationPercent', { autoScaling: { targetCpuUtilizationPercent: 10 } }, { autoScaling: { targetCpuUtilizationPercent: 9 } }, /autoScaling.targetCpuUtilizationPercent must be between 10 and 90, got 9/],
    ['autoScaling.targetCpuUtilizationPercent', { autoScaling: { targetCpuUtilizationPercent: 90 } }, { autoScaling: { targetCpuUtilizationPercent: 91 } }, /between 10 and 90, got 91/],
    ['autoScaling.targetMemoryUtilizationPercent', { autoScaling: { targetMemoryUtilizationPercent: 10 } }, { autoScaling: { targetMemoryUtilizationPercent: 9.5 } }, /autoScaling.targetMemoryUtilizationPercent must be between 10 and 90, got 9.5/],
    ['autoScaling.targetMemoryUtilizationPercent', { autoScaling: { targetMemoryUtilizationPercent: 90 } }, { autoScaling: { targetMemoryUtilizationPercent: 100 } }, /between 10 and 90, got 100/],
    ['fargateSpot.percent', { fargateSpot: { percent: 1 } }, { fargateSpot: { percent: 0 } }, /fargateSpot.percent must be an integer between 1 and 100, got 0/],
    ['fargateSpot.percent', { fargateSpot: { percent: 100 } }, { fargateSpot: { percent: 101 } }, /fargateSpot.percent must be an integer between 1 and 100, got 101/],
    ['fargateSpot.onDemandBase', { fargateSpot: { percent: 50, onDemandBase: 0 } }, { fargateSpot: { percent: 50, onDemandBase: -1 } }, /fargateSpot.onDemandBase must be an integer between 0 and 100000, got -1/],
    ['fargateSpot.onDemandBase', { fargateSpot: { percent: 50, onDemandBase: 100000 } }, { fargateSpot: { percent: 50, onDemandBase: 100001 } }, /got 100001/],
    ['healthCheck.interval', { healthCheck: { command: ['true'], interval: Duration.seconds(5) } }, { healthCheck: { command: ['true'], interval: Duration.seconds(4) } }, /healthCheck.interval must be a whole number of seconds between 5 and 300, got 4 s/],
    ['healthCheck.interval', { healthCheck: { command: ['true'], interval: Duration.seconds(300) } }, { healthCheck: { command: ['true'], interval: Duration.seconds(301) } }, /healthCheck.interval .* got 301 s/],
    ['healthCheck.timeout', { healthCheck: { command: ['true'], timeout: Duration.seconds(2) } }, { healthCheck: { command: ['true'], timeout: Duration.seconds(1) } }, /healthCheck.timeout must be a whole number of seconds between 2 and 120, got 1 s/],
    ['healthCheck.timeout', { healthCheck: { command: ['true'], timeout: Duration.seconds(120) } }, { healthCheck: { command: ['true'], timeout: Duration.millis(120500) } }, /healthCheck.timeout .* got 120.5 s/],
    ['healthCheck.retries', { healthCheck: { command: ['true'], retries: 1 } }, { healthCheck: { command: ['true'], retries: 0 } }, /healthCheck.retries must be an integer between 1 and 10, got 0/],
    ['healthCheck.retries', { healthCheck: { command: ['true'], retries: 10 } }, { healthCheck: { command: ['true'], retries: 11 } }, /healthCheck.retries .* got 11/],
    ['healthCheck.startPeriod', { healthCheck: { command: ['true'], startPeriod: Duration.seconds(0) } }, { healthCheck: { command: ['true'], startPeriod: Duration.seconds(301) } }, /healthCheck.startPeriod must be a whole number of seconds between 0 and 300, got 301 s/],
  ])('%s: accepts the edge, fails past it', (_prop, ok, bad, message) => {
    expect(make(ok)).not.toThrow();
    expect(make(bad)).toThrow(message);
  });
});

describe('Fargate task sizes', () => {
  test.each([[256, 512], [256, 2048], [512, 4096], [1024, 8192], [2048, 16384], [4096, 30720], [8192, 61440], [16384, 122880], [16384, 32768]])(
    'accepts cpu %i with %i MiB', (cpu, memoryLimitMiB) => {
      expect(make({ cpu, memoryLimitMiB })).not.toThrow();
    });

  test('fails on a cpu value Fargate does not offer, listing the valid ones', () => {
    expect(make({ cpu: 300 })).toThrow('cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384, got 300');
  });

  test.each([[256, 4096], [512, 512], [1024, 9216], [4096, 31744], [8192, 18432], [16384, 36864]])(
    'fails on cpu %i with %i MiB, listing the memory values valid for that cpu and all sizes', (cpu, memoryLimitMiB) => {
      expect(make({ cpu, memoryLimitMiB })).toThrow(new RegExp(`memoryLimitMiB must be one of .* for cpu ${cpu}, got ${memoryLimitMiB} \\(valid Fargate sizes: cpu 256: 512, 1024, 2048; cpu 512: 1024 to 4096 in steps of 1024;`));
    });

  test('fails when the default memory does not fit a larger cpu, and says so', () => {
    expect(make({ cpu: 4096 })).toThrow('memoryLimitMiB must be one of 8192 to 30720 in steps of 1024 for cpu 4096, got 1024');
    expect(make({ cpu: 256 })).not.toThrow();
  });
});

describe('conflicting props', () => {
  test('fails on Fargate Spot with ARM64', () => {
    expect(make({ cpuArchitecture: ecs.CpuArchitecture.ARM64, fargateSpot: { percent: 50 } }))
      .toThrow('fargateSpot must not be set when cpuArchitecture is ARM64 (Fargate Spot runs X86_64 Linux tasks only), got fargateSpot with ARM64');
  });

  test('fails on a read-only root filesystem asked for together with ECS Exec', () => {
    expect(make({ enableExecuteCommand: true, readonlyRootFilesystem: true }))
      .toThrow('readonlyRootFilesystem must be false when enableExecuteCommand is true');
    expect(make({ enableExecuteCommand: true })).not.toThrow();
  });

  test('fails on a containerPort the tracing collector listens on (the task\'s containers share its ports), on Service Connect too', () => {
    for (const port of [4317, 4318, 13133]) {
      expect(make({ containerPort: port, tracing: Tracing.openTelemetry() }))
        .toThrow(`containerPort must not be a port the otel-collector sidecar listens on (4317, 4318, 13133), got ${port}`);
    }
    expect(make({ containerPort: 4318 })).not.toThrow();
  });

  test('fails on a variable set in both environment and secrets', () => {
    const secret = ecs.Secret.fromSsmParameter({ parameterArn: 'arn:aws:ssm:us-east-1:111111111111:parameter/x', parameterName: 'x' } as any);
    expect(make({ environment: { TOKEN: 'a' }, secrets: { TOKEN: secret } }))
      .toThrow('environment and secrets must not set the same variable, got ["TOKEN"] in both');
  });
});

describe('strings and lists', () => {
  test.each<[string, Partial<MicroserviceProps>, RegExp]>([
    ['empty discoveryName', { discoveryName: '' }, /discoveryName must not be empty, got ""/],
    ['blank discoveryName', { discoveryName: '  ' }, /discoveryName must not be empty, got "  "/],
    ['upper-case discoveryName', { discoveryName: 'Orders' }, /discoveryName must be a lower-case DNS label .*, got "Orders"/],
    ['discoveryName over 60 characters', { discoveryName: 'a'.repeat(61) }, /discoveryName must be a lower-case DNS label \(a-z, 0-9 and "-", 1-60 characters\), got "a{61}"/],
    ['empty environment key', { environment: { '': 'x' } }, /environment key must not be empty, got ""/],
    ['bad environment key', { environment: { '1A': 'x' } }, /environment key must be a variable name .*, got "1A"/],
    ['empty command', { command: [] }, /command must have at least one element when given, got \[\]/],
    ['empty command element', { command: ['node', ''] }, /command\[1\] must not be empty, got ""/],
    ['empty health check command', { healthCheck: { command: [] } }, /healthCheck.command must have at least one element, got \[\]/],
    ['relative writable path', { writablePaths: ['tmp'] }, /writablePaths\[0\] must be an absolute path such as "\/tmp" \(no trailing "\/"\), got "tmp"/],
    ['empty writable path', { writablePaths: [''] }, /writablePaths\[0\] must not be empty, got ""/],
    ['root as writable path', { writablePaths: ['/'] }, /writablePaths\[0\] must not be the root "\/", got "\/"/],
    ['repeated writable path', { writablePaths: ['/tmp', '/tmp'] }, /writablePaths must not repeat a path, got "\/tmp" twice/],
    ['21 writable paths', { writablePaths: Array.from({ length: 21 }, (_, i) => `/w${i}`) }, /writablePaths must have at most 20 entries, got 21/],
  ])('fails on %s', (_name, props, message) => {
    expect(make(props)).toThrow(message);
  });

  test('accepts 20 writable paths and an empty list', () => {
    expect(make({ writablePaths: Array.from({ length: 20 }, (_, i) => `/w${i}`) })).not.toThrow();
    expect(make({ writablePaths: [] })).not.toThrow();
  });

  test('an id that is not a DNS label is turned into one', () => {
    const svc = new Microservice(testStack(), 'OrderHistoryAPI', { image: IMAGE });
    expect(svc.discoveryName).toBe('order-history-api');
  });
});

test('reports every finding at once, naming the construct', () => {
  expect(make({ containerPort: 0, cpu: 3, autoScaling: { minCapacity: -1 } })).toThrow(
    /Invalid props for Microservice 'Test\/Orders':\n {2}- containerPort .*\n {2}- cpu .*\n {2}- autoScaling.minCapacity/,
  );
});
