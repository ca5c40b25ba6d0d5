export * from './api/api-integration';
export * from './api/microservice-api';
export * from './auth/api-authorizer';
export * from './platform/microservice-platform';
export * from './service/microservice';
export * from './testing/normalize-template';
