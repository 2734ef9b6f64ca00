import { ManualClock } from '../src';
import { STEREO, openParameters, serverWithRawClient, settle } from './helpers';

describe('ServerSession', () => {
  it('answers open with opened echoing the first offered media, then ping and close', async () => {
    const clock = new ManualClock(0);
    const { session, client, serverSide } = serverWithRawClient({ clock });
    client.send('open', openParameters());
    await settle();
    expect(client.last()).toMatchObject({
      type: 'opened',
      seq: 1,
      clientseq: 1,
      parameters: { media: [STEREO], startPaused: false },
    });
    expect(session.state).toBe('ACTIVE');
    client.sendAudio(3200);
    client.send('ping', {});
    await settle();
    expect(client.last()).toMatchObject({ type: 'pong', clientseq: 2 });
    client.send('close', { reason: 'end' });
    await settle();
    expect(client.last()).toMatchObject({ type: 'closed', clientseq: 3 });
    expect(session.position).toBe(200_000_000);
    serverSide.close();
    await settle();
    expect(session.state).toBe('DISCONNECTED');
  });
});
