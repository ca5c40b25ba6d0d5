// The smallest complete unit: one service on a private platform, in one stack.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice, MicroservicePlatform } from 'cdk-microservice';

export function build(app: App): App {
  const stack = new Stack(app, 'MinimalService');
  // The platform a service without one gets (MicroservicePlatform.defaultFor), made explicit to keep
  // every log a year, as regulated accounts require.
  const platform = new MicroservicePlatform(stack, 'MicroservicePlatform', { logs: { retention: logs.RetentionDays.ONE_YEAR } });
  new Microservice(stack, 'Orders', {
    platform,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'),
    containerPort: 8080,
    user: '101', // the image's unprivileged user: no container of the task runs as root
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
