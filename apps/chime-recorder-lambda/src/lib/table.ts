/** Attribute names of the call table; the CDK stack and the store both use these. */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  dueIndexPartitionKey: 'dueShard',
  dueIndexSortKey: 'dueAtMs',
} as const;
