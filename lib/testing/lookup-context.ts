import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { isContractParameterName } from '../private/contract-names';
import { fmt, PropErrors } from '../private/validation';

/** The account and region the app under test looks its contracts up in: its stacks' `env`. */
export interface LookupContextEnvironment {
  /** The account id, 12 digits. */
  readonly account: string;
  /** The region, `eu-west-1`. */
  readonly region: string;
}

/**
 * The context an app with `env: { account, region }` needs to look up the contracts published by the
 * platform and service apps synthesized in `assemblyDirs` (their `cdk.out`), with no AWS: every
 * `AWS::SSM::Parameter` named under `/cdk-microservice/`, its value evaluated as CloudFormation would
 * (literals kept, intrinsics evaluated, pseudo parameters from `env`, each resource's id or ARN a
 * realistic placeholder derived from its stack and logical id, the same at every run), under the key
 * `ssm.StringParameter.valueFromLookup` asks for (aws-cdk-lib `ContextProvider.getKey`, provider
 * `ssm`, props `account`, `parameterName`, `region`). Stacks deployed to another account or region
 * are skipped. A pure function of the files.
 *
 * ```ts
 * const context = lookupContext(['../platform/cdk.out', '../payments/cdk.out'], { account: '123456789012', region: 'eu-west-1' });
 * const app = new App({ context });
 * ```
 */
export function lookupContext(assemblyDirs: string[], env: LookupContextEnvironment): { [key: string]: string } {
  const errors = new PropErrors('lookupContext');
  if (!Array.isArray(assemblyDirs) || assemblyDirs.length === 0) errors.add(`assemblyDirs must list at least one cloud assembly directory, got ${fmt(assemblyDirs)}`);
  (Array.isArray(assemblyDirs) ? assemblyDirs : []).forEach((d, i) => {
    if (typeof d !== 'string' || !fs.existsSync(path.join(d, 'manifest.json'))) errors.add(`assemblyDirs[${i}] must be a cloud assembly directory (a cdk.out with manifest.json), got ${fmt(d)}`);
  });
  errors.text('env.account', env?.account, /^\d{12}$/, 'an account id of 12 digits');
  errors.text('env.region', env?.region, /^[a-z]{2,4}(-[a-z]+)+-\d+$/, 'a region such as "eu-west-1"');
  if (env?.account === undefined || env?.region === undefined) errors.add(`env must give account and region, got ${fmt(env)}`);
  errors.throwIfAny();

  const world: World = { env: { ...env, partition: RegionInfo.get(env.region).partition ?? 'aws', urlSuffix: RegionInfo.get(env.region).domainSuffix ?? 'amazonaws.com' }, stacks: [], skipped: [] };
  assemblyDirs.forEach((dir) => readAssembly(world, dir));
  const context: { [key: string]: string } = {};
  const owners = new Map<string, string>();
  for (const stack of world.stacks) {
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      if (resource?.Type !== 'AWS::SSM::Parameter') continue;
      const evaluator = new Evaluator(world, stack, `parameter ${logicalId}`);
      const name = evaluator.evaluate(resource.Properties?.Name, 'Name');
      if (typeof name !== 'string' || !isContractParameterName(name)) continue;
      const where = `SSM parameter '${name}' (${logicalId} of stack '${stack.name}' in ${stack.dir})`;
      if (owners.has(name)) throw new Error(`lookupContext: ${where} is also published by ${owners.get(name)}: a parameter name is unique in an account and region`);
      owners.set(name, `stack '${stack.name}' in ${stack.dir}`);
      const value = new Evaluator(world, stack, where).evaluate(resource.Properties?.Value, 'Value');
      if (typeof value !== 'string') throw new Error(`lookupContext: the Value of ${where} must evaluate to a string, got ${fmt(value)}`);
      context[ssmContextKey(env.account, env.region, name)] = value;
    }
  }
  if (Object.keys(context).length === 0) {
    throw new Error(`lookupContext: no SSM parameter under /cdk-microservice/ in ${assemblyDirs.map(fmt).join(', ')} for account ${env.account} and region ${env.region}`
      + (world.skipped.length ? ` (skipped, deployed elsewhere: ${world.skipped.join(', ')})` : '') + ': synthesize the platform and service apps that publish contracts first');
  }
  return context;
}

/**
 * The key aws-cdk-lib's `ContextProvider.getKey` forms for `ssm.StringParameter.valueFromLookup(scope,
 * parameterName)` in a stack of `account` and `region` (core/lib/context-provider.js in 2.276:
 * `ssm:` then the props `account`, `region` and `parameterName`, each `key=value` with ":" quoted as
 * "$:", sorted, joined with ":").
 */
export function ssmContextKey(account: string, region: string, parameterName: string): string {
  // As aws-cdk-lib's colonQuote, whose "$" → "$$" replacement inserts a single "$" (unchanged).
  const quote = (s: string) => s.replace(/\$/g, '$$').replace(/:/g, '$:');
  const props: { [k: string]: string } = { account, region, parameterName };
  return `ssm:${Object.keys(props).map((k) => `${k}=${quote(props[k])}`).sort().join(':')}`;
}

// ---- Assemblies ---------------------------------------------------------------------------------

interface Template {
  readonly Resources?: { [id: string]: { readonly Type: string; readonly Properties?: { [k: string]: unknown } } };
  readonly Outputs?: { [id: string]: { readonly Value: unknown; readonly Export?: { readonly Name: unknown } } };
  readonly Parameters?: { [id: string]: { readonly Type: string; readonly Default?: unknown } };
  readonly Conditions?: { [id: string]: unknown };
  readonly Mappings?: { [id: string]: { [k: string]: { [k: string]: unknown } } };
}
interface StackInfo { readonly name: string; readonly dir: string; readonly template: Template }
interface World {
  readonly env: LookupContextEnvironment & { readonly partition: string; readonly urlSuffix: string };
  readonly stacks: StackInfo[];
  readonly skipped: string[];
}

function readAssembly(world: World, dir: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  for (const [id, artifact] of Object.entries<any>(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly') {
      readAssembly(world, path.join(dir, artifact.properties.directoryName));
    } else if (artifact.type === 'aws:cloudformation:stack') {
      const name: string = artifact.properties?.stackName ?? id;
      const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
      if ((account && !account.startsWith('unknown-') && account !== world.env.account) || (region && !region.startsWith('unknown-') && region !== world.env.region)) {
        world.skipped.push(`stack '${name}' (${artifact.environment})`);
        continue;
      }
      world.stacks.push({ name, dir, template: JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8')) });
    }
  }
}

// ---- Evaluation ---------------------------------------------------------------------------------

const NO_VALUE = Symbol('AWS::NoValue');
const INTRINSICS = ['Ref', 'Fn::GetAtt', 'Fn::Join', 'Fn::Sub', 'Fn::Select', 'Fn::Split', 'Fn::GetAZs', 'Fn::If', 'Fn::Equals', 'Fn::And', 'Fn::Or',
  'Fn::Not', 'Condition', 'Fn::FindInMap', 'Fn::Base64', 'Fn::ImportValue', 'Fn::GetStackOutput'];

/** Evaluates one value of one stack's template as CloudFormation would, with placeholders for the resources' ids. */
class Evaluator {
  constructor(private readonly world: World, private readonly stack: StackInfo, private readonly where: string) {}

  public evaluate(v: unknown, at: string): unknown {
    if (Array.isArray(v)) return v.map((x, i) => this.evaluate(x, `${at}[${i}]`)).filter((x) => x !== NO_VALUE);
    if (v === null || typeof v !== 'object') return v;
    const o = v as { readonly [key: string]: unknown };
    const keys = Object.keys(o);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0].startsWith('Fn::'))) return this.intrinsic(keys[0], o[keys[0]], at);
    return Object.fromEntries(keys.map((k) => [k, this.evaluate(o[k], `${at}.${k}`)]));
  }

  private fail(at: string, message: string): never {
    throw new Error(`lookupContext: cannot evaluate ${at} of ${this.where}: ${message}`);
  }

  private str(v: unknown, at: string): string {
    const s = this.evaluate(v, at);
    return typeof s === 'string' ? s : typeof s === 'number' ? String(s) : this.fail(at, `expected a string, got ${fmt(s)}`);
  }

  private strings(v: unknown, at: string): string[] {
    const list = this.evaluate(v, at);
    return Array.isArray(list) && list.every((x) => typeof x === 'string') ? list as string[] : this.fail(at, `expected a list of strings, got ${fmt(list)}`);
  }

  private intrinsic(fn: string, arg: any, at: string): unknown {
    const here = `${at}.${fn}`;
    const env = this.world.env;
    switch (fn) {
      case 'Ref': return this.ref(this.str(arg, here), here);
      case 'Fn::GetAtt': {
        const [id, ...attr] = Array.isArray(arg) ? [this.str(arg[0], here), this.str(arg[1], here)] : String(arg).split('.');
        return this.resource(id, here).attribute(attr.join('.'));
      }
      case 'Fn::Join': return this.strings(arg[1], here).join(this.str(arg[0], here));
      case 'Fn::Select': {
        const list = this.evaluate(arg[1], here);
        const i = Number(this.evaluate(arg[0], here));
        return Array.isArray(list) && Number.isInteger(i) && i >= 0 && i < list.length ? list[i] : this.fail(here, `index ${i} out of ${fmt(list)}`);
      }
      case 'Fn::Split': return this.str(arg[1], here).split(this.str(arg[0], here));
      case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${this.str(arg, here) || env.region}${z}`);
      case 'Fn::Sub': {
        const [template, vars] = Array.isArray(arg) ? [this.str(arg[0], here), this.evaluate(arg[1] ?? {}, here) as { [k: string]: unknown }] : [this.str(arg, here), {}];
        return template.replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, name: string) => {
          if (bang) return `\${${name}}`;
          if (Object.prototype.hasOwnProperty.call(vars, name)) return String(vars[name]);
          const [id, ...attr] = name.split('.');
          return String(attr.length > 0 ? this.resource(id, here).attribute(attr.join('.')) : this.ref(id, here));
        });
      }
      case 'Fn::If': return this.condition({ Condition: arg[0] }, here) ? this.evaluate(arg[1], here) : this.evaluate(arg[2], here);
      case 'Fn::Equals': case 'Fn::And': case 'Fn::Or': case 'Fn::Not': case 'Condition': return this.condition({ [fn]: arg }, here);
      case 'Fn::FindInMap': {
        const [m, k1, k2] = [0, 1, 2].map((i) => this.str(arg[i], here));
        const found = this.stack.template.Mappings?.[m]?.[k1]?.[k2];
        return found === undefined ? this.fail(here, `no ${m}.${k1}.${k2} in the template's Mappings`) : this.evaluate(found, here);
      }
      case 'Fn::Base64': return Buffer.from(this.str(arg, here), 'utf8').toString('base64');
      case 'Fn::ImportValue': {
        const name = this.str(arg, here);
        for (const s of this.world.stacks) {
          for (const o of Object.values(s.template.Outputs ?? {})) {
            const e = new Evaluator(this.world, s, `output of stack '${s.name}'`);
            if (o.Export && e.evaluate(o.Export.Name, 'Export.Name') === name) return e.evaluate(o.Value, 'Value');
          }
        }
        return this.fail(here, `no stack of the assemblies exports ${fmt(name)}: synthesize its app into one of assemblyDirs`);
      }
      case 'Fn::GetStackOutput': {
        const [stackName, output] = [this.str(arg.StackName, here), this.str(arg.OutputName, here)];
        const producer = this.world.stacks.find((s) => s.name === stackName);
        const value = producer?.template.Outputs?.[output];
        return value ? new Evaluator(this.world, producer!, `output ${output} of stack '${stackName}'`).evaluate(value.Value, 'Value')
          : this.fail(here, `no output ${fmt(output)} of a stack ${fmt(stackName)} in the assemblies: synthesize its app into one of assemblyDirs`);
      }
      default: return this.fail(here, `${fn} is not an intrinsic lookupContext evaluates (${INTRINSICS.join(', ')})`);
    }
  }

  private condition(v: any, at: string): boolean {
    const [fn] = Object.keys(v ?? {});
    const arg = v?.[fn];
    switch (fn) {
      case 'Condition': {
        const c = this.stack.template.Conditions?.[arg];
        return c === undefined ? this.fail(at, `no condition ${fmt(arg)} in the template`) : this.condition(c, `${at}.${arg}`);
      }
      case 'Fn::Equals': return JSON.stringify(this.evaluate(arg[0], at)) === JSON.stringify(this.evaluate(arg[1], at));
      case 'Fn::And': return arg.every((c: unknown) => this.condition(c, at));
      case 'Fn::Or': return arg.some((c: unknown) => this.condition(c, at));
      case 'Fn::Not': return !this.condition(arg[0], at);
      default: return this.fail(at, `expected a condition, got ${fmt(v)}`);
    }
  }

  private ref(name: string, at: string): unknown {
    const env = this.world.env;
    const pseudo: { [name: string]: unknown } = {
      'AWS::AccountId': env.account, 'AWS::Region': env.region, 'AWS::Partition': env.partition, 'AWS::URLSuffix': env.urlSuffix,
      'AWS::StackName': this.stack.name, 'AWS::NoValue': NO_VALUE, 'AWS::NotificationARNs': [],
      'AWS::StackId': `arn:${env.partition}:cloudformation:${env.region}:${env.account}:stack/${this.stack.name}/${uuid(hash(this.stack.name, 'StackId'))}`,
    };
    if (name in pseudo) return pseudo[name];
    const parameter = this.stack.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined || parameter.Type.startsWith('AWS::SSM::Parameter::Value')) return this.fail(at, `parameter ${name} (${parameter.Type}) has no value at synthesis`);
      return parameter.Type.startsWith('List<') || parameter.Type === 'CommaDelimitedList' ? String(parameter.Default).split(',') : parameter.Default;
    }
    return this.resource(name, at).ref();
  }

  private resource(logicalId: string, at: string): Placeholder {
    const r = this.stack.template.Resources?.[logicalId];
    if (!r) return this.fail(at, `no resource ${fmt(logicalId)} in stack '${this.stack.name}'`);
    return new Placeholder(logicalId, r.Type, this.stack.name, this.world.env, (p) => r.Properties?.[p] === undefined ? undefined : this.evaluate(r.Properties[p], `${logicalId}.${p}`),
      (message) => this.fail(at, message));
  }
}

// ---- Placeholders -------------------------------------------------------------------------------

function hash(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

function chars(bytes: Buffer, alphabet: string, n: number): string {
  return Array.from({ length: n }, (_, i) => alphabet[bytes[i % bytes.length] % alphabet.length]).join('');
}

function uuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[b[8] % 4]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** What a resource's `Ref` and `Fn::GetAtt` return, by type: realistic, the same for the same stack and logical id. */
class Placeholder {
  private readonly h: Buffer;

  constructor(private readonly id: string, private readonly type: string, private readonly stack: string, private readonly env: World['env'],
    private readonly prop: (name: string) => unknown, private readonly fail: (message: string) => never) {
    this.h = hash(stack, id);
  }

  public ref(): unknown {
    const e = this.env;
    const ec2 = (prefix: string) => `${prefix}-${this.h.toString('hex').slice(0, 17)}`;
    const refs: { [type: string]: () => unknown } = {
      'AWS::EC2::VPC': () => ec2('vpc'), 'AWS::EC2::Subnet': () => ec2('subnet'), 'AWS::EC2::RouteTable': () => ec2('rtb'),
      'AWS::EC2::SecurityGroup': () => ec2('sg'), 'AWS::EC2::InternetGateway': () => ec2('igw'), 'AWS::EC2::NatGateway': () => ec2('nat'),
      'AWS::EC2::VPCEndpoint': () => ec2('vpce'),
      'AWS::ECS::Cluster': () => this.name('ClusterName', 255),
      'AWS::ECS::TaskDefinition': () => this.arn('ecs', `task-definition/${this.prop('Family') ?? this.name(undefined, 255)}:1`),
      'AWS::ServiceDiscovery::PrivateDnsNamespace': () => `ns-${chars(this.h, LOWER, 16)}`, 'AWS::ServiceDiscovery::HttpNamespace': () => `ns-${chars(this.h, LOWER, 16)}`,
      'AWS::ServiceDiscovery::Service': () => `srv-${chars(this.h, LOWER, 16)}`,
      'AWS::SNS::Topic': () => this.arn('sns', this.name('TopicName', 256)),
      'AWS::SQS::Queue': () => `https://sqs.${e.region}.${e.urlSuffix}/${e.account}/${this.name('QueueName', 80)}`,
      'AWS::KMS::Key': () => uuid(this.h), 'AWS::KMS::Alias': () => this.prop('AliasName'),
      'AWS::IAM::Role': () => this.name('RoleName', 64),
      'AWS::ApiGatewayV2::VpcLink': () => chars(this.h, LOWER, 6), 'AWS::ApiGatewayV2::Api': () => chars(this.h, LOWER, 10),
      'AWS::ApiGatewayV2::DomainName': () => this.prop('DomainName'), 'AWS::ApiGateway::RestApi': () => chars(this.h, LOWER, 10),
      'AWS::Cognito::UserPool': () => `${e.region}_${chars(this.h, MIXED, 9)}`, 'AWS::Cognito::UserPoolClient': () => chars(this.h, LOWER, 26),
      'AWS::Cognito::UserPoolDomain': () => this.prop('Domain'),
      'AWS::ECR::Repository': () => this.name('RepositoryName', 256).toLowerCase(),
      'AWS::Logs::LogGroup': () => this.name('LogGroupName', 512), 'AWS::SSM::Parameter': () => this.name('Name', 1011),
      'AWS::Lambda::Function': () => this.name('FunctionName', 64),
    };
    const ref = refs[this.type] ?? (this.type.startsWith('Custom::') || this.type === 'AWS::CloudFormation::CustomResource' ? () => `${this.id}-${this.h.toString('hex').slice(0, 12)}` : undefined);
    return ref ? this.defined(ref(), 'Ref') : this.fail(`Ref of ${this.id} (${this.type}): lookupContext has no placeholder for this resource type (lib/testing/lookup-context.ts lists them)`);
  }

  public attribute(attr: string): unknown {
    const e = this.env;
    const ref = () => String(this.ref());
    const attrs: { [type: string]: { [attr: string]: () => unknown } } = {
      'AWS::EC2::VPC': { VpcId: ref, CidrBlock: () => this.prop('CidrBlock') ?? '10.0.0.0/16', DefaultSecurityGroup: () => `sg-${this.h.toString('hex').slice(17, 34)}` },
      'AWS::EC2::Subnet': { SubnetId: ref, AvailabilityZone: () => this.prop('AvailabilityZone'), CidrBlock: () => this.prop('CidrBlock'), VpcId: () => this.prop('VpcId') },
      'AWS::EC2::SecurityGroup': { GroupId: ref, VpcId: () => this.prop('VpcId') },
      'AWS::EC2::RouteTable': { RouteTableId: ref },
      'AWS::ECS::Cluster': { Arn: () => this.arn('ecs', `cluster/${ref()}`) },
      'AWS::ECS::TaskDefinition': { TaskDefinitionArn: ref },
      'AWS::ServiceDiscovery::PrivateDnsNamespace': { Id: ref, Arn: () => this.arn('servicediscovery', `namespace/${ref()}`), HostedZoneId: () => `Z${chars(this.h, UPPER, 20)}` },
      'AWS::ServiceDiscovery::HttpNamespace': { Id: ref, Arn: () => this.arn('servicediscovery', `namespace/${ref()}`) },
      'AWS::ServiceDiscovery::Service': { Id: ref, Arn: () => this.arn('servicediscovery', `service/${ref()}`), Name: () => this.prop('Name') },
      'AWS::SNS::Topic': { TopicArn: ref, TopicName: () => this.name('TopicName', 256) },
      'AWS::SQS::Queue': { QueueUrl: ref, QueueName: () => this.name('QueueName', 80), Arn: () => this.arn('sqs', this.name('QueueName', 80)) },
      'AWS::KMS::Key': { KeyId: ref, Arn: () => this.arn('kms', `key/${ref()}`) },
      'AWS::IAM::Role': { Arn: () => this.arn('iam', `role${this.prop('Path') ?? '/'}${ref()}`, true), RoleId: () => `AROA${chars(this.h, UPPER, 17)}` },
      'AWS::ApiGatewayV2::VpcLink': { VpcLinkId: ref },
      'AWS::ApiGatewayV2::Api': { ApiId: ref, ApiEndpoint: () => `https://${ref()}.execute-api.${e.region}.${e.urlSuffix}` },
      'AWS::ApiGatewayV2::DomainName': {
        RegionalDomainName: () => `d-${chars(this.h, LOWER, 10)}.execute-api.${e.region}.${e.urlSuffix}`, RegionalHostedZoneId: () => `Z${chars(this.h, UPPER, 13)}`,
      },
      'AWS::Cognito::UserPool': {
        UserPoolId: ref, Arn: () => this.arn('cognito-idp', `userpool/${ref()}`),
        ProviderName: () => `cognito-idp.${e.region}.${e.urlSuffix}/${ref()}`, ProviderURL: () => `https://cognito-idp.${e.region}.${e.urlSuffix}/${ref()}`,
      },
      'AWS::Cognito::UserPoolClient': { ClientId: ref, Name: () => this.prop('ClientName') },
      'AWS::ECR::Repository': { Arn: () => this.arn('ecr', `repository/${ref()}`), RepositoryUri: () => `${e.account}.dkr.ecr.${e.region}.${e.urlSuffix}/${ref()}` },
      'AWS::Logs::LogGroup': { Arn: () => this.arn('logs', `log-group:${ref()}:*`) },
      'AWS::SSM::Parameter': { Value: () => this.prop('Value'), Type: () => this.prop('Type') },
      'AWS::Lambda::Function': { Arn: () => this.arn('lambda', `function:${ref()}`) },
      // The library's image mirror: the copy in the platform's repository, by digest.
      'Custom::ImageMirror': { ImageUri: () => `${e.account}.dkr.ecr.${e.region}.${e.urlSuffix}/${this.prop('RepositoryName')}@sha256:${this.h.toString('hex')}` },
    };
    if (/secret|password/i.test(attr)) return this.fail(`Fn::GetAtt ${this.id}.${attr} (${this.type}) is a secret: a contract is a String parameter any reader of the account's parameters sees, and must hold none`);
    const table = attrs[this.type];
    const get = table && Object.prototype.hasOwnProperty.call(table, attr) ? table[attr] : undefined;
    return get ? this.defined(get(), attr) : this.fail(`Fn::GetAtt ${this.id}.${attr} (${this.type}): lookupContext has no placeholder for this attribute (lib/testing/lookup-context.ts lists them)`);
  }

  /** A value read from a property the template does not set is refused by name. */
  private defined(value: unknown, what: string): unknown {
    return value === undefined ? this.fail(`${what} of ${this.id} (${this.type}) is one of its properties, which the template does not set`) : value;
  }

  private arn(service: string, resource: string, global = false): string {
    const e = this.env;
    return `arn:${e.partition}:${service}:${global ? '' : e.region}:${e.account}:${resource}`;
  }

  /** The name property when the template sets it, else a name as CloudFormation generates one: `<stack>-<id>-<12 random>`. */
  private name(property: string | undefined, max: number): string {
    const given = property === undefined ? undefined : this.prop(property);
    if (typeof given === 'string') return given;
    const suffix = chars(this.h, UPPER, 12);
    return `${this.stack}-${this.id}`.slice(0, Math.max(1, max - suffix.length - 1)) + `-${suffix}`;
  }
}
