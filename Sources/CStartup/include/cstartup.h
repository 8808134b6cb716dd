#ifndef CSTARTUP_H
#define CSTARTUP_H
// Nothing to call: startup.c's constructor runs when the vtrial executable is loaded.
#endif
