// cancel() during a long sleep ends the run at once as canceled; the step after the sleep never
// runs. Event order: ... step-waiting, workflow-canceled, workflow-finish(canceled). Streamed;
// the sleep's random id is noted as 'sleep_*'.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const after = createStep({ id: 'after', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => inputData });
  const wf = createWorkflow({ id: 'cancel-sleep', inputSchema: N, outputSchema: N }).then(inc).sleep(10000).then(after).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const t0 = Date.now();
  const out = run.stream({ inputData: { n: 1 } });
  setTimeout(() => run.cancel(), 50);
  const events = [];
  for await (const ev of out.fullStream) events.push(ev);
  const result = await out.result;
  const sid = (id) => (typeof id === 'string' && id.startsWith('sleep_') ? 'sleep_*' : id);
  log.note(events.map((e) => ({ type: e.type, id: sid(e.payload?.id), status: e.payload?.status, workflowStatus: e.payload?.workflowStatus })));
  // Mastra leaves the interrupted sleep's record at 'waiting'; only its presence is compared.
  log.note({ status: result.status, fast: Date.now() - t0 < 2000, stepIds: Object.keys(result.steps).map(sid).sort(),
    inc: { status: result.steps.inc.status, output: result.steps.inc.output }, ranAfter: 'after' in result.steps });
}
