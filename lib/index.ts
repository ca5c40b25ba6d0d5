export * from './platform/microservice-platform';
export * from './service/microservice';
export * from './testing/normalize-template';
