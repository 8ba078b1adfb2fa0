// An agent as a step (createStep(agent)): its chunks reach the stream as workflow-step-output
// events (reasoning, tool call and result, text deltas, step-finish, finish with usage), the usage
// adds up in workflow-finish and stream.usage; then a model error fails the step.
// Mastra's mock language model stands in for the provider; the Python twin streams the same
// chunks from pydantic-ai's FunctionModel (usage numbers are FunctionModel's estimates).
// Agent chunks are projected to what the two stacks share: the ids of text and reasoning parts
// (provider-made), messageId, Mastra's message lists and per-step content, model metadata,
// processorRetryCount, and the `type` key that text-end and error repeat inside their payload (a JS
// spread artifact) are left out; an error is reduced to its message (see docs/differences.md).
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const core = (p) => import(pathToFileURL(path.join(process.cwd(), 'node_modules/@mastra/core/dist', p)).href);
const DROP = ['messageId', 'metadata', 'messages', 'processorRetryCount', 'request', 'warnings'];

function project(event) {
  const chunk = event.payload?.output;
  if (event.type !== 'workflow-step-output' || chunk?.from !== 'AGENT') return event;
  const payload = { ...(chunk.payload ?? {}) };
  for (const key of DROP) delete payload[key];
  delete payload.type;
  if (/^(text|reasoning)-/.test(chunk.type)) delete payload.id;
  if (payload.output) { payload.output = { ...payload.output }; delete payload.output.steps; }
  if (payload.error) payload.error = { message: payload.error.message };
  if (payload.stepResult) payload.stepResult = { reason: payload.stepResult.reason, isContinued: payload.stepResult.isContinued };
  return { ...event, payload: { ...event.payload, output: { type: chunk.type, from: chunk.from, payload } } };
}

async function* projected(stream) {
  for await (const event of stream) yield project(event);
}

export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const { Agent } = await core('agent/index.js');
  const { createTool } = await core('tools/index.js');
  const { MastraLanguageModelV2Mock, simulateReadableStream } = await core('test-utils/llm-mock.js');
  const responses = [
    [
      { type: 'stream-start', warnings: [] },
      { type: 'reasoning-start', id: 'r' },
      { type: 'reasoning-delta', id: 'r', delta: 'Need a fact.' },
      { type: 'reasoning-end', id: 'r' },
      { type: 'tool-call', toolCallId: 'call-1', toolName: 'lookup', input: '{"topic":"otters"}' },
      { type: 'finish', finishReason: 'tool-calls', usage: { inputTokens: 50, outputTokens: 8, totalTokens: 58 } },
    ],
    [
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'Otters ' },
      { type: 'text-delta', id: 't', delta: 'hold hands.' },
      { type: 'text-end', id: 't' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 50, outputTokens: 4, totalTokens: 54 } },
    ],
  ];
  let call = 0;
  const model = new MastraLanguageModelV2Mock({ doStream: async () => ({ stream: simulateReadableStream({ chunks: responses[call++] }) }) });
  const lookup = createTool({
    id: 'lookup',
    description: 'Looks a topic up',
    inputSchema: z.object({ topic: z.string() }),
    outputSchema: z.object({ fact: z.string() }),
    execute: async (input) => ({ fact: input.topic + ' hold hands' }),
  });
  const writer = new Agent({ id: 'writer', name: 'writer', instructions: 'Write.', model, tools: { lookup } });
  const Prompt = z.object({ prompt: z.string() });
  const wf = createWorkflow({ id: 'agentwf', inputSchema: Prompt, outputSchema: z.object({ text: z.string() }) }).then(createStep(writer)).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: { prompt: 'Tell me about otters' } });
  await log.stream({ fullStream: projected(out.fullStream), result: out.result });
  log.note({ usage: await out.usage });

  const failing = new MastraLanguageModelV2Mock({
    doStream: async () => {
      throw new Error('rate limited by provider', { cause: new Error('HTTP 429') });
    },
  });
  const broken = new Agent({ id: 'broken', name: 'broken', instructions: 'Write.', model: failing });
  const wf2 = createWorkflow({ id: 'agentfail', inputSchema: Prompt, outputSchema: z.object({ text: z.string() }) }).then(createStep(broken)).commit();
  const run2 = await mastraWith({ wf2 }).getWorkflow('wf2').createRun();
  const out2 = run2.stream({ inputData: { prompt: 'Hi' } });
  const failed = await log.stream({ fullStream: projected(out2.fullStream), result: out2.result });
  log.note({ cause: failed.steps.broken.error.cause?.message ?? null });
}
