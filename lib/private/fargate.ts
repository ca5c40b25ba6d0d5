/**
 * Valid Fargate task sizes (Linux, platform version 1.4.0 or later): for each CPU value in CPU
 * units, the memory values in MiB it accepts. Source: Amazon ECS Developer Guide, "Task CPU and
 * memory" for Fargate.
 */
function steps(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export const FARGATE_TASK_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, steps(1024, 4096, 1024)],
  [1024, steps(2048, 8192, 1024)],
  [2048, steps(4096, 16384, 1024)],
  [4096, steps(8192, 30720, 1024)],
  [8192, steps(16384, 61440, 4096)],
  [16384, steps(32768, 122880, 8192)],
]);

/** Human-readable list of the memory values valid for `cpu`, compacted into ranges. */
export function describeMemoryFor(cpu: number): string {
  const mem = FARGATE_TASK_SIZES.get(cpu);
  if (!mem) return '';
  if (mem.length <= 3) return mem.join(', ');
  const step = mem[1] - mem[0];
  return `${mem[0]} to ${mem[mem.length - 1]} in steps of ${step}`;
}
