/** Whether a process exists (signal 0 only checks); our own pid counts as not alive (it is never "another"). */
export function isAlive(pid: number | null | undefined): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
