import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * What Temporal visibility indexes about each request, so `schemawright list --status ... --target ...`
 * is a visibility query, not a scan. The server start registers every key listed in `searchAttributes`.
 */
export const RequestStatus = defineSearchAttributeKey('SchemawrightStatus', SearchAttributeType.KEYWORD);
export const RequestKind = defineSearchAttributeKey('SchemawrightKind', SearchAttributeType.KEYWORD);
export const RequestTarget = defineSearchAttributeKey('SchemawrightTarget', SearchAttributeType.KEYWORD);
export const RequestEnvironment = defineSearchAttributeKey('SchemawrightEnvironment', SearchAttributeType.KEYWORD);
export const Requester = defineSearchAttributeKey('SchemawrightRequester', SearchAttributeType.KEYWORD);
export const RequestPhase = defineSearchAttributeKey('SchemawrightPhase', SearchAttributeType.KEYWORD);
/**
 * A rollout carries Kind `rollout`, Status (its state), Requester, its group and the stage it is in;
 * each target's child carries Kind `rollout-target`, Target, Environment and its rollout's id, so
 * `SchemawrightRollout = 'ID'` lists a rollout's children.
 */
export const RolloutId = defineSearchAttributeKey('SchemawrightRollout', SearchAttributeType.KEYWORD);
export const RolloutGroup = defineSearchAttributeKey('SchemawrightGroup', SearchAttributeType.KEYWORD);
export const RolloutStage = defineSearchAttributeKey('SchemawrightStage', SearchAttributeType.KEYWORD);

export const searchAttributes = [
  RequestStatus,
  RequestKind,
  RequestTarget,
  RequestEnvironment,
  Requester,
  RequestPhase,
  RolloutId,
  RolloutGroup,
  RolloutStage,
];
