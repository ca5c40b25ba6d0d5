// Where the app container's logs go: awslogs to the service's log group (the default, unchanged),
// FireLens (a Fluent Bit router sidecar, counted against the task like every sidecar) or any
// aws-cdk-lib log driver; and what is refused at synth.
import { App, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { Microservice, MicroservicePlatform, MicroserviceProps, ServiceLogging, Tracing } from '../../lib';
import { StrictControlTowerChecks } from '../guard';
import { unacknowledgedFindings } from '../nag';
import { asList, IMAGE, logicalId, resource, resourcesOf, testApp } from '../util';

const ROUTER = 'log-router';
const NONROOT = 'cdk-validator-cfnguard::ecs_task_definition_nonroot_user_check';
const CLOUDWATCH = { Name: 'cloudwatch_logs', region: 'eu-west-1', log_group_name: '/app/orders', log_stream_prefix: 'orders-' };

/** A service on its own platform, its stack's template, and its containers by name. */
function service(props: Partial<MicroserviceProps> = {}, app: App = testApp()) {
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { logs: { retention: logs.RetentionDays.ONE_YEAR } });
  const svc = new Microservice(new Stack(app, 'Orders'), 'Orders', { platform, image: IMAGE, ...props });
  const template = Template.fromStack(Stack.of(svc));
  const def = resource(template, logicalId(svc.taskDefinition)).Properties;
  const containers: { [name: string]: any } = Object.fromEntries(def.ContainerDefinitions.map((c: any) => [c.Name, c]));
  return { app, svc, template, def, containers };
}

const acknowledgedRules = (c: Construct): string[] => c.node.metadata
  .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
  .flatMap((m) => Object.keys(m.data as object));

const invalid = (message: string) => `Invalid props for Microservice 'Orders/Orders':\n  - ${message}`;

describe('ServiceLogging.awsLogs(), the default', () => {
  const omitted = service();
  const explicit = service({ logging: ServiceLogging.awsLogs() });

  test('the app logs with awslogs to the service\'s log group, non-blocking with a 25 MiB buffer, stream prefix app', () => {
    expect(omitted.containers.app.LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: {
        'awslogs-group': { Ref: logicalId(omitted.svc.logGroup) },
        'awslogs-stream-prefix': 'app',
        'awslogs-region': { Ref: 'AWS::Region' },
        'mode': 'non-blocking',
        'max-buffer-size': '26214400b',
      },
    });
    expect(Object.keys(omitted.containers)).toEqual(['app']);
    expect(omitted.def.Volumes).toEqual([{ Name: 'writable-tmp' }]);
  });

  test('ServiceLogging.awsLogs() gives the very template of leaving logging out', () => {
    expect(explicit.template.toJSON()).toEqual(omitted.template.toJSON());
  });
});

describe('ServiceLogging.fireLens()', () => {
  const { svc, def, containers, template } = service({ user: '101', logging: ServiceLogging.fireLens({ output: CLOUDWATCH }) });
  const router = containers[ROUTER];

  test('the app logs through the awsfirelens driver with the output plugin\'s options', () => {
    expect(containers.app.LogConfiguration).toEqual({ LogDriver: 'awsfirelens', Options: CLOUDWATCH });
  });

  test('adds the Fluent Bit router: FirelensConfiguration fluentbit with the ECS metadata, AWS for Fluent Bit pinned on ECR Public', () => {
    expect(Object.keys(containers)).toEqual(['app', ROUTER]);
    expect(router.FirelensConfiguration).toEqual({ Type: 'fluentbit', Options: { 'enable-ecs-log-metadata': 'true' } });
    expect(router.Image).toBe('public.ecr.aws/aws-observability/aws-for-fluent-bit:3.4.15');
    expect(svc.taskDefinition.findContainer(ROUTER)).toBeInstanceOf(ecs.FirelensLogRouter);
  });

  test('the router is essential, runs as root (FireLens requires UID 0), read-only with a writable /tmp of its own', () => {
    expect(router).toMatchObject({ Essential: true, User: '0', ReadonlyRootFilesystem: true });
    expect(router.MountPoints).toEqual([{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'log-router-tmp' }]);
    expect(def.Volumes).toEqual([{ Name: 'writable-tmp' }, { Name: 'log-router-tmp' }]);
  });

  test('the router logs itself with awslogs to the service\'s log group, stream prefix log-router', () => {
    expect(router.LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: { 'awslogs-group': { Ref: logicalId(svc.logGroup) }, 'awslogs-stream-prefix': ROUTER, 'awslogs-region': { Ref: 'AWS::Region' } },
    });
  });

  test('is counted in the task\'s budget: 64 CPU units and 64 MiB reserved, the app\'s hard limit is the task less that', () => {
    expect(router).toMatchObject({ Cpu: 64, MemoryReservation: 64, Memory: 256 });
    expect(containers.app.Memory).toBe(1024 - 64);
    expect(def.Memory).toBe('1024');
  });

  test('with the tracing collector too, both reservations come off the app\'s limit', () => {
    const traced = service({ user: '101', tracing: Tracing.openTelemetry(), logging: ServiceLogging.fireLens({ output: CLOUDWATCH }) });
    expect(traced.containers.app.Memory).toBe(1024 - 64 - 64);
    expect(Object.keys(traced.containers).sort()).toEqual(['app', ROUTER, 'otel-collector']);
  });

  test('the app starts after the router (DependsOn START)', () => {
    expect(containers.app.DependsOn).toEqual([{ ContainerName: ROUTER, Condition: 'START' }]);
  });

  test('grants the task role nothing of its own: the output\'s permissions are granted to the service', () => {
    const policies = resourcesOf(template, 'AWS::IAM::Policy')
      .filter(([, p]) => asList(p.Properties.Roles).some((r: any) => r.Ref === logicalId(svc.taskDefinition.taskRole)));
    expect(policies).toEqual([]);
    // The router's plugin runs with the task role's credentials: a grant to the service reaches it.
    const app = testApp();
    const granted = new Microservice(new Stack(app, 'G'), 'G', { image: IMAGE, logging: ServiceLogging.fireLens({ output: { Name: 'kinesis_firehose', delivery_stream: 'app-logs' } }) });
    firehose.DeliveryStream.fromDeliveryStreamName(Stack.of(granted), 'AppLogs', 'app-logs').grantPutRecords(granted);
    const statements = resourcesOf(Template.fromStack(Stack.of(granted)), 'AWS::IAM::Policy')
      .filter(([, p]) => asList(p.Properties.Roles).some((r: any) => r.Ref === logicalId(granted.taskDefinition.taskRole)))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.flatMap((s: any) => asList(s.Action))).toContain('firehose:PutRecordBatch');
  });

  test('secretOutput reaches the driver\'s SecretOptions, readable by the execution role only', () => {
    const app = testApp();
    const stack = new Stack(app, 'Secrets');
    const key = new secretsmanager.Secret(stack, 'DatadogKey', { secretStringValue: SecretValue.unsafePlainText('x') });
    const s = new Microservice(stack, 'Orders', {
      image: IMAGE,
      logging: ServiceLogging.fireLens({ output: { Name: 'datadog', Host: 'http-intake.logs.datadoghq.eu', TLS: 'on' }, secretOutput: { apikey: ecs.Secret.fromSecretsManager(key) } }),
    });
    const t = Template.fromStack(stack);
    const app_ = resource(t, logicalId(s.taskDefinition)).Properties.ContainerDefinitions.find((c: any) => c.Name === 'app');
    expect(app_.LogConfiguration).toEqual({
      LogDriver: 'awsfirelens',
      Options: { Name: 'datadog', Host: 'http-intake.logs.datadoghq.eu', TLS: 'on' },
      SecretOptions: [{ Name: 'apikey', ValueFrom: { Ref: logicalId(key) } }],
    });
    const readers = resourcesOf(t, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'))
      .flatMap(([, p]) => asList(p.Properties.Roles).map((r: any) => r.Ref));
    expect(readers).toEqual([logicalId(s.taskDefinition.executionRole)]);
  });

  test('the options: a configuration file, no ECS metadata, another image, sizes, a non-essential router', () => {
    const { containers: c } = service({
      user: '101',
      logging: ServiceLogging.fireLens({
        output: CLOUDWATCH, configFile: '/fluent-bit/etc/extra.conf', enableEcsLogMetadata: false,
        routerImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fluent-bit:3.4.15', routerCpu: 128, routerMemoryReservationMiB: 100, routerMemoryLimitMiB: 300,
        routerEssential: false,
      }),
    });
    expect(c[ROUTER]).toMatchObject({
      FirelensConfiguration: { Type: 'fluentbit', Options: { 'enable-ecs-log-metadata': 'false', 'config-file-type': 'file', 'config-file-value': '/fluent-bit/etc/extra.conf' } },
      Image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fluent-bit:3.4.15',
      Cpu: 128, MemoryReservation: 100, Memory: 300, Essential: false,
    });
    expect(c.app.Memory).toBe(1024 - 100);
  });
});

describe('ServiceLogging.logDriver()', () => {
  test('puts any aws-cdk-lib driver on the app, with no router', () => {
    const { containers } = service({ logging: ServiceLogging.logDriver(ecs.LogDrivers.syslog({ address: 'tcp://logs.internal:514' })) });
    expect(containers.app.LogConfiguration).toEqual({ LogDriver: 'syslog', Options: { 'syslog-address': 'tcp://logs.internal:514' } });
    expect(Object.keys(containers)).toEqual(['app']);
    expect(containers.app.Memory).toBe(1024);
  });

  test('fails with ecs.LogDrivers.firelens(), which needs the router ServiceLogging.fireLens() adds', () => {
    expect(() => service({ logging: ServiceLogging.logDriver(ecs.LogDrivers.firelens({ options: CLOUDWATCH })) })).toThrow(invalid(
      'logging must be a log driver other than awsfirelens with ServiceLogging.logDriver() (FireLens needs a log router in the task: ServiceLogging.fireLens({ output }) adds it), got ecs.LogDrivers.firelens()'));
  });

  test('fails at synth when a driver of another class renders awsfirelens without a router', () => {
    class Disguised extends ecs.LogDriver {
      public bind(): ecs.LogDriverConfig {
        return { logDriver: 'awsfirelens', options: CLOUDWATCH };
      }
    }
    const app = testApp();
    const svc = new Microservice(new Stack(app, 'Orders'), 'Orders', { image: IMAGE, logging: ServiceLogging.logDriver(new Disguised()) });
    expect(svc.node.validate()).toContain("logging of Microservice 'Orders/Orders' must not send the app's logs to awsfirelens without a log router in the task "
      + '(ServiceLogging.fireLens({ output }) adds one, counted against the task size), got ServiceLogging.logDriver() with a driver that renders awsfirelens');
  });
});

describe('bad FireLens input', () => {
  test('fails when logging.output has no Name, naming the plugins and what was given', () => {
    expect(() => service({ logging: ServiceLogging.fireLens({ output: { region: 'eu-west-1' } }) })).toThrow(invalid(
      'logging.output must have a Name: the Fluent Bit output plugin (cloudwatch_logs, kinesis_firehose, kinesis_streams, s3, opensearch, http, ...), got {"region":"eu-west-1"}'));
  });

  test('fails when logging.output.Name is blank', () => {
    expect(() => service({ logging: ServiceLogging.fireLens({ output: { Name: ' ' } }) })).toThrow(invalid('logging.output.Name must not be empty, got " "'));
  });

  test('fails when output and secretOutput both set a key', () => {
    const app = testApp();
    const key = ecs.Secret.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(new Stack(app, 'S'), 'K', 'key'));
    expect(() => service({ logging: ServiceLogging.fireLens({ output: { Name: 'datadog', apikey: 'plain' }, secretOutput: { apikey: key } }) }, app)).toThrow(invalid(
      'logging.output and logging.secretOutput must not both set "apikey": give it once, a secret in secretOutput, got both'));
  });

  test('fails when configFile is an S3 ARN: tasks on Fargate read only files', () => {
    expect(() => service({ logging: ServiceLogging.fireLens({ output: CLOUDWATCH, configFile: 'arn:aws:s3:::configs/fluent-bit.conf' }) })).toThrow(invalid(
      'logging.configFile must be an absolute path inside the router\'s image (tasks on Fargate read only config-file-type file, not S3), got "arn:aws:s3:::configs/fluent-bit.conf"'));
  });

  test('fails on router sizes outside the task, all at once', () => {
    expect(() => service({ logging: ServiceLogging.fireLens({ output: CLOUDWATCH, routerCpu: 513, routerMemoryReservationMiB: 5, routerMemoryLimitMiB: 2048 }) })).toThrow(
      `${invalid('logging.routerCpu must be an integer between 0 and 512, got 513')}\n`
      + '  - logging.routerMemoryReservationMiB must be an integer between 6 and 1024, got 5\n'
      + '  - logging.routerMemoryLimitMiB must be an integer between 5 and 1024, got 2048');
  });

  test('fails when routerMemoryLimitMiB is below the reservation', () => {
    expect(() => service({ logging: ServiceLogging.fireLens({ output: CLOUDWATCH, routerMemoryLimitMiB: 32 }) })).toThrow(invalid(
      'logging.routerMemoryLimitMiB must be an integer between 64 and 1024, got 32'));
  });

  test('fails when containerPort is the router\'s forward port 24224', () => {
    expect(() => service({ containerPort: 24224, logging: ServiceLogging.fireLens({ output: CLOUDWATCH }) })).toThrow(
      `${invalid('containerPort must not be a port the log-router sidecar listens on (24224), got 24224')}`);
  });

  test('fails at synth when the router leaves the app too little memory, listing it', () => {
    const app = testApp();
    const svc = new Microservice(new Stack(app, 'Orders'), 'Orders', {
      image: IMAGE, cpu: 256, memoryLimitMiB: 512, logging: ServiceLogging.fireLens({ output: CLOUDWATCH, routerMemoryReservationMiB: 300, routerMemoryLimitMiB: 300 }),
    });
    expect(svc.node.validate().join('\n')).toMatch(/memoryLimitMiB of Microservice 'Orders\/Orders' must leave the app container at least 256 MiB after its sidecars \(log-router 64 CPU units \/ 300 MiB\)[^\n]*which leaves 212/);
  });
});

describe('cdk-nag AwsSolutions and AWS Control Tower\'s controls', () => {
  /** Checked before the first synthesis (a synthesized app keeps its assembly). */
  const checked = (props: Partial<MicroserviceProps>) => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { logs: { retention: logs.RetentionDays.ONE_YEAR } });
    const svc = new Microservice(new Stack(app, 'Orders'), 'Orders', { platform, image: IMAGE, ...props });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new StrictControlTowerChecks());
    return { app, svc };
  };

  test('a FireLens service whose app names its user has no unacknowledged finding: the router\'s root is acknowledged on the task definition', () => {
    const { app, svc } = checked({ user: '101', logging: ServiceLogging.fireLens({ output: CLOUDWATCH }) });
    expect(unacknowledgedFindings(app)).toEqual([]);
    expect(acknowledgedRules(svc.taskDefinition.node.defaultChild as Construct)).toContain(NONROOT);
    // Nothing wider: not on the service, not on the stack.
    expect(acknowledgedRules(svc)).not.toContain(NONROOT);
  });

  test('without user the app runs as root: CT.ECS.PR.3 stays reported, for the user to fix', () => {
    const { app, svc } = checked({ logging: ServiceLogging.fireLens({ output: CLOUDWATCH }) });
    let message = '';
    try {
      unacknowledgedFindings(app);
    } catch (e) {
      message = (e as Error).message;
    }
    // That finding alone, on the task definition: the router adds none of its own.
    expect([...new Set([...message.matchAll(/ERROR \[([^\]]+)\]/g)].map((m) => m[1]))]).toEqual(['CT.ECS.PR.3']);
    expect(message).toContain('Orders/Orders/TaskDefinition/Resource');
    expect(acknowledgedRules(svc.taskDefinition.node.defaultChild as Construct)).not.toContain(NONROOT);
  });
});

test("a router reservation above the default hard limit raises the limit with it (aws-cdk-lib refuses a limit under the reservation)", () => {
  const { containers } = service({ user: '101', memoryLimitMiB: 2048, logging: ServiceLogging.fireLens({ output: CLOUDWATCH, routerMemoryReservationMiB: 300 }) });
  expect(containers[ROUTER]).toMatchObject({ MemoryReservation: 300, Memory: 300 });
  const { containers: defaults } = service({ user: '101', logging: ServiceLogging.fireLens({ output: CLOUDWATCH }) });
  expect(defaults[ROUTER]).toMatchObject({ MemoryReservation: 64, Memory: 256 });
});
