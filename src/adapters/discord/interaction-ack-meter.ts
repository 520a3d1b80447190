import { performance } from 'node:perf_hooks';
import { Events, RESTEvents, type Client, type Interaction } from 'discord.js';

/** Interactions older than this without an acknowledgement are forgotten (Discord gives 3 s). */
const FORGET_AFTER_MS = 60_000;
const CALLBACK_PATH = /^\/interactions\/(\d+)\/[^/]+\/callback/;

/**
 * Measures, for every interaction, the time from its arrival on the gateway to the HTTP
 * response of its acknowledgement (the interaction callback), without touching any handler:
 * it listens to the client's interactionCreate (registered first, so it sees arrivals before
 * the routers) and to the REST client's responses. Returns a function that stops measuring.
 */
export function meterInteractionAcks(client: Client, record: (kind: string, seconds: number) => void): () => void {
  const arrivals = new Map<string, { at: number; kind: string }>();
  const onInteraction = (interaction: Interaction) => {
    const now = performance.now();
    arrivals.set(interaction.id, { at: now, kind: kindOf(interaction) });
    // Bounded memory: forget arrivals that were never acknowledged through us.
    for (const [id, arrival] of arrivals) {
      if (now - arrival.at < FORGET_AFTER_MS) break;
      arrivals.delete(id);
    }
  };
  const onResponse = (request: { path: string }) => {
    const id = CALLBACK_PATH.exec(request.path)?.[1];
    const arrival = id === undefined ? undefined : arrivals.get(id);
    if (!id || !arrival) return;
    arrivals.delete(id);
    record(arrival.kind, (performance.now() - arrival.at) / 1000);
  };
  client.prependListener(Events.InteractionCreate, onInteraction);
  client.rest.on(RESTEvents.Response, onResponse);
  return () => {
    client.off(Events.InteractionCreate, onInteraction);
    client.rest.off(RESTEvents.Response, onResponse);
  };
}

function kindOf(interaction: Interaction): string {
  if (interaction.isChatInputCommand()) return 'command';
  if (interaction.isAutocomplete()) return 'autocomplete';
  if (interaction.isButton()) return 'button';
  if (interaction.isModalSubmit()) return 'modal';
  return 'other';
}
