// Original file: proto/byova_common.proto


export interface ListVARequest {
  'customer_org_id'?: (string);
  'is_default_virtual_agent_enabled'?: (boolean);
}

export interface ListVARequest__Output {
  'customer_org_id': (string);
  'is_default_virtual_agent_enabled': (boolean);
}
