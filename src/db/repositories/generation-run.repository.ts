import type { DataSource, Repository } from 'typeorm';
import type { GenerationRun, GenerationRunRepository } from '../../services/ports.js';
import { GenerationRunEntity } from '../entities/generation-run.entity.js';

export class TypeOrmGenerationRunRepository implements GenerationRunRepository {
  private readonly runs: Repository<GenerationRunEntity>;

  constructor(dataSource: DataSource) {
    this.runs = dataSource.getRepository(GenerationRunEntity);
  }

  async record(run: GenerationRun): Promise<void> {
    await this.runs.insert({
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
  }
}
