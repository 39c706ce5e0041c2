#include "version.h"
const char sluice_version[] = "0.1.0";
