// foreach (concurrency 2) over a nested workflow of two steps: every item runs through both steps
// and the result is the list of the nested workflow's outputs in item order. Progress events name
// the foreach step (stepName and id) and carry each item's output.
// Items settle concurrently: progress events are compared in index order (without completedCount).
// Only the events of the foreach step itself are compared: Mastra runs foreach items without step
// events (skipEmits), so the nested workflow's own steps emit nothing there, while stepstream
// emits them as 'inner[i].step' (an open question, not recorded here).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const double = createStep({ id: 'double', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });
  const plusOne = createStep({ id: 'plus-one', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(double).then(plusOne).commit();
  const wf = createWorkflow({ id: 'each-nested', inputSchema: z.array(N), outputSchema: z.array(N) }).foreach(inner, { concurrency: 2 }).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: [{ n: 1 }, { n: 2 }, { n: 3 }] });
  const events = [];
  for await (const ev of out.fullStream) events.push(ev);
  const own = events.filter((e) => !e.payload?.id || e.payload.id === 'inner');
  log.note(own.map((e) => e.type).filter((t) => t !== 'workflow-step-progress'));
  log.note(own.filter((e) => e.type === 'workflow-step-progress')
    .map((e) => { const { completedCount, runId, ...p } = e.payload; return p; })
    .sort((a, b) => a.currentIndex - b.currentIndex));
  log.result(await out.result);
}
