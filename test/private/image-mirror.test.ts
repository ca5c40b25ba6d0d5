import { Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ImageMirror } from '../../lib/private/image-mirror';
import { mirrorTag, parseImageReference } from '../../lib/private/image-reference';
import { createLogGroup } from '../../lib/private/log-groups';
import { StrictControlTowerChecks } from '../guard';
import { unacknowledgedFindings } from '../nag';
import { getAtt, logicalId, testApp } from '../util';

const ENVOY = 'docker.io/envoyproxy/envoy:v1.40.2';
const LOGS = { retention: logs.RetentionDays.ONE_YEAR, encryption: true };

/** A platform stack with an ImageMirror and a Fargate task whose Envoy container runs the mirrored image. */
function platform(o: { credentialSecret?: boolean; checked?: boolean } = {}) {
  const app = testApp();
  const stack = new Stack(app, 'Platform');
  const credentialSecret = o.credentialSecret
    ? new secretsmanager.Secret(stack, 'DockerHubCredentials', { description: 'Docker Hub user for the image mirror' })
    : undefined;
  if (credentialSecret) {
    Validations.of(credentialSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'A Docker Hub access token is rotated in Docker Hub, not by a Secrets Manager rotation function.' });
  }
  const mirror = new ImageMirror(stack, 'ImageMirror', { logs: LOGS, credentialSecret });
  const task = new ecs.FargateTaskDefinition(stack, 'Task', { cpu: 256, memoryLimitMiB: 512 });
  const image = mirror.mirror('Envoy', ENVOY);
  task.addContainer('envoy', {
    image,
    memoryLimitMiB: 512,
    user: '101',
    readonlyRootFilesystem: true,
    logging: ecs.LogDrivers.awsLogs({
      streamPrefix: 'envoy',
      logGroup: createLogGroup(stack, 'EnvoyLogs', LOGS, { defaultRetention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY }),
    }),
  });
  if (o.checked) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new StrictControlTowerChecks());
  return { app, stack, mirror, task, image };
}

describe('an ImageMirror mirroring Envoy for a Fargate task', () => {
  const { stack, mirror, task, image } = platform();
  const template = Template.fromStack(stack);
  const repo = logicalId(mirror.repository);
  const mirrorResource = logicalId(mirror.node.findChild('Envoy'));

  test('creates one repository: immutable tags, scan on push, a bounded lifecycle, retained and not emptied on delete', () => {
    template.resourceCountIs('AWS::ECR::Repository', 1);
    const resource = template.toJSON().Resources[repo];
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.UpdateReplacePolicy).toBe('Retain');
    expect(resource.Properties).toEqual({
      ImageTagMutability: 'IMMUTABLE',
      EmptyOnDelete: false,
      ImageScanningConfiguration: { ScanOnPush: true },
      LifecyclePolicy: { LifecyclePolicyText: expect.any(String) },
    });
    expect(JSON.parse(resource.Properties.LifecyclePolicy.LifecyclePolicyText)).toEqual({
      rules: [{
        rulePriority: 1,
        description: 'Keeps the 50 most recently mirrored images',
        selection: { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 50 },
        action: { type: 'expire' },
      }],
    });
    template.resourceCountIs('Custom::ECRAutoDeleteImages', 0);
  });

  test('runs the bundled handler on Node.js 24, arm64, 1024 MiB, 10 minutes, no reserved concurrency (accounts with a low quota refuse one), no async retry, its own encrypted log', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 600,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(mirror.logGroup) } },
      Role: getAtt(logicalId(mirror.role), 'Arn'),
    });
    expect(Object.values<any>(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.Handler === 'index.handler')
      .map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([undefined]);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, Qualifier: '$LATEST' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
    expect(ImageMirror.ASSET_DIR).toMatch(/assets[\\/]image-mirror$/);
  });

  test('the function\'s role may write its log and push to the one repository, nothing else', () => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(mirror.role) }] } });
    expect(Object.keys(policies)).toHaveLength(1);
    const statements = Object.values(policies)[0].Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(logicalId(mirror.logGroup), 'Arn') },
      {
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:CompleteLayerUpload', 'ecr:DescribeImages', 'ecr:DescribeRepositories', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart'],
        Resource: getAtt(repo, 'Arn'),
      },
    ]);
    const role = template.toJSON().Resources[logicalId(mirror.role)].Properties;
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }]);
  });

  test('the custom resource names the source, the repository and a tag derived from the source tag', () => {
    template.resourceCountIs('Custom::ImageMirror', 1);
    template.hasResource('Custom::ImageMirror', {
      Properties: {
        ServiceToken: getAtt(logicalId(mirror.function), 'Arn'),
        ServiceTimeout: '1800',
        SourceImage: ENVOY,
        RepositoryName: { Ref: repo },
        Tag: 'envoyproxy.envoy-v1.40.2',
      },
      DeletionPolicy: 'Delete',
    });
    expect(template.toJSON().Resources[mirrorResource].Properties.CredentialSecretArn).toBeUndefined();
  });

  test('the container pulls the mirrored image by digest: the custom resource\'s ImageUri', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Name: 'envoy', Image: getAtt(mirrorResource, 'ImageUri') })],
    });
    expect(image).not.toBeInstanceOf(ecs.EcrImage);
  });

  test('the execution role may pull from the repository only, with ecr:GetAuthorizationToken in a policy of its own', () => {
    const executionRole = logicalId(task.executionRole!);
    const pull = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: executionRole }] } });
    const statements = Object.values(pull).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      { Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: getAtt(repo, 'Arn') },
    ]));
    const policy = task.node.findChild('MirroredImagePullPolicy');
    expect(Object.keys(pull)).toContain(logicalId(policy));
    expect((pull[logicalId(policy)] as any).Properties.PolicyDocument.Statement).toHaveLength(2);
  });

  test('the same source mirrored again is the same image and the same custom resource', () => {
    expect(mirror.mirror('Envoy', ENVOY)).toBe(image);
    expect(mirror.mirror('EnvoyAgain', 'envoyproxy/envoy:v1.40.2')).toBe(image);
    expect(mirror.node.tryFindChild('EnvoyAgain')).toBeUndefined();
  });
});

test('a task of another stack pulls the image across stacks', () => {
  const app = testApp();
  const mirror = new ImageMirror(new Stack(app, 'Platform'), 'ImageMirror', { logs: LOGS });
  const service = new Stack(app, 'Orders');
  const task = new ecs.FargateTaskDefinition(service, 'Task');
  task.addContainer('envoy', { image: mirror.mirror('Envoy', ENVOY), memoryLimitMiB: 256 });
  const container = Template.fromStack(service).toJSON().Resources[logicalId(task)].Properties.ContainerDefinitions[0];
  expect(JSON.stringify(container.Image)).toMatch(/ImageUri/);
  expect(() => app.synth()).not.toThrow();
});

describe('with a credential secret', () => {
  const { stack, mirror } = platform({ credentialSecret: true });
  const template = Template.fromStack(stack);
  const secret = logicalId(stack.node.findChild('DockerHubCredentials'));

  test('passes the secret to the custom resource and lets the function read that secret only', () => {
    template.hasResourceProperties('Custom::ImageMirror', { CredentialSecretArn: { Ref: secret } });
    const policy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(mirror.role) }] } }))[0] as any;
    // secret.grantRead(): read and describe, that secret only.
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({ Effect: 'Allow', Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: { Ref: secret } });
  });
});

describe('under cdk-nag and AWS Control Tower\'s proactive controls', () => {
  test('has no unacknowledged finding, without and with a credential secret', () => {
    expect(unacknowledgedFindings(platform({ checked: true }).app)).toEqual([]);
    expect(unacknowledgedFindings(platform({ checked: true, credentialSecret: true }).app)).toEqual([]);
  });
});

describe('sourceImage', () => {
  const mirror = () => new ImageMirror(new Stack(testApp(), 'S'), 'ImageMirror', { logs: LOGS });

  test.each([
    ['envoyproxy/envoy', 'names neither a tag nor a digest'],
    ['Envoyproxy/Envoy:v1', 'repository path component "Envoy"'],
    ['envoyproxy/envoy:', 'its tag ""'],
    ['envoyproxy/envoy@sha256:abc', 'its digest "sha256:abc"'],
    ['', 'it is empty'],
  ])('fails for %j, naming the prop, the allowed form and the value', (value, problem) => {
    expect(() => mirror().mirror('Envoy', value)).toThrow(
      `Invalid props for ImageMirror 'S/ImageMirror':\n  - sourceImage must be [registry/]repository:tag or [registry/]repository[:tag]@sha256:<64 hex digits> (lower-case path components; registry defaults to docker.io), got ${JSON.stringify(value)}: `,
    );
    expect(() => mirror().mirror('Envoy', value)).toThrow(problem);
  });

  test('fails for another source under an id already used', () => {
    const m = mirror();
    m.mirror('Envoy', ENVOY);
    expect(() => m.mirror('Envoy', 'docker.io/envoyproxy/envoy:v1.40.3')).toThrow('mirror id "Envoy" already mirrors docker.io/envoyproxy/envoy:v1.40.2: give "docker.io/envoyproxy/envoy:v1.40.3" another id');
  });

  test('fails for a token', () => {
    expect(() => mirror().mirror('Envoy', `docker.io/envoyproxy/envoy:${Aws.REGION}`)).toThrow(/sourceImage must be an image reference known at synthesis .*, not a token resolved at deploy time, got docker.io\/envoyproxy\/envoy:\$\{Token\[AWS.Region/);
  });

  test('derives the tag from the path and the tag, or the digest\'s hex', () => {
    const tag = (s: string) => mirrorTag(parseImageReference(s).reference!);
    expect(tag('docker.io/envoyproxy/envoy:v1.40.2')).toBe('envoyproxy.envoy-v1.40.2');
    expect(tag('nginx:1.27')).toBe('library.nginx-1.27');
    expect(tag(`ghcr.io/org/app@sha256:${'a'.repeat(64)}`)).toBe(`ghcr.io.org.app-${'a'.repeat(64)}`);
    expect(tag(`localhost:5000/app:1@sha256:${'b'.repeat(64)}`)).toBe(`localhost-5000.app-${'b'.repeat(64)}`);
    const long = tag(`registry.example.com/${'team/'.repeat(30)}app:v1`);
    expect(long).toHaveLength(128);
    expect(long).toMatch(/^registry\.example\.com\.team\..*-[0-9a-f]{16}$/);
  });
});
