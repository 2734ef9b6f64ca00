// Original file: proto/voicevirtualagent.proto

import type { Prompt as _com_cisco_wcc_ccai_media_v1_Prompt, Prompt__Output as _com_cisco_wcc_ccai_media_v1_Prompt__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/Prompt';
import type { OutputEvent as _com_cisco_wcc_ccai_media_v1_OutputEvent, OutputEvent__Output as _com_cisco_wcc_ccai_media_v1_OutputEvent__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/OutputEvent';
import type { VoiceVAInputMode as _com_cisco_wcc_ccai_media_v1_VoiceVAInputMode, VoiceVAInputMode__Output as _com_cisco_wcc_ccai_media_v1_VoiceVAInputMode__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/VoiceVAInputMode';
import type { InputHandlingConfig as _com_cisco_wcc_ccai_media_v1_InputHandlingConfig, InputHandlingConfig__Output as _com_cisco_wcc_ccai_media_v1_InputHandlingConfig__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/InputHandlingConfig';
import type { TextContent as _com_cisco_wcc_ccai_media_v1_TextContent, TextContent__Output as _com_cisco_wcc_ccai_media_v1_TextContent__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/TextContent';

// Original file: proto/voicevirtualagent.proto

/**
 * FINAL is the zero value: a response that sets no type is FINAL.
 */
export const _com_cisco_wcc_ccai_media_v1_VoiceVAResponse_ResponseType = {
  FINAL: 'FINAL',
  PARTIAL: 'PARTIAL',
  CHUNK: 'CHUNK',
} as const;

/**
 * FINAL is the zero value: a response that sets no type is FINAL.
 */
export type _com_cisco_wcc_ccai_media_v1_VoiceVAResponse_ResponseType =
  | 'FINAL'
  | 0
  | 'PARTIAL'
  | 1
  | 'CHUNK'
  | 2

/**
 * FINAL is the zero value: a response that sets no type is FINAL.
 */
export type _com_cisco_wcc_ccai_media_v1_VoiceVAResponse_ResponseType__Output = typeof _com_cisco_wcc_ccai_media_v1_VoiceVAResponse_ResponseType[keyof typeof _com_cisco_wcc_ccai_media_v1_VoiceVAResponse_ResponseType]

export interface VoiceVAResponse {
  /**
   * Played in order.
   */
  'prompts'?: (_com_cisco_wcc_ccai_media_v1_Prompt)[];
  /**
   * Only the first event is considered by WxCC.
   */
  'output_events'?: (_com_cisco_wcc_ccai_media_v1_OutputEvent)[];
  'input_sensitive'?: (boolean);
  'input_mode'?: (_com_cisco_wcc_ccai_media_v1_VoiceVAInputMode);
  'input_handling_config'?: (_com_cisco_wcc_ccai_media_v1_InputHandlingConfig | null);
  /**
   * Honoured only in the last response of the session.
   */
  'session_transcript'?: (_com_cisco_wcc_ccai_media_v1_TextContent | null);
  'session_summary'?: (_com_cisco_wcc_ccai_media_v1_TextContent | null);
  'response_type'?: (_com_cisco_wcc_ccai_media_v1_VoiceVAResponse_ResponseType);
}

export interface VoiceVAResponse__Output {
  /**
   * Played in order.
   */
  'prompts': (_com_cisco_wcc_ccai_media_v1_Prompt__Output)[];
  /**
   * Only the first event is considered by WxCC.
   */
  'output_events': (_com_cisco_wcc_ccai_media_v1_OutputEvent__Output)[];
  'input_sensitive': (boolean);
  'input_mode': (_com_cisco_wcc_ccai_media_v1_VoiceVAInputMode__Output);
  'input_handling_config': (_com_cisco_wcc_ccai_media_v1_InputHandlingConfig__Output | null);
  /**
   * Honoured only in the last response of the session.
   */
  'session_transcript': (_com_cisco_wcc_ccai_media_v1_TextContent__Output | null);
  'session_summary': (_com_cisco_wcc_ccai_media_v1_TextContent__Output | null);
  'response_type': (_com_cisco_wcc_ccai_media_v1_VoiceVAResponse_ResponseType__Output);
}
