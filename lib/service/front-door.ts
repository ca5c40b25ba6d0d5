import { Construct } from 'constructs';
import type { MicroserviceProps } from './microservice-props';
import { MicroserviceHttpApi } from '../api/microservice-http-api';
import { MicroserviceRestApi } from '../api/microservice-rest-api';
import type { IServiceApi } from '../api/service-api-base';
import type { ApiWiring, IntegrationTarget, PlatformServices } from '../private/binding';

/** The service's API of the flavour its props ask for, on the platform's VPC link. */
export function createFrontDoor(service: Construct, discoveryName: string, props: MicroserviceProps, platform: PlatformServices,
  target: Omit<IntegrationTarget, 'vpcLink' | 'vpcLinkSecurityGroup'>): { api?: IServiceApi; httpApi?: MicroserviceHttpApi; restApi?: MicroserviceRestApi } {
  if (!props.api && !props.restApi) return {};
  const { vpcLink, securityGroup } = platform.createVpcLinkOnce();
  const wiring: ApiWiring = {
    servicePath: service.node.path,
    serviceName: discoveryName,
    auth: platform.auth,
    domainName: platform.apiDomainName,
    target: { ...target, vpcLink, vpcLinkSecurityGroup: securityGroup },
    createApiGatewayAccountOnce: () => platform.createApiGatewayAccountOnce(),
  };
  if (props.restApi) {
    const restApi = MicroserviceRestApi._create(service, 'Api', props.restApi, wiring);
    return { api: restApi, restApi };
  }
  const httpApi = MicroserviceHttpApi._create(service, 'Api', props.api!, wiring);
  return { api: httpApi, httpApi };
}
