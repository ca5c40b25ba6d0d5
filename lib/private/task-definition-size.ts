import { Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';

/**
 * ECS refuses a larger task definition: "Task definition size | Each supported Region: 64 | No |
 * The maximum size, in KiB, of a task definition." (Amazon ECS Developer Guide, "Amazon ECS service
 * quotas", not adjustable). RegisterTaskDefinition fails at deploy time, after the stacks before it.
 */
export const MAX_TASK_DEFINITION_BYTES = 64 * 1024;

/**
 * What a value CloudFormation fills in at deploy time counts for: 255 bytes, the longest ECS
 * cluster name, the one token a caller's Envoy bootstrap repeats per backend (in each access-log
 * format). The others (log group names, role ARNs, the image URI, the region) appear a fixed number
 * of times and are shorter in practice: CloudFormation names resources `<stack>-<logical id>-<suffix>`.
 */
const TOKEN_BYTES = 255;

/**
 * What ECS adds to each container definition it stores (DescribeTaskDefinition returns `cpu: 0`,
 * empty `environment`, `mountPoints`, `volumesFrom` and `systemControls` lists that the request
 * left out). Whether the quota measures the request or the stored definition is not documented:
 * counting the stored one errs on the safe side.
 */
const STORED_DEFAULTS_BYTES_PER_CONTAINER = 160;

/** The size of a task definition as ECS will receive it, estimated at synth. */
export interface TaskDefinitionSize {
  /** The whole task definition, in bytes of JSON, tokens counted at their likely longest. */
  readonly bytes: number;
  /** Size in bytes of the value of `token` (a string token of it), as it appears in the JSON. */
  readonly bytesOf: (token: string) => number;
}

/**
 * The estimated size of `taskDefinition`'s RegisterTaskDefinition request. It resolves no number
 * token nor any cached lazy value of the task definition (its lists of containers and placement
 * constraints, the execution role): resolved before the app is complete (a validation run by hand),
 * they would keep that value in the template.
 */
export function taskDefinitionSize(taskDefinition: ecs.TaskDefinition): TaskDefinitionSize {
  const stack = Stack.of(taskDefinition);
  const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  const containers = taskDefinition.node.children.filter((c: IConstruct): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition);
  const body = {
    family: cfn.family,
    taskRoleArn: cfn.taskRoleArn,
    executionRoleArn: TOKEN,
    networkMode: cfn.networkMode,
    containerDefinitions: containers.map((c) => c.renderContainerDefinition()),
    volumes: cfn.volumes,
    requiresCompatibilities: cfn.requiresCompatibilities,
    cpu: cfn.cpu,
    memory: cfn.memory,
    pidMode: cfn.pidMode,
    ipcMode: cfn.ipcMode,
    proxyConfiguration: cfn.proxyConfiguration,
    ephemeralStorage: cfn.ephemeralStorage,
    runtimePlatform: cfn.runtimePlatform,
  };
  return {
    bytes: Buffer.byteLength(JSON.stringify(estimated(body, stack))) + containers.length * STORED_DEFAULTS_BYTES_PER_CONTAINER,
    bytesOf: (token) => Buffer.byteLength(JSON.stringify(estimated(token, stack))),
  };
}

const TOKEN = 'x'.repeat(TOKEN_BYTES);

/** A value of the task definition as deployed: tokens resolved (numbers aside: 6 digits). */
function estimated(value: unknown, stack: Stack): unknown {
  if (typeof value === 'number') return Token.isUnresolved(value) ? 999999 : value;
  if (typeof value === 'string') return Token.isUnresolved(value) ? deployed(stack.resolve(value)) : value;
  if (Tokenization.isResolvable(value)) return deployed(stack.resolve(value));
  if (Array.isArray(value)) return value.map((v) => estimated(v, stack));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, estimated(v, stack)]));
}

/**
 * A resolved CloudFormation value as it will be once deployed: `Fn::Join` joined, every other
 * intrinsic (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`, `Fn::GetStackOutput`, ...) TOKEN_BYTES long.
 */
function deployed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deployed);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
    const [fn, args] = entries[0];
    if (fn === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
      return args[1].map((part: unknown) => {
        const d = deployed(part);
        return typeof d === 'string' ? d : JSON.stringify(d);
      }).join(args[0]);
    }
    return TOKEN;
  }
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined).map(([k, v]) => [k, deployed(v)]));
}
