import * as ecs from 'aws-cdk-lib/aws-ecs';

/**
 * A container that runs beside the application in its task, for `Microservice.addSidecar()`: a
 * log router, an agent, a proxy of your own. aws-cdk-lib's container options, with the CPU and
 * memory the sidecar reserves required: both count against the task's size, and the app
 * container gets what the sidecars leave.
 */
export interface SidecarContainerOptions extends ecs.ContainerDefinitionOptions {
  /**
   * When the app container starts: once this sidecar has started (START), is healthy (HEALTHY:
   * give it a `healthCheck`), or has exited (COMPLETE, SUCCESS: an init container).
   *
   * @default ecs.ContainerDependencyCondition.START
   */
  readonly appStartsAfter?: ecs.ContainerDependencyCondition;
}
