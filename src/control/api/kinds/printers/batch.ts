/** Table columns of the batch/v1 kinds (Job's STATUS column as in 1.32). */
import type { KubeObject, TableColumn } from '../../resource.js';
import { records, str } from '../strategies/json.js';
import { ageColumn, column, num, path, templateColumns } from './columns.js';
import { humanDuration, since } from './duration.js';

const hasCondition = (o: KubeObject, type: string): boolean =>
  records(path(o, 'status', 'conditions')).some((c) => c.type === type && c.status === 'True');

function jobStatus(o: KubeObject): string {
  if (hasCondition(o, 'Complete')) return 'Complete';
  if (hasCondition(o, 'Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(o, 'Suspended')) return 'Suspended';
  if (hasCondition(o, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(o, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(o: KubeObject): string {
  const succeeded = num(path(o, 'status', 'succeeded'));
  const completions = path(o, 'spec', 'completions');
  if (typeof completions === 'number') return `${succeeded}/${completions}`;
  const parallelism = num(path(o, 'spec', 'parallelism'));
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KubeObject, now: Date): string {
  const start = str(path(o, 'status', 'startTime'));
  if (start === '') return '';
  const end = str(path(o, 'status', 'completionTime'));
  return end === '' ? since(start, now) : humanDuration(Date.parse(end) - Date.parse(start));
}

export const jobColumns: TableColumn[] = [
  column('Status', 'string', 'Complete, Failed, Suspended, Terminating or Running.', jobStatus),
  column('Completions', 'string', 'Succeeded pods out of required completions.', jobCompletions),
  column('Duration', 'string', 'How long the job ran, or has run so far.', jobDuration),
  ageColumn,
  ...templateColumns((o) => path(o, 'spec', 'template', 'spec'), (o) => path(o, 'spec', 'selector')),
];

export const cronJobColumns: TableColumn[] = [
  column('Schedule', 'string', 'The cron schedule.', (o) => str(path(o, 'spec', 'schedule'))),
  column('Timezone', 'string', 'The time zone of the schedule.', (o) => str(path(o, 'spec', 'timeZone')) || '<none>'),
  column('Suspend', 'boolean', 'Whether new runs are suspended.', (o) => {
    const v = path(o, 'spec', 'suspend');
    return typeof v === 'boolean' ? (v ? 'True' : 'False') : '<unset>';
  }),
  column('Active', 'integer', 'Jobs currently running.', (o) => records(path(o, 'status', 'active')).length),
  column('Last Schedule', 'string', 'Time since the job was last scheduled.', (o, now) => {
    const t = path(o, 'status', 'lastScheduleTime');
    return t ? since(t, now) : '<none>';
  }),
  ageColumn,
  ...templateColumns((o) => path(o, 'spec', 'jobTemplate', 'spec', 'template', 'spec'),
    (o) => path(o, 'spec', 'jobTemplate', 'spec', 'selector')),
];
