// A 20 ms sleep between two steps, streamed: workflow-step-waiting, then a step-result whose
// output equals its input. Sleep ids are random (sleep_<uuid>), so events and results are noted
// with the sleep id reduced to 'sleep_*' (and without step-result payloads: Mastra's sleep result has none).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const dbl = createStep({ id: 'dbl', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });
  const wf = createWorkflow({ id: 'sleepy', inputSchema: N, outputSchema: N }).then(inc).sleep(20).then(dbl).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: { n: 1 } });
  const events = [];
  for await (const ev of out.fullStream) events.push(ev);
  const result = await out.result;
  const sid = (id) => (typeof id === 'string' && id.startsWith('sleep_') ? 'sleep_*' : id);
  log.note(events.map((e) => ({ type: e.type, id: sid(e.payload.id), status: e.payload.status,
    payload: e.type === 'workflow-step-result' ? undefined : e.payload.payload,
    output: e.payload.output, workflowStatus: e.payload.workflowStatus })));
  log.note({ status: result.status, result: result.result,
    steps: Object.fromEntries(Object.entries(result.steps).map(([k, v]) => [sid(k), k === 'input' ? v : { status: v.status, output: v.output }])) });
}
