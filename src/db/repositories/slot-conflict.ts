/** The partial unique index that gives each slot to one queued publication (migration PublishingCalendar). */
const SLOT_INDEX = 'uq_publications_slot';

/**
 * Whether a failed write broke the slot index: PostgreSQL names the constraint (23505); SQLite
 * names the columns of the unique index (the only unique one on publications with scheduled_for).
 */
export function isSlotConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const driverError = (error as { driverError?: { code?: unknown; constraint?: unknown; message?: unknown } } | null)?.driverError ?? (error as object);
  const code = (driverError as { code?: unknown }).code;
  const message = String((driverError as { message?: unknown }).message ?? (error as Error)?.message ?? '');
  if (code === '23505') return (driverError as { constraint?: unknown }).constraint === SLOT_INDEX || message.includes(SLOT_INDEX);
  return String(code).startsWith('SQLITE_CONSTRAINT') && message.includes('publications.scheduled_for');
}
