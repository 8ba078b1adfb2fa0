// getStepResult of a step that is in the workflow but never ran (its branch was not taken) returns
// null; inside a nested workflow, getInitData returns the nested workflow's input (the output of
// the step before it), not the outer run's input.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const prep = createStep({ id: 'prep', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 10 }) });
  const big = createStep({ id: 'big', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const small = createStep({ id: 'small', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n - 1 }) });
  const look = createStep({ id: 'look', inputSchema: N, outputSchema: z.any(),
    execute: async ({ inputData, getInitData, getStepResult }) => ({ n: inputData.n, init: getInitData(), first: getStepResult('first') }) });
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: z.any() }).then(look).commit();
  const check = createStep({ id: 'check', inputSchema: z.any(), outputSchema: z.any(),
    execute: async ({ inputData, getStepResult, getInitData }) => ({
      fromInner: inputData, big: getStepResult(big), small: getStepResult(small), init: getInitData() }) });
  const first = createStep({ id: 'first', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => inputData });
  const wf = createWorkflow({ id: 'lookups-nested', inputSchema: N, outputSchema: z.any() })
    .then(first)
    .then(prep)
    .branch([[async ({ inputData }) => inputData.n > 5, big], [async ({ inputData }) => inputData.n <= 5, small]])
    .map(async ({ getStepResult }) => getStepResult(big))
    .then(inner)
    .then(check)
    .commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  log.result(await run.start({ inputData: { n: 2 } }));
}
