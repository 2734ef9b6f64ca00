// `@org/audiohook-protocol/testing`: test doubles. Two connected in-memory transports and a clock
// driven by hand, so sessions can be tested without sockets or real time.
// Every export is listed by name.

export { InMemoryTransport, createTransportPair } from './lib/testing/in-memory-transport';
export { ManualClock, flushMicrotasks } from './lib/testing/manual-clock';
