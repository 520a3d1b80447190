import { once } from 'node:events';
import {
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  FileUploadBuilder,
  GatewayIntentBits,
  LabelBuilder,
  ModalBuilder,
  StringSelectMenuBuilder,
  StringSelectMenuOptionBuilder,
  TextInputBuilder,
  TextInputStyle,
  ActionRowBuilder,
  type ButtonInteraction,
  type Interaction,
  type ModalSubmitInteraction,
  type TextChannel,
} from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_ATTACHMENT_SIZE_LIMIT, FakeDiscord } from '../support/fake-discord.js';
import { loadSpecValidator } from '../support/spec-validator.js';

let fake: FakeDiscord;
const clients: Client[] = [];

beforeEach(async () => {
  fake = new FakeDiscord();
  await fake.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.destroy();
  await fake.stop();
});

async function readyClient(): Promise<Client<true>> {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiBase } });
  clients.push(client);
  const ready = once(client, Events.ClientReady);
  await client.login(fake.botToken);
  await ready;
  return client as Client<true>;
}

function nextInteraction<T extends Interaction>(client: Client): Promise<T> {
  return once(client, Events.InteractionCreate).then(([interaction]) => interaction as T);
}

function channelOf(client: Client): TextChannel {
  return client.channels.cache.get(fake.channelId) as TextChannel;
}

/** A PNG header (IHDR) of the given size followed by filler: enough for Discord (and the fake) to measure it. */
function png(width: number, height: number, filler = 500): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.writeUInt8(8, 16);
  ihdr.writeUInt8(6, 17);
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), ihdr, Buffer.alloc(filler, 0xab)]);
}

const addRow = () =>
  new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId('add').setLabel('Add image').setStyle(ButtonStyle.Secondary));

/** Posts a card, clicks its button and returns the click, for the bot to answer with a modal. */
async function clickOnCard(client: Client): Promise<{ messageId: string; button: ButtonInteraction }> {
  const sent = await channelOf(client).send({ content: 'Draft #7', components: [addRow()] });
  const clicked = nextInteraction<ButtonInteraction>(client);
  fake.injectButtonClick({ messageId: sent.id, customId: 'add' });
  return { messageId: sent.id, button: await clicked };
}

function imageModal(): ModalBuilder {
  return new ModalBuilder()
    .setCustomId('add-image:7')
    .setTitle('Add images to draft #7')
    .addLabelComponents(
      new LabelBuilder().setLabel('Images').setFileUploadComponent(new FileUploadBuilder().setCustomId('images').setMinValues(1).setMaxValues(4)),
      new LabelBuilder()
        .setLabel('Alt text (optional)')
        .setTextInputComponent(new TextInputBuilder().setCustomId('alt').setStyle(TextInputStyle.Paragraph).setRequired(false)),
      new LabelBuilder()
        .setLabel('Remove')
        .setStringSelectMenuComponent(
          new StringSelectMenuBuilder()
            .setCustomId('remove')
            .setMinValues(0)
            .setMaxValues(2)
            .setRequired(false)
            .addOptions(
              new StringSelectMenuOptionBuilder().setLabel('Image 1').setValue('0'),
              new StringSelectMenuOptionBuilder().setLabel('Image 2').setValue('1'),
            ),
        ),
    );
}

describe('FakeDiscord modal file uploads (issue 14)', () => {
  it('GIVEN a modal with a file upload WHEN the user submits two images THEN discord.js reads them from resolved.attachments and the CDN serves their bytes', async () => {
    const client = await readyClient();
    const { messageId, button } = await clickOnCard(client);
    await button.showModal(imageModal());
    const first = png(1200, 675);
    const second = png(64, 64);

    const submitted = nextInteraction<ModalSubmitInteraction>(client);
    fake.injectModalSubmit({
      customId: 'add-image:7',
      messageId,
      fields: { alt: 'a chart' },
      files: {
        images: [
          { filename: 'chart.png', data: first, contentType: 'image/png' },
          { filename: 'logo.png', data: second },
        ],
      },
      selects: { remove: ['1'] },
    });
    const modal = await submitted;

    const files = modal.fields.getUploadedFiles('images', true);
    expect([...files.values()].map((a) => [a.name, a.size, a.contentType, a.width, a.height])).toEqual([
      ['chart.png', first.length, 'image/png', 1200, 675],
      ['logo.png', second.length, 'application/octet-stream', 64, 64],
    ]);
    expect(modal.fields.getTextInputValue('alt')).toBe('a chart');
    expect(modal.fields.getStringSelectValues('remove')).toEqual(['1']);
    const url = files.first()?.url ?? '';
    expect(url.startsWith(`${fake.http.url}/attachments/`)).toBe(true);
    const downloaded = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(downloaded.equals(first)).toBe(true);
    const validator = await loadSpecValidator('discord');
    const callback = fake.http.requests.find((r) => r.path.endsWith('/callback'));
    expect(callback && validator.validate(callback)).toEqual([]);
  });

  it('GIVEN a file upload taking 1 to 4 files WHEN a submit carries none or five THEN the fake refuses it as Discord would', async () => {
    const client = await readyClient();
    const { messageId, button } = await clickOnCard(client);
    await button.showModal(imageModal());
    const five = Array.from({ length: 5 }, (_, i) => ({ filename: `${i}.png`, data: png(10, 10) }));
    expect(() => fake.injectModalSubmit({ customId: 'add-image:7', messageId, fields: {}, files: { images: five } })).toThrow(/min_values..max_values/);
    expect(() => fake.injectModalSubmit({ customId: 'add-image:7', messageId, fields: {} })).toThrow(/min_values..max_values/);
    expect(() => fake.injectModalSubmit({ customId: 'add-image:7', messageId, fields: {}, files: { nope: [five[0]!] } })).toThrow(/min_values|not present/);
  });

  it('GIVEN a modal whose file upload asks for more than 10 files WHEN the bot shows it THEN Discord refuses the callback', async () => {
    const client = await readyClient();
    const { button } = await clickOnCard(client);
    // Raw JSON: discord.js's builder would refuse it before it reached the wire.
    const modal = {
      custom_id: 'x',
      title: 'Too many',
      components: [{ type: 18, label: 'Images', component: { type: 19, custom_id: 'images', max_values: 11 } }],
    };
    await expect(button.showModal(modal as never)).rejects.toBeInstanceOf(DiscordAPIError);
  });

  it('GIVEN a card with image files WHEN it is edited keeping one by id THEN the other is dropped and the kept one is not uploaded again', async () => {
    const client = await readyClient();
    const sent = await channelOf(client).send({
      embeds: [{ title: 'Draft', image: { url: 'attachment://img-1.png' } }],
      files: [new AttachmentBuilder(png(800, 600), { name: 'img-1.png' }), new AttachmentBuilder(png(300, 200), { name: 'img-2.png' })],
    });
    const stored = fake.messages.get(sent.id);
    expect(stored?.attachments.map((a) => [a['filename'], a['width'], a['height']])).toEqual([
      ['img-1.png', 800, 600],
      ['img-2.png', 300, 200],
    ]);
    expect((stored?.embeds[0]?.['image'] as Record<string, unknown>)['width']).toBe(800);
    const keep = String(stored?.attachments[0]?.['id']);
    await channelOf(client).messages.edit(sent.id, {
      embeds: [{ title: 'Draft r2', image: { url: 'attachment://img-1.png' } }],
      attachments: [{ id: keep }] as never,
    });
    expect(fake.messages.get(sent.id)?.attachments.map((a) => a['id'])).toEqual([keep]);
    const edit = fake.http.requests.filter((r) => r.method === 'PATCH').at(-1);
    expect(edit?.multipart ?? []).toHaveLength(0);
  });

  it('GIVEN a file over the upload limit WHEN the bot sends it THEN Discord refuses the message with 40005', async () => {
    const client = await readyClient();
    const big = Buffer.concat([png(10, 10), Buffer.alloc(FAKE_ATTACHMENT_SIZE_LIMIT, 1)]);
    const error = await channelOf(client)
      .send({ content: 'big', files: [new AttachmentBuilder(big, { name: 'big.gif' })] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).code).toBe(40005);
  });

  it('GIVEN files each under the upload limit but over 25 MiB together WHEN the bot sends them in one message THEN Discord refuses it with 40005, and under the total it takes them', async () => {
    const client = await readyClient();
    const part = (n: number) => new AttachmentBuilder(Buffer.concat([png(10, 10), Buffer.alloc(9 * 1024 * 1024, n)]), { name: `part-${n}.png` });
    const error = await channelOf(client)
      .send({ content: 'too much', files: [part(1), part(2), part(3)] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect((error as DiscordAPIError).status).toBe(413);
    expect((error as DiscordAPIError).code).toBe(40005);
    const sent = await channelOf(client).send({ content: 'fits', files: [part(1), part(2)] });
    expect(sent.attachments.size).toBe(2);
  });
});
