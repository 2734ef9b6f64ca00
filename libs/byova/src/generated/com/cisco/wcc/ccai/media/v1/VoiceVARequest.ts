// Original file: proto/voicevirtualagent.proto

import type { VoiceInput as _com_cisco_wcc_ccai_media_v1_VoiceInput, VoiceInput__Output as _com_cisco_wcc_ccai_media_v1_VoiceInput__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/VoiceInput';
import type { DTMFInputs as _com_cisco_wcc_ccai_media_v1_DTMFInputs, DTMFInputs__Output as _com_cisco_wcc_ccai_media_v1_DTMFInputs__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/DTMFInputs';
import type { EventInput as _com_cisco_wcc_ccai_media_v1_EventInput, EventInput__Output as _com_cisco_wcc_ccai_media_v1_EventInput__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/EventInput';

export interface VoiceVARequest {
  /**
   * The call id; the same on every stream of a call.
   */
  'conversation_id'?: (string);
  'customer_org_id'?: (string);
  /**
   * The id returned by ListVirtualAgents and chosen in Flow Designer.
   */
  'virtual_agent_id'?: (string);
  'allow_partial_responses'?: (boolean);
  /**
   * Opaque configuration created in Control Hub.
   */
  'vendor_specific_config'?: (string);
  'audio_input'?: (_com_cisco_wcc_ccai_media_v1_VoiceInput | null);
  'dtmf_input'?: (_com_cisco_wcc_ccai_media_v1_DTMFInputs | null);
  'event_input'?: (_com_cisco_wcc_ccai_media_v1_EventInput | null);
  /**
   * Reserved by WxCC for future use.
   */
  'additional_info'?: ({[key: string]: string});
  'voice_va_input_type'?: "audio_input"|"dtmf_input"|"event_input";
}

export interface VoiceVARequest__Output {
  /**
   * The call id; the same on every stream of a call.
   */
  'conversation_id': (string);
  'customer_org_id': (string);
  /**
   * The id returned by ListVirtualAgents and chosen in Flow Designer.
   */
  'virtual_agent_id': (string);
  'allow_partial_responses': (boolean);
  /**
   * Opaque configuration created in Control Hub.
   */
  'vendor_specific_config': (string);
  'audio_input'?: (_com_cisco_wcc_ccai_media_v1_VoiceInput__Output | null);
  'dtmf_input'?: (_com_cisco_wcc_ccai_media_v1_DTMFInputs__Output | null);
  'event_input'?: (_com_cisco_wcc_ccai_media_v1_EventInput__Output | null);
  /**
   * Reserved by WxCC for future use.
   */
  'additional_info': ({[key: string]: string});
  'voice_va_input_type'?: "audio_input"|"dtmf_input"|"event_input";
}
