import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Key/value state that must survive a restart (pause, X limits, scheduler outcome). */
@Entity({ name: 'settings' })
export class SettingEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'text', unique: true })
  key!: string;

  /** JSON text. */
  @Column({ type: 'text' })
  value!: string;

  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;
}
