import type { Actor } from '../domain/draft.js';
import type { Clock, ModerationEventRepository, SettingsRepository } from './ports.js';
import { SETTINGS } from './settings-keys.js';

/** What /topics reset-learning did. */
export interface TopicLearningReset {
  /** From now on topic selection learns only from decisions at or after this. */
  readonly at: number;
  /** The reset it replaced, or null when learning had never been reset. */
  readonly previousAt: number | null;
}

/**
 * /topics reset-learning for one account: topic selection starts over from the moderators'
 * weights and learns only from decisions made from now on. The signals themselves stay (the
 * examples in the prompt, the avoid notes and /stats still use them), so the reset is about the
 * draw only, and it is audited as `topics_reset_learning`.
 */
export async function resetTopicLearning(
  deps: { readonly settings: SettingsRepository; readonly audit: ModerationEventRepository; readonly clock: Clock },
  request: { readonly actor: Actor; readonly interactionId?: string | null | undefined },
): Promise<TopicLearningReset> {
  const now = deps.clock.now();
  const previous = await deps.settings.get(SETTINGS.learningReset);
  await deps.settings.set(SETTINGS.learningReset, { at: now, by: request.actor }, now);
  await deps.audit.record(
    {
      draftId: null,
      revision: null,
      actor: request.actor,
      action: 'topics_reset_learning',
      outcome: 'changed',
      detail: `topic selection learns from decisions at or after ${new Date(now).toISOString()}${previous ? ` (previous reset ${new Date(previous.at).toISOString()})` : ''}`,
      interactionId: request.interactionId ?? null,
    },
    now,
  );
  return { at: now, previousAt: previous?.at ?? null };
}
