import type { DataSource, Repository } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import type { ModerationEvent, ModerationEventRepository } from '../../services/ports.js';
import { ModerationEventEntity } from '../entities/moderation-event.entity.js';

export class TypeOrmModerationEventRepository implements ModerationEventRepository {
  private readonly events: Repository<ModerationEventEntity>;

  constructor(
    dataSource: DataSource,
    private readonly accountId: AccountId,
  ) {
    this.events = dataSource.getRepository(ModerationEventEntity);
  }

  async record(event: ModerationEvent, now: number): Promise<void> {
    await this.events.insert({
      accountId: this.accountId,
      draftId: event.draftId,
      revision: event.revision,
      actorId: event.actor.id,
      actorName: event.actor.name,
      action: event.action,
      outcome: event.outcome,
      detail: event.detail ?? null,
      interactionId: event.interactionId ?? null,
      createdAt: now,
    });
  }

  async listForDraft(draftId: number): Promise<Array<ModerationEvent & { createdAt: number }>> {
    const rows = await this.events.find({ where: { draftId, accountId: this.accountId }, order: { id: 'ASC' } });
    return rows.map((r) => ({
      draftId: r.draftId,
      revision: r.revision,
      actor: { id: r.actorId, name: r.actorName },
      action: r.action,
      outcome: r.outcome,
      detail: r.detail,
      interactionId: r.interactionId,
      createdAt: r.createdAt,
    }));
  }
}
