/**
 * What the web bench reads from Linux's /proc to check its own measurement: CPU time of a
 * process, busy time of each CPU, the load average.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used, in seconds; 0 once it is gone. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces), from field 3 on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Busy seconds (everything but idle and iowait) of each CPU since boot. */
export function cpuBusySeconds(): number[] {
  const busy: number[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (match === null) continue;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = (match[2] as string)
      .trim()
      .split(/\s+/)
      .map(Number) as number[];
    busy[Number(match[1])] =
      ((user as number) +
        (nice as number) +
        (system as number) +
        (irq as number) +
        (softirq as number) +
        (steal as number)) /
      TICKS_PER_SECOND;
    void idle;
    void iowait;
  }
  return busy;
}

/** The 1-minute load average. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}
