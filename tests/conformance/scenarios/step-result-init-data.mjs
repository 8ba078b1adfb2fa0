// getStepResult and getInitData inside a later step: getStepResult takes a step or an id, returns
// the step's output, and null for a step that never ran; getInitData returns the workflow input.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const In = z.object({ name: z.string() });
  const greet = createStep({ id: 'greet', inputSchema: In, outputSchema: z.object({ text: z.string() }),
    execute: async ({ inputData }) => ({ text: 'hello ' + inputData.name }) });
  const count = createStep({ id: 'count', inputSchema: z.object({ text: z.string() }), outputSchema: z.object({ len: z.number() }),
    execute: async ({ inputData }) => ({ len: inputData.text.length }) });
  const unused = createStep({ id: 'unused', inputSchema: z.any(), outputSchema: z.any(), execute: async () => ({}) });
  const look = createStep({ id: 'look', inputSchema: z.object({ len: z.number() }), outputSchema: z.any(),
    execute: async ({ inputData, getStepResult, getInitData }) => ({
      len: inputData.len,
      byStep: getStepResult(greet),
      byId: getStepResult('greet'),
      missing: getStepResult(unused),
      init: getInitData(),
    }) });
  const wf = createWorkflow({ id: 'lookups', inputSchema: In, outputSchema: z.any() }).then(greet).then(count).then(look).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  log.result(await run.start({ inputData: { name: 'ann' } }));
}
