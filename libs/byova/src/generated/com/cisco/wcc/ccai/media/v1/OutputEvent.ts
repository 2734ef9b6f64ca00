// Original file: proto/byova_common.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../../../../google/protobuf/Struct';

// Original file: proto/byova_common.proto

export const _com_cisco_wcc_ccai_media_v1_OutputEvent_EventType = {
  UNSPECIFIED_EVENT: 'UNSPECIFIED_EVENT',
  SESSION_END: 'SESSION_END',
  TRANSFER_TO_AGENT: 'TRANSFER_TO_AGENT',
  CUSTOM_EVENT: 'CUSTOM_EVENT',
  START_OF_INPUT: 'START_OF_INPUT',
  END_OF_INPUT: 'END_OF_INPUT',
  NO_MATCH: 'NO_MATCH',
  NO_INPUT: 'NO_INPUT',
} as const;

export type _com_cisco_wcc_ccai_media_v1_OutputEvent_EventType =
  | 'UNSPECIFIED_EVENT'
  | 0
  | 'SESSION_END'
  | 1
  | 'TRANSFER_TO_AGENT'
  | 2
  | 'CUSTOM_EVENT'
  | 3
  | 'START_OF_INPUT'
  | 4
  | 'END_OF_INPUT'
  | 5
  | 'NO_MATCH'
  | 6
  | 'NO_INPUT'
  | 7

export type _com_cisco_wcc_ccai_media_v1_OutputEvent_EventType__Output = typeof _com_cisco_wcc_ccai_media_v1_OutputEvent_EventType[keyof typeof _com_cisco_wcc_ccai_media_v1_OutputEvent_EventType]

/**
 * An event from the virtual agent to WxCC. Only the first event of a response is considered.
 */
export interface OutputEvent {
  'event_type'?: (_com_cisco_wcc_ccai_media_v1_OutputEvent_EventType);
  'name'?: (string);
  'metadata'?: (_google_protobuf_Struct | null);
}

/**
 * An event from the virtual agent to WxCC. Only the first event of a response is considered.
 */
export interface OutputEvent__Output {
  'event_type': (_com_cisco_wcc_ccai_media_v1_OutputEvent_EventType__Output);
  'name': (string);
  'metadata': (_google_protobuf_Struct__Output | null);
}
