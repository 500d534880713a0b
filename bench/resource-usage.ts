// Where a benchmark's CPU goes, read cheaply from Linux's /proc between two instants: per group of
// processes known by pid (those we started, a database's backends), per server program known by
// name (redis-server), and the whole machine, so that "other" shows what else ran meanwhile. Figures
// are in clock ticks (USER_HZ, 100 a second on Linux); nothing is sampled in between.
import { readdir, readFile } from 'node:fs/promises';

/** Ticks per second of /proc's utime and stime. */
const ticksPerSecond = 100;

export interface CpuSnapshot {
  /** utime + stime of each process of each group, in ticks. */
  readonly ticksByGroup: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** All cores: ticks spent busy (not idle, not waiting for I/O) and in all. */
  readonly machineBusyTicks: number;
  readonly machineTotalTicks: number;
  readonly takenAtMs: number;
}

export interface CpuGroups {
  /** Group name → its processes' ids. */
  readonly pids: ReadonlyMap<string, readonly number[]>;
  /** Group name → program name (/proc/<pid>/comm) of processes we did not start. */
  readonly programs: ReadonlyMap<string, string>;
}

export interface CpuUsage {
  /** Group → cores used on average (1.0 = one core busy all the time). */
  readonly coresByGroup: ReadonlyMap<string, number>;
  /** What the machine was busy with besides the groups. */
  readonly otherCores: number;
  readonly machineBusyCores: number;
  readonly machineCores: number;
  readonly elapsedMs: number;
}

export async function takeCpuSnapshot(groups: CpuGroups): Promise<CpuSnapshot> {
  const ticksByGroup = new Map<string, Map<number, number>>();
  for (const [group, pids] of groups.pids) {
    const ticksByPid = new Map<number, number>();
    for (const pid of pids) {
      const found = await processTicks(pid);
      if (found !== undefined) ticksByPid.set(pid, found.ticks);
    }
    ticksByGroup.set(group, ticksByPid);
  }
  const programGroups = new Map([...groups.programs].map(([group, name]) => [name, group]));
  for (const group of groups.programs.keys()) ticksByGroup.set(group, new Map());
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const found = await processTicks(Number(entry));
    const group = found === undefined ? undefined : programGroups.get(found.program);
    if (found === undefined || group === undefined) continue;
    ticksByGroup.get(group)?.set(Number(entry), found.ticks);
  }
  const machine = await machineTicks();
  return { ticksByGroup, ...machine, takenAtMs: performance.now() };
}

export function cpuUsageBetween(before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const elapsedTicks = ((after.takenAtMs - before.takenAtMs) / 1_000) * ticksPerSecond;
  const coresByGroup = new Map<string, number>();
  for (const [group, processes] of after.ticksByGroup) {
    // Per process: one that started in between counts whole; one that ended is lost (its last
    // ticks are unknown), rather than counted negative.
    const earlier = before.ticksByGroup.get(group);
    let ticks = 0;
    for (const [pid, total] of processes) ticks += total - (earlier?.get(pid) ?? 0);
    coresByGroup.set(group, ticks / elapsedTicks);
  }
  const machineBusyCores = (after.machineBusyTicks - before.machineBusyTicks) / elapsedTicks;
  const machineCores =
    (after.machineTotalTicks - before.machineTotalTicks) / elapsedTicks || Number.NaN;
  const grouped = [...coresByGroup.values()].reduce((sum, cores) => sum + cores, 0);
  return {
    coresByGroup,
    otherCores: Math.max(0, machineBusyCores - grouped),
    machineBusyCores,
    machineCores,
    elapsedMs: after.takenAtMs - before.takenAtMs,
  };
}

/** A process's program name and CPU ticks, or undefined once it is gone. */
async function processTicks(pid: number): Promise<{ program: string; ticks: number } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const close = text.lastIndexOf(')');
  const program = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after comm.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { program, ticks };
}

async function machineTicks(): Promise<{ machineBusyTicks: number; machineTotalTicks: number }> {
  const first = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is in user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = first
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
    (sum, value) => sum + (value ?? 0),
    0,
  );
  return { machineBusyTicks: busy, machineTotalTicks: busy + (idle ?? 0) + (iowait ?? 0) };
}
