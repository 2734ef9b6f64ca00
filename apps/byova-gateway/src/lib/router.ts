// Virtual agent id -> connector. Exactly one agent is reported as the default (the first that
// asks to be, else the first); an empty virtual_agent_id selects it. The connector list changes
// when a connector that failed to start starts on a retry.

import type { AgentDescriptor, Connector } from '@org/byova';

export interface RoutedAgent {
  readonly agent: AgentDescriptor;
  readonly connector: Connector;
}

export class AgentRouter {
  #connectors: readonly Connector[];
  #routes = new Map<string, RoutedAgent>();
  #agents: AgentDescriptor[] = [];

  constructor(connectors: readonly Connector[]) {
    this.#connectors = connectors;
    this.refresh();
  }

  /** Routes to these connectors from now on (in this order). */
  setConnectors(connectors: readonly Connector[]): void {
    this.#connectors = [...connectors];
    this.refresh();
  }

  /** Rebuilds the table from the connectors' current agent lists. */
  refresh(): void {
    const routes = new Map<string, RoutedAgent>();
    for (const connector of this.#connectors) {
      for (const agent of connector.agents()) {
        if (!routes.has(agent.id)) routes.set(agent.id, { agent, connector });
      }
    }
    const all = [...routes.values()];
    const defaultId = (all.find((r) => r.agent.isDefault) ?? all[0])?.agent.id;
    this.#agents = all.map(({ agent }) => ({ ...agent, isDefault: agent.id === defaultId }));
    this.#routes = new Map(
      all.map((route) => [
        route.agent.id,
        { ...route, agent: { ...route.agent, isDefault: route.agent.id === defaultId } },
      ]),
    );
  }

  agents(): readonly AgentDescriptor[] {
    return this.#agents;
  }

  connectors(): readonly Connector[] {
    return this.#connectors;
  }

  /** The agent for an id; '' selects the default. */
  resolve(agentId: string): RoutedAgent | undefined {
    if (agentId === '') {
      const fallback = this.#agents.find((a) => a.isDefault);
      return fallback !== undefined ? this.#routes.get(fallback.id) : undefined;
    }
    return this.#routes.get(agentId);
  }
}
