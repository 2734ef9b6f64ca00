import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Options of {@link applyCommonTags}. */
export interface CommonTags {
  /** The `Owner` tag (the seed's `TAG_OWNER`); no tag when unset. */
  readonly owner?: string | undefined;
  /** The `Service` tag: the app's project name, for cost allocation. */
  readonly service: string;
}

/**
 * Tags every taggable resource under `scope` with `Service` and, when given, `Owner`.
 *
 * @example
 * ```ts
 * applyCommonTags(stack, { owner: params.TAG_OWNER, service: 'audiohook-server' });
 * ```
 */
export function applyCommonTags(scope: IConstruct, tags: CommonTags): void {
  Tags.of(scope).add('Service', tags.service);
  if (tags.owner !== undefined && tags.owner !== '') Tags.of(scope).add('Owner', tags.owner);
}
