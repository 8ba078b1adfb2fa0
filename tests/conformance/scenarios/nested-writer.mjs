// writer.write() inside a nested workflow reaches the parent's stream as a workflow-step-output
// event whose stepName is the inner step's bare id.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const talk = createStep({ id: 'talk', inputSchema: N, outputSchema: N,
    execute: async ({ inputData, writer }) => { await writer.write({ said: inputData.n }); return inputData; } });
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(talk).commit();
  const wf = createWorkflow({ id: 'outer', inputSchema: N, outputSchema: N }).then(inner).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  await log.stream(run.stream({ inputData: { n: 7 } }));
}
