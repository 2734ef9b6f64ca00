// Original file: proto/byova_common.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../../../../google/protobuf/Struct';

// Original file: proto/byova_common.proto

export const _com_cisco_wcc_ccai_media_v1_EventInput_EventType = {
  UNSPECIFIED_INPUT: 'UNSPECIFIED_INPUT',
  SESSION_START: 'SESSION_START',
  SESSION_END: 'SESSION_END',
  NO_INPUT: 'NO_INPUT',
  START_OF_DTMF: 'START_OF_DTMF',
  CUSTOM_EVENT: 'CUSTOM_EVENT',
} as const;

export type _com_cisco_wcc_ccai_media_v1_EventInput_EventType =
  | 'UNSPECIFIED_INPUT'
  | 0
  | 'SESSION_START'
  | 1
  | 'SESSION_END'
  | 2
  | 'NO_INPUT'
  | 3
  | 'START_OF_DTMF'
  | 4
  | 'CUSTOM_EVENT'
  | 5

export type _com_cisco_wcc_ccai_media_v1_EventInput_EventType__Output = typeof _com_cisco_wcc_ccai_media_v1_EventInput_EventType[keyof typeof _com_cisco_wcc_ccai_media_v1_EventInput_EventType]

/**
 * An event from WxCC (the flow or the call) to the virtual agent.
 */
export interface EventInput {
  'event_type'?: (_com_cisco_wcc_ccai_media_v1_EventInput_EventType);
  'name'?: (string);
  'parameters'?: (_google_protobuf_Struct | null);
}

/**
 * An event from WxCC (the flow or the call) to the virtual agent.
 */
export interface EventInput__Output {
  'event_type': (_com_cisco_wcc_ccai_media_v1_EventInput_EventType__Output);
  'name': (string);
  'parameters': (_google_protobuf_Struct__Output | null);
}
