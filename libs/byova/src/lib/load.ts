// Loads the BYOVA and gRPC health contracts from the JSON descriptor generated from proto/, so
// nothing reads .proto files at run time (bundled apps carry the descriptor inside their code).

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import descriptor from '../generated/byova-descriptor.json';
import type { ProtoGrpcType as HealthProtoGrpcType } from '../generated/health';
import type { ProtoGrpcType as VoiceVirtualAgentProtoGrpcType } from '../generated/voicevirtualagent';
import { MAX_REQUEST_NON_AUDIO_BYTES, limitRequestSize } from './request-size';

/**
 * The proto-loader options every BYOVA program in this workspace uses: snake_case field names as
 * in the contract, int64 as decimal strings, enums as value names, defaults filled in, and the
 * `voice_va_input_type` virtual field naming the oneof member that is set. The generated types
 * match exactly these options.
 */
export const BYOVA_LOADER_OPTIONS = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
}) satisfies protoLoader.Options;

/** Fully qualified protobuf package of the BYOVA contract. */
export const BYOVA_PACKAGE = 'com.cisco.wcc.ccai.media.v1';
/** Fully qualified name of the BYOVA service. */
export const VOICE_VIRTUAL_AGENT_SERVICE = `${BYOVA_PACKAGE}.VoiceVirtualAgent`;
/** gRPC method path of ProcessCallerInput (bidirectional streaming). */
export const PROCESS_CALLER_INPUT_PATH = `/${VOICE_VIRTUAL_AGENT_SERVICE}/ProcessCallerInput`;
/** gRPC method path of ListVirtualAgents (unary). */
export const LIST_VIRTUAL_AGENTS_PATH = `/${VOICE_VIRTUAL_AGENT_SERVICE}/ListVirtualAgents`;
/** Fully qualified name of the standard gRPC health service. */
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** The loaded gRPC object: the BYOVA package and the health package, with their types. */
export type ByovaGrpcObject = VoiceVirtualAgentProtoGrpcType & HealthProtoGrpcType;

/** What a server built from the loaded contract accepts (clients are unaffected). */
export interface ByovaLoadOptions {
  /**
   * Bytes a ProcessCallerInput request may carry besides caller audio (see request-size.ts);
   * a larger one is not decoded. @default MAX_REQUEST_NON_AUDIO_BYTES (64 KiB)
   */
  readonly maxRequestNonAudioBytes?: number;
}

let parsedDescriptor: protoLoader.PackageDefinition | undefined;
/** Per request size limit: the descriptor is parsed once, each limit wraps it once. */
const cachedDefinitions = new Map<number, protoLoader.PackageDefinition>();

/**
 * The package definition of the BYOVA and health services (cached: the descriptor is parsed once
 * per process). A server decodes a ProcessCallerInput request only when what it carries besides
 * caller audio is within `options.maxRequestNonAudioBytes`.
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_ARGUMENT` when that limit is not a positive integer.
 * @example
 * ```ts
 * const definition = loadByovaPackageDefinition();
 * const method = definition['com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent'];
 * const server = loadByovaPackageDefinition({ maxRequestNonAudioBytes: 16 * 1024 });
 * ```
 */
export function loadByovaPackageDefinition(
  options: ByovaLoadOptions = {},
): protoLoader.PackageDefinition {
  const limit = options.maxRequestNonAudioBytes ?? MAX_REQUEST_NON_AUDIO_BYTES;
  const cached = cachedDefinitions.get(limit);
  if (cached !== undefined) return cached;
  parsedDescriptor ??= protoLoader.fromJSON(
    descriptor as Parameters<typeof protoLoader.fromJSON>[0],
    BYOVA_LOADER_OPTIONS,
  );
  const definition = withRequestSizeLimit(parsedDescriptor, limit);
  cachedDefinitions.set(limit, definition);
  return definition;
}

/** Wraps ProcessCallerInput's request deserializer in the size limit (see request-size.ts). */
function withRequestSizeLimit(
  definition: protoLoader.PackageDefinition,
  maxNonAudioBytes: number,
): protoLoader.PackageDefinition {
  const service = definition[VOICE_VIRTUAL_AGENT_SERVICE] as protoLoader.ServiceDefinition;
  const method = service['ProcessCallerInput'] as protoLoader.MethodDefinition<object, object>;
  return {
    ...definition,
    [VOICE_VIRTUAL_AGENT_SERVICE]: {
      ...service,
      ProcessCallerInput: {
        ...method,
        requestDeserialize: limitRequestSize(method.requestDeserialize, maxNonAudioBytes),
      },
    },
  };
}

/**
 * The typed gRPC object: service constructors for clients and service definitions for servers.
 *
 * @example
 * ```ts
 * const { com, grpc: health } = loadByovaGrpcObject();
 * const VoiceVirtualAgent = com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent;
 * server.addService(VoiceVirtualAgent.service, handlers);
 * const client = new VoiceVirtualAgent('127.0.0.1:50051', credentials.createInsecure());
 * ```
 * `options` set what a server accepts (see {@link loadByovaPackageDefinition}).
 */
export function loadByovaGrpcObject(options: ByovaLoadOptions = {}): ByovaGrpcObject {
  return grpc.loadPackageDefinition(
    loadByovaPackageDefinition(options),
  ) as unknown as ByovaGrpcObject;
}
