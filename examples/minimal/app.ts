// The smallest complete unit: one service on a private platform, in one stack.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice } from 'cdk-microservice';

export function build(app: App): App {
  const stack = new Stack(app, 'MinimalService');
  new Microservice(stack, 'Orders', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'),
    containerPort: 8080,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
