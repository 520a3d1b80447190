import type { DataSource, Repository } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import type { GenerationRun, GenerationRunRepository, TokenTotals } from '../../services/ports.js';
import { GenerationRunEntity } from '../entities/generation-run.entity.js';
import { queryRows, toNumber } from '../sql.js';
import { rollupGenerationRun } from '../stats-rollups.js';

export class TypeOrmGenerationRunRepository implements GenerationRunRepository {
  private readonly runs: Repository<GenerationRunEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly accountId: AccountId,
    /** The account's TIMEZONE: the /stats rollups count its local days. */
    private readonly timeZone: string = 'UTC',
  ) {
    this.runs = dataSource.getRepository(GenerationRunEntity);
  }

  async record(run: GenerationRun): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(GenerationRunEntity, {
        accountId: this.accountId,
        trigger: run.trigger,
        outcome: run.outcome,
        reason: run.reason,
        draftId: run.draftId,
        topicName: run.topicName,
        attempts: run.attempts,
        inputTokens: run.usage.inputTokens,
        outputTokens: run.usage.outputTokens,
        cacheReadTokens: run.usage.cacheReadTokens,
        cacheCreationTokens: run.usage.cacheCreationTokens,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      });
      await rollupGenerationRun(manager, this.accountId, this.timeZone, { startedAt: run.startedAt, topicName: run.topicName, ...run.usage });
    });
  }

  async tokenTotals(): Promise<TokenTotals> {
    const [row] = await queryRows<Record<keyof TokenTotals, unknown>>(
      this.runs.manager,
      `SELECT COALESCE(SUM(input_tokens), 0) AS input, COALESCE(SUM(output_tokens), 0) AS output,
              COALESCE(SUM(cache_read_tokens), 0) AS "cacheRead", COALESCE(SUM(cache_creation_tokens), 0) AS "cacheCreation"
         FROM generation_runs WHERE account_id = :accountId`,
      { accountId: this.accountId },
    );
    return {
      input: toNumber(row?.input),
      output: toNumber(row?.output),
      cacheRead: toNumber(row?.cacheRead),
      cacheCreation: toNumber(row?.cacheCreation),
    };
  }
}
