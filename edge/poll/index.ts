export { BusQueue, type BusQueueOptions } from './bus-queue.js';
export { Pipeline, type EvidenceSink, type VerdictHook, type PipelineOptions } from './pipeline.js';
export { MeterPoller, CHUNK_HOURS, type MeterState, type PollerDeps } from './meter-poller.js';
export { Scheduler, backoffMs, nextCycleAt } from './scheduler.js';
export { samplesMigration } from './samples.js';
