#ifndef CTHREADPLACEMENT_H
#define CTHREADPLACEMENT_H

/// The CPU the calling thread runs on (sched_getcpu), or -1 when it cannot be read.
int cthreadplacement_current_cpu(void);

/// Writes the CPUs of the calling thread's affinity mask, ascending, into `cpus` (at most
/// `capacity`) and returns how many there are (at most `capacity`), or -1 on failure.
int cthreadplacement_allowed_cpus(int *cpus, int capacity);

/// Moves the calling thread to `cpu`: narrows its affinity mask to that CPU (the kernel moves
/// it there at once) and widens the mask back to what it was, so the scheduler stays free to
/// move it later. Returns 0 on success, -1 when the mask could not be read or narrowed (nothing
/// changed).
int cthreadplacement_move_to(int cpu);

#endif
