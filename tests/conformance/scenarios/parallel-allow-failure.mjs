// parallel([...], {allowFailure: true}): a branch that throws does not fail the block; its record
// is failed and the next step sees null under its key. With every branch failing the run still
// succeeds and the next step sees null for each.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const ok = createStep({ id: 'ok', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const bad = (id) => createStep({ id, inputSchema: N, outputSchema: N, execute: async () => { throw new Error(id + ' broke'); } });
  const after = createStep({ id: 'after', inputSchema: z.any(), outputSchema: z.any(),
    execute: async ({ inputData }) => ({ keys: Object.keys(inputData).sort(), seen: inputData }) });
  const one = createWorkflow({ id: 'allow-one', inputSchema: N, outputSchema: z.any() })
    .parallel([ok, bad('bad')], { allowFailure: true }).then(after).commit();
  const all = createWorkflow({ id: 'allow-all', inputSchema: N, outputSchema: z.any() })
    .parallel([bad('bad1'), bad('bad2')], { allowFailure: true }).then(after).commit();
  const m = mastraWith({ one, all });
  log.result(await (await m.getWorkflow('one').createRun()).start({ inputData: { n: 1 } }));
  log.result(await (await m.getWorkflow('all').createRun()).start({ inputData: { n: 1 } }));
}
