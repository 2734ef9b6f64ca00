// The fake Cresta API and a transport for one spec file: started before its tests, reset before
// each, closed after them.

import { NodeHttpTransport } from '../../src';
import { type FakeCrestaApi, startFakeCrestaApi } from '../../src/testing';

/** Registers the hooks; `use` receives the fake and the transport once they are started. */
export function useFakeApi(use: (fake: FakeCrestaApi, transport: NodeHttpTransport) => void): void {
  let fake: FakeCrestaApi | undefined;
  let transport: NodeHttpTransport | undefined;
  beforeAll(async () => {
    fake = await startFakeCrestaApi();
    transport = new NodeHttpTransport();
    use(fake, transport);
  });
  afterAll(async () => {
    transport?.close();
    await fake?.close();
  });
  beforeEach(() => fake?.reset());
}
