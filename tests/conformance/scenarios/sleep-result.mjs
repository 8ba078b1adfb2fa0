// The workflow-step-result event of a sleep carries the sleep's output and no payload (the
// sleep id is random in Mastra, so each event is noted with its keys and the id reduced).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const wf = createWorkflow({ id: 'sleep-result', inputSchema: N, outputSchema: N }).then(inc).sleep(5).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: { n: 1 } });
  const events = [];
  for await (const ev of out.fullStream) events.push(ev);
  await out.result;
  const skip = new Set(['id', 'stepName', 'stepCallId', 'startedAt', 'endedAt', 'runId']);
  log.note(events.filter((e) => String(e.payload?.id ?? '').startsWith('sleep_')).map((e) => ({
    type: e.type,
    keys: Object.keys(e.payload).filter((k) => !skip.has(k)).sort(),
    status: e.payload.status, output: e.payload.output, payload: e.payload.payload })));
}
