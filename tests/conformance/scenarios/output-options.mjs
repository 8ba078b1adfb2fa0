// outputOptions: includeState adds the run's state to the result, includeResumeLabels adds the
// resume labels of a suspended result; by default a result has neither. Options apply per call
// (start, stream, resume, timeTravel).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const S = z.object({ count: z.number() });
  const ask = createStep({ id: 'ask', inputSchema: z.any(), outputSchema: z.any(), stateSchema: S, resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ resumeData, suspend, state, setState }) => {
      await setState({ count: state.count + 1 });
      if (!resumeData) return suspend({ why: 'approve' }, { resumeLabel: 'approve' });
      return { ok: resumeData.ok };
    } });
  const wf = createWorkflow({ id: 'out', inputSchema: z.any(), outputSchema: z.any(), stateSchema: S }).then(ask).commit();
  const m = mastraWith({ wf });
  const show = (r) => log.note({ status: r.status, hasState: 'state' in r, state: r.state, hasLabels: 'resumeLabels' in r, labels: r.resumeLabels });
  const r1 = await m.getWorkflow('wf').createRun();
  show(await r1.start({ inputData: {}, initialState: { count: 0 } }));
  show(await r1.resume({ resumeData: { ok: true } }));
  const r2 = await m.getWorkflow('wf').createRun();
  show(await r2.start({ inputData: {}, initialState: { count: 0 }, outputOptions: { includeState: true, includeResumeLabels: true } }));
  show(await r2.resume({ label: 'approve', resumeData: { ok: true }, outputOptions: { includeState: true, includeResumeLabels: true } }));
  const r3 = await m.getWorkflow('wf').createRun();
  const s3 = r3.stream({ inputData: {}, initialState: { count: 5 }, outputOptions: { includeResumeLabels: true } });
  for await (const _ of s3.fullStream) { /* drain */ }
  show(await s3.result);
  show(await r3.timeTravel({ step: 'ask', resumeData: { ok: false }, outputOptions: { includeState: true } }));
}
