import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { PropErrors } from '../private/validation';

/** Options of {@link ApiIntegration.loadBalancer}. */
export interface LoadBalancerIntegrationOptions {
  /**
   * Path of the target group's HTTP health check.
   *
   * @default '/'
   */
  readonly healthCheckPath?: string;
  /**
   * HTTP codes a healthy target answers with, `200`, `200,204` or `200-399`.
   *
   * @default '200-399'
   */
  readonly healthyHttpCodes?: string;
  /**
   * How long a deregistering task keeps receiving in-flight requests, 0 to 3600 seconds.
   *
   * @default Duration.seconds(30)
   */
  readonly deregistrationDelay?: Duration;
  /**
   * Bucket for the load balancer's access logs. Needs a stack with a concrete region
   * (ELB's log delivery principal is regional).
   *
   * @default - no load balancer access logs; the API stage's access log records every request
   */
  readonly accessLogBucket?: s3.IBucket;
}

/** What an integration needs from the service. */
export interface ApiIntegrationTarget {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly vpcLink: apigwv2.IVpcLink;
  readonly vpcLinkSecurityGroup: ec2.ISecurityGroup;
  readonly service: ecs.FargateService;
  readonly cloudMapService: servicediscovery.IService;
  readonly taskSecurityGroup: ec2.ISecurityGroup;
  readonly containerPort: number;
}

/** What an integration gives the API. */
export interface BoundApiIntegration {
  readonly integration: apigwv2.HttpRouteIntegration;
  /** The internal load balancer, for `loadBalancer()`. */
  readonly loadBalancer?: elbv2.ApplicationLoadBalancer;
  /** Its target group, for `loadBalancer()`. */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
}

/** What a load-balancer integration gives a REST API: its private integration targets the load balancer. */
export interface BoundRestIntegration {
  /** The internal load balancer. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Its listener. */
  readonly listener: elbv2.ApplicationListener;
  /** Its target group. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

/**
 * How the API reaches the service's tasks through the platform's VPC link.
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

  /** 'cloudMap' or 'loadBalancer'. */
  public abstract readonly kind: string;

  /** Creates the integration and opens the network path from the VPC link to the tasks, and nothing else. */
  public abstract bind(scope: Construct, target: ApiIntegrationTarget): BoundApiIntegration;

  /**
   * Creates what a REST API's private integration targets. REST private integrations reach a
   * load balancer only: `cloudMap()` throws.
   */
  public abstract bindRest(scope: Construct, target: ApiIntegrationTarget): BoundRestIntegration;
}

class CloudMapIntegration extends ApiIntegration {
  public readonly kind = 'cloudMap';

  public bind(_scope: Construct, target: ApiIntegrationTarget): BoundApiIntegration {
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

  public bindRest(scope: Construct, _target: ApiIntegrationTarget): BoundRestIntegration {
    const errors = new PropErrors(`Microservice '${scope.node.scope?.node.path}'`);
    errors.add('api.integration must be ApiIntegration.loadBalancer() on a REST API (REST private integrations reach a load balancer, not Cloud Map), got ApiIntegration.cloudMap()');
    errors.throwIfAny();
    throw new Error('unreachable');
  }
}

const LISTENER_PORT = 80;

class LoadBalancerIntegration extends ApiIntegration {
  public readonly kind = 'loadBalancer';

  constructor(private readonly options: LoadBalancerIntegrationOptions) {
    super();
    const errors = new PropErrors('ApiIntegration.loadBalancer');
    errors.text('healthCheckPath', options.healthCheckPath, /^\/[\x21-\x7e]{0,1023}$/, 'an absolute path such as "/health"');
    errors.text('healthyHttpCodes', options.healthyHttpCodes, /^([2-4][0-9]{2})([-,][2-4][0-9]{2})*$/, 'HTTP codes such as "200", "200,204" or "200-399"');
    errors.seconds('deregistrationDelay', options.deregistrationDelay, 0, 3600);
    errors.throwIfAny();
  }

  public bind(scope: Construct, target: ApiIntegrationTarget): BoundApiIntegration {
    const { loadBalancer, listener, targetGroup } = this.bindRest(scope, target);
    return {
      integration: new integrations.HttpAlbIntegration('Integration', listener, {
        vpcLink: target.vpcLink,
      }),
      loadBalancer,
      targetGroup,
    };
  }

  public bindRest(scope: Construct, target: ApiIntegrationTarget): BoundRestIntegration {
    const lbSecurityGroup = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
      vpc: target.vpc,
      description: `Internal load balancer of ${scope.node.path}: only the platform VPC link may connect`,
      allowAllOutbound: false,
    });
    lbSecurityGroup.addIngressRule(
      ec2.Peer.securityGroupId(target.vpcLinkSecurityGroup.securityGroupId),
      ec2.Port.tcp(LISTENER_PORT),
      'API Gateway through the platform VPC link',
    );
    const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
      vpc: target.vpc,
      vpcSubnets: target.subnets,
      internetFacing: false,
      securityGroup: lbSecurityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: false,
    });
    if (this.options.accessLogBucket) {
      loadBalancer.logAccessLogs(this.options.accessLogBucket, Stack.of(scope).stackName);
    } else {
      Validations.of(loadBalancer).acknowledge({
        id: 'AwsSolutions-ELB2',
        reason: 'Internal load balancer reachable only from the API Gateway VPC link; the API stage access log records every request (request id, route, status, latency, caller).',
      });
    }
    const listener = loadBalancer.addListener('Listener', {
      port: LISTENER_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
    });
    const targetGroup = listener.addTargets('Tasks', {
      port: target.containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [target.service.loadBalancerTarget({ containerName: 'app', containerPort: target.containerPort })],
      deregistrationDelay: this.options.deregistrationDelay ?? Duration.seconds(30),
      healthCheck: {
        path: this.options.healthCheckPath ?? '/',
        healthyHttpCodes: this.options.healthyHttpCodes ?? '200-399',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    // Registering the service as a target opens the load balancer's security group to the tasks
    // on the container port (an egress rule on the load balancer, an ingress rule on the tasks):
    // the tasks admit nothing else.
    return { loadBalancer, listener, targetGroup };
  }
}
