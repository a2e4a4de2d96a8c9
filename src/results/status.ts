/**
 * How a run ended, the one definition (sweep, tables, report and training use it). Training itself
 * ends 'done' (its budget trained) or 'diverged' (a non-finite loss stopped it); the sweep adds
 * 'failed' for a run that threw or whose worker thread died.
 */
export const RUN_STATUSES = ['done', 'diverged', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** The statuses a training run can end with by itself. */
export type TrainStatus = Exclude<RunStatus, 'failed'>;
