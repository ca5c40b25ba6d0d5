import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { createLoadBalancer, LoadBalancerIntegrationOptions, validateLoadBalancerOptions } from './load-balancer';
import type { HttpIntegrationBinding, IntegrationTarget } from '../private/binding';
import { PropErrors } from '../private/validation';

/**
 * How an HTTP API reaches the service's tasks through the platform's VPC link. (A REST API
 * always goes through an internal load balancer: see `RestApiOptions.loadBalancer`.)
 *
 * | | `cloudMap()` (default) | `loadBalancer()` |
 * |---|---|---|
 * | cost | nothing extra | an internal ALB per service (hourly + LCU) |
 * | health checking | ECS task state and container health check; API Gateway picks any registered task | ALB health checks take a task out within seconds |
 * | metrics | API Gateway's | plus ALB target 5XX, response time, healthy hosts |
 * | draining | none: a stopping task may get requests until Cloud Map deregisters it | deregistration delay |
 */
export abstract class ApiIntegration {
  /** Straight to the tasks' Cloud Map SRV records. */
  public static cloudMap(): ApiIntegration {
    return new CloudMapIntegration();
  }

  /** Through an internal Application Load Balancer in the service's stack. */
  public static loadBalancer(options: LoadBalancerIntegrationOptions = {}): ApiIntegration {
    return new LoadBalancerIntegration(options);
  }

  /**
   * Creates the integration under `scope` and opens the network path from the VPC link to the
   * tasks, and nothing else.
   *
   * @internal
   */
  public abstract _bindHttp(scope: Construct, target: IntegrationTarget): HttpIntegrationBinding;
}

class CloudMapIntegration extends ApiIntegration {
  public _bindHttp(_scope: Construct, target: IntegrationTarget): HttpIntegrationBinding {
    target.taskSecurityGroup.addIngressRule(
      ec2.Peer.securityGroupId(target.vpcLinkSecurityGroup.securityGroupId),
      ec2.Port.tcp(target.containerPort),
      'API Gateway through the platform VPC link',
    );
    return {
      integration: new integrations.HttpServiceDiscoveryIntegration('Integration', target.cloudMapService, {
        vpcLink: target.vpcLink,
      }),
    };
  }
}

class LoadBalancerIntegration extends ApiIntegration {
  constructor(private readonly options: LoadBalancerIntegrationOptions) {
    super();
    const errors = new PropErrors('ApiIntegration.loadBalancer');
    validateLoadBalancerOptions(errors, '', options);
    errors.throwIfAny();
  }

  public _bindHttp(scope: Construct, target: IntegrationTarget): HttpIntegrationBinding {
    const lb = createLoadBalancer(scope, target, this.options);
    return {
      integration: new integrations.HttpAlbIntegration('Integration', lb.listener, { vpcLink: target.vpcLink, secureServerName: this.options.serverName }),
      loadBalancer: lb.loadBalancer,
      targetGroup: lb.targetGroup,
      ...lb.part,
    };
  }
}
