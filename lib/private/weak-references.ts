import { Aspects, CfnResource, IAspect, ReferenceStrength } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';

/**
 * Every reference another stack makes to a resource under `scope` is weak (`Fn::GetStackOutput`),
 * whatever the app's `@aws-cdk/core:defaultCrossStackReferences`: no export ties the consuming
 * stack to this one. The strength is set on the producing resources, which wins over the
 * consumer's context (aws-cdk-lib README, "Controlling reference strength"); `both`, the flag's
 * value for the move from strong references (exports kept, imports released), is honoured.
 * Applied as an aspect, before references are resolved, so that resources added later count too.
 */
export function produceWeakReferences(scope: IConstruct): void {
  const strength = scope.node.tryGetContext(cxapi.DEFAULT_CROSS_STACK_REFERENCES) === ReferenceStrength.BOTH
    ? ReferenceStrength.BOTH : ReferenceStrength.WEAK;
  const aspect: IAspect = {
    visit(node: IConstruct): void {
      if (CfnResource.isCfnResource(node)) node.applyCrossStackReferenceStrength(strength);
    },
  };
  Aspects.of(scope).add(aspect);
}
