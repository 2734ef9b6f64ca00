// `@org/cresta-handoff/testing`: the local fake of the Cresta API and OAuth server, for tests,
// local harnesses and benchmarks. Never part of a deployed bundle.

export {
  startFakeCrestaApi,
  type FakeCrestaApi,
  type FakeCrestaApiOptions,
  type FakeResponse,
  type FakeRoute,
  type RecordedRequest,
} from './lib/fake-cresta-api';
