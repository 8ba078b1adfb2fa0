// A foreach item that throws fails the whole run (the next step never runs); its progress event
// says iterationStatus 'failed'. The run is noted field by field: Mastra's failed foreach record
// also carries internal __workflow_meta bookkeeping in suspendPayload, which is not compared.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const halve = createStep({ id: 'halve', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => {
    if (inputData.n % 2) throw new Error('odd item ' + inputData.n);
    return { n: inputData.n / 2 };
  } });
  const never = createStep({ id: 'never', inputSchema: z.array(N), outputSchema: z.array(N), execute: async ({ inputData }) => inputData });
  const wf = createWorkflow({ id: 'each-fails', inputSchema: z.array(N), outputSchema: z.array(N) }).foreach(halve).then(never).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const out = run.stream({ inputData: [{ n: 2 }, { n: 3 }, { n: 4 }] });
  const events = [];
  for await (const ev of out.fullStream) events.push(ev);
  const result = await out.result;
  log.note(events.map((e) => {
    const p = e.payload;
    if (e.type === 'workflow-step-progress') {
      const { id, completedCount, totalCount, currentIndex, iterationStatus, iterationOutput } = p;
      return { type: e.type, id, completedCount, totalCount, currentIndex, iterationStatus, iterationOutput };
    }
    if (e.type === 'workflow-step-result') return { type: e.type, id: p.id, status: p.status, error: p.error?.message };
    if (e.type === 'workflow-finish') return { type: e.type, workflowStatus: p.workflowStatus };
    return { type: e.type, id: p.id };
  }));
  log.note({ status: result.status, error: result.error.message, halve: result.steps.halve.status,
    halveError: result.steps.halve.error.message, ranNever: 'never' in result.steps });
}
