// writer.custom({type: 'data-*', data}) emits the chunk as-is at the top level of the stream
// (no workflow-step-output wrapper), between the step's start and result.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const work = createStep({ id: 'work', inputSchema: N, outputSchema: N, execute: async ({ inputData, writer }) => {
    for (let i = 1; i <= inputData.n; i++) await writer.custom({ type: 'data-progress', data: { step: i, of: inputData.n } });
    return { n: inputData.n };
  } });
  const wf = createWorkflow({ id: 'custom', inputSchema: N, outputSchema: N }).then(work).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  await log.stream(run.stream({ inputData: { n: 2 } }));
}
