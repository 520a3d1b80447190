import { fileURLToPath } from 'node:url';
import { encodeDraftCustomId } from '../../src/domain/custom-id.js';
import type { FakeMessage, InjectedInteraction } from './fake-discord.js';
import { spawnBuiltApp, type SpawnedApp } from './spawn-app.js';
import type { Fakes } from './test-app.js';

/** The compiled app, run as the container runs it (`npm test` builds first). */
export const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What the app logs when it has become active with everything running, and when it stands by. */
export const ACTIVE_LOG = 'active: holding the instance lease';
const STANDBY_PREFIX = 'standby:';

/** One instance of the built app: its process and its health port. */
export interface InstanceProcess {
  readonly proc: SpawnedApp;
  readonly healthPort: number;
  /** The role it settled in at start. */
  readonly startedAs: 'active' | 'standby';
  /** Wall-clock ms when it was spawned. */
  readonly launchedAt: number;
  /**
   * Wall-clock ms of its latest "ready" log line (connected to Discord, before it reconciles what
   * a crash left behind): where the "within 15 s of the new instance being ready" starts.
   */
  readyAt(): number;
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Starts the built app and waits until it is active (and ready) or standing by. */
export async function launchInstance(env: Record<string, string>): Promise<InstanceProcess> {
  const launchedAt = Date.now();
  const proc = spawnBuiltApp({ appDir: APP_ROOT, env });
  const listening = await proc.waitForLog((line) => line['message'] === 'health endpoint listening');
  const healthPort = Number(listening['port']);
  const settled = await proc.waitForLog((line) => line['message'] === ACTIVE_LOG || String(line['message']).startsWith(STANDBY_PREFIX));
  return {
    proc,
    healthPort,
    startedAs: settled['message'] === ACTIVE_LOG ? 'active' : 'standby',
    launchedAt,
    readyAt() {
      const ready = proc.logs.filter((line) => line['message'] === 'ready').at(-1);
      if (!ready) throw new Error('the instance has not logged "ready"');
      return Date.parse(String(ready['timestamp']));
    },
    async health() {
      const response = await fetch(`http://127.0.0.1:${healthPort}/healthz`, { signal: AbortSignal.timeout(2_000) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
  };
}

/** Resolves with performance.now() once the instance logs that it is active and ready. */
export async function becameActive(instance: InstanceProcess, timeoutMs: number): Promise<number> {
  await instance.proc.waitForLog((line) => line['message'] === ACTIVE_LOG, timeoutMs);
  return performance.now();
}

/** A draft's moderation card: its message and the draft id its buttons carry. */
export interface Card {
  readonly message: FakeMessage;
  readonly draftId: number;
}

/**
 * /draft as a moderator types it; resolves once the bot answered with the draft (so its card is
 * posted and recorded: a click before that would be refused as not the draft's card).
 */
export async function draftThroughCommand(fakes: Fakes, text: string): Promise<Card> {
  fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text } });
  // A single-tweet topic: a random one may ask for a thread, which the queued tweet would not be.
  const command = fakes.discord.injectSlashCommand({ name: 'draft', options: { topic: 'education' }, userId: fakes.discord.userIds.moderator });
  const deadline = performance.now() + 20_000;
  for (;;) {
    const answer = fakes.discord.originalResponse(command.id);
    const title = String((answer?.embeds[0] as { title?: string } | undefined)?.title ?? '');
    const id = /Draft #(\d+) ready for moderation/.exec(title)?.[1];
    if (id !== undefined) {
      const draftId = Number(id);
      const message = [...fakes.discord.messages.values()].find((m) =>
        approveIdsOn(m).includes(encodeDraftCustomId({ action: 'approve', draftId, revision: 1 })),
      );
      if (!message) throw new Error(`no card for draft #${draftId}`);
      return { message, draftId };
    }
    if (performance.now() > deadline) throw new Error(`/draft was not answered with a draft: ${JSON.stringify(answer ?? null)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Cards: messages that carried an Approve button at some point (a published card has none left). */
export function cardsIn(fakes: Fakes): FakeMessage[] {
  return [...fakes.discord.messages.values()].filter((m) =>
    fakes.discord.messagePayloads(m.id).some((payload) => JSON.stringify(payload).includes(':approve:')),
  );
}

function approveIdsOn(message: FakeMessage): string[] {
  const rows = (message.components ?? []) as Array<{ components?: Array<{ custom_id?: string }> }>;
  return rows.flatMap((row) => (row.components ?? []).map((c) => c.custom_id ?? '')).filter((id) => id.includes(':approve:'));
}

/** Clicks Approve on a card as a moderator. */
export function approve(fakes: Fakes, card: Card): InjectedInteraction {
  return fakes.discord.injectButtonClick({
    messageId: card.message.id,
    customId: encodeDraftCustomId({ action: 'approve', draftId: card.draftId, revision: 1 }),
    userId: fakes.discord.userIds.moderator,
  });
}

/** The card's Status field as Discord stores it now. */
export function cardStatus(fakes: Fakes, card: Card): string {
  const message = fakes.discord.messages.get(card.message.id);
  const embed = message?.embeds[0] as { fields?: Array<{ name: string; value: string }> } | undefined;
  return embed?.fields?.find((f) => f.name === 'Status')?.value ?? '';
}

/** Sends a signal without waiting for an exit (SIGSTOP, SIGCONT). */
export function signalOnly(instance: InstanceProcess, signal: NodeJS.Signals): void {
  instance.proc.child.kill(signal);
}
