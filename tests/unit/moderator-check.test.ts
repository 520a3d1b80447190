import { PermissionFlagsBits } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { isModerator } from '../../src/adapters/discord/moderator-check.js';

const ROLE = '1200000000000000301';
const MANAGE = PermissionFlagsBits.ManageGuild | PermissionFlagsBits.ViewChannel;
const BASIC = PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages;

describe('moderator check', () => {
  it('GIVEN MODERATOR_ROLE_ID THEN only members with that role are moderators, Manage Guild alone is not enough', () => {
    const policy = { moderatorRoleId: ROLE };
    expect(isModerator({ roleIds: [ROLE], permissions: BASIC }, policy)).toBe(true);
    expect(isModerator({ roleIds: ['1200000000000000302'], permissions: MANAGE }, policy)).toBe(false);
    expect(isModerator({ roleIds: [], permissions: BASIC }, policy)).toBe(false);
  });

  it('GIVEN no role configured THEN Manage Guild decides', () => {
    const policy = { moderatorRoleId: undefined };
    expect(isModerator({ roleIds: [], permissions: MANAGE }, policy)).toBe(true);
    expect(isModerator({ roleIds: [ROLE], permissions: BASIC }, policy)).toBe(false);
    // Administrator arrives with every bit set, Manage Guild included.
    expect(isModerator({ roleIds: [], permissions: Object.values(PermissionFlagsBits).reduce((a, b) => a | b, 0n) }, policy)).toBe(true);
  });

  it('GIVEN an interaction outside a guild or without permissions THEN nobody is a moderator', () => {
    expect(isModerator(null, { moderatorRoleId: ROLE })).toBe(false);
    expect(isModerator({ roleIds: [], permissions: null }, { moderatorRoleId: undefined })).toBe(false);
  });
});
