// The example app of the main job: a platform stack and two service stacks, environment-agnostic,
// checked by cdk-nag's AwsSolutions pack and CloudFormation's template validator.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice, MicroservicePlatform } from 'cdk-microservice';

export function buildMainApp(app: App): App {
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');

  new Microservice(new Stack(app, 'Orders'), 'Orders', {
    platform,
    image,
    containerPort: 8080,
    writablePaths: ['/tmp', '/var/cache/nginx'],
  });

  new Microservice(new Stack(app, 'Payments'), 'Payments', {
    platform,
    image,
    containerPort: 8080,
    cpuArchitecture: ecs.CpuArchitecture.ARM64,
    writablePaths: ['/tmp', '/var/cache/nginx'],
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}
