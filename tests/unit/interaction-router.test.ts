import type { Interaction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { parseDraftInteraction } from '../../src/adapters/discord/interaction-router.js';

/** Just enough of an interaction for the parser: its kind and its custom_id. */
function stub(kind: 'button' | 'modal' | 'command', customId = ''): Interaction {
  return { customId, isButton: () => kind === 'button', isModalSubmit: () => kind === 'modal' } as unknown as Interaction;
}

describe('interaction router parsing', () => {
  it('GIVEN a card button or a card modal THEN it decodes to a typed action with draft id and revision', () => {
    expect(parseDraftInteraction(stub('button', 'dg1:approve:5:2'))?.id).toEqual({ action: 'approve', draftId: 5, revision: 2 });
    expect(parseDraftInteraction(stub('modal', 'dg1:reject-modal:5:2'))?.id).toEqual({ action: 'reject-modal', draftId: 5, revision: 2 });
  });

  it('GIVEN anything that is not ours THEN it is null, including a modal action on a button and a button action on a modal', () => {
    expect(parseDraftInteraction(stub('button', 'someone-else:approve'))).toBeNull();
    expect(parseDraftInteraction(stub('button', 'dg1:reject-modal:5:2'))).toBeNull();
    expect(parseDraftInteraction(stub('modal', 'dg1:approve:5:2'))).toBeNull();
    expect(parseDraftInteraction(stub('command'))).toBeNull();
  });
});
