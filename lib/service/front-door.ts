import { Annotations, CfnOutput, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { MicroserviceProps } from './microservice-props';
import { MicroserviceHttpApi } from '../api/microservice-http-api';
import { MicroserviceRestApi } from '../api/microservice-rest-api';
import type { IServiceApi } from '../api/service-api-base';
import type { ApiWiring, ServicePart } from '../private/binding';
import type { ServiceFeature, ServiceWithNetwork } from '../private/feature';
import { pascal } from '../private/names';
import { PropErrors } from '../private/validation';

/** The service's front door: an HTTP or REST API on the platform's VPC link, when the props ask for one. */
export class FrontDoorFeature implements ServiceFeature {
  public api?: IServiceApi;
  public httpApi?: MicroserviceHttpApi;
  public restApi?: MicroserviceRestApi;

  constructor(private readonly props: MicroserviceProps) {}

  public useService(unit: ServiceWithNetwork): void {
    ({ api: this.api, httpApi: this.httpApi, restApi: this.restApi } = createFrontDoor(unit, this.props));
    const api = this.httpApi ?? this.restApi;
    // The rule that admits the API's path (the VPC link's or the load balancer's group) to the tasks.
    if (api) unit.platform.quotas.count('securityGroupRules', `the security group of ${unit.path}`);
    if (!api || (this.props.api ?? this.props.restApi)?.outputs === false) return;
    checkOutputsOnce(unit.scope);
    // What a caller needs after deploy: the URL, each consumer's app client id and API key id.
    new CfnOutput(unit.scope, 'ApiUrl', { value: api.url, description: `URL of the API of ${unit.name}` });
    for (const [name, client] of Object.entries(api.consumerClients)) {
      new CfnOutput(unit.scope, `Consumer${pascal(name)}ClientId`, { value: client.userPoolClientId, description: `App client of consumer ${name} of ${unit.name}` });
    }
    for (const [name, key] of Object.entries(this.restApi?.apiKeys ?? {})) {
      new CfnOutput(unit.scope, `Consumer${pascal(name)}ApiKeyId`, { value: key.keyId, description: `API key of consumer ${name} of ${unit.name} (aws apigateway get-api-key --include-value --api-key <id>)` });
    }
  }

  public parts(): ServicePart[] {
    return (this.httpApi ?? this.restApi)?._parts() ?? [];
  }
}

function createFrontDoor(unit: ServiceWithNetwork, props: MicroserviceProps): { api?: IServiceApi; httpApi?: MicroserviceHttpApi; restApi?: MicroserviceRestApi } {
  const { platform, scope: service } = unit;
  if (!props.api && !props.restApi) return {};
  const target = {
    vpc: unit.vpc, subnets: unit.subnets, service: unit.service, cloudMapService: unit.cloudMapService,
    taskSecurityGroup: unit.securityGroup, containerPort: unit.settings.containerPort,
  };
  const { vpcLink, securityGroup } = platform.createVpcLinkOnce();
  const wiring: ApiWiring = {
    servicePath: service.node.path,
    serviceName: unit.name,
    auth: platform.auth,
    domainName: platform.apiDomainName,
    target: { ...target, vpcLink, vpcLinkSecurityGroup: securityGroup },
    createApiGatewayAccountOnce: () => platform.createApiGatewayAccountOnce(),
    logs: platform.logs,
  };
  if (props.restApi) {
    const restApi = MicroserviceRestApi._create(service, 'Api', props.restApi, wiring);
    checkDeploymentStrategy(service, props, restApi);
    return { api: restApi, restApi };
  }
  const httpApi = MicroserviceHttpApi._create(service, 'Api', props.api!, wiring);
  checkDeploymentStrategy(service, props, httpApi);
  return { api: httpApi, httpApi };
}

/**
 * ECS's blue/green, canary and linear deployments shift traffic on a load balancer only between
 * two target groups, through a production listener rule it rewrites and an infrastructure role
 * (ECS guide, "Application Load Balancer resources for blue/green deployments"); the next
 * CloudFormation update of that rule resets the weights ECS set (aws/aws-cdk#36649, open). So
 * those strategies behind the API's load balancer are refused. Through Cloud Map, ECS shifts
 * only Service Connect clients (ECS guide, "Service Connect and blue/green deployments"): API
 * Gateway is not one, which the user is told.
 */
function checkDeploymentStrategy(service: Construct, props: MicroserviceProps, api: IServiceApi): void {
  const strategy = props.deployment?.strategy ?? ecs.DeploymentStrategy.ROLLING;
  if (strategy === ecs.DeploymentStrategy.ROLLING) return;
  const flavour = props.restApi ? 'restApi (a REST API always reaches the tasks through one)' : 'api.integration ApiIntegration.loadBalancer()';
  if (api.targetGroup) {
    const errors = new PropErrors(`Microservice '${service.node.path}'`);
    errors.add(`deployment.strategy must be ROLLING with a load balancer in front of the tasks (${flavour}): ECS would need a second target group, `
      + `a production listener rule it rewrites and an infrastructure role, and a later deployment of the stack would reset the traffic weights ECS set; got ${strategy}. `
      + 'Use ROLLING (with the circuit breaker), or ApiIntegration.cloudMap()');
    errors.throwIfAny();
  }
  Annotations.of(service).addWarningV2('cdk-microservice:deploymentApiNotShifted',
    `deployment.strategy ${strategy} shifts the traffic of Service Connect clients only: API Gateway reaches the tasks through Cloud Map, `
    + 'so the API\'s requests are not shifted (nor held back) with it. Test the new revision through a Service Connect client, or use ROLLING.');
}

/** CloudFormation's quota: "Outputs: 200 per template" (AWS CloudFormation User Guide, "Understand CloudFormation quotas"). */
const MAX_OUTPUTS = 200;
const CHECKED = new WeakSet<Stack>();

/** Once per stack: its outputs, the API services' and any other, within CloudFormation's quota. */
function checkOutputsOnce(scope: Construct): void {
  const stack = Stack.of(scope);
  if (CHECKED.has(stack)) return;
  CHECKED.add(stack);
  stack.node.addValidation({
    validate: () => {
      const n = stack.node.findAll().filter((c) => c instanceof CfnOutput).length;
      return n > MAX_OUTPUTS
        ? [`stack ${stack.stackName} must declare at most ${MAX_OUTPUTS} outputs (CloudFormation's quota per template), got ${n}: `
          + 'turn off the outputs of services with many consumers (api.outputs or restApi.outputs false), or split the services over more stacks']
        : [];
    },
  });
}
