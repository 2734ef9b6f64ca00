// Original file: proto/voicevirtualagent.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ListVARequest as _com_cisco_wcc_ccai_media_v1_ListVARequest, ListVARequest__Output as _com_cisco_wcc_ccai_media_v1_ListVARequest__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/ListVARequest';
import type { ListVAResponse as _com_cisco_wcc_ccai_media_v1_ListVAResponse, ListVAResponse__Output as _com_cisco_wcc_ccai_media_v1_ListVAResponse__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/ListVAResponse';
import type { VoiceVARequest as _com_cisco_wcc_ccai_media_v1_VoiceVARequest, VoiceVARequest__Output as _com_cisco_wcc_ccai_media_v1_VoiceVARequest__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/VoiceVARequest';
import type { VoiceVAResponse as _com_cisco_wcc_ccai_media_v1_VoiceVAResponse, VoiceVAResponse__Output as _com_cisco_wcc_ccai_media_v1_VoiceVAResponse__Output } from '../../../../../../com/cisco/wcc/ccai/media/v1/VoiceVAResponse';

export interface VoiceVirtualAgentClient extends grpc.Client {
  /**
   * The virtual agents this server offers, for Flow Designer.
   */
  ListVirtualAgents(argument: _com_cisco_wcc_ccai_media_v1_ListVARequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>): grpc.ClientUnaryCall;
  ListVirtualAgents(argument: _com_cisco_wcc_ccai_media_v1_ListVARequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>): grpc.ClientUnaryCall;
  ListVirtualAgents(argument: _com_cisco_wcc_ccai_media_v1_ListVARequest, options: grpc.CallOptions, callback: grpc.requestCallback<_com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>): grpc.ClientUnaryCall;
  ListVirtualAgents(argument: _com_cisco_wcc_ccai_media_v1_ListVARequest, callback: grpc.requestCallback<_com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The virtual agents this server offers, for Flow Designer.
   */
  listVirtualAgents(argument: _com_cisco_wcc_ccai_media_v1_ListVARequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>): grpc.ClientUnaryCall;
  listVirtualAgents(argument: _com_cisco_wcc_ccai_media_v1_ListVARequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>): grpc.ClientUnaryCall;
  listVirtualAgents(argument: _com_cisco_wcc_ccai_media_v1_ListVARequest, options: grpc.CallOptions, callback: grpc.requestCallback<_com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>): grpc.ClientUnaryCall;
  listVirtualAgents(argument: _com_cisco_wcc_ccai_media_v1_ListVARequest, callback: grpc.requestCallback<_com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * One interaction of a call: requests stream in, responses stream out.
   */
  ProcessCallerInput(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_com_cisco_wcc_ccai_media_v1_VoiceVARequest, _com_cisco_wcc_ccai_media_v1_VoiceVAResponse__Output>;
  ProcessCallerInput(options?: grpc.CallOptions): grpc.ClientDuplexStream<_com_cisco_wcc_ccai_media_v1_VoiceVARequest, _com_cisco_wcc_ccai_media_v1_VoiceVAResponse__Output>;
  /**
   * One interaction of a call: requests stream in, responses stream out.
   */
  processCallerInput(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_com_cisco_wcc_ccai_media_v1_VoiceVARequest, _com_cisco_wcc_ccai_media_v1_VoiceVAResponse__Output>;
  processCallerInput(options?: grpc.CallOptions): grpc.ClientDuplexStream<_com_cisco_wcc_ccai_media_v1_VoiceVARequest, _com_cisco_wcc_ccai_media_v1_VoiceVAResponse__Output>;
  
}

export interface VoiceVirtualAgentHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The virtual agents this server offers, for Flow Designer.
   */
  ListVirtualAgents: grpc.handleUnaryCall<_com_cisco_wcc_ccai_media_v1_ListVARequest__Output, _com_cisco_wcc_ccai_media_v1_ListVAResponse>;
  
  /**
   * One interaction of a call: requests stream in, responses stream out.
   */
  ProcessCallerInput: grpc.handleBidiStreamingCall<_com_cisco_wcc_ccai_media_v1_VoiceVARequest__Output, _com_cisco_wcc_ccai_media_v1_VoiceVAResponse>;
  
}

export interface VoiceVirtualAgentDefinition extends grpc.ServiceDefinition {
  ListVirtualAgents: MethodDefinition<_com_cisco_wcc_ccai_media_v1_ListVARequest, _com_cisco_wcc_ccai_media_v1_ListVAResponse, _com_cisco_wcc_ccai_media_v1_ListVARequest__Output, _com_cisco_wcc_ccai_media_v1_ListVAResponse__Output>
  ProcessCallerInput: MethodDefinition<_com_cisco_wcc_ccai_media_v1_VoiceVARequest, _com_cisco_wcc_ccai_media_v1_VoiceVAResponse, _com_cisco_wcc_ccai_media_v1_VoiceVARequest__Output, _com_cisco_wcc_ccai_media_v1_VoiceVAResponse__Output>
}
