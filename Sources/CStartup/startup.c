// vtrial's only start-up work done before `main`: it starts opening OpenBLAS and LAPACKE
// (CLinearAlgebra) on a thread of their own as soon as the process is loaded, so that the
// libraries are open by the time the protocol has been read (the Swift runtime's start-up, the
// command line and the protocol take the ~5-10 ms that opening them does). Only the vtrial
// executable links this target; the library and the tests open them on first use.
#include "clinearalgebra.h"

__attribute__((constructor)) static void vt_startup(void) { vt_linalg_start_loading(); }
