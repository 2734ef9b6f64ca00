import type { CallItem, CallStore, CreatedOutcome } from './call-store';
import { errorAttributes, isRecorderError } from './errors';
import type { RecorderLogger } from './logger';
import type { CreatedPipelineRef, PipelineCreator } from './pipeline-client';

/**
 * What becomes of a pipeline created under a claim that was taken over meanwhile, with
 * `CLIENT_REQUEST_TOKEN=none` (no token makes two creates the same pipeline):
 * - `delete`: the call item records another pipeline, or another invocation holds the claim and
 *   creates a pipeline of its own: this one is a duplicate;
 * - `claim`: the claim was released (the taker's create failed and the sweep would try again):
 *   this pipeline is claimed again and recorded, so no second one is made;
 * - `keep`: the item records no other pipeline and cannot be claimed (marked `FAILED` after the
 *   taker's create failed, or gone): this pipeline may be the call's only recording.
 */
export type TakenOverVerdict = 'delete' | 'claim' | 'keep';

/** `claim` verdicts tried in a row before the pipeline is kept as it is. */
const RECLAIM_ATTEMPTS = 3;

/**
 * The verdict for `created` from the call item as it is now. `claimId` is the claim the pipeline
 * was created (or last tried to be recorded) under.
 */
export function takenOverVerdict(
  call: CallItem | undefined,
  claimId: string,
  created: CreatedPipelineRef,
): TakenOverVerdict {
  if (call === undefined) return 'keep';
  if (call.pipelineArn !== undefined && call.pipelineArn !== created.pipelineArn) return 'delete';
  if (call.state === 'CREATING' && call.claimId !== claimId) return 'delete';
  return call.state === undefined ? 'claim' : 'keep';
}

/** Dependencies of {@link settleTakenOver}. */
export interface TakenOverDeps {
  store: CallStore;
  pipelines: PipelineCreator;
  log: RecorderLogger;
  now: () => number;
  newId: () => string;
  claimLeaseMs: number;
}

/** One pipeline whose claim was taken over while it was being created. */
export interface TakenOverPipeline {
  transactionId: string;
  claimId: string;
  created: CreatedPipelineRef;
  /** The call item as the failed `CREATED` write last read it. */
  current: CallItem | undefined;
  /** Marks the call `CREATED` with this pipeline under `claimId` ({@link CallStore.markCreated}). */
  record(claimId: string, call: CallItem): Promise<CreatedOutcome>;
  signal: AbortSignal | undefined;
}

/**
 * Deletes, records or keeps a pipeline created under a claim that was taken over meanwhile
 * (`CLIENT_REQUEST_TOKEN=none`), as {@link takenOverVerdict} says.
 * @returns the `CREATED` write when the pipeline was recorded under a new claim; `undefined`
 *   when it was deleted or kept unrecorded.
 */
export async function settleTakenOver(
  d: TakenOverDeps,
  p: TakenOverPipeline,
): Promise<CreatedOutcome | undefined> {
  let { current, claimId } = p;
  for (let attempt = 1; attempt <= RECLAIM_ATTEMPTS; attempt++) {
    const verdict = takenOverVerdict(current, claimId, p.created);
    if (verdict === 'delete') {
      await stopDuplicate(d, p.created, p.signal);
      return undefined;
    }
    if (verdict === 'keep') break;
    claimId = d.newId();
    const claimed = await d.store.claim(p.transactionId, claimId, d.now(), d.claimLeaseMs);
    if (claimed === undefined) {
      current = (await d.store.load(p.transactionId)).call;
      continue;
    }
    const marked = await p.record(claimId, claimed);
    if (marked.ours) {
      d.log.warn('recorded the pipeline under a new claim: the claim taken over was released', {
        pipelineId: p.created.pipelineId,
      });
      return marked;
    }
    current = marked.current;
  }
  d.log.error(
    'kept the pipeline of this call: no other pipeline is recorded, it may be the only one',
    {
      pipelineId: p.created.pipelineId,
      pipelineArn: p.created.pipelineArn,
      callState: current?.state ?? 'none',
    },
  );
  return undefined;
}

/** Deletes a duplicate pipeline. A failure is logged, never thrown: the call's state is not ours. */
async function stopDuplicate(
  d: TakenOverDeps,
  created: CreatedPipelineRef,
  signal: AbortSignal | undefined,
): Promise<void> {
  const attrs = { pipelineId: created.pipelineId, pipelineArn: created.pipelineArn };
  if (d.pipelines.delete === undefined || created.pipelineId === undefined) {
    d.log.error('duplicate pipeline of this call left running (it cannot be deleted)', attrs);
    return;
  }
  try {
    await d.pipelines.delete(created.pipelineId, { abortSignal: signal });
  } catch (err) {
    if (!isRecorderError(err)) throw err;
    d.log.error('could not delete the duplicate pipeline of this call', {
      ...attrs,
      ...errorAttributes(err),
    });
    return;
  }
  d.log.warn('deleted the duplicate pipeline of this call (CLIENT_REQUEST_TOKEN=none)', attrs);
}
