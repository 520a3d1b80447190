import { GenerationError } from '../domain/generation.js';
import type { Logger } from '../logging/index.js';
import type { DraftGenerator } from './ports.js';

/**
 * Generations in a row that must fail with an authentication error (401/403) before /healthz
 * reports Claude as degraded. One 401 can be a blip on Anthropic's side; three in a row, with no
 * success in between, is a revoked or wrong key.
 */
export const AUTH_FAILURES_BEFORE_DEGRADED = 3;

/** What /healthz shows for Claude. */
export interface GenerationHealthReport {
  /** Always true: a bot without Claude can still moderate and publish approved drafts. */
  readonly ok: true;
  readonly degraded: boolean;
  readonly detail?: string;
}

/**
 * Tracks whether Claude can be used: the start-up check of the key and model, and the outcome of
 * every generation call since. Not a liveness signal: a dead key leaves the bot able to moderate
 * and publish, so it makes the bot "degraded", never down.
 */
export class GenerationHealth {
  private consecutiveAuthFailures = 0;
  private lastAuthFailure: string | null = null;
  private startupProblem: string | null = null;

  constructor(private readonly deps: { readonly logger: Logger; readonly model: string }) {}

  /** The generator, reporting the outcome of every call here. */
  observe(generator: DraftGenerator): DraftGenerator {
    return {
      generate: async (request) => {
        try {
          const generated = await generator.generate(request);
          this.recordCallWorked();
          return generated;
        } catch (error) {
          this.recordCallFailed(error);
          throw error;
        }
      },
    };
  }

  /**
   * Runs the zero-cost start-up check (the adapter asks the Models API for the configured model)
   * and records what it proved. Never throws: a bad key is logged and reported, the bot runs on.
   */
  async checkAtStart(check: () => Promise<void>): Promise<void> {
    const { logger, model } = this.deps;
    try {
      await check();
      this.startupProblem = null;
      logger.info('Claude API key and model checked', { model });
    } catch (error) {
      const generationError = error instanceof GenerationError ? error : null;
      if (generationError?.kind === 'auth') {
        this.startupProblem = `the start-up check rejected ANTHROPIC_API_KEY: ${generationError.message}; drafts cannot be generated until the key is fixed`;
      } else if (generationError?.status === 404) {
        this.startupProblem = `ANTHROPIC_MODEL "${model}" was not found by the Models API: ${generationError.message}; drafts cannot be generated until the model is fixed`;
      }
      if (this.startupProblem) {
        logger.error(`Claude is unusable: ${this.startupProblem}`, { model, status: generationError?.status, requestId: generationError?.requestId });
      } else {
        // Unreachable or overloaded proves nothing about the key: the first generation will tell.
        logger.warn('could not check ANTHROPIC_API_KEY at start', { model, error: (error as Error).message });
      }
    }
  }

  /** For the /healthz probe. */
  report(): GenerationHealthReport {
    if (this.consecutiveAuthFailures >= AUTH_FAILURES_BEFORE_DEGRADED) {
      return {
        ok: true,
        degraded: true,
        detail: `${this.consecutiveAuthFailures} generations in a row failed authentication (${this.lastAuthFailure ?? 'no detail'}); check ANTHROPIC_API_KEY`,
      };
    }
    if (this.startupProblem) return { ok: true, degraded: true, detail: this.startupProblem };
    return { ok: true, degraded: false };
  }

  /** For /metrics. */
  metrics(): { degraded: boolean; consecutiveAuthFailures: number } {
    return { degraded: this.report().degraded, consecutiveAuthFailures: this.consecutiveAuthFailures };
  }

  private recordCallWorked(): void {
    this.consecutiveAuthFailures = 0;
    this.lastAuthFailure = null;
    this.startupProblem = null;
  }

  private recordCallFailed(error: unknown): void {
    if (!(error instanceof GenerationError)) return;
    if (error.kind === 'auth') {
      this.consecutiveAuthFailures += 1;
      this.lastAuthFailure = error.message;
      return;
    }
    // A refused or malformed answer still came back from the API: the key works.
    if (error.usage) this.recordCallWorked();
    // Anything else (overload, timeout) says nothing about the key: the streak stands.
  }
}
