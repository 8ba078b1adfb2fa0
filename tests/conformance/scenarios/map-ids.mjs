// Map node ids: unnamed maps are mapping_<workflowId>_<n>, where n counts every .map of that
// workflow (a map with an explicit id still takes a number); a nested workflow numbers its own.
export default async function ({ createWorkflow, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const wf = createWorkflow({ id: 'ids', inputSchema: N, outputSchema: N })
    .map(async ({ inputData }) => ({ n: inputData.n * 2 }))
    .map(async ({ inputData }) => ({ n: inputData.n + 1 }), { id: 'plus-one' })
    .map(async ({ inputData }) => ({ n: inputData.n * 3 })).commit();
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).map(async ({ inputData }) => ({ n: inputData.n - 1 })).commit();
  const outer = createWorkflow({ id: 'outer', inputSchema: N, outputSchema: N }).map(async ({ inputData }) => ({ n: inputData.n * 10 })).then(inner).commit();
  const m = mastraWith({ wf, outer });
  log.result(await (await m.getWorkflow('wf').createRun()).start({ inputData: { n: 1 } }));
  await log.stream((await m.getWorkflow('outer').createRun()).stream({ inputData: { n: 1 } }));
}
