// Many repositories, one platform: the payments team's app. It joins the platform by name and
// publishes its own contract (/cdk-microservice/shop/services/payments): its port, retry policy,
// timeouts and topics, which callers and subscribers of other apps read.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice, MicroservicePlatform } from 'cdk-microservice';

const ENV = { account: '123456789012', region: 'eu-west-1' };

export function build(app: App): App {
  const stack = new Stack(app, 'Payments', { env: ENV });
  const platform = MicroservicePlatform.fromPlatformName(stack, 'Platform', 'shop');
  const payments = new Microservice(stack, 'Payments', {
    platform,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'),
    containerPort: 8080,
    user: '101',
    requestTimeout: Duration.seconds(3), // callers' proxies time a request out after 3 s
  });
  payments.addTopic('PaymentTaken');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
