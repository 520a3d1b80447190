import type { SlashCommand } from '../src/adapters/discord/command-context.js';
import { backup } from './backup.js';
import { draft } from './draft.js';
import { pause } from './pause.js';
import { ratelimit } from './ratelimit.js';
import { resume } from './resume.js';
import { stats } from './stats.js';
import { status } from './status.js';
import { queue } from './queue.js';
import { topics } from './topics.js';
import { voice } from './voice.js';

/** Every slash command, listed explicitly: this list is what gets registered. */
export const commands: readonly SlashCommand[] = [status, pause, resume, draft, stats, topics, ratelimit, queue, backup, voice];
