import type { RuntimeSpec } from './cloudformation/provider.ts';
import { ACCOUNT_ID } from './constants.ts';
import { SqsEventSource } from './lambda/sqs-event-source.ts';
import { Scheduler } from './schedules/schedule.ts';
import type { CloudServices } from './services.ts';

export interface Runtime {
  readonly eventSources: readonly SqsEventSource[];
  /** Stops schedules, ends running invocations and gives every held message back. */
  stop(): Promise<void>;
}

/** Starts what the deployed resources run: event source mappings' pollers and schedules. */
export function startRuntime(
  specs: readonly RuntimeSpec[],
  services: CloudServices,
  options: { readonly fireSchedulesAtStart: boolean },
): Runtime {
  const { endpoint, region, lambda, server, progress } = services;
  const eventSources: SqsEventSource[] = [];
  const schedulers: Scheduler[] = [];
  for (const runtime of specs) {
    if (runtime.kind === 'sqs-event-source') {
      const spec = runtime.spec;
      if (!spec.enabled) continue;
      const queueName = spec.queueArn.split(':')[5] as string;
      // Messages in flight on a mapping's queue now were received by the pollers of a run that
      // ended without giving them back (killed, crashed): no process holds them any more.
      const released = server.fauxqs.releaseInFlight(spec.queueArn);
      if (released > 0) {
        progress(
          `returned ${released} message${released === 1 ? '' : 's'} held when the last run ended to ${queueName}`,
        );
      }
      const queueUrl = `${endpoint}/${ACCOUNT_ID}/${queueName}`;
      const source = new SqsEventSource({ ...spec, queueUrl, region }, services.sqs, lambda);
      source.start();
      eventSources.push(source);
    } else {
      const spec = runtime.spec;
      const scheduler = new Scheduler(spec.expression, async () => {
        const event = {
          version: '0',
          id: crypto.randomUUID(),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: ACCOUNT_ID,
          time: new Date().toISOString(),
          region,
          resources: [spec.ruleArn],
          detail: {},
        };
        await Promise.all(
          spec.targets.map((t) => lambda.invoke(t.arn, t.input ? JSON.parse(t.input) : event)),
        );
      });
      scheduler.start(options.fireSchedulesAtStart ? 0 : undefined);
      schedulers.push(scheduler);
    }
  }
  return {
    eventSources,
    async stop() {
      for (const scheduler of schedulers) scheduler.stop();
      // No new batches; running invocations are ended; then every held message goes back.
      for (const source of eventSources) source.halt();
      lambda.stop();
      await Promise.all(eventSources.map((source) => source.stop()));
    },
  };
}
