// Original file: proto/byova_common.proto


export interface VirtualAgentInfo {
  'virtual_agent_id'?: (string);
  'virtual_agent_name'?: (string);
  'is_default'?: (boolean);
  'attributes'?: ({[key: string]: string});
}

export interface VirtualAgentInfo__Output {
  'virtual_agent_id': (string);
  'virtual_agent_name': (string);
  'is_default': (boolean);
  'attributes': ({[key: string]: string});
}
