// After partial progress (first step resumed, second now suspended): resuming the finished first
// step is refused ("This workflow step ... was not suspended"), resume data that breaks the
// schema is refused ("Invalid resume data") and leaves the run resumable; a valid resume finishes it.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const mk = (id) => createStep({ id, inputSchema: V, outputSchema: V, resumeSchema: z.object({ answer: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ asking: id });
      return { value: inputData.value + ' ' + id + '=' + resumeData.answer };
    } });
  const one = mk('one');
  const two = mk('two');
  const wf = createWorkflow({ id: 'partial', inputSchema: V, outputSchema: V }).then(one).then(two).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  await run.start({ inputData: { value: 'q' } });
  log.result(await run.resume({ step: 'one', resumeData: { answer: 'a' } }));
  try { await run.resume({ step: 'one', resumeData: { answer: 'again' } }); log.note('resumed a finished step'); } catch (e) { log.error(e); }
  try { await run.resume({ step: 'two', resumeData: { answer: 7 } }); log.note('accepted bad resume data'); } catch (e) { log.error(e); }
  try { await run.resume({ resumeData: {} }); log.note('accepted missing resume data'); } catch (e) { log.error(e); }
  log.result(await run.resume({ step: 'two', resumeData: { answer: 'b' } }));
}
