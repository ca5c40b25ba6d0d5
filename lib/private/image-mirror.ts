import * as fs from 'fs';
import * as path from 'path';
import { CustomResource, Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { formatImageReference, IMAGE_REFERENCE_FORM, mirrorTag, parseImageReference } from './image-reference';
import { createLogGroup, LogSettings } from './log-groups';
import { fmt, PropErrors } from './validation';

/** Props of {@link ImageMirror}. */
export interface ImageMirrorProps {
  /** How the platform wants its log groups (retention, encryption): applied to the function's log. */
  readonly logs: LogSettings;
  /**
   * A Secrets Manager secret `{"username": "...", "password": "..."}` for the source registries
   * (a Docker Hub account lifts the anonymous pull limit; a private registry needs one).
   *
   * @default - anonymous pulls
   */
  readonly credentialSecret?: secretsmanager.ISecret;
}

/** The function's time limit: Envoy's layers are tens of MB, copied in 10 MiB parts. */
const FUNCTION_TIMEOUT = Duration.minutes(10);
/**
 * How long CloudFormation waits for an answer: one run, plus the wait of a third mirror queued behind
 * the two that run (CloudFormation invokes asynchronously; Lambda queues throttled events).
 */
const SERVICE_TIMEOUT = Duration.minutes(30);
/** What the function does in ECR, all on the one repository. */
const MIRROR_ACTIONS = [
  'ecr:DescribeRepositories', 'ecr:DescribeImages', 'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage',
];
/** What a task's execution role needs to pull from the repository (the actions of `grantPull`). */
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];
/** The execution role's policy for mirrored images, a child of the task definition. */
const PULL_POLICY_ID = 'MirroredImagePullPolicy';

/**
 * The platform's copy of the pinned third-party images its tasks run (Envoy's `envoyproxy/envoy`
 * exists only on Docker Hub, which allows 10 anonymous pulls per hour per IP address; Fargate caches
 * nothing and every task of a VPC leaves through its NAT addresses): one private ECR repository,
 * filled at deploy time by a custom resource function that copies each image when the platform is
 * created and again only when its source, tag or credential changes (a tag the repository already
 * holds is kept without asking the source), and task images that pull it from ECR by digest.
 *
 * ```ts
 * const mirror = new ImageMirror(this, 'ImageMirror', { logs: { retention: logs.RetentionDays.ONE_YEAR, encryption: true } });
 * taskDefinition.addContainer('envoy', { image: mirror.mirror('Envoy', 'docker.io/envoyproxy/envoy:v1.40.2'), ... });
 * ```
 */
export class ImageMirror extends Construct {
  /** Directory of the bundled handler. */
  public static readonly ASSET_DIR = findAssetDir();
  /**
   * Tagged images the repository keeps, the most recently pushed: each is one mirrored source image
   * (an index with its platform manifests, or a single manifest).
   */
  public static readonly KEPT_IMAGES = 50;

  /** The repository the images are copied into. */
  public readonly repository: ecr.Repository;
  /** The custom resource function that copies them. */
  public readonly function: lambda.Function;
  /** Its role. */
  public readonly role: iam.Role;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;

  private readonly credentialSecret?: secretsmanager.ISecret;
  private readonly mirrors = new Map<string, { readonly id: string; readonly image: ecs.ContainerImage }>();

  constructor(scope: Construct, id: string, props: ImageMirrorProps) {
    super(scope, id);
    this.credentialSecret = props.credentialSecret;

    // Retained, and never emptied by CloudFormation: service stacks (and their rollbacks) pull these
    // digests; deleting or replacing the platform's stack must not take images from running services.
    this.repository = new ecr.Repository(this, 'Repository', {
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      lifecycleRules: [{
        description: `Keeps the ${ImageMirror.KEPT_IMAGES} most recently mirrored images`,
        tagStatus: ecr.TagStatus.TAGGED,
        tagPatternList: ['*'],
        maxImageCount: ImageMirror.KEPT_IMAGES,
      }],
      // No rule for untagged images: an index's platform manifests are untagged, and expiring one
      // would break pulls of a tagged index that is kept.
      emptyOnDelete: false,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.logGroup = createLogGroup(this, 'Logs', props.logs, { defaultRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Image mirror of ${this.node.path}: pushes into its one ECR repository, writes its own log`,
    });
    // logs:CreateLogStream and logs:PutLogEvents on the function's own log group only.
    this.logGroup.grantWrite(this.role);
    // The ECR API calls are signed requests to ECR's API endpoint: ecr:GetAuthorizationToken (a
    // docker login) is not needed, and every action names the one repository.
    this.role.addToPolicy(new iam.PolicyStatement({ actions: MIRROR_ACTIONS, resources: [this.repository.repositoryArn] }));
    props.credentialSecret?.grantRead(this.role);

    this.function = new lambda.Function(this, 'Function', {
      description: `Mirrors pinned container images into ${this.node.path}'s ECR repository (CloudFormation custom resource)`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(ImageMirror.ASSET_DIR),
      memorySize: 1024,
      timeout: FUNCTION_TIMEOUT,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // The handler answers CloudFormation on every path itself, also near its timeout; a retry of a
      // crash it could not answer (out of memory) would crash again.
      retryAttempts: 0,
    });
    Validations.of(this.function).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason: 'The mirror reaches only the source registry on the internet (Docker Hub) and the public endpoints of Amazon ECR, Secrets Manager and the CloudFormation response bucket, nothing in the VPC; outside a VPC it needs no NAT route or ENIs to do so.',
    });
  }

  /**
   * The image `sourceImage` (`docker.io/envoyproxy/envoy:v1.40.2`, or `...@sha256:<digest>`),
   * mirrored into the repository at deploy time by a custom resource `id`, for a container: it is
   * pulled from ECR by digest, and the task's execution role is granted the pull. The same source
   * mirrored again returns the same image (one custom resource).
   */
  public mirror(id: string, sourceImage: string): ecs.ContainerImage {
    const errors = new PropErrors(`ImageMirror '${this.node.path}'`);
    if (Token.isUnresolved(sourceImage)) {
      errors.add(`sourceImage must be an image reference known at synthesis (${IMAGE_REFERENCE_FORM}), not a token resolved at deploy time, got ${Token.asString(sourceImage)}`);
      errors.throwIfAny();
    }
    const parsed = parseImageReference(sourceImage);
    if (!parsed.reference) {
      errors.add(`sourceImage must be ${IMAGE_REFERENCE_FORM}, got ${fmt(sourceImage)}: ${parsed.problem}`);
      errors.throwIfAny();
    }
    const source = formatImageReference(parsed.reference!);
    const existing = this.mirrors.get(source);
    if (existing) return existing.image;
    const taken = [...this.mirrors.entries()].find(([, m]) => m.id === id);
    if (taken) {
      errors.add(`mirror id ${fmt(id)} already mirrors ${taken[0]}: give ${fmt(sourceImage)} another id`);
      errors.throwIfAny();
    }

    const resource = new CustomResource(this, id, {
      serviceToken: this.function.functionArn,
      serviceTimeout: SERVICE_TIMEOUT,
      resourceType: 'Custom::ImageMirror',
      properties: {
        SourceImage: source,
        RepositoryName: this.repository.repositoryName,
        Tag: mirrorTag(parsed.reference!),
        ...(this.credentialSecret ? { CredentialSecretArn: this.credentialSecret.secretArn } : {}),
      },
    });
    const image = new MirroredImage(this.repository, resource.getAttString('ImageUri'));
    this.mirrors.set(source, { id, image });
    return image;
  }
}

/**
 * An image of the mirror's repository, named by the custom resource's `ImageUri`
 * (`<repository URI>@sha256:...`). `ecs.ContainerImage.fromEcrRepository(repository, digest)` cannot
 * be used with the digest attribute: aws-cdk-lib 2.276's `repositoryUriForTagOrDigest` picks `@` only
 * for a string that starts with `sha256:`, which a token does not, and would render `repo:<digest>`.
 * This does what its `EcrImage.bind` does otherwise: grant the task's execution role the pull.
 */
export class MirroredImage extends ecs.ContainerImage {
  constructor(public readonly repository: ecr.IRepository, public readonly imageUri: string) {
    super();
  }

  public bind(_scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    const task = containerDefinition.taskDefinition;
    const statements = [
      new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: PULL_ACTIONS, resources: [this.repository.repositoryArn] }),
    ];
    // One policy per task definition, apart from the role's default policy: its acknowledgement of
    // `*` covers ecr:GetAuthorizationToken only.
    const existing = task.node.tryFindChild(PULL_POLICY_ID);
    if (existing instanceof iam.Policy) {
      existing.addStatements(...statements.slice(1));
    } else {
      const policy = new iam.Policy(task, PULL_POLICY_ID, { statements });
      policy.attachToRole(task.obtainExecutionRole());
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ecr:GetAuthorizationToken supports no resource-level permission (Service Authorization Reference, Amazon ECR); the pull actions name the image mirror\'s repository only.',
      });
    }
    return { imageName: this.imageUri };
  }
}

/** The bundled handler: `assets/image-mirror` at the package root, from `lib/private` or `dist/lib/private`. */
function findAssetDir(): string {
  const candidates = [
    path.join(__dirname, '..', '..', 'assets', 'image-mirror'),
    path.join(__dirname, '..', '..', '..', 'assets', 'image-mirror'),
  ];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js'))) ?? candidates[0];
}
