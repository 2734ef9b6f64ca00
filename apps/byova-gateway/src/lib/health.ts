// The standard gRPC health service (grpc.health.v1): Check, List and Watch. SERVING while at least
// one virtual agent is routable, every configured connector has started and the gateway is not
// shutting down; NOT_FOUND for unknown service names, as the health specification requires. At
// most `maxWatchers` Watch calls are kept open at once: more are refused with RESOURCE_EXHAUSTED.

import {
  status,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type {
  HealthCheckRequest__Output,
  HealthCheckResponse,
  HealthHandlers,
  HealthListResponse,
} from '@org/byova';
import { VOICE_VIRTUAL_AGENT_SERVICE } from '@org/byova';
import { DEFAULT_MAX_HEALTH_WATCHERS, limitError, type RefuseCall } from './call-limits';

type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** The bound of {@link HealthService}'s Watch calls. */
export interface HealthWatchLimit {
  /** Watch calls kept open at once (`gateway.max_health_watchers`). @default 100 */
  readonly maxWatchers?: number;
  /** Records a refusal (metric, log) and gives its error. @default no record */
  readonly refuse?: RefuseCall;
}

/** Service names the gateway answers for ('' = the whole server). */
export const HEALTH_SERVICE_NAMES = [
  '',
  'byova.gateway',
  'byova.VoiceVirtualAgentService',
  VOICE_VIRTUAL_AGENT_SERVICE,
] as const;

export class HealthService {
  readonly #agentCount: () => number;
  readonly #pendingConnectors: () => number;
  readonly #maxWatchers: number;
  readonly #refuse: RefuseCall;
  #shuttingDown = false;
  readonly #watchers = new Set<{
    service: string;
    call: ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>;
    last: ServingStatus | 'SERVICE_UNKNOWN';
  }>();

  /**
   * @param agentCount routable virtual agents
   * @param pendingConnectors configured connectors that have not started yet (being retried)
   * @param watchLimit how many Watch calls are kept open at once, and how a refusal is recorded
   */
  constructor(
    agentCount: () => number,
    pendingConnectors: () => number = () => 0,
    watchLimit: HealthWatchLimit = {},
  ) {
    this.#agentCount = agentCount;
    this.#pendingConnectors = pendingConnectors;
    this.#maxWatchers = watchLimit.maxWatchers ?? DEFAULT_MAX_HEALTH_WATCHERS;
    this.#refuse = watchLimit.refuse ?? limitError;
  }

  status(): ServingStatus {
    return !this.#shuttingDown && this.#agentCount() > 0 && this.#pendingConnectors() === 0
      ? 'SERVING'
      : 'NOT_SERVING';
  }

  /** Open Watch calls. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Statuses by service name. */
  statuses(): Record<string, ServingStatus> {
    return Object.fromEntries(HEALTH_SERVICE_NAMES.map((name) => [name, this.status()]));
  }

  /** Marks every service NOT_SERVING and tells the watchers. */
  shutdown(): void {
    this.#shuttingDown = true;
    this.notify();
    for (const watcher of this.#watchers) watcher.call.end();
    this.#watchers.clear();
  }

  /** Pushes the current status to watchers whose status changed. */
  notify(): void {
    for (const watcher of this.#watchers) {
      const next = (HEALTH_SERVICE_NAMES as readonly string[]).includes(watcher.service)
        ? this.status()
        : 'SERVICE_UNKNOWN';
      if (next !== watcher.last) {
        watcher.last = next;
        watcher.call.write({ status: next });
      }
    }
  }

  handlers(): HealthHandlers {
    // The name is the client's: at most MAX_SHOWN_SERVICE characters go back in the status (a
    // megabyte-long name made a grpc-message trailer too large to send: the call never ended).
    return {
      Check: (
        call: ServerUnaryCall<HealthCheckRequest__Output, HealthCheckResponse>,
        callback: sendUnaryData<HealthCheckResponse>,
      ) => {
        if (!(HEALTH_SERVICE_NAMES as readonly string[]).includes(call.request.service)) {
          callback({
            code: status.NOT_FOUND,
            details: `unknown service: ${shown(call.request.service)}`,
          });
          return;
        }
        callback(null, { status: this.status() });
      },
      List: (_call, callback: sendUnaryData<HealthListResponse>) => {
        callback(null, {
          statuses: Object.fromEntries(
            HEALTH_SERVICE_NAMES.map((name) => [name, { status: this.status() }]),
          ),
        });
      },
      Watch: (call: ServerWritableStream<HealthCheckRequest__Output, HealthCheckResponse>) => {
        // Cancelled before it got here (during JWT validation): grpc-js does not emit `cancelled`
        // again, so a watcher kept now would never be removed.
        if (call.cancelled) return;
        // A client could otherwise hold any number of calls (and their memory) open.
        if (!this.#shuttingDown && this.#watchers.size >= this.#maxWatchers) {
          const error = this.#refuse('health_watchers', this.#maxWatchers);
          call.emit('error', { code: error.grpcStatus, details: error.message });
          return;
        }
        const known = (HEALTH_SERVICE_NAMES as readonly string[]).includes(call.request.service);
        const first: ServingStatus | 'SERVICE_UNKNOWN' = known ? this.status() : 'SERVICE_UNKNOWN';
        const watcher = { service: call.request.service, call, last: first };
        call.write({ status: first });
        if (this.#shuttingDown) {
          call.end();
          return;
        }
        this.#watchers.add(watcher);
        call.on('cancelled', () => this.#watchers.delete(watcher));
      },
    };
  }
}

/** Characters of an unknown service name repeated in a NOT_FOUND status. */
const MAX_SHOWN_SERVICE = 200;

function shown(service: string): string {
  return service.length <= MAX_SHOWN_SERVICE
    ? service
    : `${service.slice(0, MAX_SHOWN_SERVICE)}… (${service.length} characters)`;
}
