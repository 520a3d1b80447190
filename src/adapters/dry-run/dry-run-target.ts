import type { AccountId } from '../../domain/account.js';
import { dryRunTweetId } from '../../domain/draft.js';
import type { PublishFailure, PublishHooks, PublishTarget, PublishTargetIdentity, TargetPublication, TargetWindow } from '../../services/ports.js';

/**
 * The dry-run target: walks the same steps as a real one and posts nothing. Its ids come from
 * `dryRunTweetId` (`dryrun-<draft>-<n>`), never numeric, so they can never be mistaken for real
 * tweets; nothing is spent, no network limit applies, and there is no timeline to find anything on.
 * It holds no credentials, so it cannot post as anyone.
 */
export class DryRunTarget implements PublishTarget {
  readonly identity: PublishTargetIdentity;

  constructor(accountId: AccountId) {
    this.identity = { accountId, network: 'dry-run', dryRun: true };
  }

  /** No remote account: nothing is ever sent. */
  async verify(): Promise<null> {
    return null;
  }

  async publish(publication: TargetPublication, hooks: PublishHooks): Promise<readonly string[]> {
    const ids = [...publication.postedIds];
    while (ids.length < publication.tweets.length) {
      const index = ids.length;
      await hooks.beforePost?.(index);
      const id = dryRunTweetId(publication.draftId, index);
      ids.push(id);
      await hooks.onPosted(id, index);
    }
    return ids;
  }

  async findPosted(): Promise<readonly string[]> {
    return [];
  }

  async rateLimitWindow(_tweetCount: number, now: number): Promise<TargetWindow> {
    return { allowedAt: now, reason: null };
  }

  async rateLimitState(): Promise<Readonly<Record<string, null>>> {
    return {};
  }

  costUsd(): number {
    return 0;
  }

  /** Nothing was sent, so nothing may have been posted; whatever failed is worth a retry. */
  classifyError(error: unknown): PublishFailure {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      errorClass: 'transient',
      message: `Unexpected error while publishing (dry run): ${message}`,
      maybePosted: false,
      resetAt: undefined,
      recognised: false,
    };
  }
}
