import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The instance lease (issue 12 §1): one row, id 1, naming the one active instance and its term.
 * Every takeover raises `epoch`; fenced writes check the row still names their (owner, epoch).
 * Created by migration InstanceLease with epoch 0 and no owner. Times are wall-clock epoch ms.
 */
@Entity({ name: 'instance_lease' })
export class InstanceLeaseEntity {
  /** Always 1: there is one lease per database. */
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  /** The holder's instance id (`host:pid:nonce`); NULL when free (never held, or released). */
  @Column({ type: 'text', nullable: true })
  owner!: string | null;

  /** The holder's host name and pid: a restarted process recognises its dead predecessor by them. */
  @Column({ name: 'owner_host', type: 'text', nullable: true })
  ownerHost!: string | null;

  @Column({ name: 'owner_pid', type: 'integer', nullable: true })
  ownerPid!: number | null;

  @Column({ type: 'integer', default: 0 })
  epoch!: number;

  @Column({ name: 'renewed_at', type: 'integer', nullable: true })
  renewedAt!: number | null;

  @Column({ name: 'expires_at', type: 'integer', nullable: true })
  expiresAt!: number | null;

  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;
}
