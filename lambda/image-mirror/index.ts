/**
 * Lambda entry point of the image mirror, a CloudFormation custom resource handler (see handler.ts).
 * The AWS SDK clients come with the Node.js runtime ("Your code runs in an environment that includes
 * the AWS SDK for JavaScript", Lambda developer guide, "Building Lambda functions with Node.js"): the
 * bundle leaves `@aws-sdk/*` out. They are created on first use, once per execution environment.
 */
import {
  BatchCheckLayerAvailabilityCommand, CompleteLayerUploadCommand, DescribeImagesCommand, DescribeRepositoriesCommand,
  ECRClient, InitiateLayerUploadCommand, PutImageCommand, UploadLayerPartCommand,
} from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { EcrApi } from './ecr-target';
import { createHandler, SecretsApi } from './handler';

let ecr: EcrApi | undefined;
let secrets: SecretsApi | undefined;

function ecrApi(): EcrApi {
  const client = new ECRClient({});
  return {
    describeRepositories: (input) => client.send(new DescribeRepositoriesCommand(input)),
    describeImages: (input) => client.send(new DescribeImagesCommand(input)),
    batchCheckLayerAvailability: (input) => client.send(new BatchCheckLayerAvailabilityCommand(input)),
    initiateLayerUpload: (input) => client.send(new InitiateLayerUploadCommand(input)),
    uploadLayerPart: (input) => client.send(new UploadLayerPartCommand(input)),
    completeLayerUpload: (input) => client.send(new CompleteLayerUploadCommand(input)),
    putImage: (input) => client.send(new PutImageCommand(input)),
  };
}

function secretsApi(): SecretsApi {
  const client = new SecretsManagerClient({});
  return { getSecretValue: (input) => client.send(new GetSecretValueCommand(input)) };
}

export const handler = createHandler({
  fetch: (input, init) => fetch(input, init),
  ecr: () => (ecr ??= ecrApi()),
  secrets: () => (secrets ??= secretsApi()),
});
