// `.then(s).then(s)`: the same step twice in a row. Both run, each on the previous output, and the
// run's record for the step id holds the second execution (one `steps` entry per id).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const wf = createWorkflow({ id: 'twice', inputSchema: N, outputSchema: N }).then(inc).then(inc).commit();
  const w = mastraWith({ wf }).getWorkflow('wf');
  await log.stream((await w.createRun()).stream({ inputData: { n: 1 } }));
  const run = await w.createRun();
  const result = await run.start({ inputData: { n: 10 } });
  log.result(result);
  const state = await w.getWorkflowRunById(run.runId);
  log.note({ steps: Object.keys(state.steps), inc: state.steps.inc.output, payload: state.steps.inc.payload, path: Object.keys(result.steps), executionPath: result.stepExecutionPath });
}
