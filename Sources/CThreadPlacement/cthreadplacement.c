// Thread placement for the parallel runs (Trial's WorkerPlacement): Linux's CPU affinity calls,
// which Swift's Glibc module does not offer (they need _GNU_SOURCE).
#define _GNU_SOURCE
#include "cthreadplacement.h"

#ifdef __linux__
#include <sched.h>

int cthreadplacement_current_cpu(void) { return sched_getcpu(); }

int cthreadplacement_allowed_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && count < capacity; cpu++) {
        if (CPU_ISSET(cpu, &set)) cpus[count++] = cpu;
    }
    return count;
}

int cthreadplacement_move_to(int cpu) {
    cpu_set_t allowed, only;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
    CPU_ZERO(&only);
    CPU_SET(cpu, &only);
    if (sched_setaffinity(0, sizeof only, &only) != 0) return -1;
    (void)sched_setaffinity(0, sizeof allowed, &allowed);
    return 0;
}
#else
int cthreadplacement_current_cpu(void) { return -1; }
int cthreadplacement_allowed_cpus(int *cpus, int capacity) { (void)cpus; (void)capacity; return -1; }
int cthreadplacement_move_to(int cpu) { (void)cpu; return -1; }
#endif
